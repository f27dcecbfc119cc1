import { numpyMean } from './numpySum';

/**
 * Pre-memorization accuracy broken down by a property of the examples (MATH's `level` or
 * `type`, the number of reference steps, ...): does the model copy rather than solve mostly
 * on the hard or the long questions?
 */

export interface SliceInput {
  /** Per example (analysis position): its slice, or null when the example has none. */
  readonly labels: readonly (string | null)[];
  /** Per example: pre-memorization accuracy at the last checkpoint. */
  readonly finalPreMemorization: ArrayLike<number>;
  /** Per example: train accuracy at the last checkpoint. */
  readonly finalAccuracy: ArrayLike<number>;
  /** Per example: the step of its first memorized checkpoint, or null when never memorized. */
  readonly memorizationStep: readonly (number | null)[];
}

export interface Slice {
  readonly label: string;
  readonly examples: number;
  /** Means as numpy computes them (pairwise sums), over the slice's examples in analysis order. */
  readonly preMemorizationAccuracy: number;
  readonly trainAccuracy: number;
  readonly neverMemorized: number;
  /** Median memorization step among the slice's memorized examples (lower middle); null if none. */
  readonly medianMemorizationStep: number | null;
}

/** Numbers sort as numbers ("2" before "10"), then text; examples without a label are left out. */
function compareLabels(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  const numeric = (x: string, n: number) => x.trim() !== '' && Number.isFinite(n);
  if (numeric(a, na) && numeric(b, nb)) return na - nb;
  if (numeric(a, na) !== numeric(b, nb)) return numeric(a, na) ? -1 : 1;
  return a.localeCompare(b);
}

export function sliceBy(input: SliceInput): Slice[] {
  const groups = new Map<string, number[]>();
  input.labels.forEach((label, p) => {
    if (label === null) return;
    const g = groups.get(label);
    if (g) g.push(p);
    else groups.set(label, [p]);
  });
  return [...groups.keys()].sort(compareLabels).map((label) => {
    const positions = groups.get(label)!;
    const steps = positions
      .map((p) => input.memorizationStep[p]!)
      .filter((s): s is number => s !== null)
      .sort((a, b) => a - b);
    return {
      label,
      examples: positions.length,
      preMemorizationAccuracy: numpyMean(positions.map((p) => input.finalPreMemorization[p]!)),
      trainAccuracy: numpyMean(positions.map((p) => input.finalAccuracy[p]!)),
      neverMemorized: positions.length - steps.length,
      medianMemorizationStep: steps.length === 0 ? null : steps[Math.floor((steps.length - 1) / 2)]!,
    };
  });
}
