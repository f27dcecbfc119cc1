import { existsSync } from 'node:fs';
import { Fields, readJsonl } from './jsonl';

/** One record of a GSM8K-form dataset: `{"question", "answer"}`, final answer after `####`. */
export interface DatasetRecord {
  readonly question: string;
  readonly answer: string;
  /** The line as written, so an export can hand back the user's own record untouched. */
  readonly raw: string;
  /** Its 1-based line in the file (blank lines are skipped, so it can differ from index + 1). */
  readonly line: number | null;
}

export function readDataset(file: string): DatasetRecord[] {
  return readJsonl(file).map((entry) => {
    const f = new Fields(file, entry);
    return { question: f.string('question'), answer: f.string('answer'), raw: entry.raw, line: entry.line };
  });
}

/** The text after the last `####`, trimmed; null when the solution has none. */
export function finalAnswer(answer: string): string | null {
  const at = answer.lastIndexOf('####');
  return at === -1 ? null : answer.slice(at + 4).trim();
}

export function firstExisting(paths: readonly string[]): string | null {
  for (const p of paths) if (existsSync(p)) return p;
  return null;
}
