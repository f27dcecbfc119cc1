/**
 * The shapes of the "Does it hold?" figures (computed in src/queries/doesItHold.ts from this
 * engine), shared by the report, the dashboard's protocol and the presentation of both.
 */

export interface FitQuality {
  readonly r2: number | null;
  readonly loo_rmse: number | null;
}

export interface SensitivityRow extends FitQuality {
  readonly threshold: number;
  readonly points: number;
}

export interface PredictorRow extends FitQuality {
  readonly name: 'pre_memorization_accuracy' | 'train_accuracy' | 'memorized_fraction' | 'mean_log_perplexity';
}

export interface EarlyRow {
  readonly checkpoints: number;
  readonly pre_memorization_accuracy: FitQuality;
  readonly train_accuracy: FitQuality;
}

export interface DoesItHold {
  readonly sensitivity: readonly SensitivityRow[];
  readonly predictors: readonly PredictorRow[];
  readonly early: readonly EarlyRow[];
}

/** The sensitivity grid: −4.0 to 0.0 by 0.1, each computed as (i − 40) / 10 so that it is exact. */
export const SENSITIVITY_THRESHOLDS: readonly number[] = Array.from({ length: 41 }, (_, i) => (i - 40) / 10);
