import { fitLine, type LinearFit } from './fit';

/**
 * Choosing the memorization threshold from the data: for each candidate, fit the sweep's
 * straight line on all runs but one and predict the held-out run's test accuracy at every
 * checkpoint; the threshold with the lowest held-out error wins. The paper hand-picked its
 * thresholds (-2.3 for GSM8K, -1.7 for MATH); this says what the data alone would pick.
 */

/** One checkpoint of one run, at one threshold: the fit's x and y. */
export interface CalibrationPoint {
  readonly run: string;
  readonly preMemorizationAccuracy: number;
  readonly testAccuracy: number;
}

export interface ThresholdScore {
  readonly threshold: number;
  /** Root mean squared error of held-out predictions, over every checkpoint of every run. */
  readonly heldOutRmse: number | null;
  readonly heldOutMae: number | null;
  /** The in-sample fit over all runs at this threshold. */
  readonly fit: LinearFit;
}

/** Leave-one-run-out cross-validation of the straight-line fit. Needs three or more runs. */
export function leaveOneRunOut(points: readonly CalibrationPoint[]): { rmse: number | null; mae: number | null } {
  const runs = [...new Set(points.map((p) => p.run))];
  if (runs.length < 3) return { rmse: null, mae: null };
  let se = 0;
  let ae = 0;
  let n = 0;
  for (const held of runs) {
    const train = points.filter((p) => p.run !== held);
    const fit = fitLine(
      train.map((p) => p.preMemorizationAccuracy),
      train.map((p) => p.testAccuracy),
    );
    if (fit.slope === null || fit.intercept === null) return { rmse: null, mae: null };
    for (const p of points) {
      if (p.run !== held) continue;
      const err = fit.slope * p.preMemorizationAccuracy + fit.intercept - p.testAccuracy;
      se += err * err;
      ae += Math.abs(err);
      n++;
    }
  }
  return { rmse: Math.sqrt(se / n), mae: ae / n };
}

export function scoreThreshold(threshold: number, points: readonly CalibrationPoint[]): ThresholdScore {
  const { rmse, mae } = leaveOneRunOut(points);
  return {
    threshold,
    heldOutRmse: rmse,
    heldOutMae: mae,
    fit: fitLine(
      points.map((p) => p.preMemorizationAccuracy),
      points.map((p) => p.testAccuracy),
    ),
  };
}

/** The candidate with the lowest held-out RMSE (the smaller threshold on a tie); null if none scored. */
export function bestThreshold(scores: readonly ThresholdScore[]): ThresholdScore | null {
  let best: ThresholdScore | null = null;
  for (const s of scores) {
    if (s.heldOutRmse === null) continue;
    if (best === null || s.heldOutRmse < best.heldOutRmse!) best = s;
  }
  return best;
}

/** Evenly spaced candidates from `from` to `to` inclusive, rounded to the step's decimals. */
export function thresholdGrid(from: number, to: number, step: number): number[] {
  if (!(step > 0) || !(to >= from)) throw new RangeError(`need from <= to and step > 0 (got ${from}, ${to}, ${step})`);
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const out: number[] = [];
  for (let k = 0; from + k * step <= to + step / 1e6; k++) out.push(Number((from + k * step).toFixed(decimals)));
  return out;
}

// ---- prediction intervals ------------------------------------------------------------------

/** ln Γ(x) by the Lanczos approximation (g = 7, n = 9); accurate to ~15 digits for x > 0. */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction for the regularized incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const TINY = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < TINY ? TINY : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    c = 1 + num / c;
    d = 1 / (Math.abs(d) < TINY ? TINY : d);
    c = Math.abs(c) < TINY ? TINY : c;
    h *= d * c;
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    c = 1 + num / c;
    d = 1 / (Math.abs(d) < TINY ? TINY : d);
    c = Math.abs(c) < TINY ? TINY : c;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** I_x(a, b), the regularized incomplete beta function. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T <= t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The quantile of Student's t (bisection on the CDF: slow-ish, exact to ~1e-12). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) throw new RangeError(`studentTQuantile(${p}, ${df})`);
  let lo = -1e3;
  let hi = 1e3;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface Prediction {
  readonly value: number;
  /** A `level` prediction interval for one new observation (not for the line itself). */
  readonly low: number;
  readonly high: number;
  readonly level: number;
}

/**
 * Predicts test accuracy at pre-memorization accuracy `x` from a fit over `xs`/`ys`, with the
 * OLS prediction interval  ŷ ± t(n-2) · s · sqrt(1 + 1/n + (x - x̄)² / Sxx).
 */
export function predictWithInterval(xs: readonly number[], ys: readonly number[], x: number, level = 0.95): Prediction | null {
  const n = xs.length;
  const fit = fitLine(xs, ys);
  if (fit.slope === null || fit.intercept === null || n < 3) return null;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sse = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sse += (ys[i]! - (fit.slope * xs[i]! + fit.intercept)) ** 2;
  }
  const s = Math.sqrt(sse / (n - 2));
  const half = studentTQuantile(0.5 + level / 2, n - 2) * s * Math.sqrt(1 + 1 / n + (x - mx) ** 2 / sxx);
  const value = fit.slope * x + fit.intercept;
  return { value, low: value - half, high: value + half, level };
}
