import { basename } from 'node:path';
import { grade, answerFormOf } from '../../core/grading';
import type { DatasetRecord } from '../dataset';
import { InputError } from '../errors';
import { continuationTokens, tokenizerForLog } from '../harnessTokens';
import { LM_EVAL_SAMPLES, lmEvalLoglikelihoods, lmEvalRecords, lmEvalSplit, logKind, rawRecords, recordResponses } from '../lmEval';
import { perturbationFields } from '../perturbations';
import type { PerturbedRow, PerturbedSetData, SampleSetData, Split, TextRow } from '../runData';
import { invalidPerplexity } from '../values';
import type { CheckpointPart, LayoutReader, RunShape } from './layout';

/**
 * lm-evaluation-harness `--log_samples` logs in a checkpoint folder or under it (`--output_path`
 * nests them in a folder named after the model); record parsing in `../lmEval.ts`.
 *
 * - Generation logs: each (task, filter) is a sample set `<task>:<filter>` with one sample per
 *   document, correct by the harness's metric; `doc_id` is the dataset index; the logged
 *   documents serve as the dataset when the run has no dataset file.
 * - Tasks planned by `premem plan lm-eval` (`premem_train_<set>`, `premem_test_<set>`) keep all
 *   k repeats per document and are graded by Premem Lens's own grader, as `premem sample` grades,
 *   into the sample set `<set>`; `premem_perturbed_<set>` logs are samples on perturbed variants.
 * - Log-likelihood logs (a `loglikelihood` task over the training references, recognised by
 *   their records) give reference perplexities: exp(−log-likelihood / continuation tokens), the
 *   tokens counted with the checkpoint's own tokenizer.json as the harness splits them.
 *
 * When several logs of one task sit in a checkpoint (runs written into the same place), the
 * newest by the date in its name is read, and the checkpoint's notes say which.
 */
function taskOf(file: string): { task: string; date: string } | null {
  const m = LM_EVAL_SAMPLES.exec(basename(file));
  return m ? { task: m[1]!, date: m[2] ?? '' } : null;
}

const PLANNED = /^premem_(train|test)_(.+)$/;
const PLANNED_PERTURBED = /^premem_perturbed_(.+)$/;
const REFERENCES = /(^|_)references$/;

function splitOf(file: string): Split | null {
  const t = taskOf(file);
  if (!t || PLANNED_PERTURBED.test(t.task) || REFERENCES.test(t.task)) return null;
  return lmEvalSplit(t.task);
}

/** The newest log of each task (by the date in its name, then its path), and notes on the others. */
export function newestLogs(files: readonly string[]): { logs: string[]; notes: string[] } {
  const byTask = new Map<string, string[]>();
  for (const f of files) {
    const t = taskOf(f);
    if (t) byTask.set(t.task, [...(byTask.get(t.task) ?? []), f]);
  }
  const logs: string[] = [];
  const notes: string[] = [];
  for (const [task, group] of byTask) {
    const sorted = [...group].sort((a, b) => taskOf(a)!.date.localeCompare(taskOf(b)!.date) || a.localeCompare(b));
    const newest = sorted[sorted.length - 1]!;
    logs.push(newest);
    if (group.length > 1) notes.push(`${group.length} harness logs of task ${task}: read the newest, ${newest}`);
  }
  return { logs: logs.sort(), notes };
}

/** The generation logs (newest per task) of a split: what sizes the split and carries documents. */
function generationLog(files: readonly string[], split: Split): string | undefined {
  return newestLogs(files).logs.find((f) => splitOf(f) === split && logKind(f) === 'generation');
}

export const lmEvalLayout: LayoutReader = {
  name: 'lm-eval',
  files: /^samples_.+\.jsonl?$/,
  perplexitiesOptional: true,

  sampleSplit(fileName) {
    return splitOf(fileName);
  },

  extent(files, split, dataset) {
    const log = generationLog(files, split);
    if (!log) return null;
    const ids = new Set<number>();
    for (const r of lmEvalRecords(log)) ids.add(r.docId);
    const indices = [...ids].sort((a, b) => a - b);
    const needed = indices.length === 0 ? 0 : indices[indices.length - 1]! + 1;
    if (dataset && needed > dataset.length) {
      throw new InputError(log, `${split} samples refer to example ${needed - 1}, but the ${split} dataset has ${dataset.length} records`);
    }
    return { questions: dataset ? dataset.length : needed, indices, source: log };
  },

  documents(files, split) {
    const log = generationLog(files, split);
    if (!log) return null;
    const out: DatasetRecord[] = [];
    for (const r of lmEvalRecords(log)) {
      if (out[r.docId]) continue;
      out[r.docId] = { question: r.question ?? '', answer: r.reference ?? '', raw: JSON.stringify(r.doc), line: null };
    }
    return out;
  },

  readCheckpoint(files, run) {
    const { logs, notes } = newestLogs(files);
    const sampleSets: SampleSetData[] = [];
    const perturbedSets: PerturbedSetData[] = [];
    let references: { perplexity: Float64Array; numTokens: Float64Array; source: string } | null = null;
    for (const file of logs) {
      const { task } = taskOf(file)!;
      const kind = logKind(file);
      if (kind === 'empty') throw new InputError(file, 'is empty');
      if (kind === 'loglikelihood') {
        if (references) throw new InputError(file, `a second log-likelihood log in this checkpoint (the first: ${references.source}); keep one task of reference scores`);
        references = { ...readLoglikelihoods(file, run), source: file };
        continue;
      }
      const perturbed = PLANNED_PERTURBED.exec(task);
      const planned = PLANNED.exec(task);
      if (perturbed) perturbedSets.push(readPlannedPerturbed(file, perturbed[1]!, run));
      else if (planned) sampleSets.push(readPlanned(file, planned[1] as Split, planned[2]!, run));
      else sampleSets.push(...readLog(file, task, run));
    }
    const part: CheckpointPart = {
      sampleSets,
      perturbedSets,
      notes,
      ...(references ? { perplexity: references.perplexity, numTokens: references.numTokens } : {}),
    };
    return part;
  },
};

/** One sample set per filter of a log: one sample per document, correct by the harness's metric. */
function readLog(file: string, task: string, run: RunShape): SampleSetData[] {
  const split = lmEvalSplit(task);
  const { order, positionOf } = run.index(split);
  const byFilter = new Map<string, { codes: Uint8Array; seen: Set<number>; hasTexts: boolean }>();
  for (const r of lmEvalRecords(file)) {
    let f = byFilter.get(r.filter);
    if (!f) byFilter.set(r.filter, (f = { codes: new Uint8Array(order.length).fill(1), seen: new Set(), hasTexts: false }));
    if (f.seen.has(r.docId)) throw new InputError(file, `document ${r.docId} appears twice for filter "${r.filter}"`, r.line);
    sameDataset(file, r.line, run, split, r.docId, { doc: r.doc });
    f.seen.add(r.docId);
    if (r.text !== null) f.hasTexts = true;
    const p = positionOf.get(r.docId);
    if (p !== undefined) f.codes[p] = r.correct ? 0 : 1;
  }
  if (byFilter.size === 0) throw new InputError(file, 'is empty');
  return [...byFilter].map(([filter, f]) => {
    for (const idx of order)
      if (!f.seen.has(idx)) throw new InputError(file, `has no record for document ${idx} with filter "${filter}" (every checkpoint must cover the same documents)`);
    const texts = f.hasTexts ? { rows: () => textRows(file, filter, positionOf) } : null;
    return { split, name: `${task}:${filter}`, samplesPerQuestion: 1, questions: order.length, codes: f.codes, texts, source: file };
  });
}

/** One filter's responses in a log, streamed again, as one-sample text rows. */
function* textRows(file: string, filter: string, positionOf: ReadonlyMap<number, number>): Generator<TextRow> {
  for (const r of lmEvalRecords(file)) {
    if (r.filter !== filter) continue;
    const position = positionOf.get(r.docId);
    if (position !== undefined) yield { position, texts: [r.text ?? ''] };
  }
}

/** The first filter's record of each document: planned tasks grade the raw responses themselves. */
function* firstFilterRecords(file: string): Generator<{ value: Record<string, unknown>; line: number; docId: number }> {
  let filter: unknown;
  for (const { value, line } of rawRecords(file)) {
    const r = value as Record<string, unknown>;
    filter ??= r['filter'];
    if (r['filter'] !== filter) continue;
    const docId = r['doc_id'];
    if (typeof docId !== 'number' || !Number.isSafeInteger(docId) || docId < 0)
      throw new InputError(file, `"doc_id" must be a whole number >= 0, got ${JSON.stringify(docId)}`, line);
    yield { value: r, line, docId };
  }
}

/** The reference a planned task's document is graded against. */
function documentAnswer(file: string, r: Record<string, unknown>, line: number): string {
  const doc = r['doc'] as Record<string, unknown> | undefined;
  // "solution" first: a MATH record may carry its bare final answer as "answer" too (see lmEval.ts).
  const answer = doc?.['solution'] ?? doc?.['answer'];
  if (typeof answer !== 'string' || answerFormOf(answer) === null)
    throw new InputError(file, 'the document has no reference with a final answer ("#### N" or \\boxed{}) to grade against', line);
  return answer;
}

/**
 * A log's document must be the run's dataset record at that index: logs of another dataset (or
 * an order that is not the file's) would grade other questions under these indices, silently.
 */
function sameDataset(file: string, line: number, run: RunShape, split: Split, docId: number, record: Record<string, unknown>): void {
  const expected = run.datasetQuestion?.(split, docId);
  if (!expected) return;
  const doc = record['doc'] as Record<string, unknown> | undefined;
  const question = doc?.['question'] ?? doc?.['problem'];
  if (typeof question === 'string' && question !== expected.question)
    throw new InputError(
      file,
      `document ${docId} is not the run's ${split} question ${docId} (${expected.file}${expected.line === null ? '' : `:${expected.line}`}): the log is of another dataset, or in another order`,
      line,
    );
}

/** A `premem plan` generation task: k repeats per document, graded as `premem sample` grades. */
function readPlanned(file: string, split: Split, name: string, run: RunShape): SampleSetData {
  const { order, positionOf } = run.index(split);
  let k = -1;
  let codes = new Uint8Array(0);
  const seen = new Set<number>();
  for (const { value, line, docId } of firstFilterRecords(file)) {
    const texts = recordResponses(file, value, line);
    if (k === -1) {
      k = texts.length;
      codes = new Uint8Array(order.length * k);
    }
    if (texts.length !== k || k === 0) throw new InputError(file, `has ${texts.length} responses where earlier documents have ${k}`, line);
    if (seen.has(docId)) throw new InputError(file, `document ${docId} appears twice`, line);
    seen.add(docId);
    const reference = documentAnswer(file, value, line);
    sameDataset(file, line, run, split, docId, value);
    const p = positionOf.get(docId);
    if (p !== undefined) texts.forEach((t, s) => (codes[p * k + s] = grade(t, reference)));
  }
  if (k === -1) throw new InputError(file, 'is empty');
  for (const idx of order) if (!seen.has(idx)) throw new InputError(file, `has no record for document ${idx} (every checkpoint must cover the same documents)`);
  const rows = function* (): Generator<TextRow> {
    for (const { value, line, docId } of firstFilterRecords(file)) {
      const position = positionOf.get(docId);
      if (position !== undefined) yield { position, texts: recordResponses(file, value, line) };
    }
  };
  return { split, name, samplesPerQuestion: k, questions: order.length, codes, texts: { rows }, source: file };
}

/** A `premem plan` task over perturbed variants: the document is the variant (perturbations.jsonl's fields). */
function readPlannedPerturbed(file: string, name: string, run: RunShape): PerturbedSetData {
  const { positionOf } = run.index('train');
  const rows: PerturbedRow[] = [];
  let k = -1;
  for (const { value, line } of firstFilterRecords(file)) {
    const doc = value['doc'];
    if (!doc || typeof doc !== 'object') throw new InputError(file, '"doc" must be the perturbed variant', line);
    const variant = perturbationFields(file, { value: doc as Record<string, unknown>, line, raw: '' });
    if (!positionOf.has(variant.index)) throw new InputError(file, `variant "${variant.id}" is of example ${variant.index}, which the run does not analyse`, line);
    const texts = recordResponses(file, value, line);
    if (k === -1) k = texts.length;
    if (texts.length !== k || k === 0) throw new InputError(file, `has ${texts.length} responses where earlier documents have ${k}`, line);
    rows.push({ variant, codes: texts.map((t) => grade(t, variant.answer)), texts });
  }
  if (k === -1) throw new InputError(file, 'is empty');
  return { name, samplesPerQuestion: k, rows, source: file };
}

/**
 * Reference perplexities from a log-likelihood log: per document, exp(−log-likelihood / n) with n
 * the continuation's tokens as the harness counts them. Every analysed example needs a record.
 */
function readLoglikelihoods(file: string, run: RunShape): { perplexity: Float64Array; numTokens: Float64Array } {
  const { order, positionOf } = run.index('train');
  const { tokenizer } = tokenizerForLog(file);
  const perplexity = new Float64Array(order.length).fill(NaN);
  const numTokens = new Float64Array(order.length).fill(NaN);
  const seen = new Uint8Array(order.length);
  for (const r of lmEvalLoglikelihoods(file)) {
    const p = positionOf.get(r.docId);
    if (p === undefined) continue;
    if (seen[p]) throw new InputError(file, `document ${r.docId} appears twice`, r.line);
    seen[p] = 1;
    const n = continuationTokens(tokenizer, r.context, r.continuation);
    if (n < 1) throw new InputError(file, `the continuation of document ${r.docId} has no tokens of its own`, r.line);
    perplexity[p] = Math.exp(-r.logprob / n);
    numTokens[p] = n;
    const bad = invalidPerplexity(perplexity[p]);
    if (bad !== null) throw new InputError(file, bad, r.line);
  }
  const missing = seen.indexOf(0);
  if (missing !== -1) throw new InputError(file, `has no log-likelihood record for document ${order[missing]}`);
  return { perplexity, numTokens };
}
