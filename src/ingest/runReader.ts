import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readDataset, type DatasetRecord } from './dataset';
import { InputError } from './errors';
import { Fields, jsonlLines } from './jsonl';
import { LM_EVAL_SAMPLES, lmEvalRecords, lmEvalSplit } from './lmEval';
import { decodeUnicodeItem, expectNumeric, readNpyFile, readNpyHeader, type NpyHeader } from './npy';
import { numpySum } from '../core/numpySum';
import type { CheckpointRef, RunLayout } from './runLayout';
import { readRunJson } from './runLayout';
import type { CheckpointData, ExampleRecord, RunHeader, SampleSetData, Split, TextRow } from './runData';

const NPY_CODES = /^(train|test)_answer_(types.+)\.npy$/;
const NPY_TEXTS = /^(train|test)_answers(\d+.*)\.npy$/;
const JSONL_SAMPLES = /^(train|test)_samples(?:_(.+))?\.jsonl$/;

/** Texts files are named `answers5_seed2` for the codes set `types5_seed2`. */
const textsSetName = (suffix: string): string => `types${suffix}`;

interface SplitIndex {
  /** Dataset index -> position in the run's analysis order (train) or index order (test). */
  readonly positionOf: Map<number, number> | null;
  readonly order: readonly number[];
}

/**
 * Reads one run: `open()` once for the run-level facts, then `readCheckpoint()` per checkpoint,
 * so only one checkpoint's arrays are in memory at a time.
 */
export class RunReader {
  private trainIndex!: SplitIndex;
  private testIndex: SplitIndex | null = null;
  private trainQuestions = -1;
  private testQuestions: number | null = null;

  constructor(readonly layout: RunLayout) {}

  open(): RunHeader {
    const layout = this.layout;
    if (layout.checkpoints.length === 0) throw new InputError(layout.path, 'no checkpoints');
    const first = layout.checkpoints[0]!;
    // Without a dataset file, lm-eval logs carry the documents themselves.
    const dataset = layout.trainDatasetFile ? readDataset(layout.trainDatasetFile) : lmEvalDataset(first, 'train');
    const testDataset = layout.testDatasetFile ? readDataset(layout.testDatasetFile) : lmEvalDataset(layout.checkpoints.find((c) => c.files.some((f) => splitOfLog(f) === 'test')) ?? first, 'test');
    const trainQuestions = this.peekQuestions(first, 'train', dataset);
    if (trainQuestions === null) {
      throw new InputError(first.dir, 'no training samples: expected train_answer_types*.npy or train_samples*.jsonl');
    }
    this.trainQuestions = trainQuestions;
    // Pipelines often evaluate the test split at some checkpoints only.
    const firstWithTest = layout.checkpoints.find((c) => c.files.some((f) => /^test_(answer_types|samples)/.test(basename(f)) || splitOfLog(f) === 'test'));
    this.testQuestions = firstWithTest ? this.peekQuestions(firstWithTest, 'test', testDataset) : null;
    if (dataset && this.trainQuestions > dataset.length) {
      throw new InputError(layout.trainDatasetFile!, `has ${dataset.length} records but the checkpoints hold ${this.trainQuestions} training questions`);
    }

    let order: number[];
    if (layout.subsampleFile) {
      const arr = expectNumeric(readNpyFile(layout.subsampleFile), layout.subsampleFile, 1, 'subsample_idxs');
      order = Array.from(arr.data);
      const seen = new Set<number>();
      for (const i of order) {
        if (!Number.isInteger(i) || i < 0 || i >= this.trainQuestions) {
          throw new InputError(layout.subsampleFile, `index ${i} is outside the ${this.trainQuestions} training questions`);
        }
        if (seen.has(i)) throw new InputError(layout.subsampleFile, `index ${i} is listed twice`);
        seen.add(i);
      }
    } else {
      order = this.jsonlIndices(first, 'train') ?? Array.from({ length: this.trainQuestions }, (_, i) => i);
    }
    this.trainIndex = { order, positionOf: new Map(order.map((idx, pos) => [idx, pos])) };
    if (this.testQuestions !== null) {
      const testOrder = this.jsonlIndices(firstWithTest!, 'test') ?? Array.from({ length: this.testQuestions }, (_, i) => i);
      this.testIndex = { order: testOrder, positionOf: new Map(testOrder.map((idx, pos) => [idx, pos])) };
    }

    const record = (records: readonly DatasetRecord[] | null, index: number): ExampleRecord => {
      const r = records?.[index];
      return r ? { index, question: r.question, answer: r.answer, raw: r.raw } : { index, question: null, answer: null, raw: null };
    };
    const { epochs, source } = this.epochs();
    return {
      path: layout.path,
      name: layout.name,
      sweepPath: layout.sweepPath,
      fingerprint: layout.fingerprint,
      epochs,
      epochsSource: source,
      trainQuestions: this.trainQuestions,
      testQuestions: this.testQuestions,
      trainDatasetFile: layout.trainDatasetFile,
      examples: order.map((i) => record(dataset, i)),
      testRecords: this.testIndex ? this.testIndex.order.map((i) => record(testDataset, i)) : null,
    };
  }

  /** How many questions a split has, from the first checkpoint's files (header reads only for .npy). */
  private peekQuestions(ref: CheckpointRef, split: Split, dataset: readonly DatasetRecord[] | null): number | null {
    for (const f of ref.files) {
      if (NPY_CODES.exec(basename(f))?.[1] === split) {
        const h = readNpyHeader(f);
        if (h.kind === 'U' || h.shape.length !== 2) {
          throw new InputError(f, `an answer-types array must be 2-D numeric, found ${h.descr} (${h.shape.join(', ')})`);
        }
        return h.shape[0]!;
      }
    }
    const indices = this.jsonlIndices(ref, split);
    if (!indices) return null;
    const needed = indices.length === 0 ? 0 : indices[indices.length - 1]! + 1;
    if (dataset && needed > dataset.length) {
      throw new InputError(ref.dir, `${split} samples refer to example ${needed - 1}, but the ${split} dataset has ${dataset.length} records`);
    }
    return dataset ? dataset.length : needed;
  }

  /** The example indices a JSONL samples file (or an lm-eval log) lists, sorted; null when the split has neither. */
  private jsonlIndices(ref: CheckpointRef, split: Split): number[] | null {
    const log = ref.files.find((f) => splitOfLog(f) === split);
    if (log) {
      const ids = new Set<number>();
      for (const r of lmEvalRecords(log)) ids.add(r.docId);
      return [...ids].sort((a, b) => a - b);
    }
    const file = ref.files.find((f) => JSONL_SAMPLES.exec(basename(f))?.[1] === split);
    if (!file) return null;
    const seen = new Set<number>();
    for (const e of jsonlLines(file)) {
      const index = new Fields(file, e).index('index');
      if (seen.has(index)) throw new InputError(file, `example ${index} appears twice`, e.line);
      seen.add(index);
    }
    return [...seen].sort((a, b) => a - b);
  }

  private epochs(): { epochs: number | null; source: string | null } {
    const runJson = readRunJson(this.layout.runJsonFile);
    const e = runJson?.['num_train_epochs'] ?? runJson?.['epochs'];
    if (typeof e === 'number' && e > 0) return { epochs: e, source: 'run.json' };
    const m = /(?:^|[_-])(\d+(?:\.\d+)?)epochs?(?:[_-]|$)/.exec(this.layout.name);
    if (m) return { epochs: Number(m[1]), source: 'run name' };
    return { epochs: null, source: null };
  }

  readCheckpoint(ref: CheckpointRef): CheckpointData {
    if (this.trainQuestions < 0) throw new Error('RunReader.open() must come first');
    const sets: SampleSetData[] = [];
    const texts = new Map<string, { file: string; header: NpyHeader }>();
    let perplexity: Float64Array | null = null;
    let numTokens: Float64Array | null = null;
    let epoch: number | null = null;
    let trainLoss: number | null = null;

    for (const file of ref.files) {
      const name = basename(file);
      let m: RegExpExecArray | null;
      if ((m = NPY_CODES.exec(name))) {
        sets.push(this.npyCodes(file, m[1] as Split, m[2]!));
      } else if ((m = NPY_TEXTS.exec(name))) {
        // Only the header now: the texts themselves are streamed when the index stores them.
        const h = readNpyHeader(file);
        if (h.kind !== 'U' || h.shape.length !== 2) {
          throw new InputError(file, `sample texts must be a 2-D unicode (<U) array, found ${h.descr} (${h.shape.join(', ')})`);
        }
        texts.set(`${m[1]}/${textsSetName(m[2]!)}`, { file, header: h });
      } else if (name === 'train_perplexities.npy') {
        perplexity = this.gatherTrain(expectNumeric(readNpyFile(file), file, 1, 'train_perplexities').data, file);
      } else if (name === 'train_num_tokens.npy') {
        numTokens = this.gatherTrain(expectNumeric(readNpyFile(file), file, 1, 'train_num_tokens').data, file);
      } else if ((m = JSONL_SAMPLES.exec(name))) {
        sets.push(this.jsonlSamples(file, m[1] as Split, m[2] ?? 'samples'));
      } else if ((m = LM_EVAL_SAMPLES.exec(name))) {
        sets.push(...this.lmEvalSets(file, m[1]!));
      } else if (name === 'train_references.jsonl') {
        ({ perplexity, numTokens } = this.jsonlReferences(file));
      } else if (name === 'trainer_state.json') {
        ({ epoch, trainLoss } = readTrainerState(file));
      }
    }

    const withTexts = sets.map((s) => {
      const t = texts.get(`${s.split}/${s.name}`);
      if (!t) return s;
      texts.delete(`${s.split}/${s.name}`);
      const expected = s.split === 'train' ? this.trainQuestions : this.testQuestions;
      const shape = t.header.shape;
      if (shape[0] !== expected || shape[1] !== s.samplesPerQuestion) {
        throw new InputError(t.file, `texts have shape (${shape.join(', ')}) but ${basename(s.source)} has (${expected}, ${s.samplesPerQuestion})`);
      }
      const positionOf = s.split === 'train' ? this.trainIndex.positionOf : null;
      return { ...s, texts: { rows: () => npyTextRows(t.file, t.header, positionOf) } };
    });
    const orphan = [...texts.values()][0];
    if (orphan) throw new InputError(orphan.file, 'sample texts without a matching answer-types file');

    if (!withTexts.some((s) => s.split === 'train')) {
      throw new InputError(ref.dir, 'no training samples: expected train_answer_types*.npy or train_samples*.jsonl');
    }
    const hasModel = existsSync(join(ref.dir, 'model.onnx')) || existsSync(join(ref.dir, 'onnx', 'model.onnx'));
    if (!perplexity && (hasModel || withTexts.some((s) => LM_EVAL_SAMPLES.test(basename(s.source))))) {
      // No reference perplexities yet: a checkpoint with an ONNX model gets them from
      // `premem score`; lm-eval logs carry none, and memorization then comes from the texts.
      // Until then nothing counts as memorized under the perplexity criterion (unknown is not low).
      perplexity = new Float64Array(this.trainIndex.order.length).fill(NaN);
    }
    if (!perplexity) {
      throw new InputError(ref.dir, 'no reference perplexities: expected train_perplexities.npy or train_references.jsonl');
    }
    return { step: ref.step, dir: ref.dir, fingerprint: ref.fingerprint, epoch, trainLoss, perplexity, numTokens, sampleSets: withTexts };
  }

  private expectQuestions(file: string, split: Split, rows: number): void {
    const expected = split === 'train' ? this.trainQuestions : this.testQuestions;
    if (expected === null) throw new Error('unreachable: test questions are known whenever a checkpoint has test samples');
    if (rows !== expected) {
      throw new InputError(file, `has ${rows} ${split} questions, but the run has ${expected} (checkpoints disagree)`);
    }
  }

  /** Picks the analysed examples, in analysis order, out of a full training-set array. */
  private gatherTrain(data: Float64Array, file: string): Float64Array {
    this.expectQuestions(file, 'train', data.length);
    const order = this.trainIndex.order;
    const out = new Float64Array(order.length);
    for (let p = 0; p < order.length; p++) out[p] = data[order[p]!]!;
    return out;
  }

  private npyCodes(file: string, split: Split, name: string): SampleSetData {
    const a = expectNumeric(readNpyFile(file), file, 2, 'an answer-types array');
    const [rows, n] = a.shape as [number, number];
    this.expectQuestions(file, split, rows);
    if (n === 0) throw new InputError(file, 'has no samples per question (shape (N, 0))');
    for (let k = 0; k < a.data.length; k++) {
      const v = a.data[k]!;
      if (!Number.isInteger(v) || v < 0 || v > 255) throw new InputError(file, `answer type ${v} at row ${Math.floor(k / n)} is not a small non-negative code`);
    }
    let codes: Uint8Array;
    let questions = rows;
    if (split === 'train') {
      const order = this.trainIndex.order;
      codes = new Uint8Array(order.length * n);
      for (let p = 0; p < order.length; p++) for (let k = 0; k < n; k++) codes[p * n + k] = a.data[order[p]! * n + k]!;
      questions = order.length;
    } else {
      codes = Uint8Array.from(a.data);
    }
    return { split, name, samplesPerQuestion: n, questions, codes, texts: null, source: file };
  }

  private jsonlSamples(file: string, split: Split, name: string): SampleSetData {
    const index = split === 'train' ? this.trainIndex : this.testIndex;
    if (!index) throw new Error('unreachable: test questions are known whenever a checkpoint has test samples');
    const order = index.order;
    const positionOf = index.positionOf!;
    let n = -1;
    let codes = new Uint8Array(0);
    const seen = new Set<number>();
    let hasTexts = false;
    // First pass: codes and validation, keeping no texts (they are streamed again when stored).
    for (const e of jsonlLines(file)) {
      const f = new Fields(file, e);
      const idx = f.index('index');
      const correct = f.booleans('correct');
      const samples = f.has('samples') ? f.strings('samples') : null;
      if (n === -1) {
        n = correct.length;
        codes = new Uint8Array(order.length * n);
      }
      if (correct.length !== n) throw new InputError(file, `has ${correct.length} samples where earlier lines have ${n}`, e.line);
      if (n === 0) throw new InputError(file, '"correct" is empty: a sample set needs at least one sample', e.line);
      if (samples && samples.length !== n) throw new InputError(file, `"samples" has ${samples.length} texts but "correct" has ${n}`, e.line);
      if (seen.has(idx)) throw new InputError(file, `example ${idx} appears twice`, e.line);
      seen.add(idx);
      if (samples) hasTexts = true;
      const p = positionOf.get(idx);
      if (p !== undefined) for (let k = 0; k < n; k++) codes[p * n + k] = correct[k] ? 0 : 1;
    }
    if (n === -1) throw new InputError(file, 'is empty');
    for (const idx of order) {
      if (!seen.has(idx)) throw new InputError(file, `has no line for example ${idx} (every checkpoint must cover the same examples)`);
    }
    const texts = hasTexts ? { rows: () => jsonlTextRows(file, positionOf, n) } : null;
    return { split, name, samplesPerQuestion: n, questions: order.length, codes, texts, source: file };
  }

  /** One sample set per filter of an lm-eval log: one sample per document, correct by the harness's metric. */
  private lmEvalSets(file: string, task: string): SampleSetData[] {
    const split = lmEvalSplit(task);
    const index = split === 'train' ? this.trainIndex : this.testIndex;
    if (!index) throw new Error('unreachable: test questions are known whenever a checkpoint has test samples');
    const order = index.order;
    const positionOf = index.positionOf!;
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
      for (const idx of order) if (!f.seen.has(idx)) throw new InputError(file, `has no record for document ${idx} with filter "${filter}" (every checkpoint must cover the same documents)`);
      const texts = f.hasTexts ? { rows: () => lmEvalTextRows(file, filter, positionOf) } : null;
      return { split, name: `${task}:${filter}`, samplesPerQuestion: 1, questions: order.length, codes: f.codes, texts, source: file };
    });
  }

  private jsonlReferences(file: string): { perplexity: Float64Array; numTokens: Float64Array } {
    const order = this.trainIndex.order;
    const perplexity = new Float64Array(order.length).fill(NaN);
    const numTokens = new Float64Array(order.length).fill(NaN);
    const seen = new Uint8Array(order.length);
    for (const e of jsonlLines(file)) {
      const f = new Fields(file, e);
      const pos = this.trainIndex.positionOf!.get(f.index('index'));
      if (pos === undefined) continue;
      if (seen[pos]) throw new InputError(file, `example ${order[pos]} appears twice`, e.line);
      seen[pos] = 1;
      if (f.has('token_logprobs')) {
        const lp = f.numbers('token_logprobs');
        if (lp.length === 0) throw new InputError(file, '"token_logprobs" is empty', e.line);
        // Perplexity = exp(mean token NLL), as the authors define it.
        perplexity[pos] = Math.exp(-numpySum(lp) / lp.length);
        numTokens[pos] = lp.length;
      } else if (f.has('perplexity')) {
        perplexity[pos] = f.number('perplexity');
        if (f.has('num_tokens')) numTokens[pos] = f.index('num_tokens');
      } else {
        throw new InputError(file, 'each line needs "perplexity" or "token_logprobs"', e.line);
      }
    }
    const missing = seen.indexOf(0);
    if (missing !== -1) throw new InputError(file, `has no line for example ${order[missing]}`);
    return { perplexity, numTokens };
  }
}

function readTrainerState(file: string): { epoch: number | null; trainLoss: number | null } {
  let state: unknown;
  try {
    state = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(file, `malformed trainer_state.json: ${(e as Error).message}`);
  }
  const s = state as { epoch?: unknown; log_history?: unknown };
  const epoch = typeof s.epoch === 'number' ? s.epoch : null;
  let trainLoss: number | null = null;
  if (Array.isArray(s.log_history)) {
    for (const entry of s.log_history as unknown[]) {
      const loss = (entry as { loss?: unknown } | null)?.loss;
      if (typeof loss === 'number') trainLoss = loss;
    }
  }
  return { epoch, trainLoss };
}

/** A JSONL sample file's texts, streamed again line by line; lines without texts give empty ones. */
function* jsonlTextRows(file: string, positionOf: ReadonlyMap<number, number>, n: number): Generator<TextRow> {
  for (const e of jsonlLines(file)) {
    const f = new Fields(file, e);
    const position = positionOf.get(f.index('index'));
    if (position === undefined) continue;
    const texts = f.has('samples') ? f.strings('samples') : new Array<string>(n).fill('');
    // The file may have changed since the first pass: refuse rather than store a misaligned row.
    if (texts.length !== n) throw new InputError(file, `"samples" has ${texts.length} texts where the set has ${n}`, e.line);
    yield { position, texts };
  }
}

const NPY_ROWS_PER_READ = 256;

/**
 * A `<U` texts array's rows, read a few hundred at a time (C order; a Fortran-ordered array
 * is read whole, as it stores a question's texts apart). For train, rows go to their analysis
 * position and rows the run does not analyse are skipped.
 */
function* npyTextRows(file: string, header: NpyHeader, positionOf: ReadonlyMap<number, number> | null): Generator<TextRow> {
  const [rows, n] = header.shape as [number, number];
  const place = (r: number) => (positionOf ? positionOf.get(r) : r);
  if (header.fortranOrder) {
    const a = readNpyFile(file);
    const data = (a as { data: string[] }).data;
    for (let r = 0; r < rows; r++) {
      const position = place(r);
      if (position !== undefined) yield { position, texts: data.slice(r * n, (r + 1) * n) };
    }
    return;
  }
  const rowBytes = n * header.itemSize;
  const chars = header.itemSize / 4;
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.max(1, rowBytes * NPY_ROWS_PER_READ));
    for (let r0 = 0; r0 < rows; r0 += NPY_ROWS_PER_READ) {
      const count = Math.min(NPY_ROWS_PER_READ, rows - r0);
      const got = readSync(fd, buf, 0, count * rowBytes, header.dataOffset + r0 * rowBytes);
      if (got < count * rowBytes) throw new InputError(file, `truncated: row ${r0 + Math.floor(got / Math.max(1, rowBytes))} of ${rows} is cut short`);
      const view = new DataView(buf.buffer, buf.byteOffset, count * rowBytes);
      for (let i = 0; i < count; i++) {
        const position = place(r0 + i);
        if (position === undefined) continue;
        const texts = new Array<string>(n);
        for (let k = 0; k < n; k++) texts[k] = decodeUnicodeItem(view, i * rowBytes + k * header.itemSize, chars, header.littleEndian, file);
        yield { position, texts };
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** The split of an lm-eval samples log, from its task name; null for any other file. */
function splitOfLog(file: string): Split | null {
  const m = LM_EVAL_SAMPLES.exec(basename(file));
  return m ? lmEvalSplit(m[1]!) : null;
}

/** The documents of a checkpoint's lm-eval log for a split, by doc_id, as dataset records. */
function lmEvalDataset(ref: CheckpointRef, split: Split): DatasetRecord[] | null {
  const log = ref.files.find((f) => splitOfLog(f) === split);
  if (!log) return null;
  const out: DatasetRecord[] = [];
  for (const r of lmEvalRecords(log)) {
    if (out[r.docId]) continue;
    out[r.docId] = { question: r.question ?? '', answer: r.reference ?? '', raw: JSON.stringify(r.doc) };
  }
  return out;
}

/** One filter's responses in an lm-eval log, streamed again, as one-sample text rows. */
function* lmEvalTextRows(file: string, filter: string, positionOf: ReadonlyMap<number, number>): Generator<TextRow> {
  for (const r of lmEvalRecords(file)) {
    if (r.filter !== filter) continue;
    const position = positionOf.get(r.docId);
    if (position !== undefined) yield { position, texts: [r.text ?? ''] };
  }
}
