import { num } from '../../present/format';
import { robustnessJson, robustnessOf } from '../../queries/robustness';
import { analyseRun } from '../../queries/runAnalysis';
import { InputError } from '../../ingest/errors';
import { defineCommand } from '../command';
import { ANALYSIS_OPTIONS, analysisOptions, asUsage, DB_OPTION, JSON_OPTION, wholeNumber } from '../options';
import { oneRun, singleRun, withStore } from '../session';
import { table } from '../table';

export const robustnessCommand = defineCommand({
  name: 'robustness',
  usage: '<run> [--checkpoint S] [--set NAME] [--control FIELD] [--db FILE] [analysis options as for report] [--json]',
  summary: 'per example: accuracy on perturbed questions against pre-memorization accuracy (rank correlation, bins)',
  options: {
    ...DB_OPTION,
    ...ANALYSIS_OPTIONS,
    checkpoint: { type: 'string', help: 'S  the checkpoint (default: the latest with perturbed samples)' },
    set: { type: 'string', help: 'NAME  the perturbed sample set (default: the first by name)' },
    control: { type: 'string', help: 'FIELD  a difficulty field of the dataset records to control for (default: level, where records have it)' },
    ...JSON_OPTION,
  },
  async run({ values: v, positionals, io }) {
    const dir = oneRun(positionals, 'robustness');
    const options = analysisOptions(v);
    const step = wholeNumber(v.checkpoint, '--checkpoint');
    return withStore(v.db, io, async (store) => {
      const run = await singleRun(store, dir, io);
      const analysis = await analyseRun(store, run, options);
      const report = await robustnessOf(store, analysis, { step, set: v.set, control: v.control }).catch((e: unknown) =>
        asUsage(() => {
          throw e;
        }),
      );
      if (!report) {
        // A perturbed-samples file that could not be read left its checkpoint out: name it and why.
        const unread = analysis.skipped.find((x) => /(^|\/)perturbed_samples[^/]*\.jsonl$/.test(x.file));
        if (unread) throw new InputError(unread.file, `could not be read, so checkpoint ${unread.step} and its perturbed samples are left out: ${unread.reason}`);
        throw new InputError(
          run.path,
          'has no samples on perturbed questions: premem perturb <dataset> --out perturbations.jsonl, then premem sample <run> --dataset perturbations.jsonl (see docs/robustness.md)',
        );
      }
      if (v.json) {
        io.json(robustnessJson(report));
        return 0;
      }
      const s = report.spearman;
      io.out(`${run.name}, checkpoint ${report.step}, set ${report.set}: ${report.examples.length} examples, ${report.variants} perturbed variants`);
      io.out(`Spearman rho(pre-memorization accuracy, perturbed accuracy) = ${num(s.rho)}  95% CI [${num(s.low)}, ${num(s.high)}]`);
      // Is it just difficulty? What is left once a control is held fixed.
      for (const c of report.controls) {
        const ci = (r: { rho: number; low: number; high: number }) => `${num(r.rho)} [${num(r.low)}, ${num(r.high)}]`;
        io.out(
          `given ${c.control} (${c.examples} examples): partial rho = ${ci(c.partial)}; rho with ${c.control}: pre-memorization ${ci(c.withPreMemorization)}, perturbed ${ci(c.withPerturbed)}`,
        );
      }
      io.out('');
      io.out(
        table(
          ['pre-mem acc', 'examples', 'perturbed acc', '95% CI'],
          report.bins.map((b) => [
            `[${b.range[0].toFixed(1)}, ${b.range[1].toFixed(1)}${b.range[1] === 1 ? ']' : ')'}`,
            String(b.examples),
            num(b.mean),
            `[${num(b.low)}, ${num(b.high)}]`,
          ]),
        ),
      );
      io.out('');
      io.out(
        table(
          ['edit', 'keeps answer', 'variants', 'accuracy'],
          report.byKind.map((k) => [k.kind, k.preservesAnswer ? 'yes' : 'no', String(k.variants), num(k.accuracy)]),
        ),
      );
      return 0;
    });
  },
});
