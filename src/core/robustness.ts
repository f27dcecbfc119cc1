import { mean, sampleRankCorrelation, sampleStandardDeviation } from 'simple-statistics';

/**
 * The paper's third finding, per example: does pre-memorization train accuracy say whether the
 * model's answers survive perturbations of the training question? For each example with both
 * figures: x = its pre-memorization accuracy, y = its accuracy on its perturbed variants at a
 * checkpoint. Reported as a rank correlation with its confidence interval and as binned means.
 * Spearman's rho is simple-statistics' (mid-ranks for ties); the interval is Fisher's z with the Fieller–Hartley–Pearson variance 1.06/(n − 3).
 */

export interface RankCorrelation {
  readonly rho: number;
  /** 95% interval; NaN when there are fewer than 4 examples or rho is ±1. */
  readonly low: number;
  readonly high: number;
  readonly n: number;
}

export interface RobustnessBin {
  /** [lo, hi): the last bin includes 1. */
  readonly range: readonly [number, number];
  readonly examples: number;
  /** Mean perturbed accuracy of the bin's examples; NaN when empty. */
  readonly mean: number;
  /** 95% normal interval of that mean, clipped to [0, 1]; NaN with fewer than 2 examples. */
  readonly low: number;
  readonly high: number;
}

// The normal 97.5% quantile to double precision (simple-statistics' probit(0.975) gives 1.9572).
const Z95 = 1.959963984540054;

export function spearmanWithInterval(x: readonly number[], y: readonly number[]): RankCorrelation {
  if (x.length !== y.length) throw new RangeError('x and y differ in length');
  const n = x.length;
  if (n < 3) return { rho: NaN, low: NaN, high: NaN, n };
  // A constant side has no ranks to correlate.
  if (new Set(x).size < 2 || new Set(y).size < 2) return { rho: NaN, low: NaN, high: NaN, n };
  const rho = sampleRankCorrelation([...x], [...y]);
  if (n < 4 || Math.abs(rho) >= 1) return { rho, low: NaN, high: NaN, n };
  const z = Math.atanh(rho);
  const se = Math.sqrt(1.06 / (n - 3));
  return { rho, low: Math.tanh(z - Z95 * se), high: Math.tanh(z + Z95 * se), n };
}

/** Bins of pre-memorization accuracy: [0, 0.2), [0.2, 0.4), …, [0.8, 1] by default. */
export function binnedMeans(x: readonly number[], y: readonly number[], bins = 5): RobustnessBin[] {
  const members: number[][] = Array.from({ length: bins }, () => []);
  x.forEach((v, i) => members[Math.min(bins - 1, Math.floor(v * bins))]!.push(y[i]!));
  return members.map((ys, b) => {
    const range = [b / bins, (b + 1) / bins] as const;
    if (ys.length === 0) return { range, examples: 0, mean: NaN, low: NaN, high: NaN };
    const m = mean(ys);
    if (ys.length < 2) return { range, examples: 1, mean: m, low: NaN, high: NaN };
    const half = (Z95 * sampleStandardDeviation(ys)) / Math.sqrt(ys.length);
    return { range, examples: ys.length, mean: m, low: Math.max(0, m - half), high: Math.min(1, m + half) };
  });
}

/** Per example: the share of correct samples over all its variants' samples (code 0), NaN without any. */
export function perturbedAccuracy(variants: readonly { readonly codes: readonly number[] }[]): number {
  let correct = 0;
  let total = 0;
  for (const v of variants)
    for (const c of v.codes) {
      total++;
      if (c === 0) correct++;
    }
  return total ? correct / total : NaN;
}

/**
 * Spearman's partial rank correlation of x and y given z: the Pearson formula applied to the
 * three rank correlations, r_xy·z = (r_xy − r_xz r_yz) / √((1 − r_xz²)(1 − r_yz²)). Its interval
 * is Fisher's z with one control variable, variance 1.06/(n − 4). "Is it just difficulty?": with z
 * a question's difficulty level, what is left of the link between x and y once both are ranked
 * within what z explains.
 */
export function partialSpearman(x: readonly number[], y: readonly number[], z: readonly number[]): RankCorrelation {
  if (x.length !== y.length || x.length !== z.length) throw new RangeError('x, y and z differ in length');
  const n = x.length;
  const none = { rho: NaN, low: NaN, high: NaN, n };
  if (n < 4 || new Set(x).size < 2 || new Set(y).size < 2 || new Set(z).size < 2) return none;
  const rxy = sampleRankCorrelation([...x], [...y]);
  const rxz = sampleRankCorrelation([...x], [...z]);
  const ryz = sampleRankCorrelation([...y], [...z]);
  const d = (1 - rxz * rxz) * (1 - ryz * ryz);
  // z orders x or y completely: nothing is left to correlate.
  if (!(d > 0)) return none;
  const rho = Math.max(-1, Math.min(1, (rxy - rxz * ryz) / Math.sqrt(d)));
  if (n < 5 || Math.abs(rho) >= 1) return { rho, low: NaN, high: NaN, n };
  const w = Math.atanh(rho);
  const se = Math.sqrt(1.06 / (n - 4));
  return { rho, low: Math.tanh(w - Z95 * se), high: Math.tanh(w + Z95 * se), n };
}

/**
 * A difficulty field as an ordered number: numbers as they are, and labels with one number in
 * them as that number (MATH's "Level 3" is 3). Null for anything else (a subject such as
 * "Algebra" has no order).
 */
export function ordinalValue(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'string') return null;
  const numbers = v.match(/-?\d+(?:\.\d+)?/g);
  return numbers?.length === 1 ? Number(numbers[0]) : null;
}
