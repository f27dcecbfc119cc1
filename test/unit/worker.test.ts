import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { indexInWorker } from '../../src/store/indexInWorker';
import { IndexStore } from '../../src/store/indexStore';
import { writeNpyRun } from '../helpers/fixtures';
import { REPO, tempDir } from '../helpers/paths';

const WORKER = join(REPO, 'out', 'src', 'store', 'indexWorker.js');

test('indexing in a worker thread: progress, per-run failures, and the host reads the result', async () => {
  const tmp = tempDir();
  try {
    const sweep = writeExampleSweep(join(tmp.dir, 'example'));
    const bad = writeNpyRun(join(tmp.dir, 'bad'), [
      { step: 1, train: [[0]], ppl: [1] },
      { step: 2, train: [[0], [1]], ppl: [1, 1] },
    ]);
    const db = join(tmp.dir, 'i.sqlite');
    const progress: string[] = [];
    const result = await indexInWorker(WORKER, { db, folders: [bad, sweep, join(tmp.dir, 'missing')] }, { onProgress: (p) => progress.push(`${p.run}:${p.checkpoint}/${p.of}`) });
    assert.equal(result.cancelled, false);
    assert.deepEqual(
      result.outcomes.map((o) => o.action),
      ['indexed', 'indexed', 'indexed'],
    );
    assert.deepEqual(
      result.failures.map((f) => f.path),
      [bad, join(tmp.dir, 'missing')],
    );
    assert.match(result.failures[0]!.message, /checkpoint-2.*has 2 train questions, but the run has 1/);
    assert.ok(progress.includes('example_3epochs_lr1e-05:5/6'));
    const store = await IndexStore.open(db);
    assert.equal((await store.runs()).length, 3);
    await store.close();
  } finally {
    tmp.cleanup();
  }
});

test('cancelling the worker rolls back the run in progress', async () => {
  const tmp = tempDir();
  try {
    const sweep = writeExampleSweep(join(tmp.dir, 'example'));
    const db = join(tmp.dir, 'i.sqlite');
    const controller = new AbortController();
    const result = await indexInWorker(WORKER, { db, folders: [sweep] }, { onProgress: (p) => p.checkpoint === 2 && controller.abort(), signal: controller.signal });
    assert.equal(result.cancelled, true);
    const store = await IndexStore.open(db);
    const runs = await store.runs();
    for (const r of runs) assert.equal((await store.checkpoints(r.id)).length, 6, 'no half-indexed run');
    assert.ok(runs.length < 3);
    await store.close();
  } finally {
    tmp.cleanup();
  }
});
