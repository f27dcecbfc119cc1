import { num, snippet, stepLabel } from '../../present/format';
import { EXAMPLE_SORTS, exampleJson, listExamples, type ExampleSort } from '../../queries/examples';
import { unlearnedAcrossRuns } from '../../queries/acrossRuns';
import { analyseRun, exampleFigures, type AnalysisOptions } from '../../queries/runAnalysis';
import type { StoredExample } from '../../store/indexStore';
import { defineCommand, UsageError, type CommandIo } from '../command';
import { ANALYSIS_OPTIONS, analysisOptions, DB_OPTION, JSON_OPTION, wholeNumber } from '../options';
import { ensureIndexed, oneRun, singleRun, someFolders, withStore } from '../session';
import { table } from '../table';

const isSort = (s: string): s is ExampleSort => (EXAMPLE_SORTS as readonly string[]).includes(s);

export const examplesCommand = defineCommand({
  name: 'examples',
  usage:
    '<run> [--db FILE] [analysis options as for report] [--sort dataset|premem|memorization|accuracy] [--limit N] [--json]\n       premem examples <sweep-or-run>... --index I[,J...] [--json]   (those examples in every run)\n       premem examples <sweep> --sort unlearned [--limit N] [--json]   (copied before solved in the most runs first)',
  summary: 'examples with their memorization step and pre-memorization accuracy: one run’s, or some across a sweep',
  options: {
    ...DB_OPTION,
    ...ANALYSIS_OPTIONS,
    sort: { type: 'string', help: 'dataset|premem|memorization|accuracy  the order (default dataset); unlearned across a sweep' },
    limit: { type: 'string', help: 'N  at most N examples' },
    index: { type: 'string', help: 'I,J,...  only these dataset indices, in every run of the folders given' },
    ...JSON_OPTION,
  },
  async run({ values: v, positionals, io }) {
    const options = analysisOptions(v);
    if (v.index !== undefined) return acrossRuns(someFolders(positionals, 'examples'), indicesOption(v.index), options, v, io);
    if (v.sort === 'unlearned') return unlearned(someFolders(positionals, 'examples'), options, wholeNumber(v.limit, '--limit'), v, io);
    const dir = oneRun(positionals, 'examples');
    const sort = v.sort ?? 'dataset';
    if (!isSort(sort)) throw new UsageError(`--sort must be one of ${EXAMPLE_SORTS.join(', ')}`);
    const limit = wholeNumber(v.limit, '--limit');
    await withStore(v.db, io, async (store) => {
      const run = await singleRun(store, dir, io);
      const analysis = await analyseRun(store, run, options);
      const examples = await store.examples(run.id);
      const rows = listExamples(analysis, examples, sort, limit);
      const byIndex = new Map(examples.map((e) => [e.index, e]));
      if (v.json) {
        // One JSON object per line (JSONL), not an array: streams into jq and pandas alike.
        for (const r of rows) io.json(withTexts(exampleJson(r), byIndex.get(r.index)));
        return;
      }
      io.out(
        table(
          ['index', 'pre-mem acc', 'train acc', 'memorized at', 'category', 'question'],
          rows.map((r) => [
            String(r.index),
            num(r.preMemorizationAccuracy.at(-1)),
            num(r.trainAccuracy.at(-1)),
            stepLabel(r.memorizationStep),
            r.category,
            snippet(byIndex.get(r.index)?.question ?? null),
          ]),
          new Set([4, 5]),
        ),
      );
    });
    return 0;
  },
});

/** `--index 11,12`: dataset indices. */
function indicesOption(text: string): number[] {
  const parts = text.split(',').map((x) => x.trim());
  if (parts.length === 0 || parts.some((x) => x === '')) throw new UsageError(`--index takes dataset indices such as 11,12; got "${text}"`);
  return parts.map((x) => wholeNumber(x, '--index')!);
}

/** The question and the reference, when the run knows its dataset (the contract's extra fields). */
function withTexts<T extends object>(line: T, e: StoredExample | undefined): T | (T & { question: string; answer: string | null }) {
  return e?.question != null ? { ...line, question: e.question, answer: e.answer } : line;
}

/** `--sort unlearned`: a sweep's examples, those its runs copied before solving in the most runs first. */
async function unlearned(
  dirs: readonly string[],
  options: AnalysisOptions,
  limit: number | undefined,
  v: { readonly db?: string; readonly json?: boolean },
  io: CommandIo,
): Promise<number> {
  await withStore(v.db, io, async (store) => {
    const runs = await ensureIndexed(store, dirs, io, false);
    const analyses = await Promise.all(runs.map((r) => analyseRun(store, r, options)));
    const examplesOf = new Map(await Promise.all(runs.map(async (r) => [r.id, await store.examples(r.id)] as const)));
    const ranked = unlearnedAcrossRuns(analyses, examplesOf);
    const rows = limit === undefined ? ranked : ranked.slice(0, limit);
    const question = new Map([...examplesOf.values()].flat().map((e) => [e.index, e.question]));
    if (v.json) {
      for (const r of rows)
        io.json({ index: r.index, runs: r.runs, memorized_before_solved: r.memorizedBeforeSolved, mean_pre_memorization_accuracy: r.meanPreMemorizationAccuracy });
      return;
    }
    io.out(
      table(
        ['index', 'memorized before ever solved', 'mean pre-mem acc', 'question'],
        rows.map((r) => [String(r.index), `in ${r.memorizedBeforeSolved} of ${r.runs} runs`, num(r.meanPreMemorizationAccuracy), snippet(question.get(r.index) ?? null)]),
        new Set([1, 3]),
      ),
    );
  });
  return 0;
}

/** The same examples in every run of the folders: the paper's question is about a sweep. */
async function acrossRuns(
  dirs: readonly string[],
  indices: readonly number[],
  options: AnalysisOptions,
  v: { readonly db?: string; readonly json?: boolean },
  io: CommandIo,
): Promise<number> {
  await withStore(v.db, io, async (store) => {
    const runs = await ensureIndexed(store, dirs, io, false);
    const rows: string[][] = [];
    for (const run of runs) {
      const analysis = await analyseRun(store, run, options);
      const examples = new Map((await store.examples(run.id)).map((e) => [e.index, e]));
      for (const i of indices) {
        const e = examples.get(i);
        if (!e) continue; // not analysed in this run (its subsample)
        const f = exampleFigures(analysis, e.position, e.index);
        if (v.json) io.json({ run: run.name, ...withTexts({ ...exampleJson(f), category: f.category }, e) });
        else rows.push([run.name, String(i), num(f.preMemorizationAccuracy.at(-1)), num(f.trainAccuracy.at(-1)), stepLabel(f.memorizationStep), f.category]);
      }
    }
    if (!v.json) io.out(table(['run', 'index', 'pre-mem acc', 'train acc', 'memorized at', 'category'], rows, new Set([0, 5])));
  });
  return 0;
}
