import { bestThreshold, predictWithInterval, scoreThreshold, thresholdGrid, type CalibrationPoint, type Prediction, type ThresholdScore } from '../core/calibration';
import { computeRunMetrics, summarizeCheckpoints } from '../core/metrics';
import type { MemorizationThreshold } from '../core/threshold';
import type { IndexStore, StoredRun } from '../store/indexStore';
import { analyseRun, type RunAnalysis } from './runAnalysis';

export interface CalibrationReport {
  readonly scores: readonly ThresholdScore[];
  readonly best: ThresholdScore | null;
  /** The paper's hand-picked threshold, scored the same way (taken from the grid, or scored apart when off it). */
  readonly reference: ThresholdScore;
  /** At the chosen threshold: checkpoints without a test evaluation, predicted with an interval. */
  readonly predictions: readonly { readonly run: string; readonly step: number; readonly preMemorizationAccuracy: number; readonly prediction: Prediction | null }[];
}

/** Dataset-level pre-memorization accuracy per checkpoint at one ln-ln threshold, from loaded arrays. */
function pointsAt(analyses: readonly RunAnalysis[], threshold: MemorizationThreshold): { points: CalibrationPoint[]; untested: { run: string; step: number; x: number }[] } {
  const points: CalibrationPoint[] = [];
  const untested: { run: string; step: number; x: number }[] = [];
  for (const a of analyses) {
    const summaries = summarizeCheckpoints(a.input, computeRunMetrics(a.input, threshold));
    a.checkpoints.forEach((c, j) => {
      const x = summaries[j]!.preMemorizationAccuracy;
      if (!Number.isFinite(x)) return;
      if (c.testAccuracy === null) untested.push({ run: a.run.name, step: c.step, x });
      else points.push({ run: a.run.path, preMemorizationAccuracy: x, testAccuracy: c.testAccuracy });
    });
  }
  return { points, untested };
}

/**
 * Scores every candidate ln-ln threshold by leave-one-run-out error. Arrays are loaded once;
 * each candidate only recomputes the metric in memory.
 */
export async function calibrate(
  store: IndexStore,
  runs: readonly StoredRun[],
  samplePreference: readonly string[] | null,
  grid: readonly number[],
  handPicked = DEFAULT_HAND_PICKED,
): Promise<CalibrationReport> {
  const analyses: RunAnalysis[] = [];
  for (const run of runs) analyses.push(await analyseRun(store, run, { threshold: { kind: 'loglog', value: handPicked }, samplePreference }));
  return calibrateAnalyses(analyses, grid, handPicked);
}

/** The paper's GSM8K choice, in ln-ln form. */
export const DEFAULT_HAND_PICKED = -2.3;

/** The default candidates: ln-ln thresholds from -4 to -0.5 in steps of 0.1. */
export const DEFAULT_GRID = thresholdGrid(-4, -0.5, 0.1);

/** The same, on runs already loaded (the dashboard's): only the metric is recomputed per candidate. */
export function calibrateAnalyses(analyses: readonly RunAnalysis[], grid: readonly number[], handPicked = DEFAULT_HAND_PICKED): CalibrationReport {
  const score = (t: number) => scoreThreshold(t, pointsAt(analyses, { kind: 'loglog', value: t }).points);
  const scores = grid.map(score);
  const best = bestThreshold(scores);
  const chosen = best?.threshold ?? handPicked;
  const { points, untested } = pointsAt(analyses, { kind: 'loglog', value: chosen });
  const xs = points.map((p) => p.preMemorizationAccuracy);
  const ys = points.map((p) => p.testAccuracy);
  return {
    scores,
    best,
    reference: scores.find((s) => s.threshold === handPicked) ?? score(handPicked),
    predictions: untested.map((u) => ({ run: u.run, step: u.step, preMemorizationAccuracy: u.x, prediction: predictWithInterval(xs, ys, u.x) })),
  };
}
