import { predictWithInterval, type Prediction } from '../core/calibration';
import { predict, type LinearFit } from '../core/fit';
import { fitWithheld, sweepFit } from './report';
import type { RunAnalysis } from './runAnalysis';

/** A sweep's straight line from pre-memorization to test accuracy, with the points it was fitted on. */
export interface SweepModel {
  readonly fit: LinearFit;
  readonly xs: readonly number[];
  readonly ys: readonly number[];
  /** Why no line may be drawn or predicted from (see fitWithheld); null when it may. */
  readonly withheld: string | null;
}

/** What a run shows at a glance: its last checkpoint, and test accuracy measured or predicted. */
export interface RunSummary {
  readonly finalStep: number | null;
  readonly finalPreMemorization: number | null;
  readonly finalTrainAccuracy: number | null;
  readonly finalTestAccuracy: number | null;
  /** From the straight line fitted over its sweep, when the sweep has one. */
  readonly predictedTestAccuracy: number | null;
  /** The 95% prediction interval around it (for one new checkpoint, not for the line). */
  readonly predictedInterval: Prediction | null;
}

/** One model per sweep folder, over every checkpoint with a test evaluation in it. */
export function sweepModels(analyses: readonly RunAnalysis[]): Map<string, SweepModel> {
  const groups = new Map<string, RunAnalysis[]>();
  for (const a of analyses) groups.set(a.run.sweepPath, [...(groups.get(a.run.sweepPath) ?? []), a]);
  return new Map(
    [...groups].map(([sweep, runs]) => {
      const xs: number[] = [];
      const ys: number[] = [];
      for (const a of runs) {
        for (const c of a.checkpoints) {
          if (c.testAccuracy !== null && Number.isFinite(c.summary.preMemorizationAccuracy)) {
            xs.push(c.summary.preMemorizationAccuracy);
            ys.push(c.testAccuracy);
          }
        }
      }
      return [sweep, { fit: sweepFit(runs), xs, ys, withheld: fitWithheld(runs) }];
    }),
  );
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/**
 * Test accuracy predicted at pre-memorization accuracy x, always with its 95% interval; both
 * clamped to [0, 1] (an accuracy). None where the sweep's fit is withheld.
 */
export function predictTest(model: SweepModel | undefined, x: number): { value: number | null; interval: Prediction | null } {
  if (!model || model.withheld !== null || !Number.isFinite(x)) return { value: null, interval: null };
  const value = predict(model.fit, x);
  const interval = predictWithInterval(model.xs, model.ys, x);
  if (value === null || interval === null) return { value: null, interval: null };
  return { value: clamp01(value), interval: { ...interval, value: clamp01(interval.value), low: clamp01(interval.low), high: clamp01(interval.high) } };
}

export function summarizeRun(a: RunAnalysis, model: SweepModel | undefined): RunSummary {
  const last = a.checkpoints.at(-1);
  if (!last) return { finalStep: null, finalPreMemorization: null, finalTrainAccuracy: null, finalTestAccuracy: null, predictedTestAccuracy: null, predictedInterval: null };
  const premem = last.summary.preMemorizationAccuracy;
  const p = predictTest(model, premem);
  return {
    finalStep: last.step,
    finalPreMemorization: premem,
    finalTrainAccuracy: last.summary.trainAccuracy,
    finalTestAccuracy: last.testAccuracy,
    predictedTestAccuracy: p.value,
    predictedInterval: p.interval,
  };
}
