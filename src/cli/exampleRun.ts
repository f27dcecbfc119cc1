import { resolve } from 'node:path';
import { DEFAULT_THRESHOLD } from '../core/threshold';
import { writeExampleSweep } from '../example/exampleSweep';
import { listExamples } from '../queries/examples';
import { buildReport } from '../queries/report';
import { indexPaths } from '../store/indexer';
import { IndexStore } from '../store/indexStore';
import { num, snippet, stepLabel } from '../present/format';
import type { CommandIo } from './command';
import { formatReport } from './reportText';
import { table } from './table';

/** `premem example`: the newcomer's first run, from generated files to a report, in one go. */
export async function runExample(opts: { outDir: string | undefined; db: string | undefined }, io: CommandIo): Promise<void> {
  const dir = writeExampleSweep(resolve(opts.outDir ?? '.premem/example-sweep'));
  const store = await IndexStore.open(resolve(opts.db ?? '.premem/index.sqlite'));
  try {
    const outcomes = await indexPaths(store, [dir]);
    io.err(`example sweep: ${dir} (${outcomes.filter((o) => o.action !== 'unchanged').length} runs indexed)`);
    const runs = await Promise.all(outcomes.map(async (o) => (await store.runByPath(o.path))!));
    const options = { threshold: DEFAULT_THRESHOLD, samplePreference: null };
    const report = await buildReport(store, runs, options);
    io.out(formatReport(report.json));
    // Show the run that memorized most: its low-premem examples are the paper's point.
    const memorizedAtEnd = (a: (typeof report.analyses)[number]) => a.checkpoints.at(-1)?.summary.memorizedFraction ?? 0;
    const fast = report.analyses.reduce((best, a) => (memorizedAtEnd(a) > memorizedAtEnd(best) ? a : best));
    const examples = await store.examples(fast.run.id);
    const question = new Map(examples.map((e) => [e.index, e.question]));
    io.out(`\nLowest pre-memorization accuracy in ${fast.run.name}, the run that memorized most:`);
    io.out(
      table(
        ['index', 'pre-mem acc', 'train acc', 'memorized at', 'question'],
        listExamples(fast, examples, 'premem', 5).map((r) => [
          String(r.index),
          num(r.preMemorizationAccuracy.at(-1)),
          num(r.trainAccuracy.at(-1)),
          stepLabel(r.memorizationStep),
          snippet(question.get(r.index) ?? null, 70),
        ]),
        new Set([4]),
      ),
    );
    io.out(`\nNext: premem examples ${fast.run.path} --sort premem --limit 10   (from a clone: node bin/premem.js …)`);
  } finally {
    await store.close();
  }
}
