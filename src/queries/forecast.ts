import { leaveOneRunOut, type CalibrationPoint } from '../core/calibration';
import { fitLine, predict } from '../core/fit';
import type { RunAnalysis } from './runAnalysis';

/**
 * A run in progress gets a forecast of its final test accuracy: the early fit of "Does it
 * hold?" at its own checkpoint count j. Each finished run of its sweep gives one point, its
 * pre-memorization accuracy at checkpoint min(j, its count) against its test accuracy at its
 * last checkpoint; the line through them is read at the run's current pre-memorization
 * accuracy. The band is the same fit's leave-one-run-out RMSE: how far such a forecast missed
 * on the finished runs.
 */
export type Forecast =
  /** The run is finished: its final test accuracy is measured, not forecast. */
  | { readonly kind: 'finished' }
  | (Unfinished &
      (
        | { readonly kind: 'forecast'; readonly value: number; readonly band: number | null; readonly checkpoints: number; readonly runs: number; readonly r2: number | null }
        | { readonly kind: 'none'; readonly reason: string }
      ));

/** Why a run is not finished: still training (the epoch the Trainer recorded, of the planned), else no test evaluation at its last checkpoint. */
export interface Unfinished {
  readonly training: { readonly epoch: number; readonly of: number } | null;
}

/** "still training (epoch 2.5 of 3)" or "no test evaluation at its last checkpoint" */
export function unfinishedText(u: Unfinished): string {
  return u.training ? `still training (epoch ${Number(u.training.epoch.toFixed(2))} of ${u.training.of})` : 'no test evaluation at its last checkpoint';
}

/** Finished runs needed for a forecast, as for the sweep's fit. */
export const FORECAST_MIN_RUNS = 3;

/**
 * Finished: its last checkpoint has a test evaluation, and training reached the planned epochs
 * where the Trainer recorded how far it got (a run whose last checkpoint says epoch 2.5 of 3 is
 * still training, whatever it measured).
 */
export function isFinished(a: RunAnalysis): boolean {
  const last = a.checkpoints.at(-1);
  if (!last || last.testAccuracy === null) return false;
  return a.progress === null || a.progress.epoch >= a.progress.of - 1e-6;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** The forecast for each run (by path) of the analyses given, from the finished runs of its own sweep. */
export function forecasts(analyses: readonly RunAnalysis[]): Map<string, Forecast> {
  const out = new Map<string, Forecast>();
  for (const a of analyses) out.set(a.run.path, forecastOf(a, analyses));
  return out;
}

export function forecastOf(a: RunAnalysis, analyses: readonly RunAnalysis[]): Forecast {
  if (isFinished(a)) return { kind: 'finished' };
  const training = a.progress !== null && a.progress.epoch < a.progress.of - 1e-6 ? a.progress : null;
  const none = (reason: string): Forecast => ({ kind: 'none', reason, training });
  const j = a.checkpoints.length;
  const x = a.checkpoints.at(-1)?.summary.preMemorizationAccuracy;
  if (j === 0 || x === undefined || !Number.isFinite(x)) return none('no forecast: the run has no checkpoint with a pre-memorization accuracy yet');
  const others = analyses.filter((o) => o.run.sweepPath === a.run.sweepPath && o.run.path !== a.run.path);
  if (others.length === 0) return none(`no forecast: no other run of its sweep folder is indexed; a forecast needs ${FORECAST_MIN_RUNS} or more finished runs beside it`);
  const finished = others.filter(isFinished);
  if (finished.length < FORECAST_MIN_RUNS)
    return none(
      `no forecast: its sweep has ${finished.length} finished run${finished.length === 1 ? '' : 's'} (trained to the end, with a test evaluation at the last checkpoint); a forecast needs ${FORECAST_MIN_RUNS}`,
    );
  const points: CalibrationPoint[] = finished.flatMap((f) => {
    const v = f.checkpoints[Math.min(j, f.checkpoints.length) - 1]!.summary.preMemorizationAccuracy;
    return Number.isFinite(v) ? [{ run: f.run.path, preMemorizationAccuracy: v, testAccuracy: f.checkpoints.at(-1)!.testAccuracy! }] : [];
  });
  const fit = fitLine(
    points.map((p) => p.preMemorizationAccuracy),
    points.map((p) => p.testAccuracy),
  );
  const value = predict(fit, x);
  if (points.length < FORECAST_MIN_RUNS || value === null)
    return none(`no forecast: the finished runs' pre-memorization accuracies after ${j} checkpoint${j === 1 ? '' : 's'} do not spread enough to fit a line`);
  return { kind: 'forecast', value: clamp01(value), band: leaveOneRunOut(points).rmse, checkpoints: j, runs: points.length, r2: fit.r2, training };
}
