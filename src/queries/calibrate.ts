import { bestThreshold, predictWithInterval, scoreThreshold, thresholdGrid, type CalibrationPoint, type Prediction, type ThresholdScore } from '../core/calibration';
import { computeRunMetrics, summarizeCheckpoints } from '../core/metrics';
import { agreement, cohensKappa, confusion, DEFAULT_COPY_RATE, f1Score } from '../core/textMemorization';
import { memorizedMask, type MemorizationThreshold } from '../core/threshold';
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

/** How well the perplexity criterion at one ln-ln threshold agrees with the text criterion. */
export interface TextAgreementScore {
  readonly threshold: number;
  /** Share of (example, checkpoint) pairs on which both criteria say the same. */
  readonly agreement: number;
  /** Cohen's κ: agreement beyond chance, what the best threshold is chosen by. */
  readonly kappa: number;
  /** F1 of the perplexity criterion at finding the text criterion's copies. */
  readonly f1: number;
}

export interface TextCalibration {
  readonly run: string;
  readonly copyRate: number;
  readonly scores: readonly TextAgreementScore[];
  /** The highest κ (ties: nearest the paper's −2.3); null when nothing could be scored or copies are too few. */
  readonly best: TextAgreementScore | null;
  /** How many (example, checkpoint) pairs the text criterion calls copied. */
  readonly copies: number;
  /** Why no threshold is chosen, when the data hold too few copies to calibrate against. */
  readonly too_few_copies?: string;
}

/** Fewer copied (example, checkpoint) pairs than this and a threshold chosen against them means little. */
export const MIN_TEXT_COPIES = 20;

/**
 * Calibration without a sweep: on one run with sample texts and its dataset, the ln-ln
 * threshold at which "the reference's perplexity is low" agrees best with "most samples copy
 * the reference's steps" (the text criterion). Ties go to the threshold nearest the paper's.
 */
export async function calibrateAgainstText(
  store: IndexStore,
  run: StoredRun,
  samplePreference: readonly string[] | null,
  grid: readonly number[],
  copyRate = DEFAULT_COPY_RATE,
): Promise<TextCalibration> {
  const a = await analyseRun(store, run, {
    threshold: { kind: 'loglog', value: DEFAULT_HAND_PICKED },
    thresholdIsOption: true,
    samplePreference,
    memorization: { kind: 'text', copyRate },
  });
  return calibrateTextAnalysis(a, grid, copyRate);
}

/** The same, on an analysis under the text criterion already loaded (the dashboard's agreement curve). */
export function calibrateTextAnalysis(a: RunAnalysis, grid: readonly number[], copyRate: number): TextCalibration {
  const byText = a.metrics.memorized;
  const scores = grid.map((t) => {
    const byPerplexity = a.input.perplexity.map((p) => memorizedMask(p, { kind: 'loglog', value: t }));
    const { agree, total } = agreement(byText, byPerplexity);
    const c = confusion(byText, byPerplexity);
    return { threshold: t, agreement: total === 0 ? NaN : agree / total, kappa: cohensKappa(c), f1: f1Score(c) };
  });
  let copies = 0;
  for (const m of byText) for (const x of m) copies += x;
  if (copies < MIN_TEXT_COPIES)
    return {
      run: a.run.path,
      copyRate,
      scores,
      best: null,
      copies,
      too_few_copies: `the text criterion finds ${copies} copied (example, checkpoint) pair${copies === 1 ? '' : 's'}, fewer than ${MIN_TEXT_COPIES}: too few to choose a threshold by`,
    };
  let best: TextAgreementScore | null = null;
  for (const s of scores) {
    if (!Number.isFinite(s.kappa)) continue;
    if (!best || s.kappa > best.kappa || (s.kappa === best.kappa && Math.abs(s.threshold - DEFAULT_HAND_PICKED) < Math.abs(best.threshold - DEFAULT_HAND_PICKED))) best = s;
  }
  return { run: a.run.path, copyRate, scores, best, copies };
}
