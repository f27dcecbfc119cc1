import { thresholdGrid } from '../../core/calibration';
import { num, pct } from '../../present/format';
import { calibrate } from '../../queries/calibrate';
import type { ThresholdCalibration } from '../../core/threshold';
import { calibrateAgainstText } from '../../queries/calibrate';
import { defineCommand, UsageError, type CommandIo } from '../command';
import { asUsage, DB_OPTION, finiteNumber, JSON_OPTION, samplePreferenceOption, ANALYSIS_OPTIONS } from '../options';
import { ensureIndexed, singleRun, someFolders, withStore } from '../session';
import { table } from '../table';

export const calibrateCommand = defineCommand({
  name: 'calibrate',
  usage:
    '<dir>... [--db FILE] [--sample-set A,B,...] [--from -4 --to -0.5 --step 0.1] [--apply] [--json]\n       premem calibrate <run> --against text [--copy-rate R] [--apply] [--json]',
  summary: 'choose the memorization threshold: leave-one-run-out over a sweep, or against the text criterion on one run',
  options: {
    ...DB_OPTION,
    'sample-set': ANALYSIS_OPTIONS['sample-set'],
    from: { type: 'string', help: 'T  the lowest ln-ln threshold tried (default -4)' },
    to: { type: 'string', help: 'T  the highest (default -0.5)' },
    step: { type: 'string', help: 'D  the grid step (default 0.1)' },
    against: { type: 'string', help: 'text  calibrate one run against its sample texts (no test evaluations needed)' },
    'copy-rate': ANALYSIS_OPTIONS['copy-rate'],
    apply: { type: 'boolean', help: 'keep the chosen threshold for the sweep (or run): every view and command then uses it' },
    ...JSON_OPTION,
  },
  async run({ values: v, positionals, io }) {
    const dirs = someFolders(positionals, 'calibrate', 'a sweep (or several runs)');
    const grid = asUsage(() => thresholdGrid(finiteNumber(v.from, '--from', -4), finiteNumber(v.to, '--to', -0.5), finiteNumber(v.step, '--step', 0.1)));
    const samplePreference = samplePreferenceOption(v['sample-set']);
    if (v.against !== undefined) {
      if (v.against !== 'text') throw new UsageError('--against takes text');
      return calibrateText(dirs, grid, samplePreference, v, io);
    }
    if (v['copy-rate'] !== undefined) throw new UsageError('--copy-rate goes with --against text');
    const { result, sweeps } = await withStore(v.db, io, async (store) => {
      const runs = await ensureIndexed(store, dirs, io, false);
      const report = await calibrate(store, runs, samplePreference, grid);
      const folders = [...new Set(runs.map((r) => r.sweepPath))];
      if (v.apply) {
        if (!report.best) throw new UsageError('nothing to apply: cross-validation needs three or more runs with test accuracy');
        const calibration: ThresholdCalibration = { method: 'leave-one-run-out', runs: runs.length, heldOutRmse: report.best.heldOutRmse ?? undefined };
        for (const f of folders) await store.setStoredThreshold(f, 'loglog', report.best.threshold, JSON.stringify(calibration));
      }
      return { result: report, sweeps: folders };
    });
    if (v.apply && result.best) io.err(`kept ln ln ${num(result.best.threshold, 2)} for ${sweeps.join(', ')}: every view and command on these runs now uses it`);
    if (v.json) {
      io.json(result);
      return 0;
    }
    const percent = (x: number | null) => (x === null ? '–' : (100 * x).toFixed(2));
    io.out('leave-one-run-out cross-validation of test accuracy ~ pre-memorization accuracy (ln-ln threshold)');
    io.out(
      table(
        ['ln-ln t', 'ppl below', 'held-out RMSE %', 'held-out MAE %', 'in-sample R^2', ''],
        result.scores.map((s) => [
          num(s.threshold, 2),
          num(Math.exp(Math.exp(s.threshold)), 4),
          percent(s.heldOutRmse),
          percent(s.heldOutMae),
          num(s.fit.r2),
          s === result.best ? '<- lowest held-out error' : s.threshold === result.reference.threshold ? '<- hand-picked' : '',
        ]),
        new Set([5]),
      ),
    );
    const b = result.best;
    const r = result.reference;
    io.out(
      b === null
        ? '\nno threshold could be scored: cross-validation needs three or more runs with test accuracy'
        : `\ncross-validated choice: t = ${num(b.threshold, 2)}, held-out RMSE ${pct(b.heldOutRmse, 2)} (R^2 ${num(b.fit.r2)}); ` +
            `hand-picked t = ${num(r.threshold, 2)}: held-out RMSE ${pct(r.heldOutRmse, 2)} (R^2 ${num(r.fit.r2)})`,
    );
    for (const p of result.predictions) {
      io.out(
        `predicted test accuracy, ${p.run} step ${p.step}: ${p.prediction ? `${num(p.prediction.value)} (95% prediction interval ${num(p.prediction.low)} to ${num(p.prediction.high)})` : '–'}`,
      );
    }
    return 0;
  },
});

/** `premem calibrate <run> --against text`: agreement with the text criterion, threshold by threshold. */
async function calibrateText(
  dirs: readonly string[],
  grid: number[],
  samplePreference: string[] | null,
  v: { readonly db?: string; readonly json?: boolean; readonly apply?: boolean; readonly 'copy-rate'?: string },
  io: CommandIo,
): Promise<number> {
  if (dirs.length !== 1) throw new UsageError('--against text takes one run');
  const copyRate = v['copy-rate'] === undefined ? undefined : Number(v['copy-rate']);
  if (copyRate !== undefined && !(copyRate > 0 && copyRate <= 1)) throw new UsageError(`--copy-rate must be a number in (0, 1], got "${v['copy-rate']}"`);
  const result = await withStore(v.db, io, async (store) => {
    const run = await singleRun(store, dirs[0]!, io);
    const r = await calibrateAgainstText(store, run, samplePreference, grid, copyRate);
    if (v.apply) {
      if (!r.best) throw new UsageError(`nothing to apply: ${r.too_few_copies ?? 'no threshold could be scored'}`);
      const calibration: ThresholdCalibration = { method: 'text', runs: 1, agreement: r.best.agreement, kappa: r.best.kappa };
      await store.setStoredThreshold(run.path, 'loglog', r.best.threshold, JSON.stringify(calibration));
      io.err(`kept ln ln ${num(r.best.threshold, 2)} for ${run.path}: every view and command on this run now uses it`);
    }
    return r;
  });
  if (v.json) {
    io.json(result);
    return 0;
  }
  io.out(`agreement of the perplexity criterion with the text criterion (most samples copy at least ${num(result.copyRate, 2)} of the reference steps), ${result.run}`);
  io.out(
    table(
      ['ln-ln t', 'ppl below', 'agreement %', 'kappa', 'F1', ''],
      result.scores.map((s) => [
        num(s.threshold, 2),
        num(Math.exp(Math.exp(s.threshold)), 4),
        Number.isFinite(s.agreement) ? (100 * s.agreement).toFixed(1) : '–',
        num(Number.isFinite(s.kappa) ? s.kappa : null, 3),
        num(Number.isFinite(s.f1) ? s.f1 : null, 3),
        s === result.best ? '<- highest kappa' : '',
      ]),
      new Set([5]),
    ),
  );
  io.out(
    result.best
      ? `\nchosen by Cohen's kappa (agreement beyond chance): t = ${num(result.best.threshold, 2)}, kappa ${num(result.best.kappa, 3)}, F1 ${num(result.best.f1, 3)}, agreement ${pct(result.best.agreement)}; ${result.copies} copied pairs`
      : `\n${result.too_few_copies ?? 'no threshold could be scored'}`,
  );
  return 0;
}
