import { basename } from 'node:path';
import { numpySum } from '../../core/numpySum';
import { InputError } from '../errors';
import { Fields, jsonlLines } from '../jsonl';
import type { PerturbedRow, PerturbedSetData, SampleSetData, Split, TextRow } from '../runData';
import { perturbationFields } from '../perturbations';
import { ANSWER_CODES, invalidPerplexity, isAnswerCode } from '../values';
import type { CheckpointPart, LayoutReader, RunShape } from './layout';

/**
 * The native JSONL layout (what `premem score` and simple pipelines write): per checkpoint,
 * `<split>_samples[_<set>].jsonl` with `{"index", "correct": [bool...], "samples"?: [text...]}`
 * and `train_references.jsonl` with `{"index", "perplexity"}` or `{"index", "token_logprobs"}`.
 */
const SAMPLES = /^(train|test)_samples(?:_(.+))?\.jsonl$/;
const REFERENCES = 'train_references.jsonl';
const PERTURBED = /^perturbed_samples(?:_(.+))?\.jsonl$/;

export const jsonlLayout: LayoutReader = {
  name: 'jsonl',
  files: /^(?:(?:train|test|perturbed)_samples(?:_.+)?\.jsonl|train_references\.jsonl)$/,

  sampleSplit(fileName) {
    return (SAMPLES.exec(fileName)?.[1] as Split | undefined) ?? null;
  },

  extent(files, split, dataset) {
    const file = files.find((f) => SAMPLES.exec(basename(f))?.[1] === split);
    if (!file) return null;
    const indices = listedIndices(file);
    const needed = indices.length === 0 ? 0 : indices[indices.length - 1]! + 1;
    if (dataset && needed > dataset.length) {
      throw new InputError(file, `${split} samples refer to example ${needed - 1}, but the ${split} dataset has ${dataset.length} records`);
    }
    return { questions: dataset ? dataset.length : needed, indices, source: file };
  },

  readCheckpoint(files, run) {
    const sampleSets: SampleSetData[] = [];
    const perturbedSets: PerturbedSetData[] = [];
    let references: { perplexity: Float64Array; numTokens: Float64Array } | null = null;
    for (const file of files) {
      const m = SAMPLES.exec(basename(file));
      const pm = PERTURBED.exec(basename(file));
      if (m) sampleSets.push(readSamples(file, m[1] as Split, m[2] ?? 'samples', run));
      else if (pm) perturbedSets.push(readPerturbedSamples(file, pm[1] ?? 'samples', run));
      else if (basename(file) === REFERENCES) references = readReferences(file, run);
    }
    const part: CheckpointPart = { sampleSets, perturbedSets, ...(references ?? {}) };
    return part;
  },
};

/** The example indices a samples file lists, sorted; an index listed twice is refused. */
function listedIndices(file: string): number[] {
  const seen = new Set<number>();
  for (const e of jsonlLines(file)) {
    const index = new Fields(file, e).index('index');
    if (seen.has(index)) throw new InputError(file, `example ${index} appears twice`, e.line);
    seen.add(index);
  }
  return [...seen].sort((a, b) => a - b);
}

function readSamples(file: string, split: Split, name: string, run: RunShape): SampleSetData {
  const { order, positionOf } = run.index(split);
  let n = -1;
  let codes = new Uint8Array(0);
  const seen = new Set<number>();
  let hasTexts = false;
  // First pass: codes and validation, keeping no texts (they are streamed again when stored).
  for (const e of jsonlLines(file)) {
    const f = new Fields(file, e);
    const idx = f.index('index');
    const correct = f.booleans('correct');
    // The authors' codes when the line has them (premem sample writes them): 2 = no final answer.
    const types = f.has('answer_types') ? f.numbers('answer_types') : null;
    const samples = f.has('samples') ? f.strings('samples') : null;
    if (n === -1) {
      n = correct.length;
      codes = new Uint8Array(order.length * n);
    }
    if (correct.length !== n) throw new InputError(file, `has ${correct.length} samples where earlier lines have ${n}`, e.line);
    if (n === 0) throw new InputError(file, '"correct" is empty: a sample set needs at least one sample', e.line);
    if (types && (types.length !== n || types.some((t, k) => !isAnswerCode(t) || (t === 0) !== correct[k])))
      throw new InputError(file, `"answer_types" must hold ${n} codes agreeing with "correct" (${ANSWER_CODES})`, e.line);
    if (samples && samples.length !== n) throw new InputError(file, `"samples" has ${samples.length} texts but "correct" has ${n}`, e.line);
    if (seen.has(idx)) throw new InputError(file, `example ${idx} appears twice`, e.line);
    seen.add(idx);
    if (samples) hasTexts = true;
    const p = positionOf.get(idx);
    if (p !== undefined) for (let k = 0; k < n; k++) codes[p * n + k] = types ? types[k]! : correct[k] ? 0 : 1;
  }
  if (n === -1) throw new InputError(file, 'is empty');
  for (const idx of order) {
    if (!seen.has(idx)) throw new InputError(file, `has no line for example ${idx} (every checkpoint must cover the same examples)`);
  }
  const texts = hasTexts ? { rows: () => textRows(file, positionOf, n) } : null;
  return { split, name, samplesPerQuestion: n, questions: order.length, codes, texts, source: file };
}

function readReferences(file: string, run: RunShape): { perplexity: Float64Array; numTokens: Float64Array } {
  const { order, positionOf } = run.index('train');
  const perplexity = new Float64Array(order.length).fill(NaN);
  const numTokens = new Float64Array(order.length).fill(NaN);
  const seen = new Uint8Array(order.length);
  for (const e of jsonlLines(file)) {
    const f = new Fields(file, e);
    const pos = positionOf.get(f.index('index'));
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
    const bad = invalidPerplexity(perplexity[pos]);
    if (bad !== null) throw new InputError(file, f.has('token_logprobs') ? `${bad}: a log-probability above 0?` : bad, e.line);
  }
  const missing = seen.indexOf(0);
  if (missing !== -1) throw new InputError(file, `has no line for example ${order[missing]}`);
  return { perplexity, numTokens };
}

/** A samples file's texts, streamed again line by line; lines without texts give empty ones. */
function* textRows(file: string, positionOf: ReadonlyMap<number, number>, n: number): Generator<TextRow> {
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

/**
 * `perturbed_samples[_<set>].jsonl`: per line a variant (the fields of perturbations.jsonl) and
 * its samples: `{"id", "index", "question", "answer", …, "correct": [...], "answer_types"?: [...],
 * "samples"?: [...]}`. Variants of examples the run does not analyse are refused.
 */
function readPerturbedSamples(file: string, name: string, run: RunShape): PerturbedSetData {
  const { positionOf } = run.index('train');
  const rows: PerturbedRow[] = [];
  const seen = new Set<string>();
  let n = -1;
  for (const e of jsonlLines(file)) {
    const variant = perturbationFields(file, e);
    const f = new Fields(file, e);
    const correct = f.booleans('correct');
    if (n === -1) n = correct.length;
    if (correct.length !== n || n === 0)
      throw new InputError(file, `has ${correct.length} samples where ${n === 0 ? 'a set needs at least one' : `earlier lines have ${n}`}`, e.line);
    const types = f.has('answer_types') ? f.numbers('answer_types') : null;
    if (types && (types.length !== n || types.some((t, k) => !isAnswerCode(t) || (t === 0) !== correct[k])))
      throw new InputError(file, `"answer_types" must hold ${n} codes agreeing with "correct" (${ANSWER_CODES})`, e.line);
    const texts = f.has('samples') ? f.strings('samples') : null;
    if (texts && texts.length !== n) throw new InputError(file, `"samples" has ${texts.length} texts but "correct" has ${n}`, e.line);
    if (!positionOf.has(variant.index)) throw new InputError(file, `variant "${variant.id}" is of example ${variant.index}, which the run does not analyse`, e.line);
    if (seen.has(variant.id)) throw new InputError(file, `variant "${variant.id}" appears twice`, e.line);
    seen.add(variant.id);
    rows.push({ variant, codes: types ?? correct.map((c) => (c ? 0 : 1)), texts });
  }
  if (n === -1) throw new InputError(file, 'is empty');
  return { name, samplesPerQuestion: n, rows, source: file };
}
