import { selectExamples, type CurationStrategy } from '../core/curation';
import { orderByKeys } from '../core/order';
import { categorize } from '../core/metrics';
import type { Flag, StoredExample } from '../store/indexStore';
import { finiteOrNull } from './report';
import { exampleFigures, type ExampleFigures, type RunAnalysis } from './runAnalysis';

/** `unlearned` ranks across the run's sweep (see acrossRuns.unlearnedAcrossRuns); on one run alone it is `premem`. */
export type ExampleSort = 'dataset' | 'premem' | 'memorization' | 'accuracy' | 'unlearned';
export const EXAMPLE_SORTS: readonly ExampleSort[] = ['dataset', 'premem', 'memorization', 'accuracy', 'unlearned'];

/** One line of `premem examples --json`: a contract, like the report. */
export interface ExampleJson {
  readonly index: number;
  readonly train_accuracy: (number | null)[];
  readonly perplexity: (number | null)[];
  readonly memorized: boolean[];
  readonly memorization_step: number | null;
  readonly memorization_epoch: number | null;
  readonly pre_memorization_accuracy: (number | null)[];
}

export function exampleJson(f: ExampleFigures): ExampleJson {
  return {
    index: f.index,
    train_accuracy: f.trainAccuracy.map(finiteOrNull),
    perplexity: f.perplexity.map(finiteOrNull),
    memorized: f.memorized,
    memorization_step: f.memorizationStep,
    memorization_epoch: finiteOrNull(f.memorizationEpoch),
    pre_memorization_accuracy: f.preMemorizationAccuracy.map(finiteOrNull),
  };
}

const last = (xs: readonly number[]): number => (xs.length ? xs[xs.length - 1]! : NaN);

/**
 * Each example position's sort keys, read straight from the run's arrays: ordering 150,000
 * examples must not build 150,000 figure objects. NaN marks an unknown key.
 */
function sortKeys(a: RunAnalysis, sort: ExampleSort): Float64Array[] {
  const n = a.metrics.examples;
  const J = a.checkpoints.length;
  if (sort === 'dataset' || J === 0) return [new Float64Array(n).fill(sort === 'dataset' ? 0 : NaN)];
  const first = a.metrics.memorizationCheckpoint;
  const steps = a.checkpoints.map((c) => c.step);
  const memorizationStep = new Float64Array(n);
  for (let p = 0; p < n; p++) memorizationStep[p] = first[p] === -1 ? NaN : steps[first[p]!]!;
  const accuracy = Float64Array.from(a.input.accuracy[J - 1]!);
  // The same tie-breaking as `premem export --strategy lowest-premem` (core/curation).
  // The keys of core/curation's lowestPreMemorizationKeys, as `premem export --strategy lowest-premem` orders.
  if (sort === 'premem' || sort === 'unlearned') return [Float64Array.from(a.metrics.preMemorization[J - 1]!), memorizationStep, accuracy];
  if (sort === 'accuracy') return [accuracy];
  return [memorizationStep];
}

/**
 * A run's examples in the given order: ascending, unknown (NaN) last, ties broken as the
 * order says (see lowestPreMemorizationKeys) and then by dataset index, so the order is the
 * same on every run of the tool.
 */
export function orderExamples(a: RunAnalysis, examples: readonly StoredExample[], sort: ExampleSort): StoredExample[] {
  const index = new Float64Array(a.metrics.examples);
  const atPosition = new Array<StoredExample>(a.metrics.examples);
  for (const e of examples) {
    index[e.position] = e.index;
    atPosition[e.position] = e;
  }
  return orderByKeys(
    sortKeys(a, sort),
    index,
    examples.map((e) => e.position),
  ).map((p) => atPosition[p]!);
}

/** The first `limit` examples in order, with their figures (figures only for those). */
export function listExamples(a: RunAnalysis, examples: readonly StoredExample[], sort: ExampleSort, limit?: number): ExampleFigures[] {
  const ordered = orderExamples(a, examples, sort);
  return (limit === undefined ? ordered : ordered.slice(0, limit)).map((e) => exampleFigures(a, e.position, e.index));
}

export interface CuratedExample {
  readonly index: number;
  /** The dataset line as the user wrote it, when the run knows its dataset. */
  readonly record: string | null;
  readonly figures: ExampleFigures;
  readonly run: { readonly name: string; readonly path: string };
  /** The flag's note when the example is flagged (an empty note is still a flag). */
  readonly note: string | null;
}

export function curate(a: RunAnalysis, examples: readonly StoredExample[], flags: readonly Flag[], strategy: CurationStrategy, count: number, seed = 0): CuratedExample[] {
  const flagged = new Set(flags.map((f) => f.index));
  const notes = new Map(flags.map((f) => [f.index, f.note]));
  const byIndex = new Map(examples.map((e) => [e.index, e]));
  const figures = new Map(examples.map((e) => [e.index, exampleFigures(a, e.position, e.index)]));
  const candidates = [...figures.values()].map((f) => ({
    index: f.index,
    preMemorizationAccuracy: last(f.preMemorizationAccuracy),
    trainAccuracy: last(f.trainAccuracy),
    memorizationStep: f.memorizationStep ?? NaN,
    flagged: flagged.has(f.index),
  }));
  return selectExamples(candidates, strategy, count, seed).map((c) => ({
    index: c.index,
    record: byIndex.get(c.index)!.record,
    figures: figures.get(c.index)!,
    run: { name: a.run.name, path: a.run.path },
    note: notes.get(c.index) ?? null,
  }));
}

/**
 * Examples chosen by hand (a brushed region of the data map, a table's selection), in dataset
 * order, in the shape `curate` gives: exported with the same rules and the same line.
 */
export function chosenExamples(a: RunAnalysis, examples: readonly StoredExample[], flags: readonly Flag[], indices: readonly number[]): CuratedExample[] {
  const notes = new Map(flags.map((f) => [f.index, f.note]));
  const byIndex = new Map(examples.map((e) => [e.index, e]));
  const unknown = indices.filter((i) => !byIndex.has(i));
  if (unknown.length) throw new RangeError(`run ${a.run.name} does not analyse example(s) ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? '…' : ''}`);
  return [...new Set(indices)]
    .sort((x, y) => x - y)
    .map((i) => {
      const e = byIndex.get(i)!;
      return { index: i, record: e.record, figures: exampleFigures(a, e.position, e.index), run: { name: a.run.name, path: a.run.path }, note: notes.get(i) ?? null };
    });
}

/**
 * One JSONL line of an export: the user's own record with its index, and under one key of its
 * own, `premem`, what this tool knows of it: the run, the flag's note, and the figures that
 * put it in the export. The user's fields are never changed; a field of theirs named `premem`
 * is the one thing replaced.
 */
export function exportLine(e: CuratedExample): string {
  const f = e.figures;
  const premem = {
    run: e.run.name,
    run_path: e.run.path,
    flagged: e.note !== null,
    note: e.note,
    pre_memorization_accuracy: finiteOrNull(last(f.preMemorizationAccuracy)),
    train_accuracy: finiteOrNull(last(f.trainAccuracy)),
    memorization_step: f.memorizationStep,
    memorization_epoch: finiteOrNull(f.memorizationEpoch),
    category: f.category,
  };
  const record = e.record === null ? {} : (JSON.parse(e.record) as Record<string, unknown>);
  // `index` first and ours: it is the dataset index this tool knows the record by.
  return JSON.stringify(Object.assign({ index: e.index }, record, { index: e.index, premem }));
}

export type ExampleFilter =
  | { readonly kind: 'all' }
  | { readonly kind: 'never-memorized' }
  | { readonly kind: 'memorized-before-solved' }
  | { readonly kind: 'memorized-at-first-checkpoint' }
  | { readonly kind: 'flagged' };

/** A text search, which narrows whatever filter is set: in the question and the reference, and optionally in the samples. */
export interface ExampleSearch {
  readonly query: string;
  readonly inSamples: boolean;
}

export function describeFilter(f: ExampleFilter): string {
  switch (f.kind) {
    case 'all':
      return 'all examples';
    case 'never-memorized':
      return 'never memorized';
    case 'memorized-before-solved':
      return 'memorized before first solved';
    case 'memorized-at-first-checkpoint':
      return 'memorized at the first checkpoint';
    case 'flagged':
      return 'flagged';
  }
}

export function describeSearch(s: ExampleSearch): string {
  return `"${s.query}" in question, reference${s.inSamples ? ' or samples' : ''}`;
}

/** Keeps the examples a filter lets through, in their order. */
export function filterExamples(
  ordered: readonly StoredExample[],
  filter: ExampleFilter,
  context: { readonly analysis: RunAnalysis; readonly flagged: ReadonlySet<number> },
): StoredExample[] {
  switch (filter.kind) {
    case 'all':
      return [...ordered];
    case 'never-memorized':
    case 'memorized-before-solved':
    case 'memorized-at-first-checkpoint':
      return ordered.filter((e) => categorize(context.analysis.input, context.analysis.metrics, e.position) === filter.kind);
    case 'flagged':
      return ordered.filter((e) => context.flagged.has(e.index));
  }
}

/**
 * Keeps the examples whose question or reference contains the query (case-insensitive), or
 * whose position is in `samplesMatching` (found in their sample texts by the store).
 */
export function searchExamples(ordered: readonly StoredExample[], search: ExampleSearch, samplesMatching: ReadonlySet<number> = new Set()): StoredExample[] {
  const q = search.query.toLowerCase();
  return ordered.filter((e) => (e.question?.toLowerCase().includes(q) ?? false) || (e.answer?.toLowerCase().includes(q) ?? false) || samplesMatching.has(e.position));
}

/** How the Examples view (and the example panel's previous/next) orders and filters a run's examples. */
export interface ExampleOrder {
  readonly sort: ExampleSort;
  readonly filter: ExampleFilter;
  /** Narrows the filter; null for none. */
  readonly search: ExampleSearch | null;
}

const SORT_LABEL: Record<ExampleSort, string> = {
  premem: 'lowest pre-memorization first',
  memorization: 'earliest memorized first',
  accuracy: 'lowest train accuracy first',
  dataset: 'dataset order',
  unlearned: 'copied before solved in the most runs of the sweep first',
};

/** The order and filter in words, e.g. "lowest pre-memorization first · flagged". */
export function describeOrder(o: ExampleOrder): string {
  return `${SORT_LABEL[o.sort]}${o.filter.kind === 'all' ? '' : ` · ${describeFilter(o.filter)}`}${o.search ? ` · ${describeSearch(o.search)}` : ''}`;
}

/**
 * A run's examples in an order and filter: the one query behind the Examples view's rows and
 * the example panel's rank and previous/next. `sorted` is the run's examples already in
 * `order.sort` (callers cache it per analysis: a 150,000-example run sorts once).
 */
export function orderedExamples(
  analysis: RunAnalysis,
  sorted: readonly StoredExample[],
  order: ExampleOrder,
  flagged: ReadonlySet<number>,
  samplesMatching?: ReadonlySet<number>,
): readonly StoredExample[] {
  const filtered = order.filter.kind === 'all' ? sorted : filterExamples(sorted, order.filter, { analysis, flagged });
  return order.search ? searchExamples(filtered, order.search, samplesMatching) : filtered;
}
