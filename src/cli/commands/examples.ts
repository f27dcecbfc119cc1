import { num, snippet, stepLabel } from '../../present/format';
import { EXAMPLE_SORTS, exampleJson, listExamples, type ExampleSort } from '../../queries/examples';
import { analyseRun } from '../../queries/runAnalysis';
import { defineCommand, UsageError } from '../command';
import { ANALYSIS_OPTIONS, analysisOptions, DB_OPTION, JSON_OPTION, wholeNumber } from '../options';
import { oneRun, singleRun, withStore } from '../session';
import { table } from '../table';

const isSort = (s: string): s is ExampleSort => (EXAMPLE_SORTS as readonly string[]).includes(s);

export const examplesCommand = defineCommand({
  name: 'examples',
  usage: '<run> [--db FILE] [analysis options as for report] [--sort dataset|premem|memorization|accuracy] [--limit N] [--json]',
  summary: 'one run’s examples with their memorization step and pre-memorization accuracy',
  options: {
    ...DB_OPTION,
    ...ANALYSIS_OPTIONS,
    sort: { type: 'string', help: 'dataset|premem|memorization|accuracy  the order (default dataset)' },
    limit: { type: 'string', help: 'N  at most N examples' },
    ...JSON_OPTION,
  },
  async run({ values: v, positionals, io }) {
    const dir = oneRun(positionals, 'examples');
    const options = analysisOptions(v);
    const sort = v.sort ?? 'dataset';
    if (!isSort(sort)) throw new UsageError(`--sort must be one of ${EXAMPLE_SORTS.join(', ')}`);
    const limit = wholeNumber(v.limit, '--limit');
    await withStore(v.db, io, async (store) => {
      const run = await singleRun(store, dir, io);
      const analysis = await analyseRun(store, run, options);
      const examples = await store.examples(run.id);
      const rows = listExamples(analysis, examples, sort, limit);
      if (v.json) {
        // One JSON object per line (JSONL), not an array: streams into jq and pandas alike.
        for (const r of rows) io.json(exampleJson(r));
        return;
      }
      const question = new Map(examples.map((e) => [e.index, e.question]));
      io.out(
        table(
          ['index', 'pre-mem acc', 'train acc', 'memorized at', 'category', 'question'],
          rows.map((r) => [
            String(r.index),
            num(r.preMemorizationAccuracy.at(-1)),
            num(r.trainAccuracy.at(-1)),
            stepLabel(r.memorizationStep),
            r.category,
            snippet(question.get(r.index) ?? null),
          ]),
          new Set([4, 5]),
        ),
      );
    });
    return 0;
  },
});
