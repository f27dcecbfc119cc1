/**
 * Dataset cartography (Swayamdipta et al. 2020) from a run's checkpoints: each example's
 * confidence (the mean over checkpoints of its sample accuracy, in place of the gold label's
 * probability) and variability (their population standard deviation).
 *
 * Exactness: the sums run checkpoint by checkpoint, as numpy's `mean(axis=0)` and `std(axis=0)`
 * reduce the leading axis of a (checkpoints × examples) array (a running sum per column, not the
 * pairwise sum numpy uses along a contiguous axis), and the variance is numpy's own route:
 * mean, then the mean of squared deviations, then the square root.
 */

export interface Cartography {
  readonly confidence: Float64Array;
  readonly variability: Float64Array;
}

/** Region names as the cartography paper labels its map. */
export type Region = 'easy-to-learn' | 'ambiguous' | 'hard-to-learn';
export const REGIONS: readonly Region[] = ['easy-to-learn', 'ambiguous', 'hard-to-learn'];

/**
 * Where the regions are cut. The paper names regions without fixed cuts; these are ours, stated
 * wherever a region is shown: variability of at least 0.2 (of at most 0.5 for values in [0, 1])
 * is ambiguous; below it, confidence of at least 0.5 is easy to learn and less is hard to learn.
 */
export const REGION_CUTS = { variability: 0.2, confidence: 0.5 } as const;

export function regionOf(confidence: number, variability: number): Region {
  if (variability >= REGION_CUTS.variability) return 'ambiguous';
  return confidence >= REGION_CUTS.confidence ? 'easy-to-learn' : 'hard-to-learn';
}

/** `accuracy[j][i]`: sample accuracy of example i at checkpoint j. NaN in, NaN out (numpy's). */
export function cartography(accuracy: readonly ArrayLike<number>[]): Cartography {
  const J = accuracy.length;
  const n = J === 0 ? 0 : accuracy[0]!.length;
  const confidence = new Float64Array(n);
  const variability = new Float64Array(n);
  if (J === 0) return { confidence: confidence.fill(NaN), variability: variability.fill(NaN) };
  confidence.set(accuracy[0]!);
  for (let j = 1; j < J; j++) {
    const row = accuracy[j]!;
    for (let i = 0; i < n; i++) confidence[i]! += row[i]!;
  }
  for (let i = 0; i < n; i++) confidence[i] = confidence[i]! / J;
  for (let j = 0; j < J; j++) {
    const row = accuracy[j]!;
    for (let i = 0; i < n; i++) {
      const d = row[i]! - confidence[i]!;
      variability[i] = j === 0 ? d * d : variability[i]! + d * d;
    }
  }
  for (let i = 0; i < n; i++) variability[i] = Math.sqrt(variability[i]! / J);
  return { confidence, variability };
}
