/**
 * Summation in exactly numpy's order (pairwise summation, `pairwise_sum_DOUBLE` in
 * numpy/_core/src/umath/loops_utils.h.src), so dataset-level means agree with the authors'
 * `np.mean` to the last bit instead of drifting by a few ulps as a left-to-right sum does.
 */
const PW_BLOCKSIZE = 128;

function pairwiseSum(a: Float64Array, start: number, n: number): number {
  if (n < 8) {
    // numpy starts this branch from -0.0 so that an all -0.0 input keeps its sign.
    let res = -0;
    for (let i = 0; i < n; i++) res += a[start + i]!;
    return res;
  }
  if (n <= PW_BLOCKSIZE) {
    // Eight accumulators as numpy keeps them (plain locals: each += is one rounding, as there).
    let r0 = a[start]!,
      r1 = a[start + 1]!,
      r2 = a[start + 2]!,
      r3 = a[start + 3]!;
    let r4 = a[start + 4]!,
      r5 = a[start + 5]!,
      r6 = a[start + 6]!,
      r7 = a[start + 7]!;
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      r0 += a[start + i]!;
      r1 += a[start + i + 1]!;
      r2 += a[start + i + 2]!;
      r3 += a[start + i + 3]!;
      r4 += a[start + i + 4]!;
      r5 += a[start + i + 5]!;
      r6 += a[start + i + 6]!;
      r7 += a[start + i + 7]!;
    }
    // The pairing is numpy's and decides the last bit: keep the parentheses.
    // prettier-ignore
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) res += a[start + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/**
 * A Float64Array is summed as it is; anything else is copied into one first (exactly: every
 * JavaScript number is a float64). One kind of array keeps the loop monomorphic: mixed kinds
 * made the per-checkpoint means of a large run take a third longer.
 */
export function numpySum(a: ArrayLike<number>): number {
  const values = a instanceof Float64Array ? a : Float64Array.from(a);
  return pairwiseSum(values, 0, values.length);
}

/** `np.mean` of a 1-D float64 array: the pairwise sum divided by the count (NaN when empty). */
export function numpyMean(a: ArrayLike<number>): number {
  return a.length === 0 ? NaN : numpySum(a) / a.length;
}
