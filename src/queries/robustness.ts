import { binnedMeans, ordinalValue, partialSpearman, perturbedAccuracy, spearmanWithInterval, type RankCorrelation, type RobustnessBin } from '../core/robustness';
import type { RobustnessView } from '../protocol/dashboard';
import type { IndexStore } from '../store/indexStore';
import type { RunAnalysis } from './runAnalysis';
import { recordField } from './slices';

export interface RobustnessExample {
  readonly index: number;
  /** At the checkpoint analysed (the paper: at the end of training). */
  readonly preMemorizationAccuracy: number;
  readonly perturbedAccuracy: number;
  readonly variants: number;
}

export interface RobustnessReport {
  readonly step: number;
  readonly set: string;
  readonly variants: number;
  readonly examples: readonly RobustnessExample[];
  readonly spearman: RankCorrelation;
  readonly bins: readonly RobustnessBin[];
  /** Accuracy on each kind of edit, over all its variants' samples. */
  readonly byKind: readonly { readonly kind: string; readonly preservesAnswer: boolean; readonly variants: number; readonly accuracy: number }[];
  /** Checkpoints (and sets) that have samples on perturbed variants, for choosing another. */
  readonly available: readonly { readonly step: number; readonly set: string; readonly variants: number }[];
  /** "Is it just difficulty?": the correlation once a control is held fixed (the final train accuracy; a difficulty field where there is one). */
  readonly controls: readonly ControlResult[];
}

/** The field of the dataset MATH marks difficulty with, used as a control wherever records carry it. */
export const DEFAULT_CONTROL = 'level';
export const TRAIN_ACCURACY_CONTROL = 'final_train_accuracy';

export interface ControlResult {
  /** A dataset field, or `final_train_accuracy` (each example's sample accuracy at the run's last checkpoint). */
  readonly control: string;
  /** Examples with a value of the control (the others are left out of this row). */
  readonly examples: number;
  readonly withPreMemorization: RankCorrelation;
  readonly withPerturbed: RankCorrelation;
  /** Partial Spearman of pre-memorization and perturbed accuracy given the control. */
  readonly partial: RankCorrelation;
}

/**
 * Robustness at one checkpoint: each example's accuracy on its perturbed variants, against its
 * pre-memorization accuracy from the run's analysis (the one engine), at the same checkpoint.
 * The checkpoint is the latest with perturbed samples unless one is asked for; the set is the
 * first by name unless one is asked for. Null when the run has no perturbed samples.
 */
export async function robustnessOf(store: IndexStore, analysis: RunAnalysis, choice: { step?: number; set?: string; control?: string } = {}): Promise<RobustnessReport | null> {
  const available = (await store.perturbedSets(analysis.run.id)).filter((s) => analysis.checkpoints.some((c) => c.id === s.checkpointId));
  if (!available.length) return null;
  const candidates = available.filter((s) => (choice.step === undefined || s.step === choice.step) && (choice.set === undefined || s.name === choice.set));
  if (!candidates.length) {
    const listed = available.map((s) => `${s.step} (${s.name})`).join(', ');
    throw new RangeError(
      `no perturbed samples${choice.step !== undefined ? ` at checkpoint ${choice.step}` : ''}${choice.set ? ` in set ${choice.set}` : ''}; there are some at ${listed}`,
    );
  }
  const lastStep = Math.max(...candidates.map((s) => s.step));
  const chosen = candidates.filter((s) => s.step === lastStep).sort((a, b) => a.name.localeCompare(b.name))[0]!;
  const j = analysis.checkpoints.findIndex((c) => c.id === chosen.checkpointId);
  const rows = await store.perturbedCodes(chosen.checkpointId, chosen.name);
  const positionOf = new Map<number, number>();
  const examples = await store.examples(analysis.run.id);
  for (const e of examples) positionOf.set(e.index, e.position);
  const byExample = new Map<number, { codes: number[] }[]>();
  for (const r of rows) {
    const list = byExample.get(r.index) ?? [];
    list.push({ codes: r.codes });
    byExample.set(r.index, list);
  }
  const premem = analysis.metrics.preMemorization[j]!;
  const perExample: RobustnessExample[] = [...byExample]
    .map(([index, variants]) => ({ index, preMemorizationAccuracy: premem[positionOf.get(index)!]!, perturbedAccuracy: perturbedAccuracy(variants), variants: variants.length }))
    .filter((e) => Number.isFinite(e.preMemorizationAccuracy) && Number.isFinite(e.perturbedAccuracy))
    .sort((a, b) => a.index - b.index);
  const x = perExample.map((e) => e.preMemorizationAccuracy);
  const y = perExample.map((e) => e.perturbedAccuracy);
  const kinds = new Map<string, { preservesAnswer: boolean; variants: { codes: number[] }[] }>();
  for (const r of rows) {
    const k = kinds.get(r.kind) ?? { preservesAnswer: r.preservesAnswer, variants: [] };
    k.variants.push({ codes: r.codes });
    kinds.set(r.kind, k);
  }
  const finalAccuracy = analysis.input.accuracy.at(-1);
  const controls: ControlResult[] = [
    control(
      TRAIN_ACCURACY_CONTROL,
      perExample,
      perExample.map((e) => (finalAccuracy ? finalAccuracy[positionOf.get(e.index)!]! : NaN)),
    ),
  ];
  // A field named with --control, else MATH's `level` where the records carry it (read once per example).
  const field = choice.control ?? DEFAULT_CONTROL;
  const named = choice.control !== undefined;
  const recordOf = new Map(examples.map((e) => [e.index, e.record]));
  const raws = perExample.map((e) => recordField(recordOf.get(e.index) ?? null, field));
  if (named || raws.some((r) => r !== undefined)) {
    const values = perExample.map((e, i) => {
      const raw = raws[i];
      if (raw === undefined) return NaN;
      const v = ordinalValue(raw);
      // Found by default (a `level` that is not a level, say "easy"): left out, not an error.
      if (v === null && !named) return NaN;
      if (v === null)
        throw new RangeError(
          `--control ${field}: example #${e.index} has ${JSON.stringify(raw)}, which has no order; a difficulty control needs numbers or labels with one number in them, such as "Level 3"`,
        );
      return v;
    });
    if (values.every((v) => Number.isNaN(v))) {
      if (named) throw new RangeError(`--control ${field}: no example with perturbed samples has the field ${field} in its dataset record`);
    } else controls.push(control(field, perExample, values));
  }
  return {
    step: chosen.step,
    set: chosen.name,
    variants: rows.length,
    examples: perExample,
    spearman: spearmanWithInterval(x, y),
    bins: binnedMeans(x, y),
    byKind: [...kinds].map(([kind, k]) => ({ kind, preservesAnswer: k.preservesAnswer, variants: k.variants.length, accuracy: perturbedAccuracy(k.variants) })),
    available: available.map((s) => ({ step: s.step, set: s.name, variants: s.variants })),
    controls,
  };
}

/** The correlations with a control, over the examples that have a value of it. */
function control(name: string, examples: readonly RobustnessExample[], values: readonly number[]): ControlResult {
  const keep = examples.flatMap((e, i) => (Number.isFinite(values[i]!) ? [{ x: e.preMemorizationAccuracy, y: e.perturbedAccuracy, z: values[i]! }] : []));
  const x = keep.map((k) => k.x);
  const y = keep.map((k) => k.y);
  const z = keep.map((k) => k.z);
  return { control: name, examples: keep.length, withPreMemorization: spearmanWithInterval(x, z), withPerturbed: spearmanWithInterval(y, z), partial: partialSpearman(x, y, z) };
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
const interval = (c: RankCorrelation) => ({ rho: finite(c.rho), low: finite(c.low), high: finite(c.high) });

/** The `premem robustness --json` contract: one object. */
export function robustnessJson(r: RobustnessReport): Record<string, unknown> {
  return {
    checkpoint: r.step,
    sample_set: r.set,
    examples: r.examples.length,
    variants: r.variants,
    spearman: { rho: finite(r.spearman.rho), low: finite(r.spearman.low), high: finite(r.spearman.high) },
    bins: r.bins.map((b) => ({ pre_memorization_accuracy: b.range, examples: b.examples, perturbed_accuracy: finite(b.mean), low: finite(b.low), high: finite(b.high) })),
    by_kind: r.byKind.map((k) => ({ kind: k.kind, preserves_answer: k.preservesAnswer, variants: k.variants, accuracy: finite(k.accuracy) })),
    controls: r.controls.map((c) => ({
      control: c.control,
      examples: c.examples,
      spearman_with_pre_memorization: interval(c.withPreMemorization),
      spearman_with_perturbed: interval(c.withPerturbed),
      partial: interval(c.partial),
    })),
  };
}

/** The dashboard's view of a robustness report. */
export function robustnessView(r: RobustnessReport): RobustnessView {
  return {
    step: r.step,
    sampleSet: r.set,
    examples: r.examples.length,
    variants: r.variants,
    spearman: { rho: finite(r.spearman.rho), low: finite(r.spearman.low), high: finite(r.spearman.high) },
    bins: r.bins.map((b) => ({
      label: `${b.range[0].toFixed(1)}–${b.range[1].toFixed(1)}`,
      examples: b.examples,
      mean: finite(b.mean),
      low: finite(b.low),
      high: finite(b.high),
    })),
    controls: r.controls.map((c) => ({ control: c.control, examples: c.examples, partial: interval(c.partial) })),
  };
}
