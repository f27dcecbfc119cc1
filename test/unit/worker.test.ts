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
      ['indexed', 'indexed', 'indexed', 'indexed'],
    );
    assert.deepEqual(
      result.failures.map((f) => f.path),
      [join(tmp.dir, 'missing')],
    );
    assert.ok(progress.includes('example_3epochs_lr1e-05:5/6'));
    const store = await IndexStore.open(db);
    assert.equal((await store.runs()).length, 4);
    // The bad run keeps its good checkpoint; the other is skipped, named.
    const skipped = await store.skippedCheckpoints((await store.runByPath(bad))!.id);
    assert.match(`${skipped[0]!.file}: ${skipped[0]!.reason}`, /checkpoint-2.*has 2 train questions, but the run has 1/);
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

test('the editor’s connection stays sound while the worker indexes into the same file, again and again', async () => {
  // The editor holds a connection for reads and the worker thread (same process) opens its own.
  // Anything that opened and closed the database file outside SQLite in this process would drop
  // the editor connection's POSIX locks: SQLITE_IOERR on its next read (seen in the real editor).
  const tmp = tempDir();
  try {
    const sweep = writeExampleSweep(join(tmp.dir, 'example'));
    const db = join(tmp.dir, 'i.sqlite');
    const editor = await IndexStore.open(db);
    try {
      for (let round = 0; round < 4; round++) {
        await editor.db.run('DELETE FROM runs');
        // The views keep reading while the worker writes, as the editor's do.
        let reading = true;
        const reads = (async () => {
          let n = 0;
          while (reading) {
            await editor.runs();
            await editor.flags();
            n++;
          }
          return n;
        })();
        const result = await indexInWorker(WORKER, { db, folders: [sweep] }, {});
        reading = false;
        assert.ok((await reads) > 0);
        assert.deepEqual(result.failures, []);
        assert.equal((await editor.runs()).length, 3, `round ${round}: the editor reads what the worker wrote`);
        await editor.setFlag(join(sweep, 'example_3epochs_lr2e-04'), round, `round ${round}`);
        assert.equal((await editor.flags()).length, round + 1);
        assert.deepEqual(await editor.integrityCheck(), { index: 'ok', flags: 'ok' });
      }
    } finally {
      await editor.close();
    }
  } finally {
    tmp.cleanup();
  }
});
