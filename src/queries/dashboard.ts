import { basename } from 'node:path';
import type { LinearFit } from '../core/fit';
import { preMemorizationHistogram } from '../core/histogram';
import { describeThreshold } from '../core/threshold';
import { describeThresholdOrigin } from '../present/format';
import type { CalibrationView, DashboardRun, DashboardSweep, LowExample, ThresholdInForce } from '../protocol/dashboard';
import type { StoredExample } from '../store/indexStore';
import { doesItHold } from './doesItHold';
import { listExamples } from './examples';
import { forecasts, unfinishedText } from './forecast';
import { finiteOrNull, sweepFit } from './report';
import { calibrateAnalyses, DEFAULT_GRID, DEFAULT_HAND_PICKED } from './calibrate';
import type { RunAnalysis, RunView } from './runAnalysis';
import { predictTest, sweepModels } from './runSummary';

/** The threshold an analysis used, with where it came from: what every threshold label shows. */
export function thresholdInForce(a: RunAnalysis): ThresholdInForce {
  const d = describeThreshold(a.threshold);
  return { loglog: d.loglog, perplexity: d.perplexity, origin: describeThresholdOrigin(a.threshold, a.thresholdOrigin), source: a.thresholdOrigin.source };
}

/**
 * The dashboard's figures: per run, its curves over checkpoints; per sweep, the fit of test
 * accuracy on pre-memorization accuracy (the paper's figure) and on plain train accuracy.
 */
export function dashboardFigures(views: readonly RunView[]): { runs: DashboardRun[]; sweeps: DashboardSweep[] } {
  const bySweep = new Map<string, RunAnalysis[]>();
  for (const v of views) if (v.analysis) bySweep.set(v.run.sweepPath, [...(bySweep.get(v.run.sweepPath) ?? []), v.analysis]);
  const models = sweepModels(views.flatMap((v) => (v.analysis ? [v.analysis] : [])));
  const fits = new Map<string, { fit: LinearFit; trainFit: LinearFit }>(
    [...bySweep].map(([sweep, analyses]) => [sweep, { fit: models.get(sweep)!.fit, trainFit: sweepFit(analyses, 'train') }]),
  );
  const forecast = forecasts(views.flatMap((v) => (v.analysis ? [v.analysis] : [])));
  const runs = views.map((v): DashboardRun => {
    const model = models.get(v.run.sweepPath);
    const f = forecast.get(v.run.path);
    return {
      path: v.run.path,
      name: v.run.name,
      sweepPath: v.run.sweepPath,
      threshold: v.analysis ? thresholdInForce(v.analysis) : null,
      error: v.error,
      criteriaAgreement: v.analysis?.criteriaAgreement ?? null,
      histogram: v.analysis && v.analysis.checkpoints.length > 0 ? preMemorizationHistogram(v.analysis.metrics.preMemorization[v.analysis.checkpoints.length - 1]!) : null,
      robustness: null,
      forecast:
        f === undefined || f.kind === 'finished'
          ? null
          : f.kind === 'forecast'
            ? { kind: 'forecast', value: f.value, band: f.band, checkpoints: f.checkpoints, runs: f.runs, training: f.training, unfinished: unfinishedText(f) }
            : { kind: 'none', reason: f.reason, training: f.training, unfinished: unfinishedText(f) },
      checkpoints: (v.analysis?.checkpoints ?? []).map((c) => {
        const p = predictTest(model, c.summary.preMemorizationAccuracy);
        return {
          step: c.step,
          deletedOnDisk: c.deletedOnDisk,
          epoch: finiteOrNull(c.epoch),
          trainLoss: finiteOrNull(c.trainLoss),
          trainAccuracy: finiteOrNull(c.summary.trainAccuracy),
          preMemorizationAccuracy: finiteOrNull(c.summary.preMemorizationAccuracy),
          memorizedFraction: finiteOrNull(c.summary.memorizedFraction),
          testAccuracy: c.testAccuracy,
          predictedTestAccuracy: finiteOrNull(p.value),
          predictedInterval: p.interval ? { low: p.interval.low, high: p.interval.high } : null,
        };
      }),
    };
  });
  const sweeps = [...fits].map(([path, f]): DashboardSweep => {
    // Runs of a sweep share its threshold: the first run's says which and where it came from.
    const a = bySweep.get(path)![0]!;
    return {
      path,
      name: basename(path),
      fit: f.fit,
      trainFit: f.trainFit,
      withheld: models.get(path)?.withheld ?? null,
      threshold: { ...thresholdInForce(a), stored: a.thresholdOrigin.source === 'stored' },
      // The sweep's own runs at the threshold in force; the curves over thresholds are kept per run.
      holds: (models.get(path)?.withheld ?? null) === null ? doesItHold(bySweep.get(path)!) : null,
    };
  });
  sweeps.sort((a, b) => a.name.localeCompare(b.name) || a.path.localeCompare(b.path));
  return { runs, sweeps };
}

/** A run's least-learned examples at its last checkpoint: where the dashboard leads next. */
export function lowestExamples(a: RunAnalysis, examples: readonly StoredExample[], count: number): LowExample[] {
  const questions = new Map(examples.map((e) => [e.index, e.question]));
  return listExamples(a, examples, 'premem', count).map((f) => ({
    index: f.index,
    question: questions.get(f.index) ?? null,
    preMemorizationAccuracy: finiteOrNull(f.preMemorizationAccuracy.at(-1) ?? null),
    memorizationStep: f.memorizationStep,
  }));
}

/** Leave-one-run-out calibration of one sweep's threshold, shaped for the dashboard. */
export function calibrationView(sweepPath: string, analyses: readonly RunAnalysis[]): Omit<CalibrationView, 'computeMs'> {
  const report = calibrateAnalyses(analyses, DEFAULT_GRID, DEFAULT_HAND_PICKED);
  return {
    sweepPath,
    runs: analyses.length,
    scores: report.scores.map((s) => ({ threshold: s.threshold, heldOutRmse: s.heldOutRmse, r2: s.fit.r2 })),
    best: report.best && report.best.heldOutRmse !== null ? { threshold: report.best.threshold, heldOutRmse: report.best.heldOutRmse } : null,
    handPicked: { threshold: report.reference.threshold, heldOutRmse: report.reference.heldOutRmse },
  };
}
