import { writeFileSync } from 'node:fs';
import { CURATION_STRATEGIES, type CurationStrategy } from '../../core/curation';
import { curate, exportLine } from '../../queries/examples';
import { analyseRun } from '../../queries/runAnalysis';
import { defineCommand, UsageError } from '../command';
import { ANALYSIS_OPTIONS, analysisOptions, DB_OPTION, wholeNumber } from '../options';
import { oneRun, singleRun, withStore } from '../session';

const isStrategy = (s: string | undefined): s is CurationStrategy => s !== undefined && (CURATION_STRATEGIES as readonly string[]).includes(s);

export const exportCommand = defineCommand({
  name: 'export',
  usage: '<run> --strategy lowest-premem|random|lowest-accuracy|flagged --count K --out FILE [--seed S] [--db FILE] [analysis options]',
  summary: 'write a curated set of examples (the user’s own dataset records) as JSONL',
  options: {
    ...DB_OPTION,
    ...ANALYSIS_OPTIONS,
    strategy: { type: 'string', help: `${CURATION_STRATEGIES.join('|')}  which examples` },
    count: { type: 'string', help: 'K  how many' },
    out: { type: 'string', help: 'FILE  where to write' },
    seed: { type: 'string', help: 'S  the seed of --strategy random (default 0)' },
  },
  async run({ values: v, positionals, io }) {
    const dir = oneRun(positionals, 'export');
    const options = analysisOptions(v);
    const strategy = v.strategy;
    if (!isStrategy(strategy)) throw new UsageError(`--strategy must be one of ${CURATION_STRATEGIES.join(', ')}`);
    const count = wholeNumber(v.count, '--count', 1);
    if (count === undefined) throw new UsageError('--count K is required');
    const out = v.out;
    if (!out) throw new UsageError('--out FILE is required');
    const seed = wholeNumber(v.seed, '--seed') ?? 0;
    const written = await withStore(v.db, io, async (store) => {
      const run = await singleRun(store, dir, io);
      const chosen = curate(await analyseRun(store, run, options), await store.examples(run.id), await store.flags(run.path), strategy, count, seed);
      writeFileSync(out, chosen.map((c) => exportLine(c) + '\n').join(''));
      return { chosen: chosen.length, texts: chosen.some((c) => c.record !== null) };
    });
    io.err(`wrote ${written.chosen} examples (${written.texts ? 'dataset records' : 'indices only: the run has no dataset file'}) to ${out}`);
    return 0;
  },
});
