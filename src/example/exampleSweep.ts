import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { perturbDataset } from '../core/perturb';
import { seededRandom } from '../core/random';

/**
 * A small sweep in the native JSONL layout, made up but shaped like the paper's findings:
 * higher learning rates make the model reproduce references verbatim sooner (perplexity
 * falls below the threshold), after which its samples copy instead of solve, and test
 * accuracy follows what was solved before memorization. Deterministic: same bytes each time.
 */
export const EXAMPLE_VERSION = 'premem-example-v2';

interface Problem {
  readonly question: string;
  /** Reference solution, one step per line, final answer after ####. */
  readonly answer: string;
  /** The same reasoning in other words, as a model solving it itself would write it. */
  readonly ownWords: string;
  /** A plausible wrong attempt. */
  readonly wrong: string;
  readonly difficulty: number;
}

const NAMES = ['Ravi', 'Noah', 'Mia', 'Lena', 'Omar', 'Sara', 'Tom', 'Aiko', 'Jonas', 'Priya'];
const ITEMS = ['pens', 'mugs', 'books', 'candles', 'plants', 'stamps', 'shirts', 'kites'];

function makeProblem(rand: () => number, i: number): Problem {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const name = pick(NAMES);
  const kind = i % 3;
  if (kind === 0) {
    const [a, b, c, d] = [int(2, 9), int(2, 12), int(2, 9), int(2, 12)];
    const [item1, item2] = [pick(ITEMS), pick(ITEMS.filter((x) => x !== ITEMS[0]))];
    const money = 100;
    const x = a * b;
    const y = c * d;
    const total = x + y;
    return {
      question: `${name} buys ${a} ${item1} at $${b} each and ${c} ${item2} at $${d} each with $${money}. How much change does ${name} get?`,
      answer: `The ${item1} cost ${a}*${b} = <<${a}*${b}=${x}>>${x} dollars.\nThe ${item2} cost ${c}*${d} = <<${c}*${d}=${y}>>${y} dollars.\nTogether that is ${x}+${y} = <<${x}+${y}=${total}>>${total} dollars.\nSo the change is ${money}-${total} = <<${money}-${total}=${money - total}>>${money - total}.\n#### ${money - total}`,
      ownWords: `First, ${a} ${item1} at ${b} each is ${x}.\nNext, ${c} ${item2} at ${d} each is ${y}.\nSpent: ${total}. Left from ${money}: ${money - total}.\n#### ${money - total}`,
      wrong: `${a} ${item1} cost ${a}+${b} = ${a + b}.\n${c} ${item2} cost ${c}*${d} = ${y}.\n${money}-${a + b + y} = ${money - a - b - y}.\n#### ${money - a - b - y}`,
      difficulty: 0.55 + 0.4 * rand(),
    };
  }
  if (kind === 1) {
    const [a, b, k] = [int(3, 20), int(2, 15), int(2, 6)];
    const total = (a + b) * k;
    return {
      question: `${name} picks ${a} ${pick(ITEMS)} and then ${b} more, and does the same on ${k - 1} other days. How many are picked in all?`,
      answer: `Each day ${name} picks ${a}+${b} = <<${a}+${b}=${a + b}>>${a + b}.\nOver ${k} days that is ${a + b}*${k} = <<${a + b}*${k}=${total}>>${total}.\n#### ${total}`,
      ownWords: `One day gives ${a + b}.\n${k} days give ${k}*${a + b} = ${total}.\n#### ${total}`,
      wrong: `${a}+${b} = ${a + b}.\nThen ${a + b}*${k - 1} = ${(a + b) * (k - 1)}.\n#### ${(a + b) * (k - 1)}`,
      difficulty: 0.2 + 0.4 * rand(),
    };
  }
  const [a, b] = [int(20, 90), int(2, 9)];
  const share = Math.floor(a / b);
  const left = a - share * b;
  return {
    question: `${name} has ${a} ${pick(ITEMS)} and shares them equally among ${b} friends, keeping the rest. How many does ${name} keep?`,
    answer: `Each friend gets ${a}/${b} rounded down = <<floor(${a}/${b})=${share}>>${share}.\nThe friends get ${share}*${b} = <<${share}*${b}=${share * b}>>${share * b} in all.\n${name} keeps ${a}-${share * b} = <<${a}-${share * b}=${left}>>${left}.\n#### ${left}`,
    ownWords: `${a} divided by ${b} is ${share} with remainder ${left}.\nThe remainder stays with ${name}.\n#### ${left}`,
    wrong: `${a}/${b} is about ${share}.\n${name} keeps ${share}.\n#### ${share}`,
    difficulty: 0.4 + 0.5 * rand(),
  };
}

interface RunSpec {
  readonly name: string;
  /** How fast skill grows per epoch. */
  readonly learning: number;
  /** How fast the reference becomes verbatim (perplexity decay per epoch). */
  readonly memorizing: number;
  /** Write per-token log-probs instead of perplexities, to exercise both forms. */
  readonly tokenLogprobs: boolean;
}

const RUNS: readonly RunSpec[] = [
  { name: 'example_3epochs_lr1e-05', learning: 0.35, memorizing: 0.25, tokenLogprobs: false },
  { name: 'example_3epochs_lr5e-05', learning: 0.5, memorizing: 0.8, tokenLogprobs: false },
  { name: 'example_3epochs_lr2e-04', learning: 0.55, memorizing: 2.2, tokenLogprobs: true },
];
const TRAIN = 48;
const TEST = 24;
const SAMPLES = 4;
const STEPS_PER_EPOCH = 12;
const CHECKPOINTS = 6; // every half epoch over 3 epochs
const PPL_THRESHOLD = Math.exp(Math.exp(-2.3));

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));
const jsonl = (rows: readonly unknown[]): string => rows.map((r) => JSON.stringify(r) + '\n').join('');

/**
 * Samples on perturbed variants of the training questions (premem perturb's own variants) at the
 * last checkpoint: a question the model copied rather than learned breaks more often when it is
 * changed, as the paper found. Drawn from a generator of their own, so the other files stay as
 * they were.
 */
function perturbedSamples(train: readonly Problem[], memorizedAt: readonly number[], skill: number, rand: () => number): unknown[] {
  const { perturbations } = perturbDataset(train, { seed: 7, kinds: ['rename-person', 'irrelevant-sentence', 'resample-numbers'] });
  return perturbations.map((v) => {
    const p = train[v.index]!;
    const own = clamp01(skill * (memorizedAt[v.index] !== -1 ? 0.4 : 1) + 0.5 - p.difficulty) * (v.preserves_answer ? 1 : 0.85);
    const correct = Array.from({ length: SAMPLES }, () => rand() < own);
    return { ...v, correct, samples: correct.map((c) => (c ? v.answer : p.wrong)) };
  });
}

/** Writes the sweep into `dir` unless an identical one is already there. Returns the sweep folder. */
export function writeExampleSweep(dir: string): string {
  const marker = join(dir, 'EXAMPLE_VERSION');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === EXAMPLE_VERSION) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const rand = seededRandom(20241111);
  const train = Array.from({ length: TRAIN }, (_, i) => makeProblem(rand, i));
  const test = Array.from({ length: TEST }, (_, i) => makeProblem(rand, i + TRAIN));
  writeFileSync(join(dir, 'train.jsonl'), jsonl(train.map((p) => ({ question: p.question, answer: p.answer }))));
  writeFileSync(join(dir, 'test.jsonl'), jsonl(test.map((p) => ({ question: p.question, answer: p.answer }))));
  const startPpl = train.map(() => 1.25 + 0.6 * rand());

  for (const spec of RUNS) {
    const runDir = join(dir, spec.name);
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, 'run.json'), JSON.stringify({ num_train_epochs: 3, learning_rate: spec.name.split('_lr')[1], samples: SAMPLES }, null, 1) + '\n');
    const memorizedAt = new Array<number>(TRAIN).fill(-1);
    for (let j = 1; j <= CHECKPOINTS; j++) {
      const epoch = j / 2;
      const step = (j * STEPS_PER_EPOCH) / 2;
      const ckpt = join(runDir, `checkpoint-${step}`);
      mkdirSync(ckpt, { recursive: true });
      const skill = spec.learning * epoch;
      const refs: unknown[] = [];
      const samples: unknown[] = [];
      let memorizedCount = 0;
      train.forEach((p, i) => {
        const ppl = 1 + (startPpl[i]! - 1) * Math.exp(-spec.memorizing * epoch * (1.3 - p.difficulty));
        if (ppl < PPL_THRESHOLD && memorizedAt[i] === -1) memorizedAt[i] = j;
        const memorized = memorizedAt[i] !== -1;
        if (memorized) memorizedCount++;
        // Once memorized, the model stops learning to solve this question: it copies instead.
        const own = clamp01(skill * (memorized ? 0.4 : 1) + 0.5 - p.difficulty);
        const texts: string[] = [];
        const correct: boolean[] = [];
        for (let k = 0; k < SAMPLES; k++) {
          const r = rand();
          if (memorized && r < 0.85) {
            texts.push(p.answer);
            correct.push(true);
          } else if (rand() < own) {
            texts.push(p.ownWords);
            correct.push(true);
          } else {
            texts.push(p.wrong);
            correct.push(false);
          }
        }
        samples.push({ index: i, correct, samples: texts });
        const numTokens = p.answer.length;
        refs.push(
          spec.tokenLogprobs ? { index: i, token_logprobs: Array.from({ length: numTokens }, () => -Math.log(ppl)) } : { index: i, perplexity: ppl, num_tokens: numTokens },
        );
      });
      const generalization = skill * (1 - 0.55 * (memorizedCount / TRAIN));
      const testSamples = test.map((p, i) => {
        const own = clamp01(generalization + 0.45 - p.difficulty);
        const correct = Array.from({ length: SAMPLES }, () => rand() < own);
        return { index: i, correct, samples: correct.map((c) => (c ? p.ownWords : p.wrong)) };
      });
      if (j === CHECKPOINTS)
        writeFileSync(join(ckpt, 'perturbed_samples_temp0.8.jsonl'), jsonl(perturbedSamples(train, memorizedAt, skill, seededRandom(step + spec.name.length))));
      writeFileSync(join(ckpt, 'train_samples_temp0.8.jsonl'), jsonl(samples));
      writeFileSync(join(ckpt, 'test_samples_temp0.8.jsonl'), jsonl(testSamples));
      writeFileSync(join(ckpt, 'train_references.jsonl'), jsonl(refs));
    }
  }
  writeFileSync(marker, EXAMPLE_VERSION);
  return dir;
}
