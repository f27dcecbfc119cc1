import { selectExamples, type CurationStrategy } from '../core/curation';
import { categorize } from '../core/metrics';
import type { Flag, StoredExample } from '../store/indexStore';
import { finiteOrNull } from './report';
import { exampleFigures, type ExampleFigures, type RunAnalysis } from './runAnalysis';

export type ExampleSort = 'dataset' | 'premem' | 'memorization' | 'accuracy';
export const EXAMPLE_SORTS: readonly ExampleSort[] = ['dataset', 'premem', 'memorization', 'accuracy'];

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
 * Each example position's sort key, read straight from the run's arrays: ordering 150,000
 * examples must not build 150,000 figure objects. NaN marks an unknown key.
 */
function sortKeys(a: RunAnalysis, sort: ExampleSort): Float64Array {
  const n = a.metrics.examples;
  const J = a.checkpoints.length;
  if (sort === 'dataset' || J === 0) return new Float64Array(n).fill(sort === 'dataset' ? 0 : NaN);
  if (sort === 'premem') return Float64Array.from(a.metrics.preMemorization[J - 1]!);
  if (sort === 'accuracy') return Float64Array.from(a.input.accuracy[J - 1]!);
  const first = a.metrics.memorizationCheckpoint;
  return Float64Array.from({ length: n }, (_, p) => (first[p]! === -1 ? NaN : a.checkpoints[first[p]!]!.step));
}

/**
 * A run's examples in the given order: ascending, unknown (NaN) last, ties broken by dataset
 * index, so the order is the same on every run of the tool.
 */
export function orderExamples(a: RunAnalysis, examples: readonly StoredExample[], sort: ExampleSort): StoredExample[] {
  const keys = sortKeys(a, sort);
  return [...examples].sort((x, y) => {
    const kx = keys[x.position]!;
    const ky = keys[y.position]!;
    const ux = Number.isNaN(kx);
    const uy = Number.isNaN(ky);
    if (ux !== uy) return ux ? 1 : -1;
    if (!ux && kx !== ky) return kx - ky;
    return x.index - y.index;
  });
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
}

export function curate(a: RunAnalysis, examples: readonly StoredExample[], flags: readonly Flag[], strategy: CurationStrategy, count: number, seed = 0): CuratedExample[] {
  const flagged = new Set(flags.map((f) => f.index));
  const byIndex = new Map(examples.map((e) => [e.index, e]));
  const figures = new Map(examples.map((e) => [e.index, exampleFigures(a, e.position, e.index)]));
  const candidates = [...figures.values()].map((f) => ({
    index: f.index,
    preMemorizationAccuracy: last(f.preMemorizationAccuracy),
    trainAccuracy: last(f.trainAccuracy),
    flagged: flagged.has(f.index),
  }));
  return selectExamples(candidates, strategy, count, seed).map((c) => ({
    index: c.index,
    record: byIndex.get(c.index)!.record,
    figures: figures.get(c.index)!,
  }));
}

/** One JSONL line of an export: the user's own record with its index, or just the index. */
export function exportLine(e: CuratedExample): string {
  if (e.record === null) return JSON.stringify({ index: e.index });
  const record = JSON.parse(e.record) as Record<string, unknown>;
  // `index` first and ours: it is the dataset index this tool knows the record by.
  return JSON.stringify(Object.assign({ index: e.index }, record, { index: e.index }));
}

export type ExampleFilter =
  | { readonly kind: 'all' }
  | { readonly kind: 'never-memorized' }
  | { readonly kind: 'memorized-before-solved' }
  | { readonly kind: 'flagged' }
  | { readonly kind: 'text'; readonly query: string };

export function describeFilter(f: ExampleFilter): string {
  switch (f.kind) {
    case 'all':
      return 'all examples';
    case 'never-memorized':
      return 'never memorized';
    case 'memorized-before-solved':
      return 'memorized before first solved';
    case 'flagged':
      return 'flagged';
    case 'text':
      return `question contains "${f.query}"`;
  }
}

/** Keeps the examples a filter lets through, in their order. Text search is case-insensitive on the question. */
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
      return ordered.filter((e) => categorize(context.analysis.input, context.analysis.metrics, e.position) === filter.kind);
    case 'flagged':
      return ordered.filter((e) => context.flagged.has(e.index));
    case 'text': {
      const q = filter.query.toLowerCase();
      return ordered.filter((e) => e.question?.toLowerCase().includes(q) ?? false);
    }
  }
}

/** How the Examples view (and the example panel's previous/next) orders and filters a run's examples. */
export interface ExampleOrder {
  readonly sort: ExampleSort;
  readonly filter: ExampleFilter;
}

const SORT_LABEL: Record<ExampleSort, string> = {
  premem: 'lowest pre-memorization first',
  memorization: 'earliest memorized first',
  accuracy: 'lowest train accuracy first',
  dataset: 'dataset order',
};

/** The order and filter in words, e.g. "lowest pre-memorization first · flagged". */
export function describeOrder(o: ExampleOrder): string {
  return `${SORT_LABEL[o.sort]}${o.filter.kind === 'all' ? '' : ` · ${describeFilter(o.filter)}`}`;
}

/**
 * A run's examples in an order and filter: the one query behind the Examples view's rows and
 * the example panel's rank and previous/next. `sorted` is the run's examples already in
 * `order.sort` (callers cache it per analysis: a 150,000-example run sorts once).
 */
export function orderedExamples(analysis: RunAnalysis, sorted: readonly StoredExample[], order: ExampleOrder, flagged: ReadonlySet<number>): readonly StoredExample[] {
  return order.filter.kind === 'all' ? sorted : filterExamples(sorted, order.filter, { analysis, flagged });
}
