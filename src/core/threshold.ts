/**
 * When an example counts as memorized at a checkpoint: its reference solution's perplexity
 * is below a threshold. Users give it either as a plain perplexity or, as the paper does,
 * in ln(ln(ppl)) form (GSM8K: -2.3, MATH: -1.7).
 */
export type MemorizationThreshold = { readonly kind: 'perplexity'; readonly value: number } | { readonly kind: 'loglog'; readonly value: number };

/** How a threshold was chosen by calibration, kept with it. */
export interface ThresholdCalibration {
  /** Leave-one-run-out cross-validation over a sweep, or agreement with the text criterion on one run. */
  readonly method: 'leave-one-run-out' | 'text';
  readonly runs: number;
  /** leave-one-run-out: the held-out RMSE of test accuracy at this threshold. */
  readonly heldOutRmse?: number;
  /** text: the share of (example, checkpoint) pairs on which the two criteria agree at this threshold. */
  readonly agreement?: number;
  /** text: Cohen's κ at this threshold, by which it was chosen. */
  readonly kappa?: number;
}

/** Where the threshold behind a figure comes from: it is shown wherever the figure is. */
export type ThresholdOrigin =
  | { readonly source: 'option' }
  | { readonly source: 'stored'; readonly path: string; readonly calibration: ThresholdCalibration | null }
  | { readonly source: 'default' }
  | { readonly source: 'panel' };

/** The authors' GSM8K choice; about ppl < 1.1055. */
export const DEFAULT_THRESHOLD: MemorizationThreshold = { kind: 'loglog', value: -2.3 };

export interface ThresholdDescription {
  readonly kind: 'perplexity' | 'loglog';
  readonly value: number;
  /** The same cut in both forms, so a report can be read either way. */
  readonly perplexity: number;
  readonly loglog: number;
}

export function describeThreshold(t: MemorizationThreshold): ThresholdDescription {
  return t.kind === 'loglog'
    ? { kind: t.kind, value: t.value, perplexity: Math.exp(Math.exp(t.value)), loglog: t.value }
    : { kind: t.kind, value: t.value, perplexity: t.value, loglog: Math.log(Math.log(t.value)) };
}

/**
 * Memorized iff the perplexity is below the threshold.
 *
 * Edge cases are decided here, once, for every front end:
 * - NaN (no evidence) is never memorized.
 * - +Infinity is never memorized.
 * - ppl <= 1 (ln ln undefined or -Infinity) counts as memorized in ln-ln form: a perplexity
 *   of one or below can only come from a model that reproduces the reference exactly
 *   (values below one are rounding). numpy agrees for ppl == 1 (ln ln 1 = -inf) and would
 *   silently say "not memorized" for ppl < 1 (NaN comparison); we choose the meaningful answer.
 * The comparison itself is written as the authors wrote it, `log(log(ppl)) < t`, not as
 * `ppl < exp(exp(t))`, so that values next to the cut fall on the same side as in their arrays.
 */
export function isMemorized(ppl: number, t: MemorizationThreshold): boolean {
  if (Number.isNaN(ppl) || ppl === Infinity) return false;
  if (t.kind === 'perplexity') return ppl < t.value;
  if (ppl <= 1) return true;
  return Math.log(Math.log(ppl)) < t.value;
}

/** ln ln of each perplexity, −∞ where ppl ≤ 1 (memorized, as above); kept per array. */
const logLogs = new WeakMap<Float64Array, Float64Array>();

function logLogOf(ppl: Float64Array): Float64Array {
  let out = logLogs.get(ppl);
  if (!out) {
    out = new Float64Array(ppl.length);
    for (let i = 0; i < ppl.length; i++) {
      const p = ppl[i]!;
      out[i] = p <= 1 ? -Infinity : Math.log(Math.log(p));
    }
    logLogs.set(ppl, out);
  }
  return out;
}

/**
 * `isMemorized` over a whole checkpoint. In ln-ln form the two logarithms per value are taken
 * once per array and kept: a threshold change then costs one comparison per cell (150,000 × 20
 * cells: ~100 ms the first time, ~10 ms after). The cached value is exactly `log(log(ppl))`, so
 * every comparison falls on the same side as `isMemorized`'s (tested on every value).
 */
export function memorizedMask(ppl: Float64Array, t: MemorizationThreshold): Uint8Array {
  const { values, below } = memorizationCut(ppl, t);
  const mask = new Uint8Array(ppl.length);
  for (let i = 0; i < ppl.length; i++) mask[i] = values[i]! < below ? 1 : 0;
  return mask;
}

/**
 * The memorization test of a checkpoint as one comparison per cell: memorized iff
 * `values[i] < below`. For a perplexity cut the values are the perplexities (NaN and +∞
 * compare false, as in isMemorized); for ln-ln, their cached ln ln (−∞ where ppl ≤ 1).
 */
export function memorizationCut(ppl: Float64Array, t: MemorizationThreshold): { values: Float64Array; below: number } {
  return t.kind === 'perplexity' ? { values: ppl, below: t.value } : { values: logLogOf(ppl), below: t.value };
}

export function parseThreshold(ppl: string | undefined, loglog: string | undefined): MemorizationThreshold {
  if (ppl !== undefined && loglog !== undefined) {
    throw new RangeError('give either --ppl-threshold or --loglog-threshold, not both');
  }
  if (ppl !== undefined) {
    const value = Number(ppl);
    if (!Number.isFinite(value) || value <= 1) {
      throw new RangeError(`--ppl-threshold must be a number above 1 (perplexities are >= 1), got "${ppl}"`);
    }
    return { kind: 'perplexity', value };
  }
  if (loglog !== undefined) {
    const value = Number(loglog);
    if (!Number.isFinite(value) || loglog.trim() === '') {
      throw new RangeError(`--loglog-threshold must be a finite number such as -2.3, got "${loglog}"`);
    }
    return { kind: 'loglog', value };
  }
  return DEFAULT_THRESHOLD;
}
