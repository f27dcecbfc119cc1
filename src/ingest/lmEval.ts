import { readFileSync } from 'node:fs';
import { InputError } from './errors';
import { jsonlLines } from './jsonl';
import type { Split } from './runData';

/**
 * lm-evaluation-harness `--log_samples` output, placed in a checkpoint folder:
 * `samples_<task>_<date>.jsonl` (one record per document and filter; v0.4.3 on) or the older
 * single JSON array (`.json`, v0.4.0–0.4.2). Each (task, filter) becomes a sample set named
 * `<task>:<filter>` with one sample per document: correct when the record's metric is 1.
 */
export const LM_EVAL_SAMPLES = /^samples_(.+?)(?:_(\d{4}-\d{2}-\d{2}T[\d.:-]+))?\.(jsonl|json)$/;

/** A task evaluated on training questions says so in its name (`gsm8k_train`); any other is the test split. */
export function lmEvalSplit(task: string): Split {
  return /(^|[_-])train([_-]|$)/.test(task) ? 'train' : 'test';
}

export interface LmEvalRecord {
  readonly line: number;
  readonly docId: number;
  readonly filter: string;
  readonly correct: boolean;
  /** The model's first response to the document. */
  readonly text: string | null;
  readonly question: string | null;
  /** The reference solution: the document's answer or solution, else the target. */
  readonly reference: string | null;
  readonly doc: Record<string, unknown>;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function parseRecord(file: string, v: unknown, line: number): LmEvalRecord {
  const fail = (detail: string): never => {
    throw new InputError(file, detail, line);
  };
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail('each record must be a JSON object');
  const r = v as Record<string, unknown>;
  const docId = r['doc_id'];
  if (typeof docId !== 'number' || !Number.isSafeInteger(docId) || docId < 0) fail(`"doc_id" must be a whole number >= 0, got ${JSON.stringify(docId)}`);
  const doc = r['doc'];
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) fail('"doc" must be an object (the dataset document)');
  const filter = r['filter'] === undefined ? 'none' : (str(r['filter']) ?? fail('"filter" must be a string'));
  // The metric the harness computed for this document and filter: the first listed in
  // "metrics", else exact_match or acc. 1 (or true) is correct.
  const names = Array.isArray(r['metrics']) ? (r['metrics'] as unknown[]).filter((m): m is string => typeof m === 'string') : [];
  const metric = [...names, 'exact_match', 'acc'].find((m) => typeof r[m] === 'number' || typeof r[m] === 'boolean');
  if (metric === undefined) return fail('no metric value (such as "exact_match") in the record');
  const value = r[metric];
  const resps = r['resps'];
  const responses: readonly unknown[] = Array.isArray(resps) ? resps : [];
  const first: unknown = Array.isArray(responses[0]) ? (responses[0] as readonly unknown[])[0] : responses[0];
  const d = doc as Record<string, unknown>;
  const target = typeof r['target'] === 'string' || typeof r['target'] === 'number' ? String(r['target']) : null;
  return {
    line,
    docId: docId as number,
    filter,
    correct: value === true || value === 1,
    text: str(first),
    question: str(d['question']) ?? str(d['problem']) ?? str(d['input']),
    reference: str(d['answer']) ?? str(d['solution']) ?? target,
    doc: d,
  };
}

/** Every record of a log, streamed for `.jsonl`; a `.json` array is read whole (its form allows nothing else). */
export function* lmEvalRecords(file: string): Generator<LmEvalRecord> {
  if (file.endsWith('.jsonl')) {
    for (const e of jsonlLines(file)) yield parseRecord(file, e.value, e.line);
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(file, `malformed JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new InputError(file, 'an lm-eval samples .json file must hold an array of records');
  // "Line" here is the record's place in the array, 1-based.
  for (let i = 0; i < parsed.length; i++) yield parseRecord(file, parsed[i], i + 1);
}
