import {
  categorize,
  computeRunMetrics,
  computeRunMetricsWith,
  summarizeCheckpoints,
  type CheckpointSummary,
  type ExampleCategory,
  type MetricInput,
  type RunMetrics,
} from '../core/metrics';
import { agreement, memorizedByText } from '../core/textMemorization';
import { chooseSampleSet } from '../core/sampleSets';
import type { MemorizationThreshold, ThresholdCalibration, ThresholdOrigin } from '../core/threshold';
import { InputError } from '../ingest/errors';
import type { IndexStore, SkippedCheckpoint, StoredCheckpoint, StoredRun, StoredThreshold } from '../store/indexStore';

/** What every front end asks a run for: the threshold and the sample-set preference. */
export interface AnalysisOptions {
  /** The default threshold; a sweep's stored one replaces it unless `thresholdIsOption`. */
  readonly threshold: MemorizationThreshold;
  /** True when the threshold was given for this call (a CLI option): it wins over stored ones. */
  readonly thresholdIsOption?: boolean;
  /** null: the authors' order, then any other set. */
  readonly samplePreference: readonly string[] | null;
  /** Which criterion marks memorization; perplexity (the paper's) when absent. */
  readonly memorization?: MemorizationCriterion;
}

export type MemorizationCriterion = { readonly kind: 'perplexity' } | { readonly kind: 'text'; readonly copyRate: number };

export interface AnalysedCheckpoint {
  readonly id: number;
  readonly step: number;
  readonly epoch: number | null;
  readonly trainLoss: number | null;
  /** The checkpoint's folder is gone from disk; its figures are the ones indexed before. */
  readonly deletedOnDisk: boolean;
  /** What the readers chose that the user should know (e.g. the newest of several harness logs read). */
  readonly notes: readonly string[];
  readonly trainSet: string;
  readonly trainSamplesPerQuestion: number;
  readonly testSet: string | null;
  readonly testAccuracy: number | null;
  readonly summary: CheckpointSummary;
}

export interface RunAnalysis {
  readonly run: StoredRun;
  readonly checkpoints: readonly AnalysedCheckpoint[];
  readonly input: MetricInput;
  readonly metrics: RunMetrics;
  /** With the text criterion: how often it agrees with the perplexity one (null otherwise). */
  readonly criteriaAgreement: { readonly agree: number; readonly total: number } | null;
  /** Checkpoints left out because a file of theirs could not be read: the figures are over the rest. */
  readonly skipped: readonly SkippedCheckpoint[];
  /** The perplexity threshold the figures use, and where it came from. */
  readonly threshold: MemorizationThreshold;
  readonly thresholdOrigin: ThresholdOrigin;
  /**
   * How far training got: the epoch the Trainer recorded at the last checkpoint, of the epochs
   * the run plans (run.json or its name). Null where either is unknown: such a run is taken as
   * finished once its last checkpoint has a test evaluation (see forecast.ts).
   */
  readonly progress: { readonly epoch: number; readonly of: number } | null;
}

/**
 * The threshold a run's figures use: a CLI option first, then one stored for the run, then for
 * its sweep (user state, like flags), else the default (the settings' or the authors').
 */
export async function resolveThreshold(store: IndexStore, run: StoredRun, options: AnalysisOptions): Promise<{ threshold: MemorizationThreshold; origin: ThresholdOrigin }> {
  if (options.thresholdIsOption) return { threshold: options.threshold, origin: { source: 'option' } };
  const stored = await store.storedThreshold([run.path, run.sweepPath]);
  if (!stored) return { threshold: options.threshold, origin: { source: 'default' } };
  return { threshold: { kind: stored.kind, value: stored.value }, origin: { source: 'stored', path: stored.path, calibration: parseCalibration(stored.calibration) } };
}

export type ResolvedThreshold = { threshold: MemorizationThreshold; origin: ThresholdOrigin };

/**
 * The thresholds of several runs from one read of the stored ones: a report over a sweep must not
 * compute some runs before and some after a `calibrate --apply` lands in another process.
 */
export async function resolveThresholds(store: IndexStore, runs: readonly StoredRun[], options: AnalysisOptions): Promise<Map<string, ResolvedThreshold>> {
  const out = new Map<string, ResolvedThreshold>();
  const stored: Map<string, StoredThreshold> = options.thresholdIsOption
    ? new Map<string, StoredThreshold>()
    : await store.storedThresholds(runs.flatMap((r) => [r.path, r.sweepPath]));
  for (const run of runs) {
    if (options.thresholdIsOption) {
      out.set(run.path, { threshold: options.threshold, origin: { source: 'option' } });
      continue;
    }
    const s = stored.get(run.path) ?? stored.get(run.sweepPath);
    out.set(
      run.path,
      s
        ? { threshold: { kind: s.kind, value: s.value }, origin: { source: 'stored', path: s.path, calibration: parseCalibration(s.calibration) } }
        : { threshold: options.threshold, origin: { source: 'default' } },
    );
  }
  return out;
}

/** A stored threshold's calibration (JSON in the flags file); null when set by hand or unreadable. */
export function parseCalibration(text: string | null): ThresholdCalibration | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as ThresholdCalibration;
  } catch {
    return null;
  }
}

/** Epoch of a checkpoint: as the Trainer recorded it, else spread evenly over the run's epochs. */
function epochOf(c: StoredCheckpoint, run: StoredRun, lastStep: number): number | null {
  if (c.epoch !== null) return c.epoch;
  if (run.epochs === null || lastStep === 0) return null;
  return (run.epochs * c.step) / lastStep;
}

/**
 * Loads a run's stored arrays and computes its metrics at the given threshold. Thresholds are
 * applied here, at query time, so changing one never re-reads run files.
 */
export async function analyseRun(store: IndexStore, run: StoredRun, options: AnalysisOptions, resolved?: ResolvedThreshold): Promise<RunAnalysis> {
  const stored = await store.checkpoints(run.id);
  const lastStep = stored.length ? stored[stored.length - 1]!.step : 0;
  const choices = stored.map((c) => {
    const pick = (split: 'train' | 'test') =>
      chooseSampleSet(
        c.sampleSets.filter((s) => s.split === split).map((s) => s.name),
        options.samplePreference,
      );
    const train = pick('train');
    if (train === null) {
      const available = c.sampleSets.filter((s) => s.split === 'train').map((s) => s.name);
      throw new InputError(c.dir, `none of the sample sets ${options.samplePreference?.join(', ')} is here (available: ${available.join(', ')})`);
    }
    return { c, train, test: pick('test') };
  });
  const counts = await store.correctCounts(choices.map(({ c, train }) => ({ checkpointId: c.id, split: 'train' as const, name: train })));
  const ppl = await store.perplexities(stored.map((c) => c.id));

  const accuracy = choices.map(({ c, train }) => {
    const n = c.sampleSets.find((s) => s.split === 'train' && s.name === train)!.samplesPerQuestion;
    const correct = counts.get(`${c.id}/train/${train}`)!;
    const acc = new Float64Array(correct.length);
    // count / n is exactly numpy's mean of the 0/1 "correct" row (the sum of 0/1 is exact).
    for (let i = 0; i < correct.length; i++) acc[i] = correct[i]! / n;
    return acc;
  });
  const input: MetricInput = { accuracy, perplexity: stored.map((c) => ppl.get(c.id)!) };
  const { threshold, origin } = resolved ?? (await resolveThreshold(store, run, options));
  const byPerplexity = computeRunMetrics(input, threshold);
  let metrics = byPerplexity;
  let criteriaAgreement: RunAnalysis['criteriaAgreement'] = null;
  const criterion = options.memorization ?? { kind: 'perplexity' };
  if (criterion.kind === 'text') {
    const rates = await store.copyRates(choices.map(({ c, train }) => ({ checkpointId: c.id, name: train })));
    const byText = choices.map(({ c, train }) => {
      const r = rates.get(`${c.id}/${train}`);
      if (!r)
        throw new InputError(
          c.dir,
          `text memorization needs sample texts and the run's dataset; ${train} here has ${c.sampleSets.find((s) => s.split === 'train' && s.name === train)!.hasTexts ? 'texts but no dataset file' : 'no texts'}`,
        );
      return memorizedByText(r, c.sampleSets.find((s) => s.split === 'train' && s.name === train)!.samplesPerQuestion, criterion.copyRate);
    });
    metrics = computeRunMetricsWith(accuracy, (j, i) => byText[j]![i] === 1);
    criteriaAgreement = agreement(metrics.memorized, byPerplexity.memorized);
  }
  const summaries = summarizeCheckpoints(input, metrics);

  const checkpoints = choices.map(({ c, train, test }, j): AnalysedCheckpoint => {
    const trainSet = c.sampleSets.find((s) => s.split === 'train' && s.name === train)!;
    const testSet = test === null ? null : c.sampleSets.find((s) => s.split === 'test' && s.name === test)!;
    return {
      id: c.id,
      step: c.step,
      epoch: epochOf(c, run, lastStep),
      trainLoss: c.trainLoss,
      deletedOnDisk: c.deletedOnDisk,
      notes: c.notes,
      trainSet: train,
      trainSamplesPerQuestion: trainSet.samplesPerQuestion,
      testSet: test,
      testAccuracy: testSet && testSet.questions * testSet.samplesPerQuestion > 0 ? testSet.correctTotal / (testSet.questions * testSet.samplesPerQuestion) : null,
      summary: summaries[j]!,
    };
  });
  const skipped = (await store.skippedCheckpoints(run.id)).map(({ step, file, reason }) => ({ step, file, reason }));
  const recorded = choices.at(-1)?.c.epoch ?? null;
  const progress = recorded !== null && run.epochs !== null ? { epoch: recorded, of: run.epochs } : null;
  return { run, checkpoints, input, metrics, criteriaAgreement, skipped, threshold, thresholdOrigin: origin, progress };
}

/**
 * The same run at another perplexity threshold, from the arrays already loaded: what a live
 * threshold control needs. Equal to `analyseRun` at that threshold (tested), without SQLite.
 */
export function atThreshold(a: RunAnalysis, threshold: MemorizationThreshold): RunAnalysis {
  const metrics = computeRunMetrics(a.input, threshold);
  const summaries = summarizeCheckpoints(
    a.input,
    metrics,
    a.checkpoints.map((c) => c.summary.trainAccuracy),
  );
  return { ...a, metrics, criteriaAgreement: null, checkpoints: a.checkpoints.map((c, j) => ({ ...c, summary: summaries[j]! })), threshold, thresholdOrigin: { source: 'panel' } };
}

/** A run with its analysis, or the reason it has none: one bad run never hides the rest. */
export interface RunView {
  readonly run: StoredRun;
  readonly analysis: RunAnalysis | null;
  /** Why the figures could not be computed (e.g. no sample set matches the preference). */
  readonly error: string | null;
}

export interface ExampleFigures {
  readonly position: number;
  readonly index: number;
  readonly trainAccuracy: number[];
  readonly perplexity: number[];
  readonly memorized: boolean[];
  readonly memorizationStep: number | null;
  readonly memorizationEpoch: number | null;
  readonly preMemorizationAccuracy: number[];
  readonly category: ExampleCategory;
}

export function exampleFigures(a: RunAnalysis, position: number, index: number): ExampleFigures {
  const J = a.checkpoints.length;
  const first = a.metrics.memorizationCheckpoint[position]!;
  const col = (arrs: readonly ArrayLike<number>[]) => Array.from({ length: J }, (_, j) => arrs[j]![position]!);
  return {
    position,
    index,
    trainAccuracy: col(a.input.accuracy),
    perplexity: col(a.input.perplexity),
    memorized: col(a.metrics.memorized).map((m) => m === 1),
    memorizationStep: first === -1 ? null : a.checkpoints[first]!.step,
    memorizationEpoch: first === -1 ? null : a.checkpoints[first]!.epoch,
    preMemorizationAccuracy: col(a.metrics.preMemorization),
    category: categorize(a.input, a.metrics, position),
  };
}
