import type * as vscode from 'vscode';
import { parseRequest, ProtocolError, type MethodTable, type ParamValidators, type ResponseMessage } from '../../protocol/rpc';

export type Handlers<T extends MethodTable<T>> = { readonly [M in keyof T]: (params: T[M]['params']) => Promise<T[M]['result']> };

/**
 * The host end of a panel's message protocol: every message from the webview is checked
 * (envelope, method, params) before a handler sees it, and every request gets exactly one
 * response, an error one when the handler throws. Nothing a webview sends can throw here.
 */
export class RpcHost<T extends MethodTable<T>, N> implements vscode.Disposable {
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly webview: vscode.Webview,
    validators: ParamValidators<T>,
    handlers: Handlers<T>,
    log: vscode.OutputChannel,
  ) {
    this.subscription = webview.onDidReceiveMessage(async (raw: unknown) => {
      let id = -1;
      try {
        const request = parseRequest(raw);
        id = request.id;
        if (!Object.prototype.hasOwnProperty.call(validators, request.method)) throw new ProtocolError(`unknown method ${request.method}`);
        const method = request.method as keyof T & string;
        const params = validators[method](request.params, method);
        const result = await handlers[method](params);
        await this.post({ kind: 'response', id, ok: true, result });
      } catch (e) {
        const message = (e as Error).message ?? String(e);
        if (e instanceof ProtocolError) log.appendLine(`webview: refused a message: ${message}`);
        if (id !== -1) await this.post({ kind: 'response', id, ok: false, error: message });
      }
    });
  }

  notify<M extends keyof N & string>(method: M, params: N[M]): Thenable<boolean> {
    return this.webview.postMessage({ kind: 'notification', method, params });
  }

  private post(message: ResponseMessage): Thenable<boolean> {
    // A panel closed while a request was in flight: nothing to answer.
    return this.webview.postMessage(message).then(undefined, () => false);
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
