import { seededRandom } from './random';

/**
 * Choosing training examples for the next round of data collection. The paper found that
 * prioritising examples with low pre-memorization accuracy gave 1.5-2x data efficiency.
 */
export type CurationStrategy = 'lowest-premem' | 'random' | 'lowest-accuracy' | 'flagged';
export const CURATION_STRATEGIES: readonly CurationStrategy[] = ['lowest-premem', 'random', 'lowest-accuracy', 'flagged'];

export interface CurationCandidate {
  readonly index: number;
  readonly preMemorizationAccuracy: number;
  readonly trainAccuracy: number;
  /** The first memorized checkpoint's step; NaN when never memorized. */
  readonly memorizationStep: number;
  readonly flagged: boolean;
}

/**
 * Compares two rows by several keys in turn, each ascending with NaN (unknown) last, then by
 * dataset index, so an order never depends on the input's.
 */
export function compareKeys(ka: readonly number[], kb: readonly number[], ia: number, ib: number): number {
  for (let i = 0; i < ka.length; i++) {
    const c = compareKey(ka[i]!, kb[i]!);
    if (c !== 0) return c;
  }
  return ia - ib;
}

/** One key of compareKeys: ascending, NaN (unknown) last, 0 on a tie. */
export function compareKey(x: number, y: number): number {
  const nx = Number.isNaN(x);
  const ny = Number.isNaN(y);
  if (nx !== ny) return nx ? 1 : -1;
  return nx || x === y ? 0 : x - y;
}

/**
 * The order "lowest pre-memorization accuracy first". Many examples tie (hundreds at 0.0000 on
 * GSM8K): among them, the ones memorized earliest come first (copied soonest, never solved
 * first), never memorized ones last, then the lowest final train accuracy.
 */
export function lowestPreMemorizationKeys(c: Pick<CurationCandidate, 'preMemorizationAccuracy' | 'memorizationStep' | 'trainAccuracy'>): number[] {
  return [c.preMemorizationAccuracy, c.memorizationStep, c.trainAccuracy];
}

function byKeysThenIndex(keys: (c: CurationCandidate) => readonly number[]) {
  return (a: CurationCandidate, b: CurationCandidate): number => compareKeys(keys(a), keys(b), a.index, b.index);
}

export function selectExamples(candidates: readonly CurationCandidate[], strategy: CurationStrategy, count: number, seed = 0): CurationCandidate[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a whole number >= 0, got ${count}`);
  switch (strategy) {
    case 'lowest-premem':
      return [...candidates].sort(byKeysThenIndex(lowestPreMemorizationKeys)).slice(0, count);
    case 'lowest-accuracy':
      return [...candidates].sort(byKeysThenIndex((c) => [c.trainAccuracy])).slice(0, count);
    case 'flagged':
      return candidates
        .filter((c) => c.flagged)
        .sort((a, b) => a.index - b.index)
        .slice(0, count);
    case 'random': {
      // Fisher-Yates over a copy in dataset order, so the same seed gives the same set.
      const pool = [...candidates].sort((a, b) => a.index - b.index);
      const rand = seededRandom(seed);
      for (let i = pool.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [pool[i], pool[j]] = [pool[j]!, pool[i]!];
      }
      return pool.slice(0, count);
    }
  }
}
