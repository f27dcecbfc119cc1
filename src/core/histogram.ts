/**
 * The distribution of per-example pre-memorization accuracy at a checkpoint. Exactly 0 and
 * exactly 1 get bins of their own: on GSM8K hundreds of examples sit at 0.0000 (never solved
 * before they were copied), and a bin [0, 0.1) would hide them among the nearly learned.
 */
export interface HistogramBin {
  readonly label: string;
  readonly low: number;
  readonly high: number;
  readonly count: number;
}

export function preMemorizationHistogram(values: ArrayLike<number>, bins = 10): { bins: HistogramBin[]; unknown: number } {
  const counts = new Array<number>(bins + 2).fill(0);
  let unknown = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) unknown++;
    else if (v <= 0) counts[0]!++;
    else if (v >= 1) counts[bins + 1]!++;
    else counts[1 + Math.min(bins - 1, Math.floor(v * bins))]!++;
  }
  const out: HistogramBin[] = [{ label: '0', low: 0, high: 0, count: counts[0]! }];
  for (let b = 0; b < bins; b++) {
    const low = b / bins;
    const high = (b + 1) / bins;
    out.push({ label: `${b === 0 ? '(' : '['}${low.toFixed(1)}, ${high.toFixed(1)})`, low, high, count: counts[b + 1]! });
  }
  out.push({ label: '1', low: 1, high: 1, count: counts[bins + 1]! });
  return { bins: out, unknown };
}
