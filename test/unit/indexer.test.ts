import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_THRESHOLD } from '../../src/core/threshold';
import { discoverRuns } from '../../src/ingest/runLayout';
import { buildReport } from '../../src/queries/report';
import { IndexCancelled, indexPaths, indexRun } from '../../src/store/indexer';
import { packCodes, packedRange, unpackCodes } from '../../src/store/blobs';
import { IndexStore } from '../../src/store/indexStore';
import { encodeNpy } from '../../src/ingest/npy';
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

describe('a report over several runs', () => {
  test('analyses them together, in run order, and a failure is the first failing run’s', async () => {
    const tmp = tempDir();
    const store = await IndexStore.open(join(tmp.dir, 'index.sqlite'));
    try {
      const sweep = join(tmp.dir, 'sweep');
      // run_b and run_c have only another sample set, so both fail; run_c's step is the lower one,
      // so an error picked by step (or by whichever query answered first) could name it instead.
      writeNpyRun(join(sweep, 'run_a'), [checkpoint(10, 0.3, 1.5), checkpoint(20, 0.6, 1.3)]);
      writeNpyRun(join(sweep, 'run_b'), [{ ...checkpoint(30, 0.5, 1.2), setName: 'types2_seed7' }]);
      writeNpyRun(join(sweep, 'run_c'), [{ ...checkpoint(5, 0.5, 1.2), setName: 'types2_seed7' }]);
      await indexPaths(store, [sweep]);
      const runs = await Promise.all(discoverRuns(sweep).map(async (l) => (await store.runByPath(l.path))!));
      assert.deepEqual(
        runs.map((r) => r.name),
        ['run_a', 'run_b', 'run_c'],
      );
      const all = await buildReport(store, runs, OPTIONS);
      assert.deepEqual(
        all.json.runs.map((r) => [r.name, r.checkpoints.map((c) => c.step)]),
        [
          ['run_a', [10, 20]],
          ['run_b', [30]],
          ['run_c', [5]],
        ],
      );
      assert.deepEqual(
        all.analyses.map((a) => a.run.name),
        ['run_a', 'run_b', 'run_c'],
      );
      await assert.rejects(buildReport(store, runs, { ...OPTIONS, samplePreference: ['types2_seed2_temp0.8'] }), (e: Error) => {
        assert.match(e.message, /run_b[\\/]checkpoint-30/);
        return true;
      });
    } finally {
      await store.close();
      tmp.cleanup();
    }
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

describe('datasets are stored once, shared by the runs that use them', () => {
  const records = (n: number, tag: string) =>
    Array.from({ length: n }, (_, i) => JSON.stringify({ question: `${tag} question ${i}?`, answer: `step ${i}\n#### ${i}` })).join('\n') + '\n';
  const datasetRows = async (store: IndexStore) =>
    (await store.db.all<{ n: number; d: number }>('SELECT (SELECT count(*) FROM dataset_records) AS n, (SELECT count(*) FROM datasets) AS d'))[0]!;

  test('equal contents share one copy; a changed copy is its own; the last run to go takes it along', async () => {
    const tmp = tempDir();
    const store = await IndexStore.open(join(tmp.dir, 'index.sqlite'));
    try {
      const sweep = join(tmp.dir, 'sweep');
      const runs = ['run_a', 'run_b', 'run_c'].map((name, r) => writeNpyRun(join(sweep, name), [checkpoint(10, 0.3 + r / 10, 1.5)], [3, 0, 2]));
      // a and b: separate files, same content; c: one record changed.
      writeFileSync(join(runs[0]!, 'train.jsonl'), records(5, 'gsm'));
      writeFileSync(join(runs[1]!, 'train.jsonl'), records(5, 'gsm'));
      writeFileSync(join(runs[2]!, 'train.jsonl'), records(5, 'gsm').replace('gsm question 2?', 'changed question 2?'));
      await indexPaths(store, [sweep]);
      assert.deepEqual(await datasetRows(store), { n: 10, d: 2 });

      const texts = async (run: string) => (await store.examples((await store.runByPath(run))!.id)).map((e) => [e.index, e.question, e.line]);
      assert.deepEqual(await texts(runs[0]!), [
        [3, 'gsm question 3?', 4],
        [0, 'gsm question 0?', 1],
        [2, 'gsm question 2?', 3],
      ]);
      assert.deepEqual(await texts(runs[1]!), await texts(runs[0]!));
      assert.equal((await texts(runs[2]!))[2]![1], 'changed question 2?');

      // Forgetting a run that shares its dataset keeps the dataset for the other.
      await store.forget(runs[0]!);
      assert.deepEqual(await datasetRows(store), { n: 10, d: 2 });
      assert.equal((await texts(runs[1]!))[0]![1], 'gsm question 3?');
      await store.forget(runs[1]!);
      assert.deepEqual(await datasetRows(store), { n: 5, d: 1 });
      // Re-indexing a run whole (its subsample changed) keeps exactly one copy of its dataset.
      writeFileSync(join(runs[2]!, 'subsample_idxs.npy'), int64Npy([1, 3, 0], [3]));
      await indexPaths(store, [runs[2]!]);
      assert.deepEqual(await datasetRows(store), { n: 5, d: 1 });
      assert.deepEqual(
        (await texts(runs[2]!)).map((t) => t[1]),
        ['gsm question 1?', 'gsm question 3?', 'gsm question 0?'],
      );
      await store.forget(runs[2]!);
      assert.deepEqual(await datasetRows(store), { n: 0, d: 0 });
    } finally {
      await store.close();
      tmp.cleanup();
    }
  });
});

describe('answer codes: every integer dtype, stored four to a byte', () => {
  test('codes of any integer width, or floats, read the same; each question’s samples come back whatever the sample count', async () => {
    const tmp = tempDir();
    const store = await IndexStore.open(join(tmp.dir, 'index.sqlite'));
    try {
      // 7 questions x 5 samples: rows straddle the packed bytes (5 is not a multiple of 4).
      const codes = Array.from({ length: 7 }, (_, q) => Array.from({ length: 5 }, (_, k) => (q * 5 + k * 3) % 3));
      const flat = codes.flat();
      const encodings: [string, Buffer][] = [
        ['<i8', int64Npy(flat, [7, 5]).subarray(0)],
        ['<i4', encodeNpy('<i4', [7, 5], Buffer.from(Int32Array.from(flat).buffer))],
        ['<i2', encodeNpy('<i2', [7, 5], Buffer.from(Int16Array.from(flat).buffer))],
        ['|u1', encodeNpy('|u1', [7, 5], Buffer.from(Uint8Array.from(flat)))],
        ['<f8', encodeNpy('<f8', [7, 5], Buffer.from(Float64Array.from(flat).buffer))],
        ['>i8', encodeNpy('>i8', [7, 5], Buffer.concat(flat.map((v) => Buffer.from([0, 0, 0, 0, 0, 0, 0, v]))))],
      ];
      for (const [descr, npy] of encodings) {
        const run = writeNpyRun(join(tmp.dir, descr.replace(/\W/g, '')), [{ step: 1, train: codes, ppl: [1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5] }], [6, 0, 3, 1, 5, 2, 4]);
        writeFileSync(join(run, 'checkpoint-1', 'train_answer_types2_seed2_temp0.8.npy'), npy);
        await indexPaths(store, [run]);
        const stored = (await store.runByPath(run))!;
        const [c] = await store.checkpoints(stored.id);
        for (const e of await store.examples(stored.id)) {
          assert.deepEqual(await store.sampleCodes(c!.id, 'train', 'types2_seed2_temp0.8', e.position), codes[e.index], `${descr} question ${e.index}`);
        }
      }
      // A code out of range in the fast path's dtype is still named, row and sample.
      const bad = writeNpyRun(join(tmp.dir, 'bad'), [{ step: 1, train: codes, ppl: [1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5] }]);
      writeFileSync(join(bad, 'checkpoint-1', 'train_answer_types2_seed2_temp0.8.npy'), int64Npy([...flat.slice(0, 12), 7, ...flat.slice(13)], [7, 5]));
      await assert.rejects(indexPaths(store, [bad]), /answer type 7 at row 2, sample 2/);
      // Also in a row the run's subsample leaves out.
      const left = writeNpyRun(join(tmp.dir, 'left-out'), [{ step: 1, train: codes, ppl: [1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5] }], [0, 1, 3, 4, 5, 6]);
      writeFileSync(join(left, 'checkpoint-1', 'train_answer_types2_seed2_temp0.8.npy'), int64Npy([...flat.slice(0, 12), 7, ...flat.slice(13)], [7, 5]));
      await assert.rejects(indexPaths(store, [left]), /answer type 7 at row 2, sample 2/);
    } finally {
      await store.close();
      tmp.cleanup();
    }
  });
});

test('packed codes: the word-at-a-time path and the byte path pack alike, and unpack to the codes', () => {
  const codes = Uint8Array.from({ length: 1003 }, (_, i) => (i * 7 + (i >> 3)) % 3);
  const backing = new Uint8Array(codes.length + 1);
  backing.set(codes, 1);
  const unaligned = backing.subarray(1); // byteOffset 1: the byte path
  const packed = packCodes(codes);
  assert.ok(packed.equals(packCodes(unaligned)));
  assert.equal(packed.length, 251);
  for (const [from, count] of [
    [0, 1003],
    [5, 5],
    [998, 5],
    [3, 50],
  ] as const) {
    const r = packedRange(from, count);
    assert.deepEqual(unpackCodes(packed.subarray(r.start - 1, r.start - 1 + r.length), r.first, count), Array.from(codes.subarray(from, from + count)));
  }
});
