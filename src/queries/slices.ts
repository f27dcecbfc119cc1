import { sliceBy, type Slice } from '../core/slices';
import { splitSteps } from '../core/steps';
import type { StoredExample } from '../store/indexStore';
import type { RunAnalysis } from './runAnalysis';

/** Slices by the number of reference steps, not by a dataset field. */
export const STEPS_SLICE = 'steps';

/** A field of an example's dataset record as stored; undefined when the record, or the field, is absent or null (or the record is not JSON). */
export function recordField(record: string | null, field: string): unknown {
  if (record === null) return undefined;
  try {
    return (JSON.parse(record) as Record<string, unknown>)[field] ?? undefined;
  } catch {
    return undefined;
  }
}

/** The value of `field` in an example's dataset record, as text; null when absent or not a scalar. */
export function sliceLabel(e: StoredExample, field: string): string | null {
  if (field === STEPS_SLICE) return e.answer === null ? null : String(splitSteps(e.answer).steps.length);
  const v = recordField(e.record, field);
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;
}

/** Each analysed example's label (by position in the analysis order), read once for everything that groups by it. */
export function sliceLabels(a: RunAnalysis, examples: readonly StoredExample[], field: string): (string | null)[] {
  const labels = new Array<string | null>(a.metrics.examples).fill(null);
  for (const e of examples) labels[e.position] = sliceLabel(e, field);
  return labels;
}

/** What a run can be sliced by: `steps` when it has reference texts, and every scalar field its records share. */
export function sliceFields(examples: readonly StoredExample[]): string[] {
  const fields = new Set<string>();
  const sample = examples.slice(0, 200);
  for (const e of sample) {
    if (e.record === null) continue;
    try {
      for (const [k, v] of Object.entries(JSON.parse(e.record) as Record<string, unknown>)) {
        if ((typeof v === 'string' && v.length <= 40) || typeof v === 'number' || typeof v === 'boolean') fields.add(k);
      }
    } catch {
      // A record that is not JSON offers no fields.
    }
  }
  // Free text is not a slice: questions and answers are unique per example.
  fields.delete('question');
  fields.delete('answer');
  return [...(examples.some((e) => e.answer !== null) ? [STEPS_SLICE] : []), ...[...fields].sort()];
}

/** A run's examples grouped by a field of their records (or by reference length), at its last checkpoint. */
export function sliceRun(a: RunAnalysis, examples: readonly StoredExample[], field: string): Slice[] {
  return slicesOfLabels(a, sliceLabels(a, examples, field));
}

/** The slices of labels already read (sliceLabels). */
export function slicesOfLabels(a: RunAnalysis, labels: readonly (string | null)[]): Slice[] {
  const J = a.checkpoints.length;
  const first = a.metrics.memorizationCheckpoint;
  return sliceBy({
    labels,
    finalPreMemorization: J === 0 ? new Float64Array(a.metrics.examples).fill(NaN) : a.metrics.preMemorization[J - 1]!,
    finalAccuracy: J === 0 ? new Float64Array(a.metrics.examples).fill(NaN) : a.input.accuracy[J - 1]!,
    memorizationStep: Array.from(first, (j) => (j === -1 ? null : a.checkpoints[j]!.step)),
  });
}
