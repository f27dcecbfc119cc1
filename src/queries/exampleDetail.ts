import { alignSolutions, splitSteps, wordDiff } from '../core/steps';
import { describeThreshold } from '../core/threshold';
import { CODE_CORRECT } from '../ingest/runData';
import { perturbedAccuracy } from '../core/robustness';
import type { AlignedRow, CheckpointSamples, ExampleDetail, LevelContext, Perturbations, SampleOutcome, SampleView, TimelinePoint } from '../protocol/examplePanel';
import type { IndexStore, StoredExample } from '../store/indexStore';
import { describeThresholdOrigin } from '../present/format';
import { finiteOrNull } from './report';
import { DEFAULT_CONTROL } from './robustness';
import { sliceLabel, sliceLabels, slicesOfLabels } from './slices';
import { exampleFigures, type AnalysisOptions, type RunAnalysis } from './runAnalysis';

/** How memorization is decided for a run, in words a panel or a terminal can show, with where the threshold came from. */
export function describeCriterion(options: AnalysisOptions, analysis: RunAnalysis): string {
  if (options.memorization?.kind === 'text') return `most samples copy at least ${options.memorization.copyRate} of the reference steps (text criterion)`;
  const t = describeThreshold(analysis.threshold);
  return `reference perplexity below ${t.perplexity.toFixed(4)} (${describeThresholdOrigin(analysis.threshold, analysis.thresholdOrigin)})`;
}

const mean = (xs: ArrayLike<number>): number | null => {
  if (xs.length === 0) return null;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
};

/**
 * Everything the example panel (and `premem show`) says about one training example, apart from
 * what belongs to the window: its flag and its place in the examples view's order.
 */
export async function exampleDetail(
  store: IndexStore,
  analysis: RunAnalysis,
  example: StoredExample,
  options: AnalysisOptions,
): Promise<Omit<ExampleDetail, 'flag' | 'order' | 'otherRuns'>> {
  const f = exampleFigures(analysis, example.position, example.index);
  const rates = await store.exampleCopyRates(
    analysis.checkpoints.map((c) => ({ checkpointId: c.id, name: c.trainSet })),
    example.position,
  );
  const timeline = analysis.checkpoints.map((c, j): TimelinePoint => {
    const r = rates.get(`${c.id}/${c.trainSet}`);
    return {
      step: c.step,
      epoch: c.epoch,
      accuracy: finiteOrNull(f.trainAccuracy[j]!),
      perplexity: finiteOrNull(f.perplexity[j]!),
      copyRate: r ? finiteOrNull(mean(r)) : null,
      memorized: f.memorized[j]!,
      preMemorizationAccuracy: finiteOrNull(f.preMemorizationAccuracy[j]!),
    };
  });
  const reference = example.answer === null ? null : splitSteps(example.answer);
  const checkpoints = await store.checkpoints(analysis.run.id);
  return {
    runPath: analysis.run.path,
    runName: analysis.run.name,
    index: example.index,
    question: example.question,
    reference: { text: example.answer, steps: reference?.steps ?? [], finalAnswer: reference?.finalAnswer ?? null },
    preMemorizationAccuracy: finiteOrNull(f.preMemorizationAccuracy.at(-1) ?? null),
    memorizationStep: f.memorizationStep,
    category: f.category,
    criterion: describeCriterion(options, analysis),
    timeline,
    hasTexts: checkpoints.some((c) => c.sampleSets.some((s) => s.split === 'train' && s.hasTexts)),
    perturbations: await examplePerturbations(store, analysis, example.index, timeline),
    level: levelContext(analysis, await store.examples(analysis.run.id), example),
  };
}

/** The example's level (DEFAULT_CONTROL, MATH's `level`) with its level's figures at the last checkpoint; null where records have none. */
function levelContext(analysis: RunAnalysis, examples: readonly StoredExample[], example: StoredExample): LevelContext | null {
  const J = analysis.checkpoints.length;
  if (J === 0 || example.record === null) return null;
  const label = sliceLabel(example, DEFAULT_CONTROL);
  if (label === null) return null;
  // Every record read once: for the level's figures and for where this example stands in it.
  const labels = sliceLabels(analysis, examples, DEFAULT_CONTROL);
  const slice = slicesOfLabels(analysis, labels).find((s) => s.label === label);
  if (!slice) return null;
  const final = analysis.metrics.preMemorization[J - 1]!;
  const own = final[example.position]!;
  let below = 0;
  let above = 0;
  labels.forEach((l, position) => {
    if (position === example.position || l !== label) return;
    const v = final[position]!;
    if (v < own) below++;
    else if (v > own) above++;
  });
  return { field: DEFAULT_CONTROL, label, examples: slice.examples, preMemorizationAccuracy: finiteOrNull(slice.preMemorizationAccuracy), below, above };
}

/** The example's perturbed variants at the latest analysed checkpoint that has samples on them. */
async function examplePerturbations(store: IndexStore, analysis: RunAnalysis, index: number, timeline: readonly TimelinePoint[]): Promise<Perturbations | null> {
  const steps = new Set(analysis.checkpoints.map((c) => c.step));
  const all = (await store.perturbedForExample(analysis.run.id, index)).filter((v) => steps.has(v.step));
  if (!all.length) return null;
  const step = Math.max(...all.map((v) => v.step));
  const set = all
    .filter((v) => v.step === step)
    .map((v) => v.name)
    .sort()[0]!;
  const chosen = all.filter((v) => v.step === step && v.name === set);
  const accuracy = perturbedAccuracy(chosen);
  return {
    step,
    sampleSet: set,
    accuracy: finiteOrNull(accuracy),
    originalAccuracy: timeline.find((t) => t.step === step)?.accuracy ?? null,
    variants: chosen.map((v) => ({
      id: v.variant,
      kind: v.kind,
      preservesAnswer: v.preservesAnswer,
      question: v.question,
      finalAnswer: splitSteps(v.answer).finalAnswer,
      changes: v.changes,
      samples: v.codes.map((code, k) => ({ outcome: OUTCOME[code] ?? 'no-answer', text: v.texts?.[k] ?? null })),
    })),
  };
}

const OUTCOME: Record<number, SampleOutcome> = { [CODE_CORRECT]: 'correct', 1: 'wrong', 2: 'no-answer' };

/** Every sample of one example at one checkpoint, each aligned step by step against the reference. */
export async function checkpointSamples(store: IndexStore, analysis: RunAnalysis, example: StoredExample, step: number): Promise<CheckpointSamples> {
  const c = analysis.checkpoints.find((x) => x.step === step);
  if (!c) throw new RangeError(`${analysis.run.name} has no checkpoint at step ${step}`);
  const codes = (await store.sampleCodes(c.id, 'train', c.trainSet, example.position)) ?? [];
  const texts = await store.sampleTexts(c.id, 'train', c.trainSet, example.position);
  const reference = example.answer;
  const samples = codes.map((code, k): SampleView => {
    const text = texts?.[k] ?? null;
    if (text === null || reference === null) {
      return { sample: k, outcome: OUTCOME[code] ?? 'no-answer', text, finalAnswer: text === null ? null : splitSteps(text).finalAnswer, copyRate: null, rows: [] };
    }
    const a = alignSolutions(text, reference);
    const rows = a.steps.map((s): AlignedRow => {
      const smp = s.sample === null ? null : a.sample.steps[s.sample]!;
      const ref = s.reference === null ? null : a.reference.steps[s.reference]!;
      return { kind: s.kind, sample: smp, reference: ref, similarity: s.similarity, diff: smp !== null && ref !== null && smp !== ref ? wordDiff(ref, smp) : null };
    });
    return { sample: k, outcome: OUTCOME[code] ?? 'no-answer', text, finalAnswer: a.sample.finalAnswer, copyRate: a.copyRate, rows };
  });
  return { step, sampleSet: c.trainSet, hasTexts: texts !== null, samples };
}
