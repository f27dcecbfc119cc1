import { leaveOneRunOut, type CalibrationPoint } from '../core/calibration';
import { fitLine } from '../core/fit';
import type { MetricInput } from '../core/metrics';
import { numpyMean } from '../core/numpySum';
import { preMemorizationAcrossThresholds } from '../core/sensitivity';
import { isFinished } from './forecast';
import type { RunAnalysis } from './runAnalysis';
import { SENSITIVITY_THRESHOLDS, type DoesItHold, type EarlyRow, type FitQuality, type PredictorRow, type SensitivityRow } from '../core/doesItHold';

export { SENSITIVITY_THRESHOLDS, type DoesItHold, type EarlyRow, type FitQuality, type PredictorRow, type SensitivityRow };

/**
 * The questions anyone asks of the metric before trusting it on a sweep, answered from the same
 * engine as the fit: is the fit an artefact of the threshold (`sensitivity`), does it beat simple
 * baselines (`predictors`), and how early in a run does it tell (`early`). Each figure is a
 * straight-line least-squares fit to test accuracy, as the sweep fit is, with its R² and its
 * leave-one-run-out RMSE (fit on every other run's points, predict the held-out run's, RMSE over
 * all predictions). Checked against numpy in test/unit/does-it-hold.test.ts.
 */

function quality(points: readonly CalibrationPoint[]): FitQuality {
  const fit = fitLine(
    points.map((p) => p.preMemorizationAccuracy),
    points.map((p) => p.testAccuracy),
  );
  return { r2: fit.r2, loo_rmse: leaveOneRunOut(points).rmse };
}

/**
 * The sensitivity curves and the mean log perplexities depend on a run's arrays only, not on the
 * threshold in force: kept per array, so that moving the threshold in the dashboard recomputes
 * only the fits.
 */
const curvesOf = new WeakMap<MetricInput, Float64Array[]>();
const meanLogOf = new WeakMap<Float64Array, number>();

function sensitivityCurves(input: MetricInput): Float64Array[] {
  let c = curvesOf.get(input);
  if (!c) curvesOf.set(input, (c = preMemorizationAcrossThresholds(input, SENSITIVITY_THRESHOLDS)));
  return c;
}

function meanLogPerplexity(perplexity: Float64Array): number {
  let m = meanLogOf.get(perplexity);
  if (m === undefined) meanLogOf.set(perplexity, (m = computeMeanLogPerplexity(perplexity)));
  return m;
}

/** The mean over a checkpoint's examples of ln(reference perplexity), over the finite ones (the loss the run trained on, per token). */
function computeMeanLogPerplexity(perplexity: Float64Array): number {
  const logs: number[] = [];
  for (const p of perplexity) {
    const l = Math.log(p);
    if (Number.isFinite(l)) logs.push(l);
  }
  return numpyMean(logs);
}

/** One point per checkpoint with a test evaluation, x as `value` gives it; checkpoints where x is not finite are left out. */
function checkpointPoints(analyses: readonly RunAnalysis[], value: (a: RunAnalysis, j: number, r: number) => number): CalibrationPoint[] {
  const points: CalibrationPoint[] = [];
  analyses.forEach((a, r) => {
    a.checkpoints.forEach((c, j) => {
      const x = value(a, j, r);
      if (c.testAccuracy !== null && Number.isFinite(x)) points.push({ run: a.run.path, preMemorizationAccuracy: x, testAccuracy: c.testAccuracy });
    });
  });
  return points;
}

export function doesItHold(analyses: readonly RunAnalysis[]): DoesItHold {
  // Every run's dataset-level pre-memorization accuracy at all 41 thresholds in one pass over
  // its arrays (src/core/sensitivity.ts), not 41 recomputes.
  const curves = analyses.map((a) => sensitivityCurves(a.input));
  const sensitivity = SENSITIVITY_THRESHOLDS.map((threshold, t): SensitivityRow => {
    const points = checkpointPoints(analyses, (_, j, r) => curves[r]![t]![j]!);
    return { threshold, ...quality(points), points: points.length };
  });

  const predictors: PredictorRow[] = [
    { name: 'pre_memorization_accuracy', ...quality(checkpointPoints(analyses, (a, j) => a.checkpoints[j]!.summary.preMemorizationAccuracy)) },
    { name: 'train_accuracy', ...quality(checkpointPoints(analyses, (a, j) => a.checkpoints[j]!.summary.trainAccuracy)) },
    { name: 'memorized_fraction', ...quality(checkpointPoints(analyses, (a, j) => a.checkpoints[j]!.summary.memorizedFraction)) },
    { name: 'mean_log_perplexity', ...quality(checkpointPoints(analyses, (a, j) => meanLogPerplexity(a.input.perplexity[j]!))) },
  ];

  // After j checkpoints: each finished run's value at its checkpoint min(j, its count) predicts that run's
  // test accuracy at its last checkpoint; one point per run (runs without it are left out).
  const longest = Math.max(0, ...analyses.map((a) => a.checkpoints.length));
  const early: EarlyRow[] = [];
  for (let j = 1; j <= longest; j++) {
    const at = (x: 'preMemorizationAccuracy' | 'trainAccuracy') =>
      quality(
        analyses.flatMap((a) => {
          // A run still training has no final test accuracy yet (forecast.ts): left out.
          const last = a.checkpoints[a.checkpoints.length - 1];
          if (!last || last.testAccuracy === null || !isFinished(a)) return [];
          const v = a.checkpoints[Math.min(j, a.checkpoints.length) - 1]!.summary[x];
          return Number.isFinite(v) ? [{ run: a.run.path, preMemorizationAccuracy: v, testAccuracy: last.testAccuracy }] : [];
        }),
      );
    early.push({ checkpoints: j, pre_memorization_accuracy: at('preMemorizationAccuracy'), train_accuracy: at('trainAccuracy') });
  }
  return { sensitivity, predictors, early };
}
