import { thresholdGrid } from '../../core/calibration';
import { num, pct } from '../../present/format';
import { calibrate } from '../../queries/calibrate';
import { defineCommand } from '../command';
import { asUsage, DB_OPTION, finiteNumber, JSON_OPTION, samplePreferenceOption, ANALYSIS_OPTIONS } from '../options';
import { ensureIndexed, someFolders, withStore } from '../session';
import { table } from '../table';

export const calibrateCommand = defineCommand({
  name: 'calibrate',
  usage: '<dir>... [--db FILE] [--sample-set A,B,...] [--from -4 --to -0.5 --step 0.1] [--json]',
  summary: 'choose the memorization threshold by leave-one-run-out cross-validation over a sweep',
  options: {
    ...DB_OPTION,
    'sample-set': ANALYSIS_OPTIONS['sample-set'],
    from: { type: 'string', help: 'T  the lowest ln-ln threshold tried (default -4)' },
    to: { type: 'string', help: 'T  the highest (default -0.5)' },
    step: { type: 'string', help: 'D  the grid step (default 0.1)' },
    ...JSON_OPTION,
  },
  async run({ values: v, positionals, io }) {
    const dirs = someFolders(positionals, 'calibrate', 'a sweep (or several runs)');
    const grid = asUsage(() => thresholdGrid(finiteNumber(v.from, '--from', -4), finiteNumber(v.to, '--to', -0.5), finiteNumber(v.step, '--step', 0.1)));
    const samplePreference = samplePreferenceOption(v['sample-set']);
    const result = await withStore(v.db, io, async (store) => calibrate(store, await ensureIndexed(store, dirs, io, false), samplePreference, grid));
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
