import { memorizedMask, type MemorizationThreshold } from './threshold';
import { numpyMean } from './numpySum';

/**
 * What a run looks like to the metric: checkpoints in step order, each with one value per
 * analysed example (in the run's analysis order, i.e. `subsample_idxs` order).
 */
export interface MetricInput {
  /** Sample accuracy per checkpoint and example: correct samples / samples. */
  readonly accuracy: readonly Float64Array[];
  /** Reference-solution perplexity per checkpoint and example (NaN where unknown). */
  readonly perplexity: readonly Float64Array[];
}

export type ExampleCategory =
  /** Some sample was correct at a checkpoint before the one where memorization began. */
  | 'solved-before-memorized'
  /** Memorized, and no sample was correct at any earlier checkpoint. */
  | 'memorized-before-solved'
  | 'never-memorized';

export interface RunMetrics {
  readonly checkpoints: number;
  readonly examples: number;
  /** memorized[j][i] as 0/1. */
  readonly memorized: readonly Uint8Array[];
  /** premem[j][i] = min(acc[j][i], max_{k<=j} acc[k][i] * !memorized[k][i]). */
  readonly preMemorization: readonly Float64Array[];
  /** Index of the first memorized checkpoint per example, -1 when never memorized. */
  readonly memorizationCheckpoint: Int32Array;
}

export function checkInputShape(input: MetricInput): { checkpoints: number; examples: number } {
  const checkpoints = input.accuracy.length;
  if (input.perplexity.length !== checkpoints) {
    throw new RangeError(`accuracy has ${checkpoints} checkpoints but perplexity has ${input.perplexity.length}`);
  }
  const examples = checkpoints === 0 ? 0 : input.accuracy[0]!.length;
  for (let j = 0; j < checkpoints; j++) {
    if (input.accuracy[j]!.length !== examples || input.perplexity[j]!.length !== examples) {
      throw new RangeError(`checkpoint ${j} has ${input.accuracy[j]!.length} accuracies and ${input.perplexity[j]!.length} perplexities; expected ${examples}`);
    }
  }
  return { checkpoints, examples };
}

/** Whether example i counts as memorized at checkpoint j, by whichever criterion is in use. */
export type MemorizedAt = (checkpoint: number, example: number) => boolean;

/** The paper's per-example quantities at the perplexity threshold. */
export function computeRunMetrics(input: MetricInput, threshold: MemorizationThreshold): RunMetrics {
  checkInputShape(input);
  return metricsFromMasks(
    input.accuracy,
    input.perplexity.map((ppl) => memorizedMask(ppl, threshold)),
  );
}

/**
 * The same quantities for any memorization criterion (perplexity, or samples that copy the
 * reference).
 */
export function computeRunMetricsWith(accuracy: readonly Float64Array[], memorizedAt: MemorizedAt): RunMetrics {
  const masks = accuracy.map((acc, j) => {
    const mask = new Uint8Array(acc.length);
    for (let i = 0; i < acc.length; i++) mask[i] = memorizedAt(j, i) ? 1 : 0;
    return mask;
  });
  return metricsFromMasks(accuracy, masks);
}

/**
 * Pre-memorization accuracy from per-checkpoint memorized masks. Checkpoint by checkpoint
 * over contiguous arrays (with each example's running best kept in one array): called on every
 * threshold change, 150,000 × 20 cells in about 20 ms.
 */
function metricsFromMasks(accuracy: readonly Float64Array[], memorized: Uint8Array[]): RunMetrics {
  const checkpoints = accuracy.length;
  const examples = checkpoints === 0 ? 0 : accuracy[0]!.length;
  const preMemorization: Float64Array[] = [];
  const memorizationCheckpoint = new Int32Array(examples).fill(-1);
  const best = new Float64Array(examples);
  for (let j = 0; j < checkpoints; j++) {
    const acc = accuracy[j]!;
    const mem = memorized[j]!;
    const pre = new Float64Array(examples);
    for (let i = 0; i < examples; i++) {
      const a = acc[i]!;
      if (mem[i] === 1) {
        if (memorizationCheckpoint[i] === -1) memorizationCheckpoint[i] = j;
      } else if (a > best[i]!) {
        best[i] = a;
      }
      pre[i] = a < best[i]! ? a : best[i]!;
    }
    preMemorization.push(pre);
  }
  return { checkpoints, examples, memorized, preMemorization, memorizationCheckpoint };
}

export function categorize(input: MetricInput, metrics: RunMetrics, example: number): ExampleCategory {
  const first = metrics.memorizationCheckpoint[example]!;
  if (first === -1) return 'never-memorized';
  for (let j = 0; j < first; j++) {
    if (input.accuracy[j]![example]! > 0) return 'solved-before-memorized';
  }
  return 'memorized-before-solved';
}

export interface CheckpointSummary {
  readonly trainAccuracy: number;
  readonly preMemorizationAccuracy: number;
  readonly memorizedFraction: number;
}

/** Dataset means per checkpoint, summed in numpy's order over the analysis order. */
export function summarizeCheckpoints(input: MetricInput, metrics: RunMetrics, knownTrainAccuracy?: readonly number[]): CheckpointSummary[] {
  const out: CheckpointSummary[] = [];
  for (let j = 0; j < metrics.checkpoints; j++) {
    let memorizedCount = 0;
    for (const m of metrics.memorized[j]!) memorizedCount += m;
    out.push({
      // Train accuracy does not depend on memorization: a caller that has it passes it in.
      trainAccuracy: knownTrainAccuracy?.[j] ?? numpyMean(input.accuracy[j]!),
      preMemorizationAccuracy: numpyMean(metrics.preMemorization[j]!),
      memorizedFraction: metrics.examples === 0 ? NaN : memorizedCount / metrics.examples,
    });
  }
  return out;
}
