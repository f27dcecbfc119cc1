import type { HyperValue } from '../core/hyperparameters';
import type { SweepTableCells, SweepTableRun, SweepTableView } from '../protocol/sweepTable';
import type { StoredExample } from '../store/indexStore';
import { categorize } from '../core/metrics';
import { thresholdInForce } from './dashboard';
import { groupsOf, type GroupsSummary } from './dataMap';
import type { RunAnalysis } from './runAnalysis';

/**
 * A sweep as one table: a row per example (every dataset index any run analyses, ascending) and,
 * per run, its pre-memorization accuracy and train accuracy at the last checkpoint and its
 * memorization step; the runs carry their hyperparameters for headers and grouping. Columns of
 * typed arrays (NaN: unknown, or not analysed by that run), so 150,000 rows × 20 runs travel
 * to the panel as 60 arrays instead of three million objects. It is what the panel is sent
 * (protocol/sweepTable.ts) before the editor adds its own parts, with the rows' examples kept for
 * searches and slices.
 */
export type SweepTable = Omit<SweepTableView, 'sweepName' | 'varying' | 'sliceFields' | 'flagged' | 'groups'> & {
  readonly groups: GroupsSummary | null;
  /** The row's example as stored (question, record), for filters by text and slice. */
  readonly examples: readonly StoredExample[];
};

/** `premem table --json`: a contract, like the report. */
export interface SweepTableJson {
  readonly runs: { readonly name: string; readonly path: string; readonly hyperparameters: Record<string, HyperValue> }[];
  readonly rows: {
    readonly index: number;
    readonly copied_before_solved: number;
    readonly mean_pre_memorization_accuracy: number | null;
    readonly group: number;
    readonly cells: Record<string, { readonly pre_memorization_accuracy: number | null; readonly memorization_step: number | null; readonly train_accuracy: number | null }>;
  }[];
}

/** Runs ordered by name, as the Runs view and the report list them. */
export function sweepTableOf(analyses: readonly RunAnalysis[], examplesOf: ReadonlyMap<number, readonly StoredExample[]>): SweepTable {
  const runs = [...analyses].sort((a, b) => (a.run.name < b.run.name ? -1 : a.run.name > b.run.name ? 1 : 0));
  // Dataset indices are positions in a dataset file: a dense array maps them to rows without a
  // Map lookup per example per run (3 million of them at 150,000 examples × 20 runs).
  let maxIndex = -1;
  for (const a of runs) for (const e of examplesOf.get(a.run.id) ?? []) if (e.index > maxIndex) maxIndex = e.index;
  const chosen = new Array<StoredExample | undefined>(maxIndex + 1);
  for (const a of runs)
    for (const e of examplesOf.get(a.run.id) ?? []) {
      const had = chosen[e.index];
      // The example as stored with its question, if any run has it.
      if (!had || (had.question === null && e.question !== null)) chosen[e.index] = e;
    }
  const examples = chosen.filter((e): e is StoredExample => e !== undefined);
  const n = examples.length;
  const rowAt = new Int32Array(maxIndex + 1).fill(-1);
  examples.forEach((e, k) => (rowAt[e.index] = k));
  // The cross-run summary as premem examples --sort unlearned computes it (acrossRuns.ts), run by
  // run in this order, so the sums are the same numbers.
  const copiedBeforeSolved = new Float64Array(n);
  const sum = new Float64Array(n);
  const known = new Float64Array(n);
  const cells = runs.map((a): SweepTableCells => {
    const c = { preMemorizationAccuracy: new Float64Array(n).fill(NaN), memorizationStep: new Float64Array(n).fill(NaN), trainAccuracy: new Float64Array(n).fill(NaN) };
    const J = a.checkpoints.length;
    if (J === 0) return c;
    const premem = a.metrics.preMemorization[J - 1]!;
    const acc = a.input.accuracy[J - 1]!;
    for (const e of examplesOf.get(a.run.id) ?? []) {
      const k = rowAt[e.index]!;
      const p = premem[e.position]!;
      c.preMemorizationAccuracy[k] = p;
      c.trainAccuracy[k] = acc[e.position]!;
      const first = a.metrics.memorizationCheckpoint[e.position]!;
      if (first !== -1) c.memorizationStep[k] = a.checkpoints[first]!.step;
      if (categorize(a.input, a.metrics, e.position) === 'memorized-before-solved') copiedBeforeSolved[k]!++;
      if (Number.isFinite(p)) {
        sum[k]! += p;
        known[k]!++;
      }
    }
    return c;
  });
  const meanPreMemorizationAccuracy = sum.map((x, k) => (known[k] ? x / known[k] : NaN));
  const groups = groupsOf(examples);
  return {
    sweepPath: runs[0]?.run.sweepPath ?? '',
    runs: runs.map((a) => ({
      path: a.run.path,
      name: a.run.name,
      hyperparameters: a.run.hyperparameters,
      threshold: thresholdInForce(a),
      checkpoints: a.checkpoints.length,
    })),
    index: Float64Array.from(examples, (e) => e.index),
    cells,
    copiedBeforeSolved,
    meanPreMemorizationAccuracy,
    group: groups?.groupOf ?? new Int32Array(n),
    groups: groups?.summary ?? null,
    examples,
  };
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function sweepTableJson(t: SweepTable): SweepTableJson {
  return {
    runs: t.runs.map((r) => ({ name: r.name, path: r.path, hyperparameters: Object.fromEntries(Object.entries(r.hyperparameters).map(([k, h]) => [k, h.value])) })),
    rows: Array.from({ length: t.index.length }, (_, k) => ({
      index: t.index[k]!,
      copied_before_solved: t.copiedBeforeSolved[k]!,
      mean_pre_memorization_accuracy: finite(t.meanPreMemorizationAccuracy[k]!),
      group: t.group[k]!,
      cells: Object.fromEntries(
        t.runs.flatMap((r, j) => {
          const c = t.cells[j]!;
          // A run that does not analyse the row (its subsample) has no cell.
          if (Number.isNaN(c.trainAccuracy[k]!)) return [];
          return [
            [
              r.name,
              { pre_memorization_accuracy: finite(c.preMemorizationAccuracy[k]!), memorization_step: finite(c.memorizationStep[k]!), train_accuracy: finite(c.trainAccuracy[k]!) },
            ],
          ];
        }),
      ),
    })),
  };
}

/** The hyperparameters that differ between the runs: the ones worth a header row or a group. */
export function varyingHyperparameters(runs: readonly SweepTableRun[]): string[] {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.hyperparameters)))].sort();
  return keys.filter((k) => new Set(runs.map((r) => JSON.stringify(r.hyperparameters[k]?.value ?? null))).size > 1);
}
