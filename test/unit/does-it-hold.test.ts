/**
 * premem report --json's "Does it hold?" fields (sensitivity, predictors, early) against an
 * independent numpy computation on the authors' 13 GSM8K runs (test/bench/does_it_hold.py),
 * within 1e-9; and the figures the issue measured with numpy, as a second check of the reading.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { pythonWithNumpy } from '../helpers/numpy';
import { runCli } from '../helpers/fixtures';
import { KANG_SWEEP, missingRequirement, REPO, skipUnless, tempDir } from '../helpers/paths';

const python = pythonWithNumpy();

interface Quality {
  r2: number | null;
  loo_rmse: number | null;
}
interface Holds {
  sensitivity: (Quality & { threshold: number; points: number })[];
  predictors: (Quality & { name: string })[];
  early: { checkpoints: number; pre_memorization_accuracy: Quality; train_accuracy: Quality }[];
}

const close = (a: number | null, b: number | null, what: string) => {
  if (a === null || b === null) return assert.equal(a, b, what);
  assert.ok(Math.abs(a - b) <= 1e-9, `${what}: ${a} vs numpy ${b}`);
};

test(
  'sensitivity, predictors and early prediction equal numpy’s on the authors’ sweep (1e-9)',
  { skip: skipUnless(KANG_SWEEP) || (python === null && missingRequirement('no python3 with numpy was found (Debian: python3-numpy)')) },
  async () => {
    const numpy = JSON.parse(execFileSync(python!, [join(REPO, 'test/bench/does_it_hold.py'), KANG_SWEEP, '-2.3'], { encoding: 'utf8', maxBuffer: 1 << 26 })) as Holds;
    const tmp = tempDir();
    try {
      const r = await runCli('report', KANG_SWEEP, '--db', join(tmp.dir, 'index.sqlite'), '--json', '--loglog-threshold', '-2.3');
      assert.equal(r.code, 0, r.err);
      const ours = JSON.parse(r.out) as Holds;
      assert.equal(ours.sensitivity.length, 41);
      ours.sensitivity.forEach((s, i) => {
        const n = numpy.sensitivity[i]!;
        assert.equal(s.threshold, n.threshold);
        assert.equal(s.threshold, (i - 40) / 10, 'thresholds computed as (i − 40)/10');
        assert.equal(s.points, n.points);
        close(s.r2, n.r2, `R² at ${s.threshold}`);
        close(s.loo_rmse, n.loo_rmse, `LOO RMSE at ${s.threshold}`);
      });
      assert.deepEqual(
        ours.predictors.map((p) => p.name),
        numpy.predictors.map((p) => p.name),
      );
      ours.predictors.forEach((p, i) => {
        close(p.r2, numpy.predictors[i]!.r2, `${p.name} R²`);
        close(p.loo_rmse, numpy.predictors[i]!.loo_rmse, `${p.name} LOO RMSE`);
      });
      assert.equal(ours.early.length, numpy.early.length);
      ours.early.forEach((e, i) => {
        const n = numpy.early[i]!;
        assert.equal(e.checkpoints, n.checkpoints);
        close(e.pre_memorization_accuracy.r2, n.pre_memorization_accuracy.r2, `early j=${e.checkpoints} premem R²`);
        close(e.pre_memorization_accuracy.loo_rmse, n.pre_memorization_accuracy.loo_rmse, `early j=${e.checkpoints} premem LOO`);
        close(e.train_accuracy.r2, n.train_accuracy.r2, `early j=${e.checkpoints} train R²`);
        close(e.train_accuracy.loo_rmse, n.train_accuracy.loo_rmse, `early j=${e.checkpoints} train LOO`);
      });
      // The numpy figures, to the digits it gave.
      const at = (t: number) => ours.sensitivity.find((s) => s.threshold === t)!.r2!;
      assert.equal(at(-2.3).toFixed(3), '0.939');
      assert.equal(at(-2.5).toFixed(3), '0.949');
      assert.equal(Math.max(...ours.sensitivity.map((s) => s.r2 ?? -1)), at(-2.5), 'the peak is at −2.5');
      assert.equal(at(-2.0).toFixed(2), '0.84');
      const p = Object.fromEntries(ours.predictors.map((x) => [x.name, x]));
      assert.equal(p['train_accuracy']!.r2!.toFixed(2), '0.40');
      assert.equal(p['memorized_fraction']!.r2!.toFixed(2), '0.13');
      assert.equal(p['mean_log_perplexity']!.r2!.toFixed(2), '0.22');
      assert.equal(p['pre_memorization_accuracy']!.loo_rmse!.toFixed(3), '0.037');
      assert.equal(p['train_accuracy']!.loo_rmse!.toFixed(3), '0.113');
      assert.equal(ours.early[1]!.pre_memorization_accuracy.r2!.toFixed(2), '0.93');
      assert.equal(ours.early[1]!.train_accuracy.r2!.toFixed(2), '0.75');
    } finally {
      tmp.cleanup();
    }
  },
);

test('no fit, no "Does it hold?" fields: a single run gets neither', async () => {
  const { writeExampleSweep } = await import('../../src/example/exampleSweep');
  const tmp = tempDir();
  try {
    const run = join(writeExampleSweep(join(tmp.dir, 'sweep')), 'example_3epochs_lr2e-04');
    const json = JSON.parse((await runCli('report', run, '--db', join(tmp.dir, 'i.sqlite'), '--json')).out) as Partial<Holds> & { fit: unknown };
    assert.equal(json.fit, null);
    assert.equal(json.sensitivity, undefined);
    assert.equal(json.predictors, undefined);
    assert.equal(json.early, undefined);
  } finally {
    tmp.cleanup();
  }
});

test('the dashboard’s "Does it hold?" is the report’s, at the threshold in force and after it moves', { skip: skipUnless(KANG_SWEEP) }, async () => {
  const { IndexStore } = await import('../../src/store/indexStore');
  const { indexPaths } = await import('../../src/store/indexer');
  const { analyseRun, atThreshold } = await import('../../src/queries/runAnalysis');
  const { dashboardFigures } = await import('../../src/queries/dashboard');
  const tmp = tempDir();
  const db = join(tmp.dir, 'index.sqlite');
  const store = await IndexStore.open(db);
  try {
    await indexPaths(store, [KANG_SWEEP]);
    const analyses = await Promise.all((await store.runs()).map((r) => analyseRun(store, r, { threshold: { kind: 'loglog', value: -2.3 }, samplePreference: null })));
    for (const t of [-2.3, -1.6]) {
      const views = analyses.map((a) => ({ run: a.run, analysis: t === -2.3 ? a : atThreshold(a, { kind: 'loglog', value: t }), error: null }));
      const holds = dashboardFigures(views).sweeps[0]!.holds!;
      const r = await runCli('report', KANG_SWEEP, '--db', db, '--json', '--loglog-threshold', String(t));
      const report = JSON.parse(r.out) as Holds;
      assert.deepEqual(holds.sensitivity, report.sensitivity, `sensitivity at ${t}`);
      assert.deepEqual(holds.predictors, report.predictors, `predictors at ${t}`);
      assert.deepEqual(holds.early, report.early, `early at ${t}`);
    }
  } finally {
    await store.close();
    tmp.cleanup();
  }
});
