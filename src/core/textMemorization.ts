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

/** Counts of two criteria over every (checkpoint, example) pair: `truth` (the text criterion) against `said` (the perplexity one). */
export interface Confusion {
  readonly both: number;
  readonly onlySaid: number;
  readonly onlyTruth: number;
  readonly neither: number;
}

export function confusion(truth: readonly Uint8Array[], said: readonly Uint8Array[]): Confusion {
  let both = 0;
  let onlySaid = 0;
  let onlyTruth = 0;
  let neither = 0;
  for (let j = 0; j < Math.min(truth.length, said.length); j++) {
    const t = truth[j]!;
    const p = said[j]!;
    for (let i = 0; i < t.length; i++) {
      if (t[i]) {
        if (p[i]) both++;
        else onlyTruth++;
      } else if (p[i]) onlySaid++;
      else neither++;
    }
  }
  return { both, onlySaid, onlyTruth, neither };
}

/**
 * Cohen's κ: agreement beyond what the two criteria's own rates give by chance,
 * (p_o − p_e) / (1 − p_e). Raw agreement rewards "nothing is memorized" when copies are rare
 * (tinygsm's curve was flat near 95% from −4 to −3.5); κ does not. NaN with no pairs or when
 * chance agreement is total (both criteria constant and equal).
 */
export function cohensKappa(c: Confusion): number {
  const n = c.both + c.onlySaid + c.onlyTruth + c.neither;
  if (n === 0) return NaN;
  const po = (c.both + c.neither) / n;
  const saidYes = (c.both + c.onlySaid) / n;
  const truthYes = (c.both + c.onlyTruth) / n;
  const pe = saidYes * truthYes + (1 - saidYes) * (1 - truthYes);
  return pe === 1 ? NaN : (po - pe) / (1 - pe);
}

/** F1 of the perplexity criterion at finding the text criterion's copies: 2·both / (2·both + onlySaid + onlyTruth); NaN when neither says yes anywhere. */
export function f1Score(c: Confusion): number {
  const d = 2 * c.both + c.onlySaid + c.onlyTruth;
  return d === 0 ? NaN : (2 * c.both) / d;
}
