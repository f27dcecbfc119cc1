import { isRecord, type MethodTable } from '../../src/protocol/rpc';

type Listener<P> = (params: P) => void;

export interface Client<T extends MethodTable<T>, N, S> {
  request<M extends keyof T & string>(method: M, params: T[M]['params']): Promise<T[M]['result']>;
  on<M extends keyof N & string>(method: M, listener: Listener<N[M]>): void;
  getState(): S | undefined;
  setState(state: S): void;
}

/**
 * The webview end of a panel's protocol: requests get ids and resolve with their response;
 * notifications go to listeners. Only messages of the protocol's shape are looked at.
 */
export function createClient<T extends MethodTable<T>, N, S>(): Client<T, N, S> {
  const api = acquireVsCodeApi();
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const listeners = new Map<string, Listener<unknown>[]>();
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    const m = event.data;
    if (!isRecord(m)) return;
    if (m['kind'] === 'response' && typeof m['id'] === 'number') {
      const p = pending.get(m['id']);
      if (!p) return;
      pending.delete(m['id']);
      if (m['ok'] === true) p.resolve(m['result']);
      else p.reject(new Error(typeof m['error'] === 'string' ? m['error'] : 'request failed'));
    } else if (m['kind'] === 'notification' && typeof m['method'] === 'string') {
      for (const l of listeners.get(m['method']) ?? []) l(m['params']);
    }
  });
  return {
    request(method, params) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve, reject });
        api.postMessage({ kind: 'request', id, method, params });
      });
    },
    on(method, listener) {
      listeners.set(method, [...(listeners.get(method) ?? []), listener as Listener<unknown>]);
    },
    getState: () => (api.getState() ?? undefined) as S | undefined,
    setState: (state) => api.setState(state),
  };
}

/**
 * Keeps only the newest answer of a kind of request: when a user switches runs quickly, an
 * answer about the previous run that arrives late resolves to `undefined` instead of being drawn.
 */
export function newestOnly(): <R>(request: Promise<R>) => Promise<R | undefined> {
  let generation = 0;
  return async <R>(request: Promise<R>) => {
    const mine = ++generation;
    const value = await request;
    return mine === generation ? value : undefined;
  };
}
