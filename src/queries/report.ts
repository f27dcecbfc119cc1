import { fitLine, type LinearFit } from '../core/fit';
import { describeThreshold, type MemorizationThreshold, type ThresholdCalibration, type ThresholdDescription, type ThresholdOrigin } from '../core/threshold';
import type { IndexStore, StoredRun } from '../store/indexStore';
import { doesItHold, type DoesItHold } from './doesItHold';
import { forecastOf, isFinished, type Forecast } from './forecast';
import { analyseRun, resolveThresholds, type AnalysisOptions, type RunAnalysis } from './runAnalysis';

/** JSON has no NaN or Infinity: unknown figures are null. */
export const finiteOrNull = (x: number | null): number | null => (x === null || !Number.isFinite(x) ? null : x);

export interface ReportCheckpoint {
  readonly step: number;
  readonly examples: number;
  readonly train_accuracy: number | null;
  readonly pre_memorization_accuracy: number | null;
  readonly memorized_fraction: number | null;
  readonly test_accuracy: number | null;
  readonly sample_sets: { readonly train: string; readonly test: string | null };
  /** What the readers chose that the user should know (present only when there is something). */
  readonly notes?: readonly string[];
}

/** A threshold as a report states it. */
export type ReportThreshold = ThresholdDescription & {
  readonly source: 'option' | 'stored' | 'default';
  readonly calibration?: ThresholdCalibration;
  /** The run or sweep folder a stored threshold is kept for. */
  readonly stored_for?: string;
};

export interface ReportRun {
  readonly name: string;
  readonly path: string;
  /** The threshold this run's figures use (a run's own can differ from its sweep's). */
  readonly threshold: ReportThreshold;
  readonly checkpoints: readonly ReportCheckpoint[];
  /** Checkpoints that could not be read, with the file and why: the figures are over the others. */
  readonly skipped_checkpoints: readonly { readonly step: number; readonly file: string; readonly reason: string }[];
  /**
   * A run still training (see forecast.ts): its final test accuracy forecast from the finished
   * runs of its sweep after as many checkpoints as it has, with the leave-one-run-out RMSE as the
   * band; or why there is none. Absent for a finished run.
   */
  readonly forecast?: ReportForecast;
}

/** `training`: the epoch the Trainer recorded at the last checkpoint, of the planned; null where the run is unfinished for want of a final test evaluation. */
export type ReportForecast = { readonly training: { readonly epoch: number; readonly of: number } | null } & (
  | { readonly final_test_accuracy: number; readonly band: number | null; readonly checkpoints: number; readonly runs: number; readonly r2: number | null }
  | { readonly final_test_accuracy: null; readonly reason: string }
);

export function reportForecast(f: Forecast): ReportForecast | undefined {
  if (f.kind === 'finished') return undefined;
  if (f.kind === 'none') return { final_test_accuracy: null, reason: f.reason, training: f.training };
  return { final_test_accuracy: f.value, band: f.band, checkpoints: f.checkpoints, runs: f.runs, r2: f.r2, training: f.training };
}

/** The contract of `premem report --json`: names and shapes are relied on by other tools. */
export interface ReportJson {
  /**
   * The perplexity cut and where it came from (`source`: option, stored or default; a stored one
   * calibrated says how, in `calibration`); with the text criterion also `memorization: "text"`
   * and its `copy_rate`.
   */
  readonly threshold: ReportThreshold & {
    readonly memorization?: 'text';
    readonly copy_rate?: number;
  };
  readonly runs: readonly ReportRun[];
  /** Null where too few runs or checkpoints carry a test evaluation to mean anything (see fit_withheld). */
  readonly fit: LinearFit | null;
  readonly fit_withheld?: string;
  /** Whenever a fit is drawn: R² and leave-one-run-out RMSE at 41 thresholds from −4.0 to 0.0 (see doesItHold.ts). */
  readonly sensitivity?: DoesItHold['sensitivity'];
  /** The same fit from the baselines: train accuracy, memorized fraction, mean log perplexity. */
  readonly predictors?: DoesItHold['predictors'];
  /** Each run's final test accuracy predicted from its first j checkpoints. */
  readonly early?: DoesItHold['early'];
}

/** A line from test to pre-memorization accuracy is drawn, and predicts, only from this much. */
export const MIN_FIT_RUNS = 3;
export const MIN_FIT_CHECKPOINTS = 5;

/**
 * Why a sweep's fit is withheld, or null when there is enough to fit: at least MIN_FIT_RUNS
 * runs and MIN_FIT_CHECKPOINTS checkpoints with a test evaluation. (A line through the three
 * checkpoints of one run predicted "0.4172 ± 1.4596".)
 */
export function fitWithheld(analyses: readonly RunAnalysis[]): string | null {
  let runs = 0;
  let points = 0;
  for (const a of analyses) {
    const n = a.checkpoints.filter((c) => c.testAccuracy !== null && Number.isFinite(c.summary.preMemorizationAccuracy)).length;
    if (n > 0) runs++;
    points += n;
  }
  if (runs >= MIN_FIT_RUNS && points >= MIN_FIT_CHECKPOINTS) return null;
  return `needs ${MIN_FIT_RUNS} runs and ${MIN_FIT_CHECKPOINTS} checkpoints with test evaluations; this has ${runs} run${runs === 1 ? '' : 's'} and ${points} checkpoint${points === 1 ? '' : 's'}`;
}

export interface Report {
  readonly json: ReportJson;
  readonly analyses: readonly RunAnalysis[];
}

/**
 * Every checkpoint with a test accuracy, across the runs: the paper's sweep fit. With `train`,
 * the same fit on plain train accuracy, the baseline the paper's metric improves on.
 */
export function sweepFit(analyses: readonly RunAnalysis[], x: 'premem' | 'train' = 'premem'): LinearFit {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const a of analyses) {
    for (const c of a.checkpoints) {
      const v = x === 'premem' ? c.summary.preMemorizationAccuracy : c.summary.trainAccuracy;
      if (c.testAccuracy !== null && Number.isFinite(v)) {
        xs.push(v);
        ys.push(c.testAccuracy);
      }
    }
  }
  return fitLine(xs, ys);
}

/**
 * Forecasts for the report's unfinished runs. A report on one run still forecasts from its whole
 * sweep: the sweep's other indexed runs are analysed too (a run that cannot be is left out).
 */
async function forecastsWithSweeps(store: IndexStore, analyses: readonly RunAnalysis[], options: AnalysisOptions): Promise<Map<string, ReportForecast>> {
  const out = new Map<string, ReportForecast>();
  const open = analyses.filter((a) => !isFinished(a));
  if (open.length === 0) return out;
  const have = new Set(analyses.map((a) => a.run.path));
  const sweeps = new Set(open.map((a) => a.run.sweepPath));
  const siblings = (await store.runs()).filter((r) => sweeps.has(r.sweepPath) && !have.has(r.path));
  // Each at its own kept threshold, as the report's runs are (resolved by analyseRun).
  const more = await Promise.allSettled(siblings.map((r) => analyseRun(store, r, options)));
  const all = [...analyses, ...more.flatMap((m) => (m.status === 'fulfilled' ? [m.value] : []))];
  for (const a of open) {
    const f = reportForecast(forecastOf(a, all));
    if (f) out.set(a.run.path, f);
  }
  return out;
}

/** A threshold as the report states it: its value, where it came from, and its calibration. */
function describedThreshold(threshold: MemorizationThreshold, origin: ThresholdOrigin): ReportThreshold {
  return {
    ...describeThreshold(threshold),
    source: origin.source === 'panel' ? 'option' : origin.source,
    ...(origin.source === 'stored' && origin.calibration ? { calibration: origin.calibration } : {}),
    ...(origin.source === 'stored' ? { stored_for: origin.path } : {}),
  };
}

/**
 * Several runs analysed at once, each at its own kept threshold read in one snapshot: what a
 * report, a sweep's table or its slices start from. One run's figures are computed while the next
 * run's arrays are read on SQLite's thread. A failure is the first failing run's, in run order, as
 * when they ran in turn.
 */
export async function analyseRuns(store: IndexStore, runs: readonly StoredRun[], options: AnalysisOptions): Promise<RunAnalysis[]> {
  const analyses: RunAnalysis[] = [];
  const thresholds = await resolveThresholds(store, runs, options);
  for (const s of await Promise.allSettled(runs.map((run) => analyseRun(store, run, options, thresholds.get(run.path))))) {
    if (s.status === 'rejected') throw s.reason;
    analyses.push(s.value);
  }
  return analyses;
}

export async function buildReport(store: IndexStore, runs: readonly StoredRun[], options: AnalysisOptions): Promise<Report> {
  const analyses = await analyseRuns(store, runs, options);
  const forecast = await forecastsWithSweeps(store, analyses, options);
  const criterion = options.memorization;
  // Runs of one sweep share its threshold; the report states the first run's (or the default).
  const first = analyses[0];
  const described = describedThreshold(first?.threshold ?? options.threshold, first?.thresholdOrigin ?? { source: options.thresholdIsOption ? 'option' : 'default' });
  const json: ReportJson = {
    threshold: criterion?.kind === 'text' ? { ...described, memorization: 'text', copy_rate: criterion.copyRate } : described,
    runs: analyses.map((a) => ({
      name: a.run.name,
      path: a.run.path,
      // Each run's own: a run-specific threshold can differ from its sweep's.
      threshold: describedThreshold(a.threshold, a.thresholdOrigin),
      checkpoints: a.checkpoints.map((c) => ({
        step: c.step,
        examples: a.metrics.examples,
        train_accuracy: finiteOrNull(c.summary.trainAccuracy),
        pre_memorization_accuracy: finiteOrNull(c.summary.preMemorizationAccuracy),
        memorized_fraction: finiteOrNull(c.summary.memorizedFraction),
        test_accuracy: c.testAccuracy,
        sample_sets: { train: c.trainSet, test: c.testSet },
        ...(c.notes.length ? { notes: c.notes } : {}),
      })),
      skipped_checkpoints: a.skipped.map((s) => ({ step: s.step, file: s.file, reason: s.reason })),
      ...(forecast.get(a.run.path) ? { forecast: forecast.get(a.run.path)! } : {}),
    })),
    fit: null,
  };
  const withheld = fitWithheld(analyses);
  return { json: withheld === null ? { ...json, fit: sweepFit(analyses), ...doesItHold(analyses) } : { ...json, fit: null, fit_withheld: withheld }, analyses };
}
