import { InputError } from '../../ingest/errors';
import { listExamples } from '../../queries/examples';
import { analyseRun } from '../../queries/runAnalysis';
import { defineCommand, UsageError } from '../command';
import { ANALYSIS_OPTIONS, analysisOptions, DB_OPTION, wholeNumber } from '../options';
import { oneRun, singleRun, withStore } from '../session';

export const similarCommand = defineCommand({
  name: 'similar',
  usage: '<run> --encoder M.onnx --tokenizer tokenizer.json --pool candidates.jsonl --out FILE [--force] [--from lowest-premem|flagged] [--seeds N] [--count K] [--db FILE]',
  summary: 'candidates nearest to the least-learned (or flagged) questions, by an ONNX sentence encoder',
  options: {
    ...DB_OPTION,
    ...ANALYSIS_OPTIONS,
    encoder: { type: 'string', help: 'M.onnx  a sentence encoder' },
    tokenizer: { type: 'string', help: 'FILE  its tokenizer.json' },
    pool: { type: 'string', help: 'FILE  candidate questions, JSONL with a "question" field' },
    out: { type: 'string', help: 'FILE  where to write the nearest candidates' },
    force: { type: 'boolean', help: 'replace FILE if an earlier premem similar wrote it' },
    from: { type: 'string', help: 'lowest-premem|flagged  the seeds (default lowest-premem)' },
    seeds: { type: 'string', help: 'N  how many lowest-premem seeds (default 20)' },
    count: { type: 'string', help: 'K  how many candidates (default 100)' },
  },
  async run({ values: v, positionals, io }) {
    const dir = oneRun(positionals, 'similar');
    const { encoder, tokenizer, pool, out } = v;
    if (encoder === undefined) throw new UsageError('similar needs --encoder');
    if (tokenizer === undefined) throw new UsageError('similar needs --tokenizer');
    if (pool === undefined) throw new UsageError('similar needs --pool');
    if (out === undefined) throw new UsageError('similar needs --out');
    const from = v.from ?? 'lowest-premem';
    if (from !== 'flagged' && from !== 'lowest-premem') throw new UsageError('--from must be flagged or lowest-premem');
    const count = wholeNumber(v.count, '--count', 1) ?? 100;
    const seedCount = wholeNumber(v.seeds, '--seeds', 1) ?? 20;
    const options = analysisOptions(v);
    const written = await withStore(v.db, io, async (store) => {
      const run = await singleRun(store, dir, io);
      const examples = await store.examples(run.id);
      const seeds =
        from === 'flagged'
          ? (await store.flags(run.path)).map((f) => f.index)
          : listExamples(await analyseRun(store, run, options), examples, 'premem', seedCount).map((f) => f.index);
      const byIndex = new Map(examples.map((e) => [e.index, e]));
      if (seeds.length === 0) throw new UsageError(from === 'flagged' ? `${run.name} has no flagged examples` : `${run.name} has no examples`);
      const seedTexts: string[] = [];
      for (const i of seeds) {
        const q = byIndex.get(i)?.question;
        if (q === null || q === undefined) throw new InputError(run.path, 'finding similar questions needs the run’s questions (no dataset file?)');
        seedTexts.push(q);
      }
      // onnxruntime loads here, on first use.
      const { findSimilar } = await import('../../score/similar');
      return findSimilar({ encoder, tokenizer, pool, out, count, force: v.force ?? false }, seeds, seedTexts);
    });
    io.err(`wrote the ${written.count} candidates nearest to ${written.seeds} ${from} examples (of ${written.pool}) to ${out}`);
    return 0;
  },
});
