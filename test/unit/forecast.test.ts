/**
 * A run in progress gets a forecast of its final test accuracy from the finished runs of its
 * sweep (issue 26, item 3): checked against a direct least-squares computation from the
 * report's own per-checkpoint figures, alone and in its sweep, with the reasons given where there
 * is none, and as `premem watch` announces it.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { describeNewCheckpoint, followOnce } from '../../src/queries/follow';
import { IndexStore } from '../../src/store/indexStore';
import { runCli } from '../helpers/fixtures';
import { tempDir } from '../helpers/paths';

const SOURCE = 'example_3epochs_lr2e-04';
const STEPS_PER_EPOCH = 12;

interface Checkpoint {
  step: number;
  pre_memorization_accuracy: number;
  test_accuracy: number | null;
}
interface Run {
  name: string;
  checkpoints: Checkpoint[];
  forecast?: { final_test_accuracy: number | null; band?: number | null; checkpoints?: number; runs?: number; reason?: string; training: { epoch: number; of: number } | null };
}

/** Copies checkpoints of the source run into a new run, each with the trainer_state.json a Trainer writes (its epoch). */
function liveRun(sweep: string, source: string, name: string, steps: readonly number[]): string {
  const dir = join(sweep, name);
  mkdirSync(dir, { recursive: true });
  cpSync(join(source, SOURCE, 'run.json'), join(dir, 'run.json'));
  for (const step of steps) addCheckpoint(dir, source, step);
  return dir;
}

function addCheckpoint(dir: string, source: string, step: number): void {
  const to = join(dir, `checkpoint-${step}`);
  cpSync(join(source, SOURCE, `checkpoint-${step}`), to, { recursive: true });
  writeFileSync(join(to, 'trainer_state.json'), JSON.stringify({ epoch: step / STEPS_PER_EPOCH, global_step: step, log_history: [] }));
}

/** Ordinary least squares and leave-one-out RMSE written out directly (one point per run). */
function direct(xs: number[], ys: number[], x: number): { value: number; band: number } {
  const line = (px: number[], py: number[]) => {
    const n = px.length;
    const mx = px.reduce((a, b) => a + b, 0) / n;
    const my = py.reduce((a, b) => a + b, 0) / n;
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < n; i++) {
      sxy += (px[i]! - mx) * (py[i]! - my);
      sxx += (px[i]! - mx) ** 2;
    }
    const slope = sxy / sxx;
    return (v: number) => my + slope * (v - mx);
  };
  let se = 0;
  for (let i = 0; i < xs.length; i++) {
    const f = line(
      xs.filter((_, k) => k !== i),
      ys.filter((_, k) => k !== i),
    );
    se += (f(xs[i]!) - ys[i]!) ** 2;
  }
  return { value: Math.min(1, Math.max(0, line(xs, ys)(x))), band: Math.sqrt(se / xs.length) };
}

test('a run still training is forecast from its sweep’s finished runs, in the report and in watch', async () => {
  const tmp = tempDir();
  try {
    const sweep = writeExampleSweep(join(tmp.dir, 'sweep'));
    const live = liveRun(sweep, sweep, 'live_3epochs_run', [6, 12, 18, 24]);
    const db = join(tmp.dir, 'index.sqlite');
    const r = await runCli('report', sweep, '--db', db, '--json');
    assert.equal(r.code, 0, r.err);
    const runs = (JSON.parse(r.out) as { runs: Run[] }).runs;
    const finished = runs.filter((x) => x.name !== 'live_3epochs_run');
    assert.equal(finished.length, 3);
    for (const f of finished) assert.equal(f.forecast, undefined, `${f.name} is finished: no forecast`);
    const me = runs.find((x) => x.name === 'live_3epochs_run')!;
    const j = me.checkpoints.length;
    assert.equal(j, 4);
    const expected = direct(
      finished.map((f) => f.checkpoints[Math.min(j, f.checkpoints.length) - 1]!.pre_memorization_accuracy),
      finished.map((f) => f.checkpoints.at(-1)!.test_accuracy!),
      me.checkpoints.at(-1)!.pre_memorization_accuracy,
    );
    const f = me.forecast!;
    assert.deepEqual(f.training, { epoch: 2, of: 3 });
    assert.equal(f.checkpoints, 4);
    assert.equal(f.runs, 3);
    assert.ok(Math.abs(f.final_test_accuracy! - expected.value) < 1e-12, `forecast ${f.final_test_accuracy} vs direct ${expected.value}`);
    assert.ok(Math.abs(f.band! - expected.band) < 1e-12, `band ${f.band} vs direct ${expected.band}`);
    // The checkpoint-4 forecast is not the last checkpoint's fit: the early fit differs by checkpoint count.
    const at6 = direct(
      finished.map((x) => x.checkpoints.at(-1)!.pre_memorization_accuracy),
      finished.map((x) => x.checkpoints.at(-1)!.test_accuracy!),
      me.checkpoints.at(-1)!.pre_memorization_accuracy,
    );
    assert.notEqual(f.final_test_accuracy!.toFixed(6), at6.value.toFixed(6));

    // The text report says it, and a report on the run alone still forecasts from its sweep.
    const text = await runCli('report', sweep, '--db', db);
    assert.match(
      text.out,
      new RegExp(`still training \\(epoch 2 of 3\\): final test accuracy forecast ${f.final_test_accuracy!.toFixed(4)} ± ${f.band!.toFixed(4)} \\(from 3 finished runs`),
    );
    const alone = JSON.parse((await runCli('report', live, '--db', db, '--json')).out) as { runs: Run[] };
    assert.equal(alone.runs[0]!.forecast!.final_test_accuracy, f.final_test_accuracy);

    // premem watch's announcement of the next checkpoint carries the forecast at 5 checkpoints.
    const store = await IndexStore.open(db);
    try {
      addCheckpoint(live, sweep, 30);
      const result = await followOnce(store, [sweep], { threshold: { kind: 'loglog', value: -2.3 }, samplePreference: null });
      assert.deepEqual(
        result.added.map((c) => c.step),
        [30],
      );
      const c = result.added[0]!;
      assert.equal(c.forecast?.kind, 'forecast');
      const after = JSON.parse((await runCli('report', live, '--db', db, '--json')).out) as { runs: Run[] };
      const f5 = after.runs[0]!.forecast!;
      assert.equal(f5.checkpoints, 5);
      assert.match(describeNewCheckpoint(c), new RegExp(`final test forecast ${f5.final_test_accuracy!.toFixed(2)} ± ${f5.band!.toFixed(2)} after 5 checkpoints`));
    } finally {
      await store.close();
    }
    // The last checkpoint (epoch 3 of 3, with a test evaluation): finished, measured, no forecast.
    addCheckpoint(live, sweep, 36);
    const done = JSON.parse((await runCli('report', live, '--db', db, '--json')).out) as { runs: Run[] };
    assert.equal(done.runs[0]!.forecast, undefined);
  } finally {
    tmp.cleanup();
  }
});

test('without a sweep, or with fewer than 3 finished runs, the report says why there is no forecast', async () => {
  const tmp = tempDir();
  try {
    const source = writeExampleSweep(join(tmp.dir, 'source'));
    const db = join(tmp.dir, 'index.sqlite');
    const lone = liveRun(join(tmp.dir, 'lone'), source, 'lone_run', [6, 12]);
    const a = JSON.parse((await runCli('report', lone, '--db', db, '--json')).out) as { runs: Run[] };
    assert.equal(a.runs[0]!.forecast!.final_test_accuracy, null);
    assert.match(a.runs[0]!.forecast!.reason!, /no other run of its sweep folder is indexed/);
    const text = await runCli('report', lone, '--db', db);
    assert.match(text.out, /still training \(epoch 1 of 3\): no forecast: no other run/);

    const small = join(tmp.dir, 'small');
    for (const run of ['example_3epochs_lr1e-05', 'example_3epochs_lr5e-05']) cpSync(join(source, run), join(small, run), { recursive: true });
    liveRun(small, source, 'live_run', [6]);
    const b = JSON.parse((await runCli('report', small, '--db', db, '--json')).out) as { runs: Run[] };
    assert.match(b.runs.find((x) => x.name === 'live_run')!.forecast!.reason!, /its sweep has 2 finished runs .*needs 3/);
  } finally {
    tmp.cleanup();
  }
});
