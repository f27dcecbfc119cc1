/**
 * Summation in exactly numpy's order (pairwise summation, `pairwise_sum_DOUBLE` in
 * numpy/_core/src/umath/loops_utils.h.src), so dataset-level means agree with the authors'
 * `np.mean` to the last bit instead of drifting by a few ulps as a left-to-right sum does.
 */
const PW_BLOCKSIZE = 128;

function pairwiseSum(a: ArrayLike<number>, start: number, n: number): number {
  if (n < 8) {
    // numpy starts this branch from -0.0 so that an all -0.0 input keeps its sign.
    let res = -0;
    for (let i = 0; i < n; i++) res += a[start + i]!;
    return res;
  }
  if (n <= PW_BLOCKSIZE) {
    const r = [a[start]!, a[start + 1]!, a[start + 2]!, a[start + 3]!, a[start + 4]!, a[start + 5]!, a[start + 6]!, a[start + 7]!];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      r[0] += a[start + i]!;
      r[1] += a[start + i + 1]!;
      r[2] += a[start + i + 2]!;
      r[3] += a[start + i + 3]!;
      r[4] += a[start + i + 4]!;
      r[5] += a[start + i + 5]!;
      r[6] += a[start + i + 6]!;
      r[7] += a[start + i + 7]!;
    }
    let res = ((r[0]! + r[1]!) + (r[2]! + r[3]!)) + ((r[4]! + r[5]!) + (r[6]! + r[7]!));
    for (; i < n; i++) res += a[start + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

export function numpySum(a: ArrayLike<number>): number {
  return pairwiseSum(a, 0, a.length);
}

/** `np.mean` of a 1-D float64 array: the pairwise sum divided by the count (NaN when empty). */
export function numpyMean(a: ArrayLike<number>): number {
  return a.length === 0 ? NaN : numpySum(a) / a.length;
}
