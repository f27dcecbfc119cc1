/**
 * What the two panels are sent: the example panel's detail and samples, the dashboard's
 * figures, the live threshold, and the message validators that guard the host. Built from
 * the real SQLite index of the example sweep and, where present, the shared real runs.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { alignSolutions } from '../../src/core/steps';
import { DEFAULT_THRESHOLD, type MemorizationThreshold } from '../../src/core/threshold';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { DASHBOARD_PARAMS } from '../../src/protocol/dashboard';
import { EXAMPLE_PARAMS, parseExampleState } from '../../src/protocol/examplePanel';
import { parseRequest, ProtocolError } from '../../src/protocol/rpc';
import { predictWithInterval } from '../../src/core/calibration';
import { calibrate, DEFAULT_GRID } from '../../src/queries/calibrate';
import { calibrationView, dashboardFigures, lowestExamples } from '../../src/queries/dashboard';
import { checkpointSamples, exampleDetail } from '../../src/queries/exampleDetail';
import { buildReport, sweepFit } from '../../src/queries/report';
import { analyseRun, atThreshold, exampleFigures, type AnalysisOptions } from '../../src/queries/runAnalysis';
import { indexPaths } from '../../src/store/indexer';
import { IndexStore, type StoredRun } from '../../src/store/indexStore';
import { KANG_SWEEP, skipUnless, tempDir, TINYGSM } from '../helpers/paths';

const OPTIONS: AnalysisOptions = { threshold: DEFAULT_THRESHOLD, samplePreference: null };

describe('panel data from the index', () => {
  const tmp = tempDir();
  let store: IndexStore;
  let runs: StoredRun[];

  before(async () => {
    const sweep = writeExampleSweep(join(tmp.dir, 'example'));
    store = await IndexStore.open(join(tmp.dir, 'index.sqlite'));
    await indexPaths(store, [sweep]);
    runs = await store.runs();
  });
  after(async () => {
    await store.close();
    tmp.cleanup();
  });

  test('the live threshold gives exactly what a fresh analysis at that threshold gives', async () => {
    for (const run of runs) {
      const base = await analyseRun(store, run, OPTIONS);
      for (const t of [{ kind: 'loglog', value: -1.5 }, { kind: 'perplexity', value: 1.02 }, DEFAULT_THRESHOLD] as MemorizationThreshold[]) {
        const fresh = await analyseRun(store, run, { ...OPTIONS, threshold: t });
        const live = atThreshold(base, t);
        assert.deepEqual(live.metrics, fresh.metrics);
        assert.deepEqual(live.checkpoints, fresh.checkpoints);
      }
    }
  });

  test('the example detail: figures from the engine, copy rates as stored at index time', async () => {
    const run = runs.find((r) => r.name === 'example_3epochs_lr2e-04')!;
    const a = await analyseRun(store, run, OPTIONS);
    const examples = await store.examples(run.id);
    for (const e of examples.slice(0, 12)) {
      const d = await exampleDetail(store, a, e, OPTIONS);
      const f = exampleFigures(a, e.position, e.index);
      assert.equal(d.index, e.index);
      assert.equal(d.memorizationStep, f.memorizationStep);
      assert.equal(d.preMemorizationAccuracy, f.preMemorizationAccuracy.at(-1));
      assert.deepEqual(
        d.timeline.map((t) => [t.step, t.accuracy, t.perplexity, t.memorized]),
        a.checkpoints.map((c, j) => [c.step, f.trainAccuracy[j], f.perplexity[j], f.memorized[j]]),
      );
      assert.equal(d.reference.finalAnswer, e.answer!.split('#### ')[1]);
      // Each checkpoint's copy rate is the mean over the samples the panel then aligns.
      for (const t of d.timeline) {
        const s = await checkpointSamples(store, a, e, t.step);
        const rates = s.samples.map((x) => x.copyRate!);
        assert.equal(t.copyRate, rates.reduce((x, y) => x + y, 0) / rates.length);
        for (const x of s.samples) assert.equal(x.copyRate, alignSolutions(x.text!, e.answer!).copyRate);
      }
    }
  });

  test('aligned rows carry both sides, and a word diff only where the paired steps differ', async () => {
    const run = runs[0]!;
    const a = await analyseRun(store, run, OPTIONS);
    const [e] = await store.examples(run.id);
    const s = await checkpointSamples(store, a, e!, a.checkpoints.at(-1)!.step);
    assert.equal(s.hasTexts, true);
    for (const sample of s.samples) {
      for (const r of sample.rows) {
        assert.equal(r.sample === null, r.kind === 'skipped');
        assert.equal(r.reference === null, r.kind === 'own');
        if (r.diff) {
          assert.notEqual(r.sample, r.reference);
          assert.equal(
            r.diff
              .filter((d) => d.change !== 'removed')
              .map((d) => d.text)
              .join(''),
            r.sample,
          );
          assert.equal(
            r.diff
              .filter((d) => d.change !== 'added')
              .map((d) => d.text)
              .join(''),
            r.reference,
          );
        }
      }
    }
    await assert.rejects(checkpointSamples(store, a, e!, 999_999), /no checkpoint at step 999999/);
  });

  test('the dashboard fits are the report’s fit and the same fit on plain train accuracy', async () => {
    const analyses = await Promise.all(runs.map((run) => analyseRun(store, run, OPTIONS)));
    const { runs: dashRuns, sweeps } = dashboardFigures(analyses.map((analysis) => ({ run: analysis.run, analysis, error: null })));
    const report = await buildReport(store, runs, OPTIONS);
    assert.equal(sweeps.length, 1);
    assert.deepEqual(sweeps[0]!.fit, report.json.fit);
    assert.deepEqual(sweeps[0]!.trainFit, sweepFit(analyses, 'train'));
    assert.notDeepEqual(sweeps[0]!.trainFit, sweeps[0]!.fit);
    for (const r of dashRuns) {
      const expected = report.json.runs.find((x) => x.path === r.path)!;
      assert.deepEqual(
        r.checkpoints.map((c) => [c.step, c.trainAccuracy, c.preMemorizationAccuracy, c.memorizedFraction, c.testAccuracy]),
        expected.checkpoints.map((c) => [c.step, c.train_accuracy, c.pre_memorization_accuracy, c.memorized_fraction, c.test_accuracy]),
      );
      const points = report.json.runs.flatMap((x) => x.checkpoints.filter((c) => c.test_accuracy !== null).map((c) => [c.pre_memorization_accuracy!, c.test_accuracy!] as const));
      for (const c of r.checkpoints) {
        // The line's value and its interval, clamped to [0, 1]: accuracies.
        const clamp = (v: number) => Math.min(1, Math.max(0, v));
        assert.equal(c.predictedTestAccuracy, clamp(report.json.fit!.slope! * c.preMemorizationAccuracy! + report.json.fit!.intercept!));
        const p = predictWithInterval(
          points.map((x) => x[0]),
          points.map((x) => x[1]),
          c.preMemorizationAccuracy!,
        )!;
        assert.deepEqual(c.predictedInterval, { low: clamp(p.low), high: clamp(p.high) });
        assert.ok(clamp(p.low) <= c.predictedTestAccuracy && c.predictedTestAccuracy <= clamp(p.high));
      }
    }
    // A run whose figures failed still shows, with its reason.
    const failed = dashboardFigures([{ run: runs[0]!, analysis: null, error: 'no sample set' }]);
    assert.deepEqual(failed.runs[0]!.checkpoints, []);
    assert.equal(failed.runs[0]!.error, 'no sample set');
    assert.deepEqual(failed.sweeps, []);
    const lowest = lowestExamples(analyses[0]!, await store.examples(runs[0]!.id), 5);
    assert.equal(lowest.length, 5);
    assert.ok(lowest.every((x, i) => i === 0 || x.preMemorizationAccuracy! >= lowest[i - 1]!.preMemorizationAccuracy!));
  });

  test('on tinygsm, samples reason in their own words early and copy the reference late', { skip: skipUnless(TINYGSM) }, async () => {
    const own = await IndexStore.open(join(tmp.dir, 'tiny.sqlite'));
    try {
      await indexPaths(own, [TINYGSM]);
      const [run] = await own.runs();
      const a = await analyseRun(own, run!, OPTIONS);
      const examples = await own.examples(run!.id);
      let early = 0;
      let late = 0;
      for (const e of examples) {
        const d = await exampleDetail(own, a, e, OPTIONS);
        early += d.timeline[0]!.copyRate!;
        late += d.timeline.at(-1)!.copyRate!;
      }
      // The same means the README reports (0.032 → 0.210), from the panel's own query.
      assert.equal((early / examples.length).toFixed(3), '0.032');
      assert.equal((late / examples.length).toFixed(3), '0.210');
    } finally {
      await own.close();
    }
  });

  test('the sweep fit on the real GSM8K runs is the paper’s R² ≈ 0.94, live at another threshold too', { skip: skipUnless(KANG_SWEEP) }, async () => {
    const own = await IndexStore.open(join(tmp.dir, 'kang.sqlite'));
    try {
      await indexPaths(own, [KANG_SWEEP]);
      const kangRuns = await own.runs();
      const analyses = await Promise.all(kangRuns.map((run) => analyseRun(own, run, OPTIONS)));
      const views = (t: MemorizationThreshold) => analyses.map((x) => ({ run: x.run, analysis: atThreshold(x, t), error: null }));
      const at23 = dashboardFigures(views(DEFAULT_THRESHOLD)).sweeps[0]!;
      assert.equal(at23.fit.points, 51);
      assert.equal(at23.fit.r2!.toFixed(4), '0.9393');
      const at25 = dashboardFigures(views({ kind: 'loglog', value: -2.5 })).sweeps[0]!;
      const report25 = await buildReport(own, kangRuns, { ...OPTIONS, threshold: { kind: 'loglog', value: -2.5 } });
      assert.deepEqual(at25.fit, report25.json.fit);
      // The dashboard's calibration is the CLI's: the same scores, the same choice (−2.5 over −2.3).
      const view = calibrationView(KANG_SWEEP, analyses);
      const cli = await calibrate(own, kangRuns, null, DEFAULT_GRID);
      assert.deepEqual(
        view.scores,
        cli.scores.map((x) => ({ threshold: x.threshold, heldOutRmse: x.heldOutRmse, r2: x.fit.r2 })),
      );
      assert.equal(view.best!.threshold, -2.5);
      assert.equal(view.handPicked.threshold, -2.3);
      assert.ok(view.best!.heldOutRmse < view.handPicked.heldOutRmse!);
    } finally {
      await own.close();
    }
  });
});

describe('webview message validation (host side)', () => {
  const refuse = (f: () => unknown, pattern: RegExp) => assert.throws(f, (e: unknown) => e instanceof ProtocolError && pattern.test(e.message));

  test('the envelope: a request with an integer id and a method name, nothing else', () => {
    assert.deepEqual(parseRequest({ kind: 'request', id: 3, method: 'ready', params: {} }), { kind: 'request', id: 3, method: 'ready', params: {} });
    refuse(() => parseRequest({ kind: 'response', id: 3, method: 'ready' }), /expected a request/);
    refuse(() => parseRequest({ kind: 'request', id: 1.5, method: 'ready' }), /request.id/);
    refuse(() => parseRequest({ kind: 'request', id: 1, method: 'x'.repeat(65) }), /request.method/);
    refuse(() => parseRequest('ready'), /expected a request/);
  });

  test('example panel params: only a step, a sample number, a note or a direction', () => {
    assert.deepEqual(EXAMPLE_PARAMS.checkpoint({ step: 400 }, 'checkpoint'), { step: 400 });
    assert.deepEqual(EXAMPLE_PARAMS.navigate({ direction: 'next' }, 'navigate'), { direction: 'next' });
    assert.deepEqual(EXAMPLE_PARAMS.ready(undefined, 'ready'), {});
    refuse(() => EXAMPLE_PARAMS.checkpoint({ step: '400' }, 'checkpoint'), /checkpoint.step/);
    refuse(() => EXAMPLE_PARAMS.checkpoint({ step: -1 }, 'checkpoint'), /checkpoint.step/);
    // A webview cannot name another run or a file: there is no field for it.
    refuse(() => EXAMPLE_PARAMS.checkpoint({ step: 1, runPath: '/etc' }, 'checkpoint'), /unexpected field runPath/);
    refuse(() => EXAMPLE_PARAMS.openDiff({ step: 1, sample: 0, file: '/etc/passwd' }, 'openDiff'), /unexpected field file/);
    // Keys every object inherits are fields too when a message carries them (JSON.parse makes them own keys).
    refuse(() => EXAMPLE_PARAMS.checkpoint(JSON.parse('{"step": 1, "__proto__": {"x": 1}}'), 'checkpoint'), /unexpected field __proto__/);
    refuse(() => EXAMPLE_PARAMS.checkpoint({ step: 1, constructor: 'x' }, 'checkpoint'), /unexpected field constructor/);
    refuse(() => EXAMPLE_PARAMS.navigate({ direction: 'up' }, 'navigate'), /one of previous, next/);
    refuse(() => EXAMPLE_PARAMS.flag({ note: 'x'.repeat(2001) }, 'flag'), /at most 2000/);
    refuse(() => EXAMPLE_PARAMS.ready({ sql: 'DROP TABLE flags' }, 'ready'), /no parameters/);
    assert.deepEqual(parseExampleState({ runPath: '/r', index: 3, step: null }, 'state'), { runPath: '/r', index: 3, step: null });
    refuse(() => parseExampleState({ runPath: '/r', index: -3, step: null }, 'state'), /state.index/);
  });

  test('dashboard params: thresholds are finite numbers; chart files have a bounded size and a known format', () => {
    assert.deepEqual(DASHBOARD_PARAMS.setThreshold({ form: 'loglog', value: -2.5 }, 'setThreshold'), { form: 'loglog', value: -2.5 });
    refuse(() => DASHBOARD_PARAMS.setThreshold({ form: 'loglog', value: Number.NaN }, 'setThreshold'), /setThreshold.value/);
    refuse(() => DASHBOARD_PARAMS.setThreshold({ form: 'sql', value: 1 }, 'setThreshold'), /setThreshold.form/);
    refuse(() => DASHBOARD_PARAMS.saveChart({ name: 'a', format: 'html', data: '<svg/>' }, 'saveChart'), /saveChart.format/);
    assert.deepEqual(DASHBOARD_PARAMS.select({ runPath: '/r', step: null }, 'select'), { runPath: '/r', step: null });
    refuse(() => DASHBOARD_PARAMS.showExample({ runPath: '/r', index: 0.5 }, 'showExample'), /showExample.index/);
  });
});
