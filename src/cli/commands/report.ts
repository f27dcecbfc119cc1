import type { Slice } from '../../core/slices';
import { timed } from '../../diagnostics/phaseTimes';
import { num } from '../../present/format';
import { buildReport, finiteOrNull } from '../../queries/report';
import type { RunAnalysis } from '../../queries/runAnalysis';
import type { IndexStore } from '../../store/indexStore';
import { sliceFields, sliceRun, STEPS_SLICE } from '../../queries/slices';
import { defineCommand, UsageError } from '../command';
import { ANALYSIS_OPTIONS, analysisOptions, DB_OPTION, JSON_OPTION } from '../options';
import { formatReport } from '../reportText';
import { ensureIndexed, someFolders, withStore } from '../session';
import { table } from '../table';

export interface RunSlices {
  readonly path: string;
  readonly name: string;
  readonly by: string;
  readonly slices: Slice[];
}

/** Each run's examples at its last checkpoint by `by(fields offered)`; a run that does not offer it is a usage error naming what it offers. */
export async function slicesOf(store: IndexStore, analyses: readonly RunAnalysis[], by: (fields: readonly string[]) => string): Promise<RunSlices[]> {
  const out: RunSlices[] = [];
  for (const a of analyses) {
    const examples = await store.examples(a.run.id);
    const fields = sliceFields(examples);
    const field = by(fields);
    if (!fields.includes(field))
      throw new UsageError(`${a.run.name} cannot be sliced by "${field}"; it offers: ${fields.length ? fields.join(', ') : 'nothing (no dataset file)'}`);
    out.push({ path: a.run.path, name: a.run.name, by: field, slices: sliceRun(a, examples, field) });
  }
  return out;
}

export function slicesJson(by: string, runs: readonly RunSlices[]): Record<string, unknown> {
  return { by, runs: runs.map((r) => ({ path: r.path, slices: r.slices.map(sliceJson) })) };
}

export function slicesText(r: RunSlices): string {
  return `${r.name} by ${r.by === STEPS_SLICE ? 'number of reference steps' : r.by} (at the last checkpoint)\n${table(
    [r.by, 'examples', 'pre-mem acc', 'train acc', 'never memorized', 'median memorized at'],
    r.slices.map((x) => [
      x.label,
      String(x.examples),
      num(x.preMemorizationAccuracy),
      num(x.trainAccuracy),
      String(x.neverMemorized),
      x.medianMemorizationStep === null ? '–' : `step ${x.medianMemorizationStep}`,
    ]),
    new Set([0]),
  )}`;
}

/** One slice in `report --json --by`: snake_case like the rest of the contract, unknowns as null. */
function sliceJson(x: Slice): Record<string, unknown> {
  return {
    label: x.label,
    examples: x.examples,
    pre_memorization_accuracy: finiteOrNull(x.preMemorizationAccuracy),
    train_accuracy: finiteOrNull(x.trainAccuracy),
    never_memorized: x.neverMemorized,
    median_memorization_step: x.medianMemorizationStep,
  };
}

export const reportCommand = defineCommand({
  name: 'report',
  usage: '<dir>... [--db FILE] [--ppl-threshold P | --loglog-threshold T] [--sample-set A,B,...] [--memorization perplexity|text [--copy-rate R]] [--by FIELD|steps] [--json]',
  summary: 'per-checkpoint train, pre-memorization and test accuracy, and the sweep fit',
  options: {
    ...DB_OPTION,
    ...ANALYSIS_OPTIONS,
    by: { type: 'string', help: 'FIELD|steps  break the last checkpoint down by a dataset field (MATH’s level) or the number of reference steps' },
    strict: { type: 'boolean', help: 'exit 1 when any checkpoint could not be read (default: report the others, and say which were skipped)' },
    ...JSON_OPTION,
  },
  async run({ values: v, positionals, io }) {
    const dirs = someFolders(positionals, 'report');
    const options = analysisOptions(v);
    const by = v.by;
    const { report, slices } = await withStore(v.db, io, async (store) => {
      const runs = await ensureIndexed(store, dirs, io, false);
      const built = await timed('analysis', () => buildReport(store, runs, options));
      if (by === undefined) return { report: built, slices: null };
      return { report: built, slices: await slicesOf(store, built.analyses, () => by) };
    });
    const skipped = report.json.runs.flatMap((r) => r.skipped_checkpoints.map((s) => `${r.name} step ${s.step}: ${s.file}: ${s.reason}`));
    if (v.strict && skipped.length > 0) {
      io.err(`premem: error: --strict: ${skipped.length} checkpoint${skipped.length === 1 ? '' : 's'} could not be read: ${skipped.join('; ')}`);
      return 1;
    }
    if (v.json) {
      timed('output', () => io.json(slices ? { ...report.json, slices: slicesJson(by!, slices) } : report.json));
      return 0;
    }
    io.out(formatReport(report.json, new Map(report.analyses.map((a) => [a.run.path, a.criteriaAgreement]))));
    for (const r of slices ?? []) io.out(`\n${slicesText(r)}`);
    return 0;
  },
});
