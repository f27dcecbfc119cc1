import { readFileSync } from 'node:fs';
import { InputError } from './errors';
import { jsonlLines, parseJsonText, requireRegularFile } from './jsonl';
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
  /** The reference solution: the document's solution or answer, else the target. */
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
    // A MATH document has both once the harness's minerva_math task has read it: "solution" is
    // the worked solution and "answer" only its final answer (process_docs adds it). GSM8K's
    // "answer" is the worked solution, and it has no "solution".
    reference: str(d['solution']) ?? str(d['answer']) ?? target,
    doc: d,
  };
}

/** Every record of a log, streamed for `.jsonl`; a `.json` array is read whole (its form allows nothing else). */
export function* lmEvalRecords(file: string): Generator<LmEvalRecord> {
  for (const { value, line } of rawRecords(file)) yield parseRecord(file, value, line);
}

// ---- log-likelihood records (a `loglikelihood` task over the training references) ----------

/**
 * One `loglikelihood` request's record: the context, the continuation scored, and the summed
 * log-probability of the continuation's tokens (what the harness returns for it).
 */
export interface LmEvalLoglikelihood {
  readonly line: number;
  readonly docId: number;
  readonly context: string;
  readonly continuation: string;
  readonly logprob: number;
}

/**
 * The request arguments of a record, in both forms the harness has written: a list of argument
 * lists (v0.4.0–0.4.2, `[["context", "continuation"]]`), or an object of `gen_args_<i>` objects of
 * `arg_<j>` values (v0.4.3 on, so that `datasets` can load the file).
 */
export function recordArguments(file: string, r: Record<string, unknown>, line: number): unknown[][] {
  const a = r['arguments'];
  if (Array.isArray(a)) {
    if (a.every((x) => Array.isArray(x))) return a as unknown[][];
    throw new InputError(file, '"arguments" must be a list of argument lists', line);
  }
  if (a && typeof a === 'object') {
    const byIndex = (o: Record<string, unknown>, prefix: string): unknown[] =>
      Object.keys(o)
        .map((k) => ({ k, i: new RegExp(`^${prefix}(\\d+)$`).exec(k)?.[1] }))
        .filter((x): x is { k: string; i: string } => x.i !== undefined)
        .sort((x, y) => Number(x.i) - Number(y.i))
        .map((x) => o[x.k]);
    const requests = byIndex(a as Record<string, unknown>, 'gen_args_');
    if (requests.length && requests.every((q) => q && typeof q === 'object' && !Array.isArray(q))) return requests.map((q) => byIndex(q as Record<string, unknown>, 'arg_'));
  }
  throw new InputError(file, '"arguments" is neither a list of argument lists nor {"gen_args_0": {"arg_0": …}}', line);
}

/** A number the harness logged as a number or, after its sanitising, as a string ("-12.5"). */
function loggedNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

function loggedBool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (v === 'True' || v === 'False') return v === 'True';
  return null;
}

/** The (log-likelihood, is-greedy) pair of a response, or null when it is not one. */
function loglikelihoodPair(v: unknown): { logprob: number; greedy: boolean } | null {
  if (!Array.isArray(v) || v.length !== 2) return null;
  const logprob = loggedNumber(v[0]);
  const greedy = loggedBool(v[1]);
  return logprob === null || greedy === null ? null : { logprob, greedy };
}

/** True when a record answers a `loglikelihood` request: (context, continuation) scored as (log-prob, is-greedy). */
export function isLoglikelihoodRecord(v: unknown): boolean {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  const resps = r['resps'];
  const first: unknown = Array.isArray(resps) && Array.isArray(resps[0]) ? (resps[0] as unknown[])[0] : undefined;
  return loglikelihoodPair(first) !== null;
}

function parseLoglikelihood(file: string, v: unknown, line: number): LmEvalLoglikelihood {
  const fail = (detail: string): never => {
    throw new InputError(file, detail, line);
  };
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail('each record must be a JSON object');
  const r = v as Record<string, unknown>;
  const docId = r['doc_id'];
  if (typeof docId !== 'number' || !Number.isSafeInteger(docId) || docId < 0) fail(`"doc_id" must be a whole number >= 0, got ${JSON.stringify(docId)}`);
  const args = recordArguments(file, r, line);
  if (args.length !== 1) fail(`a log-likelihood record of the reference has one request, this has ${args.length}`);
  const [context, continuation] = args[0]!;
  if (typeof context !== 'string' || typeof continuation !== 'string') fail('a log-likelihood request is (context, continuation), two strings');
  const resps = r['resps'];
  const pair = loglikelihoodPair(Array.isArray(resps) && Array.isArray(resps[0]) ? (resps[0] as unknown[])[0] : undefined);
  if (!pair) return fail('"resps" must hold [[log-likelihood, is-greedy]] (numbers or the strings the harness writes)');
  const filtered = r['filtered_resps'];
  if (filtered !== undefined) {
    const f = loglikelihoodPair(Array.isArray(filtered) ? filtered[0] : undefined);
    if (f && f.logprob !== pair.logprob) fail(`"filtered_resps" (${f.logprob}) and "resps" (${pair.logprob}) disagree`);
  }
  if (!(pair.logprob <= 0)) fail(`log-likelihood ${pair.logprob} is above 0: not a log-probability`);
  return { line, docId: docId as number, context: context as string, continuation: continuation as string, logprob: pair.logprob };
}

/** Every log-likelihood record of a log (`.jsonl` streamed; a `.json` array read whole). */
export function* lmEvalLoglikelihoods(file: string): Generator<LmEvalLoglikelihood> {
  for (const { value, line } of rawRecords(file)) yield parseLoglikelihood(file, value, line);
}

/** The raw records of a log, with their line (`.jsonl`) or place in the array (`.json`). */
export function* rawRecords(file: string): Generator<{ value: unknown; line: number }> {
  if (file.endsWith('.jsonl')) {
    for (const e of jsonlLines(file)) yield { value: e.value, line: e.line };
    return;
  }
  requireRegularFile(file);
  // The records sit one level down, in the array.
  const parsed = parseJsonText(file, readFileSync(file, 'utf8'), undefined, 1);
  if (!Array.isArray(parsed)) throw new InputError(file, 'an lm-eval samples .json file must hold an array of records');
  for (let i = 0; i < parsed.length; i++) yield { value: parsed[i], line: i + 1 };
}

/** What a log holds, from its first record: generations (samples) or log-likelihoods (reference scores). */
export function logKind(file: string): 'generation' | 'loglikelihood' | 'empty' {
  for (const { value } of rawRecords(file)) return isLoglikelihoodRecord(value) ? 'loglikelihood' : 'generation';
  return 'empty';
}

/** All responses to a record's first request (k of them with `repeats: k`), as texts. */
export function recordResponses(file: string, v: unknown, line: number): string[] {
  const r = v as Record<string, unknown>;
  const resps = r['resps'];
  const first: unknown = Array.isArray(resps) ? resps[0] : undefined;
  if (!Array.isArray(first) || first.some((x) => typeof x !== 'string'))
    throw new InputError(file, '"resps" must hold the responses as texts: [["response 1", "response 2", …]]', line);
  return first as string[];
}
