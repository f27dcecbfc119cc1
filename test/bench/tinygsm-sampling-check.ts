/**
 * `node out/test/bench/tinygsm-sampling-check.js <sampled-run>`: compares the train accuracy that
 * `premem sample` drew from tinygsm's real checkpoints with the accuracy recorded in the run's
 * own answer files (4 samples per question at temperature 0.8, drawn in PyTorch), per checkpoint.
 *
 * The bound: |sampled − recorded| ≤ 3 standard errors of the difference, the two estimates taken
 * as independent (conservative: they share questions, which makes the true error smaller). The
 * recorded accuracy's standard error is computed over question means (its 4 samples per question
 * are not independent draws); the sampled one's is binomial over questions (one sample each, or
 * over question means when there are several). Prints the table; exits 1 when a checkpoint is
 * outside the bound.
 *
 *   premem sample ../shared/data/tinygsm/tinygsm_8epochs_full_lr0.001_bs8 --out /tmp/tinygsm-sampled \
 *     --samples 1 --temperature 0.8 --seed 2 --batch 32
 *   node out/test/bench/tinygsm-sampling-check.js /tmp/tinygsm-sampled
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpyFile } from '../../src/ingest/npy';
import { TINYGSM } from '../helpers/paths';

const RUN = join(TINYGSM, 'tinygsm_8epochs_full_lr0.001_bs8');

function meanAndSe(perQuestion: readonly number[]): { mean: number; se: number } {
  const n = perQuestion.length;
  const mean = perQuestion.reduce((a, b) => a + b, 0) / n;
  const variance = perQuestion.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, se: Math.sqrt(variance / n) };
}

function main(): number {
  const sampled = process.argv[2];
  if (!sampled || !existsSync(sampled)) {
    console.error('usage: node out/test/bench/tinygsm-sampling-check.js <run folder written by premem sample --out>');
    return 2;
  }
  const set = process.argv[3] ?? 'samples1_temp0.8_seed2';
  console.log(`sampled train accuracy (premem sample, set ${set}) against the run's recorded accuracy (types4_seed2_temp0.8)`);
  console.log(`${'step'.padStart(5)} ${'questions'.padStart(9)} ${'sampled'.padStart(8)} ${'recorded'.padStart(9)} ${'diff'.padStart(8)} ${'3·se'.padStart(7)}  within`);
  let outside = 0;
  let compared = 0;
  for (const step of [50, 100, 150, 200, 250, 300, 350, 400]) {
    const file = join(sampled, `checkpoint-${step}`, `train_samples_${set}.jsonl`);
    if (!existsSync(file)) {
      console.log(`${String(step).padStart(5)}  no samples at ${file}`);
      continue;
    }
    compared++;
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { index: number; correct: boolean[] });
    const ours = meanAndSe(lines.map((l) => l.correct.filter(Boolean).length / l.correct.length));
    const codes = readNpyFile(join(RUN, `checkpoint-${step}`, 'train_answer_types4_seed2_temp0.8.npy')).data as ArrayLike<number>;
    const recorded = meanAndSe(lines.map((l) => [0, 1, 2, 3].filter((k) => Number(codes[l.index * 4 + k]) === 0).length / 4));
    const bound = 3 * Math.sqrt(ours.se ** 2 + recorded.se ** 2);
    const diff = ours.mean - recorded.mean;
    const ok = Math.abs(diff) <= bound;
    if (!ok) outside++;
    console.log(
      `${String(step).padStart(5)} ${String(lines.length).padStart(9)} ${ours.mean.toFixed(4).padStart(8)} ${recorded.mean.toFixed(4).padStart(9)} ${diff.toFixed(4).padStart(8)} ${bound.toFixed(4).padStart(7)}  ${ok ? 'yes' : 'NO'}`,
    );
  }
  // Nothing compared is a failure, not a pass: a wrong folder or set name must not read as "all within".
  if (compared === 0) {
    console.error(`no checkpoint of ${sampled} has train_samples_${set}.jsonl: nothing was compared`);
    return 2;
  }
  return outside ? 1 : 0;
}

process.exitCode = main();
