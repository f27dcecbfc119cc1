/**
 * Large synthetic runs for `npm run bench:scale` and the large-run e2e test: numbers only in
 * the authors' `.npy` layout (default 150,000 examples × 20 checkpoints × 16 samples, about
 * 20× GSM8K), and with texts in the JSONL layout (20,000 × 10 × 8). Deterministic (seeded),
 * written once per shape and reused (a marker file names the shape).
 */
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../../src/core/random';
import { encodeNpy } from '../../src/ingest/npy';

export interface ScaleShape {
  readonly examples: number;
  readonly checkpoints: number;
  readonly samples: number;
}

export const NUMBERS_SHAPE: ScaleShape = { examples: 150_000, checkpoints: 20, samples: 16 };
export const TEXTS_SHAPE: ScaleShape = { examples: 20_000, checkpoints: 10, samples: 8 };
const TEST_QUESTIONS = 1319;

const marker = (s: ScaleShape) => `premem-scale-v1 ${s.examples}x${s.checkpoints}x${s.samples}`;

function fresh(dir: string, shape: ScaleShape): boolean {
  const m = join(dir, 'SCALE_VERSION');
  if (existsSync(m) && readFileSync(m, 'utf8') === marker(shape)) return false;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return true;
}

/**
 * Per example a difficulty and a memorization speed: accuracy grows with training, perplexity
 * falls toward 1, so memorization steps spread over the run like the paper's runs.
 */
function example(rand: () => number) {
  return { difficulty: rand(), speed: 0.3 + 2 * rand(), start: 1.2 + rand() };
}

const accuracyAt = (e: ReturnType<typeof example>, t: number) => Math.min(0.95, Math.max(0.02, 1.2 * t - e.difficulty + 0.3));
const perplexityAt = (e: ReturnType<typeof example>, t: number) => 1 + (e.start - 1) * Math.exp(-4 * e.speed * t);

/** Writes the numbers-only run (`.npy` layout); returns its folder. */
export function writeNumbersRun(root: string, shape: ScaleShape = NUMBERS_SHAPE): string {
  const dir = join(root, `scale_npy_${shape.examples}x${shape.checkpoints}_run`);
  if (!fresh(dir, shape)) return dir;
  const rand = seededRandom(150_000);
  const examples = Array.from({ length: shape.examples }, () => example(rand));
  const subsample = new Float64Array(shape.examples);
  for (let i = 0; i < shape.examples; i++) subsample[i] = i;
  writeFileSync(join(dir, 'subsample_idxs.npy'), encodeNpy('<i8', [shape.examples], new Uint8Array(BigInt64Array.from(subsample, (x) => BigInt(x)).buffer)));
  const set = `types${shape.samples}_seed2_temp0.8`;
  for (let j = 1; j <= shape.checkpoints; j++) {
    const t = j / shape.checkpoints;
    const ckpt = join(dir, `checkpoint-${j * 100}`);
    mkdirSync(ckpt);
    const codes = new Uint8Array(shape.examples * shape.samples);
    const ppl = new Float64Array(shape.examples);
    examples.forEach((e, i) => {
      const acc = accuracyAt(e, t);
      for (let k = 0; k < shape.samples; k++) codes[i * shape.samples + k] = rand() < acc ? 0 : rand() < 0.9 ? 1 : 2;
      ppl[i] = perplexityAt(e, t);
    });
    writeFileSync(join(ckpt, `train_answer_${set}.npy`), encodeNpy('|i1', [shape.examples, shape.samples], codes));
    writeFileSync(join(ckpt, 'train_perplexities.npy'), encodeNpy('<f8', [shape.examples], new Uint8Array(ppl.buffer)));
    const test = new Uint8Array(TEST_QUESTIONS * shape.samples);
    for (let k = 0; k < test.length; k++) test[k] = rand() < 0.8 * t ? 0 : 1;
    writeFileSync(join(ckpt, `test_answer_${set}.npy`), encodeNpy('|i1', [TEST_QUESTIONS, shape.samples], test));
  }
  writeFileSync(join(dir, 'SCALE_VERSION'), marker(shape));
  return dir;
}

/** Writes the run with texts (JSONL layout, with its dataset); returns the run folder. */
export function writeTextsRun(root: string, shape: ScaleShape = TEXTS_SHAPE): string {
  const sweep = join(root, `scale_jsonl_${shape.examples}x${shape.checkpoints}`);
  const dir = join(sweep, `scale_jsonl_${shape.examples}x${shape.checkpoints}_run`);
  if (!fresh(sweep, shape)) return dir;
  mkdirSync(dir);
  const rand = seededRandom(20_000);
  const examples = Array.from({ length: shape.examples }, () => example(rand));
  const problems = examples.map((_, i) => {
    const [a, b, c] = [2 + (i % 9), 3 + (i % 7), 10 + (i % 40)];
    return {
      question: `Problem ${i}: a shop sells ${a} boxes of ${b} pens and gets ${c} more pens. How many pens are there?`,
      answer: `Each box has ${b} pens, so ${a} boxes hold ${a}*${b} = <<${a}*${b}=${a * b}>>${a * b} pens.\nWith ${c} more there are ${a * b}+${c} = <<${a * b}+${c}=${a * b + c}>>${a * b + c} pens.\n#### ${a * b + c}`,
      own: `${a} times ${b} is ${a * b}.\nAdding ${c} gives ${a * b + c}.\n#### ${a * b + c}`,
      wrong: `${a}+${b} = ${a + b}.\nThen ${a + b}+${c} = ${a + b + c}.\n#### ${a + b + c}`,
    };
  });
  // Streamed out line by line: the generator itself stays small whatever the shape.
  const lines = (file: string, make: (i: number) => string, count: number) => {
    const fd = openSync(file, 'w');
    try {
      for (let i = 0; i < count; i++) writeSync(fd, make(i) + '\n');
    } finally {
      closeSync(fd);
    }
  };
  lines(join(sweep, 'train.jsonl'), (i) => JSON.stringify({ question: problems[i]!.question, answer: problems[i]!.answer }), shape.examples);
  for (let j = 1; j <= shape.checkpoints; j++) {
    const t = j / shape.checkpoints;
    const ckpt = join(dir, `checkpoint-${j * 100}`);
    mkdirSync(ckpt);
    lines(
      join(ckpt, 'train_samples_temp0.8.jsonl'),
      (i) => {
        const e = examples[i]!;
        const p = problems[i]!;
        const memorized = perplexityAt(e, t) < 1.1055;
        const correct: boolean[] = [];
        const samples: string[] = [];
        for (let k = 0; k < shape.samples; k++) {
          const copy = memorized && rand() < 0.8;
          const ok = copy || rand() < accuracyAt(e, t);
          correct.push(ok);
          samples.push(copy ? p.answer : ok ? p.own : p.wrong);
        }
        return JSON.stringify({ index: i, correct, samples });
      },
      shape.examples,
    );
    lines(join(ckpt, 'train_references.jsonl'), (i) => JSON.stringify({ index: i, perplexity: perplexityAt(examples[i]!, t), num_tokens: 40 }), shape.examples);
  }
  writeFileSync(join(sweep, 'SCALE_VERSION'), marker(shape));
  return dir;
}
