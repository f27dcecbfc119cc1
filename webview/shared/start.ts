/**
 * How a panel that shows one thing starts: ask the host for it ('ready'), then show it, say it is
 * gone (its run or sweep no longer indexed), or show the error. The time of the request is passed
 * on, so the panel can measure its first paint from it.
 */
import { el } from './dom';
import { mark } from './marks';
import { newestOnly } from './rpc';

const newest = newestOnly();

export async function startPanel<V>(app: HTMLElement, ready: () => Promise<V | null>, show: (v: V, since: number) => void, gone: string): Promise<void> {
  try {
    mark('request');
    const t0 = performance.now();
    const v = await newest(ready());
    mark('answer');
    if (v === undefined) return;
    if (v === null) {
      app.removeAttribute('aria-busy');
      app.append(el('p', { className: 'message', text: gone }));
      return;
    }
    show(v, t0);
  } catch (e) {
    app.append(el('p', { className: 'error', text: (e as Error).message }));
  }
}

/** Calls `f` once calls stop for `ms` (a window being resized). */
export function debounce(f: () => void, ms: number): () => void {
  let t: ReturnType<typeof setTimeout> | undefined;
  return () => {
    clearTimeout(t);
    t = setTimeout(f, ms);
  };
}
