import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_THRESHOLD } from '../../src/core/threshold';
import { discoverRuns } from '../../src/ingest/runLayout';
import { buildReport } from '../../src/queries/report';
import { IndexCancelled, indexPaths, indexRun } from '../../src/store/indexer';
import { IndexStore } from '../../src/store/indexStore';
import { int64Npy, writeNpyCheckpoint, writeNpyRun, type NpyCheckpointSpec } from '../helpers/fixtures';
import { tempDir } from '../helpers/paths';

const OPTIONS = { threshold: { kind: 'perplexity', value: 1.1 } as const, samplePreference: null };

function checkpoint(step: number, acc: number, ppl: number): NpyCheckpointSpec {
  // Four questions, two samples each; question q is correct on sample 0 when acc > q/4.
  const train = [0, 1, 2, 3].map((q) => [acc > q / 4 ? 0 : 1, q === 3 ? 2 : 1]);
  return {
    step,
    train,
    ppl: [ppl, ppl + 0.5, 1.01, 2],
    test: [
      [0, 1],
      [acc > 0.5 ? 0 : 1, 1],
    ],
  };
}

async function report(store: IndexStore, dir: string) {
  const runs = await Promise.all(discoverRuns(dir).map(async (l) => (await store.runByPath(l.path))!));
  return (await buildReport(store, runs, OPTIONS)).json;
}

describe('indexing', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: IndexStore;
  let run: string;
  before(async () => {
    tmp = tempDir();
    run = writeNpyRun(join(tmp.dir, 'sweep', 'run_a_3epochs'), [checkpoint(10, 0.3, 1.5), checkpoint(20, 0.6, 1.3)], [3, 0, 2]);
    store = await IndexStore.open(join(tmp.dir, 'index', 'index.sqlite'));
  });
  after(async () => {
    await store.close();
    tmp.cleanup();
  });

  test('a new run is read whole, in subsample order, with epochs from its name', async () => {
    const [o] = await indexPaths(store, [run]);
    assert.equal(o!.action, 'indexed');
    assert.equal(o!.checkpointsRead, 2);
    const stored = (await store.runByPath(run))!;
    assert.equal(stored.epochs, 3);
    assert.equal(stored.epochsSource, 'run name');
    assert.deepEqual(
      (await store.examples(stored.id)).map((e) => e.index),
      [3, 0, 2],
    );
    const r = await report(store, run);
    const c0 = r.runs[0]!.checkpoints[0]!;
    assert.equal(c0.examples, 3);
    // Examples 3, 0, 2 at acc 0.3: correct samples 0, 1, 0 of 2 -> mean 1/6.
    assert.equal(c0.train_accuracy, (0 + 0.5 + 0) / 3);
    assert.equal(c0.test_accuracy, 1 / 4);
    assert.deepEqual(c0.sample_sets, { train: 'types2_seed2_temp0.8', test: 'types2_seed2_temp0.8' });
  });

  test('re-indexing an unchanged run reads nothing', async () => {
    const [o] = await indexPaths(store, [run]);
    assert.equal(o!.action, 'unchanged');
  });

  test('a new checkpoint is added without re-reading the others', async () => {
    const before = (await store.checkpoints((await store.runByPath(run))!.id)).map((c) => c.id);
    writeNpyCheckpoint(run, checkpoint(30, 0.9, 1.05));
    const [o] = await indexPaths(store, [run]);
    assert.equal(o!.action, 'updated');
    assert.equal(o!.checkpointsRead, 1);
    const afterIds = (await store.checkpoints((await store.runByPath(run))!.id)).map((c) => c.id);
    assert.deepEqual(afterIds.slice(0, 2), before, 'old checkpoint rows untouched');
    assert.deepEqual(
      (await report(store, run)).runs[0]!.checkpoints.map((c) => c.step),
      [10, 20, 30],
    );
  });

  test('a failed ingest leaves the previous index and the flags intact', async () => {
    await store.setFlag(run, 2, 'copied, never solved');
    const reportBefore = await report(store, run);
    // A run-level file that does not fit fails the whole run: nothing changes.
    const subsample = readFileSync(join(run, 'subsample_idxs.npy'));
    writeFileSync(join(run, 'subsample_idxs.npy'), int64Npy([0, 99], [2]));
    await assert.rejects(indexPaths(store, [run]), /subsample_idxs\.npy lists index 99/);
    assert.deepEqual(await report(store, run), reportBefore);
    assert.deepEqual(
      (await store.flags()).map((x) => [x.index, x.note]),
      [[2, 'copied, never solved']],
    );
    writeFileSync(join(run, 'subsample_idxs.npy'), subsample);
  });

  test('a checkpoint with a damaged file is skipped, named, and costs only itself', async () => {
    await indexPaths(store, [run]);
    const stored = (await store.runByPath(run))!;
    const before = (await store.checkpoints(stored.id)).map((c) => c.step);
    // A new checkpoint with a truncated perplexity file: stored as skipped, the others stay.
    const ckpt = writeNpyCheckpoint(run, checkpoint(40, 0.9, 1.02));
    const f = join(ckpt, 'train_perplexities.npy');
    writeFileSync(f, readFileSync(f).subarray(0, 100));
    const [o] = await indexPaths(store, [run]);
    assert.equal(o!.action, 'updated');
    assert.equal(o!.checkpointsRead, 0);
    const now = (await store.runByPath(run))!;
    assert.deepEqual(
      (await store.checkpoints(now.id)).map((c) => c.step),
      before,
    );
    const skipped = await store.skippedCheckpoints(now.id);
    assert.equal(skipped.length, 1);
    assert.equal(skipped[0]!.step, 40);
    assert.equal(skipped[0]!.file, f);
    assert.match(skipped[0]!.reason, /truncated/);
    rmSync(ckpt, { recursive: true });
    await indexPaths(store, [run]);
    assert.deepEqual(await store.skippedCheckpoints(now.id), [], 'gone from disk, gone from the skipped list');
  });

  test('checkpoints that disagree in shape are refused, naming the file', async () => {
    const ckpt = writeNpyCheckpoint(run, {
      step: 50,
      train: [
        [0, 0],
        [1, 1],
      ],
      ppl: [1, 1],
    });
    await indexPaths(store, [run]);
    const skipped = await store.skippedCheckpoints((await store.runByPath(run))!.id);
    assert.equal(skipped.length, 1);
    assert.match(`${skipped[0]!.file}: ${skipped[0]!.reason}`, /checkpoint-50[/\\]train_answer_types2_seed2_temp0\.8\.npy: has 2 train questions, but the run has 4/);
    rmSync(ckpt, { recursive: true });
    await indexPaths(store, [run]);
  });

  test('flags survive a full re-index (run-level change) and are keyed by run path and index', async () => {
    const runBefore = (await store.runByPath(run))!;
    appendFileSync(join(run, 'run.json'), JSON.stringify({ num_train_epochs: 6 }));
    const [o] = await indexPaths(store, [run]);
    assert.equal(o!.action, 'indexed');
    const runAfter = (await store.runByPath(run))!;
    assert.notEqual(runAfter.id, runBefore.id, 'the run row was rebuilt');
    assert.equal(runAfter.epochs, 6);
    assert.deepEqual(
      (await store.flags(run)).map((x) => x.index),
      [2],
    );
  });

  test('a checkpoint deleted on disk keeps its figures, marked; when it comes back it is read again', async () => {
    // What a Trainer's save_total_limit does while it trains.
    const before = (await report(store, run)).runs[0]!.checkpoints;
    rmSync(join(run, 'checkpoint-30'), { recursive: true });
    const [o] = await indexPaths(store, [run]);
    assert.equal(o!.action, 'updated');
    assert.equal(o!.checkpointsRemoved, 1);
    assert.deepEqual((await report(store, run)).runs[0]!.checkpoints, before, 'every figure is kept');
    const stored = await store.checkpoints((await store.runByPath(run))!.id);
    assert.deepEqual(
      stored.map((c) => [c.step, c.deletedOnDisk]),
      [
        [10, false],
        [20, false],
        [30, true],
      ],
    );
    assert.equal((await indexPaths(store, [run]))[0]!.action, 'unchanged', 'a deleted checkpoint is not re-marked on every pass');
    writeNpyCheckpoint(run, checkpoint(30, 0.9, 1.05));
    const [again] = await indexPaths(store, [run]);
    assert.equal(again!.checkpointsRead, 1);
    const back = await store.checkpoints((await store.runByPath(run))!.id);
    assert.deepEqual(
      back.map((c) => [c.step, c.deletedOnDisk]),
      [
        [10, false],
        [20, false],
        [30, false],
      ],
    );
  });

  test('cancelling rolls the run back', async () => {
    const other = writeNpyRun(join(tmp.dir, 'sweep', 'run_b'), [checkpoint(5, 0.5, 1.2), checkpoint(15, 0.5, 1.2)]);
    const [layout] = discoverRuns(other);
    let calls = 0;
    await assert.rejects(indexRun(store, layout!, { isCancelled: () => ++calls > 1 }), IndexCancelled);
    assert.equal(await store.runByPath(other), undefined);
    const [o] = await indexPaths(store, [other]);
    assert.equal(o!.action, 'indexed');
  });

  test('a sweep lists its runs; memorization uses the stored perplexities at query time', async () => {
    const r = await report(store, join(tmp.dir, 'sweep'));
    assert.deepEqual(
      r.runs.map((x) => x.name),
      ['run_a_3epochs', 'run_b'],
    );
    const runs = await Promise.all(r.runs.map(async (x) => (await store.runByPath(x.path))!));
    const strict = await buildReport(store, runs, { threshold: { kind: 'perplexity', value: 1.0001 }, samplePreference: null });
    const loose = await buildReport(store, runs, { threshold: DEFAULT_THRESHOLD, samplePreference: null });
    assert.equal(strict.json.runs[0]!.checkpoints[0]!.memorized_fraction, 0);
    assert.equal(loose.json.runs[0]!.checkpoints[0]!.memorized_fraction, 1 / 3, 'only the ppl-1.01 example at -2.3');
  });
});

describe('re-indexing when the run changes shape', () => {
  test('a first checkpoint rewritten with more questions re-reads the whole run', async () => {
    const tmp = tempDir();
    const store = await IndexStore.open(join(tmp.dir, 'i.sqlite'));
    try {
      const run = writeNpyRun(join(tmp.dir, 'r'), [checkpoint(1, 0.5, 1.5), checkpoint(2, 0.5, 1.5)]);
      await indexPaths(store, [run]);
      // Both checkpoints rewritten with a fifth question.
      for (const step of [1, 2]) writeNpyCheckpoint(run, { step, train: [[0], [0], [1], [1], [0]], ppl: [2, 2, 2, 2, 1.01] });
      const [o] = await indexPaths(store, [run]);
      assert.equal(o!.action, 'indexed');
      const r = await report(store, run);
      assert.equal(r.runs[0]!.checkpoints[0]!.examples, 5);
      assert.equal(r.runs[0]!.checkpoints[1]!.train_accuracy, 3 / 5);
    } finally {
      await store.close();
      tmp.cleanup();
    }
  });
});
