/** Figures as the views and the CLI print them: four decimals, "–" when unknown. */
export function num(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return x.toFixed(digits);
}

export function pct(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(1)}%`;
}

export function stepLabel(step: number | null): string {
  return step === null ? 'never' : `step ${step}`;
}
