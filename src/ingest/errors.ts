/**
 * Every problem with a user's files ends up here: one line naming the file (and line, for
 * text formats), so the CLI can print it and the editor can point at it.
 */
export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly line?: number,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${detail}`);
    this.name = 'InputError';
  }
}
