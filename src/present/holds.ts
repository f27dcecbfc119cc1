import type { DoesItHold, PredictorRow, SensitivityRow } from '../core/doesItHold';

/** What the CLI's text report and the dashboard both say of "Does it hold?", from the same rows. */
export const PREDICTOR_LABELS: Readonly<Record<PredictorRow['name'], string>> = {
  pre_memorization_accuracy: 'pre-memorization accuracy',
  train_accuracy: 'train accuracy',
  memorized_fraction: 'memorized fraction',
  mean_log_perplexity: 'mean log perplexity (loss)',
};

/** How far around the threshold in force the R² range is read. */
export const NEAR = 0.3;

export interface HoldsSummary {
  /** The threshold with the highest R². */
  readonly best: SensitivityRow | null;
  /** R² at the grid threshold equal to the one in force, when it is on the grid. */
  readonly here: SensitivityRow | null;
  /** The R² range over grid thresholds within NEAR of the one in force. */
  readonly near: { readonly low: number; readonly high: number } | null;
  /** The threshold with the lowest leave-one-run-out error over calibration's range (−4 to −0.5), as `premem calibrate` chooses. */
  readonly lowestError: SensitivityRow | null;
}

export function summarizeHolds(h: DoesItHold, loglog: number): HoldsSummary {
  const scored = h.sensitivity.filter((s) => s.r2 !== null);
  const best = scored.reduce<SensitivityRow | null>((b, s) => (b === null || s.r2! > b.r2! ? s : b), null);
  const near = scored.filter((s) => Math.abs(s.threshold - loglog) <= NEAR + 1e-9).map((s) => s.r2!);
  const here = scored.find((s) => Math.abs(s.threshold - loglog) < 1e-9) ?? null;
  const lowestError = h.sensitivity
    .filter((s) => s.loo_rmse !== null && s.threshold <= -0.5 + 1e-9)
    .reduce<SensitivityRow | null>((b, s) => (b === null || s.loo_rmse! < b.loo_rmse! ? s : b), null);
  return { best, here, near: near.length ? { low: Math.min(...near), high: Math.max(...near) } : null, lowestError };
}
