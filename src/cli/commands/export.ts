import { CURATION_STRATEGIES, type CurationStrategy } from '../../core/curation';
import { curate, exportLine, type CuratedExample } from '../../queries/examples';
import type { IndexStore, StoredRun } from '../../store/indexStore';
import { analyseRun } from '../../queries/runAnalysis';
import { defineCommand, UsageError } from '../command';
import { ANALYSIS_OPTIONS, analysisOptions, DB_OPTION, wholeNumber } from '../options';
import { ensureIndexed, oneRun, singleRun, withStore } from '../session';
import { exportProtected, writeExport } from '../../output/exportFile';

const isStrategy = (s: string | undefined): s is CurationStrategy => s !== undefined && (CURATION_STRATEGIES as readonly string[]).includes(s);

export const exportCommand = defineCommand({
  name: 'export',
  usage:
    '<run> --strategy lowest-premem|random|lowest-accuracy|flagged --count K --out FILE [--seed S] [--force] [--db FILE] [analysis options]\n       premem export <sweep> --strategy flagged --count K --out FILE   (the flagged examples of every run)',
  summary: 'write a curated set of examples (the user’s own dataset records, with their figures and notes) as JSONL',
  options: {
    ...DB_OPTION,
    ...ANALYSIS_OPTIONS,
    strategy: { type: 'string', help: `${CURATION_STRATEGIES.join('|')}  which examples` },
    count: { type: 'string', help: 'K  how many' },
    out: { type: 'string', help: 'FILE  where to write' },
    seed: { type: 'string', help: 'S  the seed of --strategy random (default 0)' },
    force: { type: 'boolean', help: 'replace an earlier export at --out (never a file of another kind)' },
  },
  async run({ values: v, positionals, io }) {
    const dir = oneRun(positionals, 'export');
    const chosenFrom = async (store: IndexStore, run: StoredRun, k: number, strategy: CurationStrategy) =>
      curate(await analyseRun(store, run, options), await store.examples(run.id), await store.flags(run.path), strategy, k, seed);
    const options = analysisOptions(v);
    const strategy = v.strategy;
    if (!isStrategy(strategy)) throw new UsageError(`--strategy must be one of ${CURATION_STRATEGIES.join(', ')}`);
    const count = wholeNumber(v.count, '--count', 1);
    if (count === undefined) throw new UsageError('--count K is required');
    const out = v.out;
    if (!out) throw new UsageError('--out FILE is required');
    const seed = wholeNumber(v.seed, '--seed') ?? 0;
    const written = await withStore(v.db, io, async (store) => {
      // Flags are across runs: a sweep exports the flagged examples of each of its runs.
      const runs = strategy === 'flagged' ? await ensureIndexed(store, [dir], io, false) : [await singleRun(store, dir, io)];
      const chosen: CuratedExample[] = [];
      for (const run of runs) if (chosen.length < count) chosen.push(...(await chosenFrom(store, run, count - chosen.length, strategy)));
      writeExport(out, chosen.map(exportLine), { force: v.force ?? false, protectedPaths: exportProtected(store.file, store.flagsFile, runs), writer: 'premem export' });
      return { chosen: chosen.length, texts: chosen.some((c) => c.record !== null), runs: runs.length };
    });
    io.err(
      `wrote ${written.chosen} examples${written.runs > 1 ? ` of ${written.runs} runs` : ''} (${written.texts ? 'dataset records' : 'indices and figures only: no dataset file'}) to ${out}`,
    );
    return 0;
  },
});
