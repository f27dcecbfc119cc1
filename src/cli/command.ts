/**
 * What a CLI command is: its name, its usage line, the options it takes (and only those), and
 * what it runs. Each command lives in its own module under `commands/`; `commandTable.ts` lists
 * them. Modules that load native libraries (onnxruntime) are imported inside `run`, so that
 * `premem --help` or `premem report` never load them.
 */

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** One line for `premem <command> --help`, e.g. "FILE  the index (default .premem/index.sqlite)". */
  readonly help: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The parsed values of a command's options: strings for string options, booleans for flags. */
export type OptionValues<O extends OptionSpecs> = {
  readonly [K in keyof O]?: O[K] extends { readonly type: 'boolean' } ? boolean : O[K] extends { readonly type: 'string' } ? string : string | boolean;
};

/** Where a command writes: `out` and `err` for people (control characters neutralised), `json` for machines. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  json(value: unknown): void;
}

export interface CommandArgs<O extends OptionSpecs> {
  readonly values: OptionValues<O>;
  readonly positionals: readonly string[];
  readonly io: CommandIo;
}

export interface Command<O extends OptionSpecs = OptionSpecs> {
  readonly name: string;
  /** The arguments after the command's name, e.g. "<dir>... [--db FILE] [--json]". */
  readonly usage: string;
  /** One line: what it does. */
  readonly summary: string;
  readonly options: O;
  /** Resolves to the exit code: 0 done, 1 the user's files were at fault, 2 the call was. */
  run(args: CommandArgs<O>): Promise<number>;
}

/** Declares a command with its options typed from its own table. */
export function defineCommand<const O extends OptionSpecs>(command: Command<O>): Command<O> {
  return command;
}

/** A mistake in how the command was called (exit 2), as opposed to in the user's files (exit 1). */
export class UsageError extends Error {}
