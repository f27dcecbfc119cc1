/**
 * A second memorization criterion, for runs that have sample texts but no perplexities: an
 * example counts as memorized at a checkpoint when the majority of its samples copy the
 * reference solution, i.e. reproduce at least `copyRate` of its steps verbatim and in order
 * (see `alignSolutions` in steps.ts).
 */
export const DEFAULT_COPY_RATE = 0.5;

/** Per question: 1 when more than half of its samples have a copy rate of at least `copyRate`. */
export function memorizedByText(copyRates: Float64Array, samplesPerQuestion: number, copyRate: number): Uint8Array {
  const n = samplesPerQuestion;
  const questions = copyRates.length / n;
  const out = new Uint8Array(questions);
  for (let q = 0; q < questions; q++) {
    let copying = 0;
    for (let k = q * n; k < (q + 1) * n; k++) if (copyRates[k]! >= copyRate) copying++;
    out[q] = 2 * copying > n ? 1 : 0;
  }
  return out;
}

/** How often two criteria agree, over every (checkpoint, example) pair. */
export function agreement(a: readonly Uint8Array[], b: readonly Uint8Array[]): { agree: number; total: number } {
  let agree = 0;
  let total = 0;
  for (let j = 0; j < Math.min(a.length, b.length); j++) {
    for (let i = 0; i < a[j]!.length; i++) {
      total++;
      if (a[j]![i] === b[j]![i]) agree++;
    }
  }
  return { agree, total };
}
