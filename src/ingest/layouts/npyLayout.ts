import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { InputError } from '../errors';
import { decodeUnicodeItem, expectNumeric, parseNpy, parseNpyHeader, readNpyFile, readNpyHeader, smallIntegerRows, smallIntegers, type NpyArray, type NpyHeader } from '../npy';
import type { SampleSetData, Split, TextRow } from '../runData';
import { ANSWER_CODES, MAX_ANSWER_CODE, invalidPerplexity, isAnswerCode } from '../values';
import { gatherTrain, type CheckpointPart, type LayoutReader, type RunShape } from './layout';

/**
 * The authors' layout: per checkpoint, `<split>_answer_types<set>.npy` (questions × samples,
 * codes 0 correct, 1 wrong, 2 no answer), optionally `<split>_answers<set>.npy` with the sample
 * texts (`<U` strings), and `train_perplexities.npy` / `train_num_tokens.npy` for the reference.
 */
const CODES = /^(train|test)_answer_(types.+)\.npy$/;
const TEXTS = /^(train|test)_answers(\d+.*)\.npy$/;
const PERPLEXITIES = 'train_perplexities.npy';
const NUM_TOKENS = 'train_num_tokens.npy';

/** Texts files are named `answers5_seed2` for the codes set `types5_seed2`. */
const textsSetName = (suffix: string): string => `types${suffix}`;

export const npyLayout: LayoutReader = {
  name: 'npy',
  files: /^(?:(?:train|test)_answer_types.+\.npy|(?:train|test)_answers\d+.*\.npy|train_perplexities\.npy|train_num_tokens\.npy)$/,

  sampleSplit(fileName) {
    return (CODES.exec(fileName)?.[1] as Split | undefined) ?? null;
  },

  extent(files, split) {
    for (const f of files) {
      if (CODES.exec(basename(f))?.[1] !== split) continue;
      // The header alone: the data is read per checkpoint.
      const h = readNpyHeader(f);
      if (h.kind === 'U' || h.shape.length !== 2) {
        throw new InputError(f, `an answer-types array must be 2-D numeric, found ${h.descr} (${h.shape.join(', ')})`);
      }
      // Before anything is sized by the row count: (N, 0) holds no data, so the file's size
      // cannot vouch for N (a 128-byte file could claim 16 million questions).
      if (h.shape[1] === 0) throw new InputError(f, `has no samples per question (shape (${h.shape.join(', ')}))`);
      return { questions: h.shape[0]!, indices: null, source: f };
    }
    return null;
  },

  readCheckpoint(files, run) {
    const sets: SampleSetData[] = [];
    const texts = new Map<string, { file: string; header: NpyHeader }>();
    let perplexity: Float64Array | undefined;
    let numTokens: Float64Array | undefined;
    for (const file of files) {
      const name = basename(file);
      let m: RegExpExecArray | null;
      if ((m = CODES.exec(name))) {
        sets.push(readCodes(file, m[1] as Split, m[2]!, run));
      } else if ((m = TEXTS.exec(name))) {
        // Only the header now: the texts themselves are streamed when the index stores them.
        const h = readNpyHeader(file);
        if (h.kind !== 'U' || h.shape.length !== 2) {
          throw new InputError(file, `sample texts must be a 2-D unicode (<U) array, found ${h.descr} (${h.shape.join(', ')})`);
        }
        texts.set(`${m[1]}/${textsSetName(m[2]!)}`, { file, header: h });
      } else if (name === PERPLEXITIES) {
        const data = expectNumeric(readNpyFile(file), file, 1, 'train_perplexities').data;
        for (let i = 0; i < data.length; i++) {
          const bad = invalidPerplexity(data[i]!);
          if (bad !== null) throw new InputError(file, `example ${i}: ${bad}`);
        }
        perplexity = gatherTrain(run, data, file);
      } else if (name === NUM_TOKENS) {
        numTokens = gatherTrain(run, expectNumeric(readNpyFile(file), file, 1, 'train_num_tokens').data, file);
      }
    }
    const withTexts = sets.map((s) => {
      const t = texts.get(`${s.split}/${s.name}`);
      if (!t) return s;
      texts.delete(`${s.split}/${s.name}`);
      const expected = s.split === 'train' ? run.trainQuestions : run.testQuestions;
      const shape = t.header.shape;
      if (shape[0] !== expected || shape[1] !== s.samplesPerQuestion) {
        throw new InputError(t.file, `texts have shape (${shape.join(', ')}) but ${basename(s.source)} has (${expected}, ${s.samplesPerQuestion})`);
      }
      const positionOf = s.split === 'train' ? run.index('train').positionOf : null;
      return { ...s, texts: { rows: () => npyTextRows(t.file, t.header, positionOf) } };
    });
    const orphan = [...texts.values()][0];
    if (orphan) throw new InputError(orphan.file, 'sample texts without a matching answer-types file');
    const part: CheckpointPart = { sampleSets: withTexts, ...(perplexity && { perplexity }), ...(numTokens && { numTokens }) };
    return part;
  },
};

function readCodes(file: string, split: Split, name: string, run: RunShape): SampleSetData {
  const bytes = readBytes(file);
  const header = parseNpyHeader(bytes, file);
  if (header.kind === 'U' || header.shape.length !== 2) expectNumeric(parseNpy(bytes, file), file, 2, 'an answer-types array');
  const [rows, n] = header.shape as [number, number];
  run.expectQuestions(file, split, rows);
  if (n === 0) throw new InputError(file, 'has no samples per question (shape (N, 0))');
  // The fast paths take well-formed int arrays; anything else (floats, a bad code) goes
  // through the general decoder, which names the first bad value.
  const general = () => generalCodes(parseNpy(bytes, file), file, n);
  if (split !== 'train') {
    const codes = smallIntegers(bytes, header, MAX_ANSWER_CODE) ?? general();
    return { split, name, samplesPerQuestion: n, questions: rows, codes, texts: null, source: file };
  }
  const order = run.index('train').order;
  const codes = smallIntegerRows(bytes, header, MAX_ANSWER_CODE, order) ?? gatherRows(general(), order, n);
  return { split, name, samplesPerQuestion: n, questions: order.length, codes, texts: null, source: file };
}

function gatherRows(all: Uint8Array, order: readonly number[], n: number): Uint8Array {
  const out = new Uint8Array(order.length * n);
  for (let p = 0; p < order.length; p++) out.set(all.subarray(order[p]! * n, order[p]! * n + n), p * n);
  return out;
}

function generalCodes(a: NpyArray, file: string, n: number): Uint8Array {
  const data = expectNumeric(a, file, 2, 'an answer-types array').data;
  for (let k = 0; k < data.length; k++) {
    const v = data[k]!;
    if (!isAnswerCode(v)) throw new InputError(file, `answer type ${v} at row ${Math.floor(k / n)}, sample ${k % n}: ${ANSWER_CODES}`);
  }
  return Uint8Array.from(data);
}

function readBytes(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new InputError(file, `cannot read: ${(e as Error).message}`);
  }
}

const ROWS_PER_READ = 256;

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
    const buf = Buffer.alloc(Math.max(1, rowBytes * ROWS_PER_READ));
    for (let r0 = 0; r0 < rows; r0 += ROWS_PER_READ) {
      const count = Math.min(ROWS_PER_READ, rows - r0);
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
