/**
 * Flags outlive the index: it is a cache, they are the user's work. Deleting the index,
 * corrupting it, or upgrading from the version that kept flags inside it loses none; a
 * damaged flags file stops the open with its name and is never moved or rewritten.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Database } from '../../src/store/db';
import { indexPaths } from '../../src/store/indexer';
import { IndexStore } from '../../src/store/indexStore';
import { flagsFileFor, SCHEMA_VERSION } from '../../src/store/schema';
import { writeNpyRun } from '../helpers/fixtures';
import { tempDir } from '../helpers/paths';

const noted = async (store: IndexStore) => (await store.flags()).map((f) => [f.index, f.note]);

function smallRun(dir: string): string {
  return writeNpyRun(join(dir, 'r'), [{ step: 1, train: [[0], [1], [0]], ppl: [2, 1.01, 1.5] }]);
}

/** A fresh folder with an index path in it, removed afterwards whatever happens. */
async function withIndexFile(body: (file: string, dir: string) => Promise<void>): Promise<void> {
  const tmp = tempDir();
  try {
    await body(join(tmp.dir, 'index.sqlite'), tmp.dir);
  } finally {
    tmp.cleanup();
  }
}

test('flags live in their own file beside the index', () => {
  assert.equal(flagsFileFor('/a/index.sqlite'), '/a/index.flags.sqlite');
  assert.equal(flagsFileFor('/a/premem.db'), '/a/premem.flags.sqlite');
  assert.equal(flagsFileFor('/a/cache'), '/a/cache.flags.sqlite');
});

test('deleting the index file loses no flag', () =>
  withIndexFile(async (file, dir) => {
    const run = smallRun(dir);
    let store = await IndexStore.open(file);
    await indexPaths(store, [run]);
    await store.setFlag(run, 2, 'copied');
    await store.close();
    for (const f of readdirSync(dir)) if (f.startsWith('index.sqlite')) rmSync(join(dir, f));
    store = await IndexStore.open(file);
    assert.deepEqual(await store.runs(), []);
    assert.deepEqual(await noted(store), [[2, 'copied']]);
    await indexPaths(store, [run]);
    assert.equal((await store.runs()).length, 1);
    await store.close();
  }));

test('a corrupt index is set aside and rebuilt; the flags are untouched', () =>
  withIndexFile(async (file, dir) => {
    const run = smallRun(dir);
    let store = await IndexStore.open(file);
    await indexPaths(store, [run]);
    await store.setFlag(run, 0, 'never solved');
    await store.close();
    const flagsBefore = readFileSync(flagsFileFor(file));
    // A SQLite file (its header says so) whose pages are garbage: an index, damaged.
    const damaged = Buffer.concat([readFileSync(file).subarray(0, 100), Buffer.from('garbage page '.repeat(600))]);
    for (const garbage of [damaged, Buffer.alloc(0)]) {
      writeFileSync(file, garbage);
      rmSync(`${file}-wal`, { force: true });
      store = await IndexStore.open(file);
      if (garbage.length > 0) {
        assert.ok(store.setAside && existsSync(store.setAside), 'the damaged file is kept for inspection');
        assert.deepEqual(readFileSync(store.setAside), garbage);
      }
      assert.deepEqual(await noted(store), [[0, 'never solved']]);
      const [o] = await indexPaths(store, [run]);
      assert.equal(o!.action, 'indexed');
      await store.close();
    }
    assert.deepEqual(readFileSync(flagsFileFor(file)).subarray(0, 100), flagsBefore.subarray(0, 100));
  }));

test('a file that is not a Premem index is refused, never moved or written (--db train.jsonl)', () =>
  withIndexFile(async (_file, dir) => {
    // The user's dataset, named by mistake as the index.
    const dataset = join(dir, 'train.jsonl');
    const text = '{"question": "q", "answer": "a\\n#### 1"}\n'.repeat(50);
    writeFileSync(dataset, text);
    await assert.rejects(IndexStore.open(dataset), /train\.jsonl: is not a SQLite database, so not a Premem index/);
    assert.equal(readFileSync(dataset, 'utf8'), text, 'untouched');
    assert.deepEqual(readdirSync(dir).sort(), ['train.jsonl'], 'nothing renamed, nothing created beside it');
    // Another program's SQLite database: refused too, not given our tables.
    const other = join(dir, 'other.sqlite');
    const db = await Database.open(other);
    await db.exec('CREATE TABLE experiments (id INTEGER); INSERT INTO experiments VALUES (1);');
    await db.close();
    const before = readFileSync(other);
    await assert.rejects(IndexStore.open(other), /other\.sqlite is a SQLite database of something else/);
    assert.deepEqual(readFileSync(other), before);
    assert.ok(!readdirSync(dir).some((f) => f.includes('corrupt')));
  }));

test('flags written after the flags file was deleted land in a new file, never acknowledged and lost', () =>
  withIndexFile(async (file, dir) => {
    const run = smallRun(dir);
    const store = await IndexStore.open(file);
    await indexPaths(store, [run]);
    await store.setFlag(run, 0, 'before');
    for (const suffix of ['', '-wal', '-shm']) rmSync(flagsFileFor(file) + suffix, { force: true });
    for (let i = 0; i < 3; i++) await store.setFlag(run, i, `after ${i}`);
    await store.close();
    // What is on disk, read by a fresh store: every flag acknowledged since the deletion.
    const again = await IndexStore.open(file);
    assert.deepEqual(await noted(again), [
      [0, 'after 0'],
      [1, 'after 1'],
      [2, 'after 2'],
    ]);
    await again.close();
  }));

test('a damaged flags file stops the open with its name, and nothing is moved', () =>
  withIndexFile(async (file, dir) => {
    const store = await IndexStore.open(file);
    await store.close();
    const flags = flagsFileFor(file);
    rmSync(`${flags}-wal`, { force: true });
    writeFileSync(flags, 'garbage '.repeat(600));
    await assert.rejects(IndexStore.open(file), (e: Error & { code?: string }) => e.code === 'SQLITE_NOTADB' && e.message.startsWith(`flags database ${flags}: `));
    assert.equal(readFileSync(flags, 'utf8'), 'garbage '.repeat(600), 'the flags file is left as it was');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('corrupt')),
      [],
      'the index was not set aside either',
    );
  }));

test('upgrading from schema 3, which kept flags inside the index, moves them out', () =>
  withIndexFile(async (file) => {
    // An index as version 3 wrote it: meta, derived tables and the flags table, no flags file.
    const old = await Database.open(file);
    await old.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO meta VALUES ('schema_version', '3');
      CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT NOT NULL UNIQUE);
      INSERT INTO runs(path) VALUES ('/runs/a');
      CREATE TABLE flags (run_path TEXT NOT NULL, idx INTEGER NOT NULL, note TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (run_path, idx)) WITHOUT ROWID;
      INSERT INTO flags VALUES ('/runs/a', 7, 'copies', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z');
      INSERT INTO flags VALUES ('/runs/b', 3, '', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');`);
    await old.close();
    assert.equal(existsSync(flagsFileFor(file)), false);

    const store = await IndexStore.open(file);
    assert.deepEqual(
      (await store.flags()).map((f) => [f.runPath, f.index, f.note, f.updatedAt]),
      [
        ['/runs/a', 7, 'copies', '2026-01-02T00:00:00.000Z'],
        ['/runs/b', 3, '', '2026-01-01T00:00:00.000Z'],
      ],
    );
    assert.equal(await store.db.get("SELECT 1 FROM main.sqlite_master WHERE name = 'flags'"), undefined, 'the index no longer holds flags');
    assert.deepEqual(await store.runs(), [], 'the derived tables were rebuilt');
    assert.equal((await store.db.get<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'"))!.value, String(SCHEMA_VERSION));
    await store.close();
    // And they are in the flags file itself, not only visible through this connection.
    const flagsDb = await Database.open(flagsFileFor(file), { readonly: true });
    assert.equal((await flagsDb.get<{ n: number }>('SELECT count(*) AS n FROM flags'))!.n, 2);
    await flagsDb.close();
  }));
