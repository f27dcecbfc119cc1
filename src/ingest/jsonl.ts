import { readFileSync } from 'node:fs';
import { InputError } from './errors';

export interface JsonlLine {
  readonly line: number;
  readonly value: Record<string, unknown>;
  readonly raw: string;
}

/**
 * Parses a JSON Lines file strictly: every non-blank line must be a JSON object. Errors name
 * the file and 1-based line. A last line without its newline is accepted (many writers omit it).
 */
export function readJsonl(file: string): JsonlLine[] {
  let text: string;
  try {
    const bytes = readFileSync(file);
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new InputError(file, err.code === 'ERR_ENCODING_INVALID_ENCODED_DATA' ? 'not valid UTF-8' : `cannot read: ${err.message}`);
  }
  const out: JsonlLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw new InputError(file, `malformed JSON: ${(e as Error).message}`, i + 1);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new InputError(file, 'each line must be a JSON object', i + 1);
    }
    out.push({ line: i + 1, value: value as Record<string, unknown>, raw });
  }
  return out;
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
