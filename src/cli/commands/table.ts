import { distinguishingNames, num, stepLabel } from '../../present/format';
import { analyseRuns } from '../../queries/report';
import { sweepTableJson, sweepTableOf, varyingHyperparameters, type SweepTable } from '../../queries/sweepTable';
import type { StoredExample } from '../../store/indexStore';
import { defineCommand, UsageError } from '../command';
import { ANALYSIS_OPTIONS, analysisOptions, DB_OPTION, JSON_OPTION, wholeNumber } from '../options';
import { ensureIndexed, someFolders, withStore } from '../session';
import { table } from '../table';

const SORTS = ['copied', 'mean', 'index'] as const;
type TableSort = (typeof SORTS)[number];

/**
 * A sweep as one table: a row per example, per run its pre-memorization accuracy, memorization
 * step and train accuracy at the last checkpoint, with the runs' hyperparameters.
 */
export const tableCommand = defineCommand({
  name: 'table',
  usage: '<sweep-or-run>... [--db FILE] [analysis options as for report] [--sort copied|mean|index] [--limit N] [--json]',
  summary: 'a sweep as one table: every example × every run, with the runs’ hyperparameters',
  options: {
    ...DB_OPTION,
    ...ANALYSIS_OPTIONS,
    sort: { type: 'string', help: 'copied|mean|index  rows copied before solved in the most runs first (default), lowest mean pre-memorization accuracy first, or dataset order' },
    limit: { type: 'string', help: 'N  at most N rows in the text table (default 20; --json writes all)' },
    ...JSON_OPTION,
  },
  async run({ values: v, positionals, io }) {
    const dirs = someFolders(positionals, 'table');
    const sort = (v.sort ?? 'copied') as TableSort;
    if (!SORTS.includes(sort)) throw new UsageError(`--sort must be one of ${SORTS.join(', ')}`);
    const limit = wholeNumber(v.limit, '--limit') ?? 20;
    const options = analysisOptions(v);
    await withStore(v.db, io, async (store) => {
      const runs = await ensureIndexed(store, dirs, io, false);
      // The runs' analyses only: a table needs no fit, forecast or sensitivity.
      const analyses = await analyseRuns(store, runs, options);
      const examplesOf = new Map<number, StoredExample[]>();
      for (const r of runs) examplesOf.set(r.id, await store.examples(r.id));
      const t = sweepTableOf(analyses, examplesOf);
      if (v.json) {
        io.json(sweepTableJson(t));
        return;
      }
      io.out(tableText(t, sort, limit));
    });
    return 0;
  },
});

/** Row positions in a sort's order; ties by dataset index. */
export function sortedRows(t: SweepTable, sort: TableSort): number[] {
  const rows = Array.from({ length: t.index.length }, (_, k) => k);
  const unknownLast = (x: number) => (Number.isNaN(x) ? Infinity : x);
  if (sort === 'copied')
    rows.sort(
      (a, b) => t.copiedBeforeSolved[b]! - t.copiedBeforeSolved[a]! || unknownLast(t.meanPreMemorizationAccuracy[a]!) - unknownLast(t.meanPreMemorizationAccuracy[b]!) || a - b,
    );
  else if (sort === 'mean') rows.sort((a, b) => unknownLast(t.meanPreMemorizationAccuracy[a]!) - unknownLast(t.meanPreMemorizationAccuracy[b]!) || a - b);
  return rows;
}

function tableText(t: SweepTable, sort: TableSort, limit: number): string {
  const names = distinguishingNames(t.runs.map((r) => r.name));
  const varying = varyingHyperparameters(t.runs);
  const runsTable = table(
    ['run', ...varying],
    t.runs.map((r, j) => [names[j]!, ...varying.map((k) => String(r.hyperparameters[k]?.value ?? '—'))]),
    new Set([0]),
  );
  const rows = sortedRows(t, sort).slice(0, limit);
  const cell = (j: number, k: number) => {
    const c = t.cells[j]!;
    if (Number.isNaN(c.trainAccuracy[k]!)) return '';
    return `${num(c.preMemorizationAccuracy[k], 2)} ${Number.isNaN(c.memorizationStep[k]!) ? '·' : stepLabel(c.memorizationStep[k]!)}`;
  };
  const rowsTable = table(
    ['index', 'copied', 'mean', ...t.runs.map((_, j) => `r${j + 1}`)],
    rows.map((k) => [String(t.index[k]!), String(t.copiedBeforeSolved[k]!), num(t.meanPreMemorizationAccuracy[k], 3), ...t.runs.map((_, j) => cell(j, k))]),
  );
  return [
    `${t.index.length} examples × ${t.runs.length} runs`,
    runsTable,
    '',
    `rows by ${sort === 'copied' ? 'runs that copied before solving (most first)' : sort === 'mean' ? 'mean pre-memorization accuracy (lowest first)' : 'dataset index'}; the first ${rows.length}. Cells: pre-memorization accuracy and memorization step (· never memorized); r1… are the runs above in order`,
    rowsTable,
  ].join('\n');
}
