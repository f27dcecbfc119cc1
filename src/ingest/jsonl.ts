import { closeSync, openSync, readSync } from 'node:fs';
import { InputError } from './errors';

export interface JsonlLine {
  readonly line: number;
  readonly value: Record<string, unknown>;
  readonly raw: string;
}

const CHUNK_BYTES = 1 << 20;

/**
 * Parses a JSON Lines file strictly, streaming: one line at a time is held, never the whole
 * file, so a checkpoint's samples cost memory for what the caller keeps, not for the file.
 * Every non-blank line must be a JSON object; errors name the file and 1-based line. A last
 * line without its newline is accepted (many writers omit it).
 */
export function* jsonlLines(file: string): Generator<JsonlLine> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new InputError(file, `cannot read: ${(e as Error).message}`);
  }
  try {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const chunk = Buffer.alloc(CHUNK_BYTES);
    let pending = '';
    let lineNo = 0;
    const parse = (rawLine: string): JsonlLine | null => {
      lineNo++;
      const raw = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
      if (raw.trim() === '') return null;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (e) {
        throw new InputError(file, `malformed JSON: ${(e as Error).message}`, lineNo);
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new InputError(file, 'each line must be a JSON object', lineNo);
      }
      return { line: lineNo, value: value as Record<string, unknown>, raw };
    };
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, chunk, 0, CHUNK_BYTES, null);
      } catch (e) {
        throw new InputError(file, `cannot read: ${(e as Error).message}`);
      }
      let text: string;
      try {
        text = decoder.decode(chunk.subarray(0, n), { stream: n > 0 });
      } catch {
        const before = lineNo + 1 + (pending.match(/\n/g)?.length ?? 0);
        throw new InputError(file, 'not valid UTF-8', before + badLineIn(chunk.subarray(0, n)));
      }
      pending += text;
      let nl: number;
      let from = 0;
      while ((nl = pending.indexOf('\n', from)) !== -1) {
        const entry = parse(pending.slice(from, nl));
        from = nl + 1;
        if (entry) yield entry;
      }
      pending = pending.slice(from);
      if (n === 0) break;
    }
    if (pending !== '') {
      const entry = parse(pending);
      if (entry) yield entry;
    }
  } finally {
    closeSync(fd);
  }
}

/** Which line of a chunk holds the invalid UTF-8 (0 = the chunk's first, partial, line). */
function badLineIn(bytes: Uint8Array): number {
  const strict = new TextDecoder('utf-8', { fatal: true });
  let line = 0;
  let start = 0;
  // The chunk may begin inside a character the previous chunk started: skip its tail bytes.
  while (start < Math.min(3, bytes.length) && (bytes[start]! & 0xc0) === 0x80) start++;
  for (let i = start; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        strict.decode(bytes.subarray(start, i));
      } catch {
        return line;
      }
      line++;
      start = i + 1;
    }
  }
  // A character cut at the chunk's end is completed by the next chunk: nothing wrong here.
  return Math.max(0, line - 1);
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
