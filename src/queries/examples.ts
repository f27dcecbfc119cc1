import { selectExamples, type CurationStrategy } from '../core/curation';
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

/** Ascending, unknown (NaN/null) last, ties broken by dataset index: stable across runs of the tool. */
function ascending(key: (f: ExampleFigures) => number | null) {
  return (a: ExampleFigures, b: ExampleFigures): number => {
    const ka = key(a);
    const kb = key(b);
    const ua = ka === null || Number.isNaN(ka);
    const ub = kb === null || Number.isNaN(kb);
    if (ua !== ub) return ua ? 1 : -1;
    if (!ua && ka !== kb) return ka! - kb!;
    return a.index - b.index;
  };
}

export function listExamples(a: RunAnalysis, examples: readonly StoredExample[], sort: ExampleSort, limit?: number): ExampleFigures[] {
  const rows = examples.map((e) => exampleFigures(a, e.position, e.index));
  const compare =
    sort === 'premem'
      ? ascending((f) => last(f.preMemorizationAccuracy))
      : sort === 'accuracy'
        ? ascending((f) => last(f.trainAccuracy))
        : sort === 'memorization'
          ? ascending((f) => f.memorizationStep)
          : ascending(() => 0);
  rows.sort(compare);
  return limit === undefined ? rows : rows.slice(0, limit);
}

export interface CuratedExample {
  readonly index: number;
  /** The dataset line as the user wrote it, when the run knows its dataset. */
  readonly record: string | null;
  readonly figures: ExampleFigures;
}

export function curate(
  a: RunAnalysis,
  examples: readonly StoredExample[],
  flags: readonly Flag[],
  strategy: CurationStrategy,
  count: number,
  seed = 0,
): CuratedExample[] {
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

/** Case-insensitive text search on the question; examples without texts never match it. */
export function filterExamples(
  rows: readonly ExampleFigures[],
  filter: ExampleFilter,
  context: { readonly flagged: ReadonlySet<number>; readonly questions: ReadonlyMap<number, string | null> },
): ExampleFigures[] {
  switch (filter.kind) {
    case 'all':
      return [...rows];
    case 'never-memorized':
    case 'memorized-before-solved':
      return rows.filter((r) => r.category === filter.kind);
    case 'flagged':
      return rows.filter((r) => context.flagged.has(r.index));
    case 'text': {
      const q = filter.query.toLowerCase();
      return rows.filter((r) => context.questions.get(r.index)?.toLowerCase().includes(q) ?? false);
    }
  }
}
