export interface LinearFit {
  readonly points: number;
  readonly slope: number | null;
  readonly intercept: number | null;
  readonly r2: number | null;
}

/**
 * Ordinary least squares y = slope * x + intercept with the coefficient of determination.
 * Two-pass (centred) sums: the naive one-pass formula loses digits when x barely varies.
 * Fewer than two points, or no spread in x, gives nulls rather than a made-up line.
 */
export function fitLine(xs: readonly number[], ys: readonly number[]): LinearFit {
  if (xs.length !== ys.length) throw new RangeError(`fitLine: ${xs.length} x values but ${ys.length} y values`);
  const n = xs.length;
  if (n < 2) return { points: n, slope: null, intercept: null, r2: null };
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) return { points: n, slope: null, intercept: null, r2: null };
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  // With an intercept, R^2 = 1 - SS_res/SS_tot = sxy^2 / (sxx * syy).
  const r2 = syy === 0 ? null : (sxy * sxy) / (sxx * syy);
  return { points: n, slope, intercept, r2 };
}

export function predict(fit: LinearFit, x: number): number | null {
  return fit.slope === null || fit.intercept === null ? null : fit.slope * x + fit.intercept;
}
