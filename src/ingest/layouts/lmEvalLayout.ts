import { basename } from 'node:path';
import type { DatasetRecord } from '../dataset';
import { InputError } from '../errors';
import { LM_EVAL_SAMPLES, lmEvalRecords, lmEvalSplit } from '../lmEval';
import type { SampleSetData, Split, TextRow } from '../runData';
import type { LayoutReader, RunShape } from './layout';

/**
 * lm-evaluation-harness `--log_samples` logs in a checkpoint folder (record parsing in
 * `../lmEval.ts`). Each (task, filter) is a sample set `<task>:<filter>` with one sample per
 * document; `doc_id` is the dataset index; the logged documents serve as the dataset when the
 * run has no dataset file. Generation logs carry no reference perplexities.
 */
function splitOf(file: string): Split | null {
  const m = LM_EVAL_SAMPLES.exec(basename(file));
  return m ? lmEvalSplit(m[1]!) : null;
}

export const lmEvalLayout: LayoutReader = {
  name: 'lm-eval',
  files: /^samples_.+\.jsonl?$/,
  perplexitiesOptional: true,

  sampleSplit(fileName) {
    return splitOf(fileName);
  },

  extent(files, split, dataset) {
    const log = files.find((f) => splitOf(f) === split);
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
    const log = files.find((f) => splitOf(f) === split);
    if (!log) return null;
    const out: DatasetRecord[] = [];
    for (const r of lmEvalRecords(log)) {
      if (out[r.docId]) continue;
      out[r.docId] = { question: r.question ?? '', answer: r.reference ?? '', raw: JSON.stringify(r.doc), line: null };
    }
    return out;
  },

  readCheckpoint(files, run) {
    const sampleSets: SampleSetData[] = [];
    for (const file of files) {
      const m = LM_EVAL_SAMPLES.exec(basename(file));
      if (m) sampleSets.push(...readLog(file, m[1]!, run));
    }
    return { sampleSets };
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
