import { fitLine, type LinearFit } from '../core/fit';
import { describeThreshold, type ThresholdDescription } from '../core/threshold';
import type { IndexStore, StoredRun } from '../store/indexStore';
import { analyseRun, type AnalysisOptions, type RunAnalysis } from './runAnalysis';

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
}

export interface ReportRun {
  readonly name: string;
  readonly path: string;
  readonly checkpoints: readonly ReportCheckpoint[];
}

/** The contract of `premem report --json`: names and shapes are relied on by other tools. */
export interface ReportJson {
  /** The perplexity cut; with the text criterion also `memorization: "text"` and its `copy_rate`. */
  readonly threshold: ThresholdDescription & { readonly memorization?: 'text'; readonly copy_rate?: number };
  readonly runs: readonly ReportRun[];
  readonly fit: LinearFit;
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

export async function buildReport(store: IndexStore, runs: readonly StoredRun[], options: AnalysisOptions): Promise<Report> {
  const analyses: RunAnalysis[] = [];
  for (const run of runs) analyses.push(await analyseRun(store, run, options));
  const criterion = options.memorization;
  const json: ReportJson = {
    threshold: criterion?.kind === 'text' ? { ...describeThreshold(options.threshold), memorization: 'text', copy_rate: criterion.copyRate } : describeThreshold(options.threshold),
    runs: analyses.map((a) => ({
      name: a.run.name,
      path: a.run.path,
      checkpoints: a.checkpoints.map((c) => ({
        step: c.step,
        examples: a.metrics.examples,
        train_accuracy: finiteOrNull(c.summary.trainAccuracy),
        pre_memorization_accuracy: finiteOrNull(c.summary.preMemorizationAccuracy),
        memorized_fraction: finiteOrNull(c.summary.memorizedFraction),
        test_accuracy: c.testAccuracy,
        sample_sets: { train: c.trainSet, test: c.testSet },
      })),
    })),
    fit: sweepFit(analyses),
  };
  return { json, analyses };
}
