/**
 * The envelope every webview message travels in, shared by the extension host and the panels.
 * Requests carry an id and get exactly one response; notifications flow host → webview only.
 * This file is imported by both sides, so it holds types and pure validators only.
 */

export interface RequestMessage<M extends string = string, P = unknown> {
  readonly kind: 'request';
  readonly id: number;
  readonly method: M;
  readonly params: P;
}

export type ResponseMessage<R = unknown> =
  | { readonly kind: 'response'; readonly id: number; readonly ok: true; readonly result: R }
  | { readonly kind: 'response'; readonly id: number; readonly ok: false; readonly error: string };

export interface NotificationMessage<M extends string = string, P = unknown> {
  readonly kind: 'notification';
  readonly method: M;
  readonly params: P;
}

/** Maps each method to its params and result: `{ load: { params: X; result: Y } }`. */
export type MethodTable<T> = { readonly [K in keyof T]: { readonly params: unknown; readonly result: unknown } };

/** Thrown by a validator: the webview asked for something it may not have. */
export class ProtocolError extends Error {}

export type Validator<T> = (value: unknown, where: string) => T;

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const object =
  <T>(fields: { [K in keyof T]: Validator<T[K]> }): Validator<T> =>
  (v, where) => {
    if (!isRecord(v)) throw new ProtocolError(`${where}: expected an object`);
    // Own keys only: `in` would let __proto__, constructor or toString through.
    const extra = Object.keys(v).filter((k) => !Object.prototype.hasOwnProperty.call(fields, k));
    if (extra.length) throw new ProtocolError(`${where}: unexpected field ${extra[0]}`);
    const out = {} as T;
    for (const k of Object.keys(fields) as (keyof T & string)[]) out[k] = fields[k](v[k], `${where}.${k}`);
    return out;
  };

export const integer =
  (min: number, max: number): Validator<number> =>
  (v, where) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ProtocolError(`${where}: expected an integer in [${min}, ${max}]`);
    return v;
  };

export const finite =
  (min: number, max: number): Validator<number> =>
  (v, where) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new ProtocolError(`${where}: expected a number in [${min}, ${max}]`);
    return v;
  };

export const text =
  (maxLength: number): Validator<string> =>
  (v, where) => {
    if (typeof v !== 'string' || v.length > maxLength) throw new ProtocolError(`${where}: expected a string of at most ${maxLength} characters`);
    return v;
  };

export const oneOf =
  <T extends string>(...values: readonly T[]): Validator<T> =>
  (v, where) => {
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw new ProtocolError(`${where}: expected one of ${values.join(', ')}`);
    return v as T;
  };

/** A list of whole numbers in [min, max], at most `maxLength` of them (a selection of examples). */
export const integers =
  (min: number, max: number, maxLength: number): Validator<number[]> =>
  (v, where) => {
    if (!Array.isArray(v) || v.length > maxLength) throw new ProtocolError(`${where}: expected a list of at most ${maxLength} whole numbers`);
    const check = integer(min, max);
    return v.map((x: unknown, i) => check(x, `${where}[${i}]`));
  };

export const bool: Validator<boolean> = (v, where) => {
  if (typeof v !== 'boolean') throw new ProtocolError(`${where}: expected true or false`);
  return v;
};

export const empty: Validator<Record<string, never>> = (v, where) => {
  if (v !== undefined && !(isRecord(v) && Object.keys(v).length === 0)) throw new ProtocolError(`${where}: expected no parameters`);
  return {};
};

/** Checks the envelope of a message from a webview; the params are checked per method. */
export function parseRequest(v: unknown): RequestMessage {
  if (!isRecord(v) || v['kind'] !== 'request') throw new ProtocolError('message: expected a request');
  const id = integer(0, Number.MAX_SAFE_INTEGER)(v['id'], 'request.id');
  const method = text(64)(v['method'], 'request.method');
  return { kind: 'request', id, method, params: v['params'] };
}

/** Validators for every method of a table: the host accepts nothing else. */
export type ParamValidators<T extends MethodTable<T>> = { readonly [M in keyof T]: Validator<T[M]['params']> };
