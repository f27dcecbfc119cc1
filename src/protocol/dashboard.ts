/**
 * Messages of the dashboard panel. The webview may name only runs the host sent it in the
 * current data; the host checks every path against that list.
 */
import type { DoesItHold } from '../core/doesItHold';
export type { DoesItHold };
import type { LinearFit } from '../core/fit';
import type { HistogramBin } from '../core/histogram';
import { bool, empty, finite, integer, object, oneOf, text, type ParamValidators } from './rpc';

export type { LinearFit };

export const DASHBOARD_VIEW_TYPE = 'premem.dashboard';

export interface DashboardCheckpoint {
  readonly step: number;
  /** Its folder is gone from disk; the figures are the ones indexed before. */
  readonly deletedOnDisk: boolean;
  readonly epoch: number | null;
  readonly trainLoss: number | null;
  readonly trainAccuracy: number | null;
  readonly preMemorizationAccuracy: number | null;
  readonly memorizedFraction: number | null;
  readonly testAccuracy: number | null;
  /** From the sweep's fit, where the fit exists. */
  readonly predictedTestAccuracy: number | null;
  /** Its 95% prediction interval (for one new checkpoint), when the sweep has three or more points. */
  readonly predictedInterval: { readonly low: number; readonly high: number } | null;
}

export interface SlicesView {
  readonly runPath: string;
  /** What the run can be sliced by: `steps` (reference length) and its records' scalar fields. */
  readonly fields: readonly string[];
  readonly by: string | null;
  readonly slices: readonly {
    readonly label: string;
    readonly examples: number;
    readonly preMemorizationAccuracy: number | null;
    readonly trainAccuracy: number | null;
    readonly neverMemorized: number;
    readonly medianMemorizationStep: number | null;
  }[];
}

/** Leave-one-run-out choice of the ln-ln threshold for one sweep. */
export interface CalibrationView {
  readonly sweepPath: string;
  readonly runs: number;
  readonly scores: readonly { readonly threshold: number; readonly heldOutRmse: number | null; readonly r2: number | null }[];
  readonly best: { readonly threshold: number; readonly heldOutRmse: number } | null;
  readonly handPicked: { readonly threshold: number; readonly heldOutRmse: number | null };
  readonly computeMs: number;
}

/** Agreement of the perplexity criterion with the text criterion across ln-ln thresholds, on one run. */
export interface TextCalibrationView {
  readonly runPath: string;
  readonly copyRate: number;
  readonly scores: readonly { readonly threshold: number; readonly agreement: number | null; readonly kappa: number | null; readonly f1: number | null }[];
  /** The highest Cohen's κ (agreement beyond chance). */
  readonly best: { readonly threshold: number; readonly agreement: number; readonly kappa: number; readonly f1: number } | null;
  /** Copied (example, checkpoint) pairs by the text criterion, and why no threshold is chosen when too few. */
  readonly copies: number;
  readonly tooFewCopies: string | null;
}

/**
 * The threshold a run's figures use and where it came from: the one answer every label reads
 * (the header, the threshold box, the sweep's line), so that none can contradict the figures.
 */
export interface ThresholdInForce {
  readonly loglog: number;
  readonly perplexity: number;
  /** Where it came from, in words with the cut, e.g. "ln ln −2.50 · calibrated on 13 runs (…)". */
  readonly origin: string;
  /** 'panel' while a threshold tried in the dashboard applies; 'stored' when kept for the sweep or run. */
  readonly source: 'default' | 'option' | 'panel' | 'stored';
}

export interface DashboardRun {
  readonly path: string;
  readonly name: string;
  readonly sweepPath: string;
  /** The threshold its figures use; null for a run without figures. */
  readonly threshold: ThresholdInForce | null;
  /** Why the run has no figures (e.g. no sample set matches the preference). */
  readonly error: string | null;
  readonly checkpoints: readonly DashboardCheckpoint[];
  /** With the text criterion, on a run that also has perplexities: (example, checkpoint) pairs where both agree. */
  readonly criteriaAgreement: { readonly agree: number; readonly total: number } | null;
  /** How the examples' pre-memorization accuracy is spread at the last checkpoint (0 and 1 apart). */
  readonly histogram: { readonly bins: readonly HistogramBin[]; readonly unknown: number } | null;
  /** Accuracy on perturbed questions against pre-memorization accuracy (the paper's per-example figure); null without perturbed samples. */
  readonly robustness: RobustnessView | null;
  /** Unfinished (still training, or no final test evaluation): its final test accuracy forecast from its sweep, or why there is none; null when finished. */
  readonly forecast: DashboardForecast | null;
}

/** See src/queries/forecast.ts. */
export type DashboardForecast = { readonly training: { readonly epoch: number; readonly of: number } | null; readonly unfinished: string } & (
  | { readonly kind: 'forecast'; readonly value: number; readonly band: number | null; readonly checkpoints: number; readonly runs: number }
  | { readonly kind: 'none'; readonly reason: string }
);

export interface RobustnessView {
  readonly step: number;
  readonly sampleSet: string;
  readonly examples: number;
  readonly variants: number;
  readonly spearman: { readonly rho: number | null; readonly low: number | null; readonly high: number | null };
  readonly bins: readonly { readonly label: string; readonly examples: number; readonly mean: number | null; readonly low: number | null; readonly high: number | null }[];
  /** Is it just difficulty? The partial Spearman given each control (final train accuracy; the level where records carry it). */
  readonly controls: readonly {
    readonly control: string;
    readonly examples: number;
    readonly partial: { readonly rho: number | null; readonly low: number | null; readonly high: number | null };
  }[];
}

export interface DashboardSweep {
  readonly path: string;
  readonly name: string;
  /** Pre-memorization train accuracy against test accuracy: the paper's figure. */
  readonly fit: LinearFit;
  /** Plain train accuracy against test accuracy, for contrast. */
  readonly trainFit: LinearFit;
  /** Why no line is drawn (too few runs or checkpoints with a test evaluation); null when it is. */
  readonly withheld: string | null;
  /** The threshold its figures use (its runs share it), and whether the sweep keeps one. */
  readonly threshold: ThresholdInForce & { readonly stored: boolean };
  /** "Does it hold?": R² and held-out error by threshold, the baselines, and how early it tells; null where the fit is withheld. */
  readonly holds: DoesItHold | null;
}

export type ThresholdForm = 'loglog' | 'perplexity';

export interface DashboardData {
  readonly threshold: { readonly form: ThresholdForm; readonly value: number; readonly perplexity: number; readonly loglog: number };
  /** Which memorization criterion the figures use; the threshold applies to 'perplexity' only. */
  readonly criterion: { readonly kind: 'perplexity' } | { readonly kind: 'text'; readonly copyRate: number };
  /** Whether the threshold is the one in settings or one tried in this panel. */
  readonly thresholdSource: 'settings' | 'panel';
  readonly runs: readonly DashboardRun[];
  readonly sweeps: readonly DashboardSweep[];
  readonly selected: { readonly runPath: string; readonly step: number | null } | null;
  /** Host time to compute these figures from the index, in milliseconds. */
  readonly computeMs: number;
}

export interface LowExample {
  readonly index: number;
  readonly question: string | null;
  readonly preMemorizationAccuracy: number | null;
  readonly memorizationStep: number | null;
}

export interface DashboardMethods {
  readonly ready: { readonly params: Record<string, never>; readonly result: DashboardData };
  readonly setThreshold: { readonly params: { readonly form: ThresholdForm; readonly value: number }; readonly result: DashboardData };
  readonly resetThreshold: { readonly params: Record<string, never>; readonly result: DashboardData };
  /** Selects a run (and checkpoint) in the whole extension; returns its least-learned examples. */
  readonly select: { readonly params: { readonly runPath: string; readonly step: number | null }; readonly result: readonly LowExample[] };
  readonly showExample: { readonly params: { readonly runPath: string; readonly index: number }; readonly result: null };
  /** A run's last checkpoint broken down by a field of its records (or `steps`); null `by`: the first field offered. */
  readonly slices: { readonly params: { readonly runPath: string; readonly by: string | null }; readonly result: SlicesView };
  /** Cross-validates the memorization threshold over one of the sweeps shown. */
  readonly calibrate: { readonly params: { readonly sweepPath: string }; readonly result: CalibrationView };
  /**
   * Keeps a threshold for a sweep shown (user state: every view and command then uses it): the
   * one tried in the panel, or with `calibrated`, the last calibration's choice for that sweep.
   */
  readonly keepThreshold: { readonly params: { readonly sweepPath: string; readonly calibrated: boolean }; readonly result: DashboardData };
  /**
   * Calibration without a sweep: for one run with sample texts, how well each ln-ln threshold
   * agrees with the text criterion (the agreement curve).
   */
  readonly calibrateText: { readonly params: { readonly runPath: string }; readonly result: TextCalibrationView };
  /** Keeps the text calibration's choice for that run. */
  readonly keepTextThreshold: { readonly params: { readonly runPath: string }; readonly result: DashboardData };
  /** Forgets a sweep's kept threshold: the default applies again. */
  readonly clearThreshold: { readonly params: { readonly sweepPath: string }; readonly result: DashboardData };
  /** Saves a chart through the save dialog; the path written, or null when cancelled. */
  readonly saveChart: { readonly params: { readonly name: string; readonly format: 'svg' | 'png'; readonly data: string }; readonly result: string | null };
}

export interface DashboardNotifications {
  /** The index or settings changed: new figures. */
  readonly data: DashboardData;
}

export interface DashboardState {
  readonly runPath: string | null;
  readonly sliceBy?: string | null;
}

const MAX_STEP = 2 ** 40;
const nullableStep = (v: unknown, where: string): number | null => (v === null ? null : integer(0, MAX_STEP)(v, where));

export const DASHBOARD_PARAMS: ParamValidators<DashboardMethods> = {
  ready: empty,
  setThreshold: object({ form: oneOf('loglog', 'perplexity'), value: finite(-50, 1e6) }),
  resetThreshold: empty,
  select: object({ runPath: text(4096), step: nullableStep }),
  showExample: object({ runPath: text(4096), index: integer(0, Number.MAX_SAFE_INTEGER) }),
  calibrate: object({ sweepPath: text(4096) }),
  keepThreshold: object({ sweepPath: text(4096), calibrated: bool }),
  clearThreshold: object({ sweepPath: text(4096) }),
  calibrateText: object({ runPath: text(4096) }),
  keepTextThreshold: object({ runPath: text(4096) }),
  slices: object({ runPath: text(4096), by: (v, where) => (v === null ? null : text(100)(v, where)) }),
  // 32 MB of base64 is a very large PNG; anything beyond is refused rather than written.
  saveChart: object({ name: text(200), format: oneOf('svg', 'png'), data: text(32 * 1024 * 1024) }),
};
