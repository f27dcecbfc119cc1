import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { indexPaths } from '../../src/store/indexer';
import { IndexStore } from '../../src/store/indexStore';
import { SCHEMA_VERSION } from '../../src/store/schema';
import { writeNpyRun } from '../helpers/fixtures';
import { tempDir } from '../helpers/paths';

test('an older schema: derived tables are rebuilt, flags are kept', async () => {
  const tmp = tempDir();
  const file = join(tmp.dir, 'i.sqlite');
  try {
    const run = writeNpyRun(join(tmp.dir, 'r'), [{ step: 1, train: [[0], [1]], ppl: [2, 1.01] }]);
    let store = await IndexStore.open(file);
    await indexPaths(store, [run]);
    await store.setFlag(run, 1, 'keep me');
    await store.db.run("UPDATE meta SET value = '1' WHERE key = 'schema_version'");
    await store.close();

    store = await IndexStore.open(file);
    assert.deepEqual(await store.runs(), [], 'the cache was dropped');
    assert.deepEqual(
      (await store.flags()).map((f) => [f.runPath, f.index, f.note]),
      [[run, 1, 'keep me']],
    );
    assert.equal((await store.db.get<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'"))!.value, String(SCHEMA_VERSION));
    const [o] = await indexPaths(store, [run]);
    assert.equal(o!.action, 'indexed');
    await store.close();
  } finally {
    tmp.cleanup();
  }
});

test('a newer schema is refused rather than misread', async () => {
  const tmp = tempDir();
  const file = join(tmp.dir, 'i.sqlite');
  try {
    const store = await IndexStore.open(file);
    await store.db.run("UPDATE meta SET value = '999' WHERE key = 'schema_version'");
    await store.close();
    await assert.rejects(IndexStore.open(file), /newer Premem Lens \(schema 999/);
  } finally {
    tmp.cleanup();
  }
});
