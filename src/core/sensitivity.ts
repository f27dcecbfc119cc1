import { checkInputShape, type MetricInput } from './metrics';
import { memorizationCut } from './threshold';

/**
 * Dataset-level pre-memorization accuracy at every checkpoint for many ln-ln thresholds at once.
 *
 * Recomputing the run at each threshold costs (thresholds × checkpoints × examples). Here each
 * example is visited once per checkpoint: as a function of the threshold, its pre-memorization
 * value at checkpoint j is a step function with at most j + 1 steps. (A checkpoint k counts
 * towards the running best at threshold t iff ln ln ppl[k] ≥ t, i.e. for the first B_k
 * thresholds of an ascending grid; so the best is a non-increasing staircase over the grid.)
 * Each step is added to a difference array over the grid, and one prefix sum per checkpoint gives
 * the sums at every threshold.
 *
 * The semantics are `metricsFromCuts`' exactly (memorized iff ln ln ppl < t, with −∞ for ppl ≤ 1
 * and NaN never memorized; a NaN accuracy never raises the best and takes the best as its value).
 * The sums are not in numpy's pairwise order, so a mean may differ from the exact recompute in
 * the last bits (relative 1e-15 on the authors' sweep): this serves curves over the grid, never a
 * figure shown as the metric itself. test/unit/sensitivity.test.ts checks it against the
 * recompute at every grid point.
 *
 * @param thresholds ln-ln thresholds in ascending order.
 * @returns means[t][j]: the mean over examples at threshold index t and checkpoint j (NaN with no examples).
 */
export function preMemorizationAcrossThresholds(input: MetricInput, thresholds: readonly number[]): Float64Array[] {
  const { checkpoints, examples } = checkInputShape(input);
  const grid = thresholds.length;
  for (let t = 1; t < grid; t++) {
    if (!(thresholds[t - 1]! < thresholds[t]!)) throw new RangeError('thresholds must be finite and ascending');
  }
  const means = Array.from({ length: grid }, () => new Float64Array(checkpoints));
  // Each example's staircase, kept sorted by reach descending: (reach, accuracy) pairs where
  // reach = how many grid thresholds leave that checkpoint unmemorized.
  const reach = new Int32Array(examples * checkpoints);
  const value = new Float64Array(examples * checkpoints);
  const length = new Int32Array(examples);
  const diff = new Float64Array(grid + 1);
  for (let j = 0; j < checkpoints; j++) {
    const acc = input.accuracy[j]!;
    const lnln = memorizationCut(input.perplexity[j]!, { kind: 'loglog', value: 0 }).values;
    diff.fill(0);
    for (let i = 0; i < examples; i++) {
      const a = acc[i]!;
      const r = reachOf(lnln[i]!, thresholds);
      // Insert (r, a) into the example's list, descending by reach.
      const base = i * checkpoints;
      let n = length[i]!;
      let at = n;
      while (at > 0 && reach[base + at - 1]! < r) {
        reach[base + at] = reach[base + at - 1]!;
        value[base + at] = value[base + at - 1]!;
        at--;
      }
      reach[base + at] = r;
      value[base + at] = a;
      length[i] = ++n;
      // Walk the reaches from the largest down: over thresholds [next reach, this reach) the
      // available checkpoints are those seen so far, and the best is their running max.
      let best = 0;
      for (let s = 0; s < n; s++) {
        const v = value[base + s]!;
        if (v > best) best = v;
        const hi = reach[base + s]!;
        const lo = s + 1 < n ? reach[base + s + 1]! : 0;
        if (hi === lo) continue;
        const pre = a < best ? a : best;
        diff[lo] = diff[lo]! + pre;
        diff[hi] = diff[hi]! - pre;
      }
      // Thresholds at or above the largest reach: no checkpoint counts, best 0, pre = min(a, 0).
      const top = reach[base]!;
      if (top < grid) {
        const pre = a < 0 ? a : 0;
        if (pre !== 0) {
          diff[top] = diff[top]! + pre;
          diff[grid] = diff[grid]! - pre;
        }
      }
    }
    let running = 0;
    for (let t = 0; t < grid; t++) {
      running += diff[t]!;
      means[t]![j] = examples === 0 ? NaN : running / examples;
    }
  }
  return means;
}

/** How many grid thresholds t satisfy !(x < t), i.e. leave a cell with ln ln value x unmemorized (NaN: all). */
function reachOf(x: number, thresholds: readonly number[]): number {
  if (Number.isNaN(x)) return thresholds.length;
  let lo = 0;
  let hi = thresholds.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < thresholds[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
