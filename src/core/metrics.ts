import { memorizationCut, type MemorizationThreshold } from './threshold';
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
  /** Memorized, and no sample was correct at any earlier checkpoint (there was at least one). */
  | 'memorized-before-solved'
  /**
   * Memorized at the run's first checkpoint: there is no earlier checkpoint to measure, so its
   * pre-memorization accuracy is 0 by construction (with one checkpoint per epoch, common) and
   * says nothing about whether the model could solve it.
   */
  | 'memorized-at-first-checkpoint'
  | 'never-memorized';

export interface RunMetrics {
  readonly checkpoints: number;
  readonly examples: number;
  /** memorized[j][i] as 0/1. */
  readonly memorized: readonly Uint8Array[];
  /** How many examples are memorized at each checkpoint. */
  readonly memorizedCount: Int32Array;
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
  return metricsFromCuts(
    input.accuracy,
    input.perplexity.map((ppl) => memorizationCut(ppl, threshold)),
  );
}

/**
 * The same quantities for any memorization criterion (perplexity, or samples that copy the
 * reference).
 */
export function computeRunMetricsWith(accuracy: readonly Float64Array[], memorizedAt: MemorizedAt): RunMetrics {
  // As cuts: 0 below 0.5 (memorized), 1 not.
  const cuts = accuracy.map((acc, j) => {
    const values = new Float64Array(acc.length);
    for (let i = 0; i < acc.length; i++) values[i] = memorizedAt(j, i) ? 0 : 1;
    return { values, below: 0.5 };
  });
  return metricsFromCuts(accuracy, cuts);
}

/**
 * Pre-memorization accuracy, checkpoint by checkpoint over contiguous arrays (each example's
 * running best kept in one array), each checkpoint's memorized mask made in the same pass that
 * uses it (memorized iff `values[i] < below`): called on every threshold change, 150,000 × 20
 * cells.
 */
function metricsFromCuts(accuracy: readonly Float64Array[], cuts: readonly { readonly values: Float64Array; readonly below: number }[]): RunMetrics {
  const checkpoints = accuracy.length;
  const examples = checkpoints === 0 ? 0 : accuracy[0]!.length;
  const memorized: Uint8Array[] = [];
  const preMemorization: Float64Array[] = [];
  const memorizationCheckpoint = new Int32Array(examples).fill(-1);
  const memorizedCount = new Int32Array(checkpoints);
  const best = new Float64Array(examples);
  for (let j = 0; j < checkpoints; j++) {
    const acc = accuracy[j]!;
    const { values, below } = cuts[j]!;
    const mem = new Uint8Array(examples);
    const pre = new Float64Array(examples);
    let count = 0;
    for (let i = 0; i < examples; i++) {
      const a = acc[i]!;
      if (values[i]! < below) {
        mem[i] = 1;
        count++;
        if (memorizationCheckpoint[i] === -1) memorizationCheckpoint[i] = j;
      } else if (a > best[i]!) {
        best[i] = a;
      }
      pre[i] = a < best[i]! ? a : best[i]!;
    }
    memorizedCount[j] = count;
    memorized.push(mem);
    preMemorization.push(pre);
  }
  return { checkpoints, examples, memorized, memorizedCount, preMemorization, memorizationCheckpoint };
}

export function categorize(input: MetricInput, metrics: RunMetrics, example: number): ExampleCategory {
  const first = metrics.memorizationCheckpoint[example]!;
  if (first === -1) return 'never-memorized';
  if (first === 0) return 'memorized-at-first-checkpoint';
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
    const memorizedCount = metrics.memorizedCount[j]!;
    out.push({
      // Train accuracy does not depend on memorization: a caller that has it passes it in.
      trainAccuracy: knownTrainAccuracy?.[j] ?? numpyMean(input.accuracy[j]!),
      preMemorizationAccuracy: numpyMean(metrics.preMemorization[j]!),
      memorizedFraction: metrics.examples === 0 ? NaN : memorizedCount / metrics.examples,
    });
  }
  return out;
}
