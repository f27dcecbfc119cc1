import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { InputError } from './errors';

export interface JsonlLine {
  readonly line: number;
  readonly value: Record<string, unknown>;
  readonly raw: string;
}

const CHUNK_BYTES = 1 << 20;

/**
 * The longest line read: 64 MiB. A sample set's line holds k texts; even 50 samples of 20,000
 * characters stay far below it, while a runaway writer (no newline, a binary file) is stopped
 * after reading this much instead of filling memory.
 */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * How deep JSON may nest. V8's JSON.parse takes any depth, but JSON.stringify and every walk
 * over a value recurse: a record nested 200,000 deep ended an export in "Maximum call stack size
 * exceeded", with no file named. Real records nest a few levels; this is far beyond any.
 */
export const MAX_JSON_DEPTH = 512;

/** The deepest nesting of arrays and objects in JSON text (strings skipped), in one pass. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** JSON.parse with the depth limit: too deep is a named error, not a stack overflow later. */
export function parseJsonText(file: string, text: string, line?: number, extraDepth = 0): unknown {
  const depth = jsonDepth(text);
  if (depth > MAX_JSON_DEPTH + extraDepth) throw new InputError(file, `nests ${depth - extraDepth} levels deep, more than the ${MAX_JSON_DEPTH} a record may`, line);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(file, `malformed JSON: ${(e as Error).message}`, line);
  }
}

/** Reads only regular files: a pipe would block for ever, a device (/dev/zero) never ends. */
export function requireRegularFile(file: string): void {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    throw new InputError(file, `cannot read: ${(e as Error).message}`);
  }
  if (!st.isFile()) throw new InputError(file, 'is not a regular file (a pipe, device or folder cannot be read as run data)');
}

/**
 * Parses a JSON Lines file strictly, streaming: one line at a time is held, never the whole
 * file, so a checkpoint's samples cost memory for what the caller keeps, not for the file.
 * Every non-blank line must be a JSON object; errors name the file and 1-based line. A last
 * line without its newline is accepted (many writers omit it).
 *
 * Linear in the file's size: each chunk is searched for newlines once (bytes, not a growing
 * string), a line's pieces are joined once, and a line over MAX_LINE_BYTES is refused as soon
 * as that much of it has been read.
 */
export function* jsonlLines(file: string): Generator<JsonlLine> {
  requireRegularFile(file);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new InputError(file, `cannot read: ${(e as Error).message}`);
  }
  try {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let lineNo = 0;
    /** The current line's bytes so far, in pieces (copied out of the reused chunk buffer). */
    let pieces: Buffer[] = [];
    let pendingBytes = 0;
    const parse = (bytes: Buffer): JsonlLine | null => {
      lineNo++;
      let text: string;
      try {
        // 0x0a never occurs inside a UTF-8 sequence, so each line decodes on its own.
        text = decoder.decode(bytes);
      } catch {
        throw new InputError(file, 'not valid UTF-8', lineNo);
      }
      const raw = text.endsWith('\r') ? text.slice(0, -1) : text;
      if (raw.trim() === '') return null;
      const value = parseJsonText(file, raw, lineNo);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new InputError(file, 'each line must be a JSON object', lineNo);
      }
      return { line: lineNo, value: value as Record<string, unknown>, raw };
    };
    const tooLong = () => new InputError(file, `line is longer than ${MAX_LINE_BYTES / (1024 * 1024)} MiB (the limit for one JSONL line)`, lineNo + 1);
    const chunk = Buffer.alloc(CHUNK_BYTES);
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, chunk, 0, CHUNK_BYTES, null);
      } catch (e) {
        throw new InputError(file, `cannot read: ${(e as Error).message}`);
      }
      if (n === 0) break;
      let from = 0;
      let nl: number;
      while ((nl = chunk.indexOf(0x0a, from)) !== -1 && nl < n) {
        if (pendingBytes + (nl - from) > MAX_LINE_BYTES) throw tooLong();
        const tail = chunk.subarray(from, nl);
        const bytes = pieces.length === 0 ? tail : Buffer.concat([...pieces, tail]);
        pieces = [];
        pendingBytes = 0;
        from = nl + 1;
        const entry = parse(bytes);
        if (entry) yield entry;
      }
      if (from < n) {
        pendingBytes += n - from;
        if (pendingBytes > MAX_LINE_BYTES) throw tooLong();
        pieces.push(Buffer.from(chunk.subarray(from, n)));
      }
    }
    if (pieces.length > 0) {
      const entry = parse(Buffer.concat(pieces));
      if (entry) yield entry;
    }
  } finally {
    closeSync(fd);
  }
}

/** The whole file's lines, for files whose every record is kept anyway (datasets). */
export function readJsonl(file: string): JsonlLine[] {
  return [...jsonlLines(file)];
}

/** Field accessors that turn a wrong type into a located error instead of a wrong number. */
export class Fields {
  constructor(
    private readonly file: string,
    private readonly entry: JsonlLine,
  ) {}

  private fail(detail: string): never {
    throw new InputError(this.file, detail, this.entry.line);
  }

  has(key: string): boolean {
    return this.entry.value[key] !== undefined;
  }

  index(key: string): number {
    const v = this.entry.value[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) this.fail(`"${key}" must be a whole number >= 0, got ${JSON.stringify(v)}`);
    return v;
  }

  string(key: string): string {
    const v = this.entry.value[key];
    if (typeof v !== 'string') this.fail(`"${key}" must be a string, got ${JSON.stringify(v)?.slice(0, 40)}`);
    return v;
  }

  number(key: string): number {
    const v = this.entry.value[key];
    // JSON has no NaN; null stands for "unknown" and is read as NaN.
    if (v === null) return NaN;
    if (typeof v !== 'number') this.fail(`"${key}" must be a number, got ${JSON.stringify(v)?.slice(0, 40)}`);
    return v;
  }

  numbers(key: string): number[] {
    const v = this.entry.value[key];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) this.fail(`"${key}" must be an array of numbers`);
    return v as number[];
  }

  booleans(key: string): boolean[] {
    const v = this.entry.value[key];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'boolean')) this.fail(`"${key}" must be an array of true/false`);
    return v as boolean[];
  }

  strings(key: string): string[] {
    const v = this.entry.value[key];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) this.fail(`"${key}" must be an array of strings`);
    return v as string[];
  }
}
