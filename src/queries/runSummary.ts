import { predict, type LinearFit } from '../core/fit';
import { sweepFit } from './report';
import type { RunAnalysis } from './runAnalysis';

/** What a run shows at a glance: its last checkpoint, and test accuracy measured or predicted. */
export interface RunSummary {
  readonly finalStep: number | null;
  readonly finalPreMemorization: number | null;
  readonly finalTrainAccuracy: number | null;
  readonly finalTestAccuracy: number | null;
  /** From the straight line fitted over its sweep, when the sweep has one. */
  readonly predictedTestAccuracy: number | null;
}

/** One fit per sweep folder, over every checkpoint with a test evaluation in it. */
export function fitsBySweep(analyses: readonly RunAnalysis[]): Map<string, LinearFit> {
  const groups = new Map<string, RunAnalysis[]>();
  for (const a of analyses) groups.set(a.run.sweepPath, [...(groups.get(a.run.sweepPath) ?? []), a]);
  return new Map([...groups].map(([sweep, runs]) => [sweep, sweepFit(runs)]));
}

export function summarizeRun(a: RunAnalysis, fit: LinearFit | undefined): RunSummary {
  const last = a.checkpoints.at(-1);
  if (!last) return { finalStep: null, finalPreMemorization: null, finalTrainAccuracy: null, finalTestAccuracy: null, predictedTestAccuracy: null };
  const premem = last.summary.preMemorizationAccuracy;
  return {
    finalStep: last.step,
    finalPreMemorization: premem,
    finalTrainAccuracy: last.summary.trainAccuracy,
    finalTestAccuracy: last.testAccuracy,
    predictedTestAccuracy: fit && Number.isFinite(premem) ? predict(fit, premem) : null,
  };
}
