/**
 * Two processes on one index, as when the CLI indexes runs while the editor reads them and
 * the user flags examples: WAL and a busy timeout must keep every operation succeeding, with
 * no "database is locked" reaching anyone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_THRESHOLD } from '../../src/core/threshold';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { analyseRun } from '../../src/queries/runAnalysis';
import { indexPaths, indexRun } from '../../src/store/indexer';
import { discoverRuns } from '../../src/ingest/runLayout';
import { IndexStore } from '../../src/store/indexStore';
import { REPO, tempDir } from '../helpers/paths';

const BIN = join(REPO, 'bin', 'premem.js');
const WRITER_SWEEPS = 5;

/** Runs the CLI in a process of its own, with what it printed. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('a CLI indexing, a CLI reading and flagging, and an in-process reader share one index without a lock error', { timeout: 180_000 }, async () => {
  const tmp = tempDir('premem-concurrency-');
  try {
    const first = writeExampleSweep(join(tmp.dir, 'sweep-0'));
    const db = join(tmp.dir, 'index.sqlite');
    // The reader's sweep is indexed up front; the writer then indexes fresh copies, each a
    // transaction per run with ~10k rows and BLOBs, while the others keep going.
    const setup = await IndexStore.open(db);
    await indexPaths(setup, [first]);
    await setup.close();
    const copies = Array.from({ length: WRITER_SWEEPS }, (_, k) => {
      const dir = join(tmp.dir, `sweep-${k + 1}`);
      cpSync(first, dir, { recursive: true });
      return dir;
    });

    const failures: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (const dir of copies) {
        const r = await cli(['index', dir, '--db', db]);
        if (r.code !== 0) failures.push(`index ${dir}: ${r.stderr}`);
      }
      writing = false;
    })();

    let cliOps = 0;
    const otherProcess = (async () => {
      for (let k = 0; writing || k < 2; k++) {
        const runPath = join(first, 'example_3epochs_lr2e-04');
        for (const args of [
          ['report', first, '--json'],
          ['flag', runPath, String(k % 48), '--note', `round ${k}`],
          ['examples', runPath, '--limit', '5'],
        ]) {
          const r = await cli([...args, '--db', db]);
          cliOps++;
          if (r.code !== 0) failures.push(`${args[0]}: ${r.stderr}`);
        }
      }
    })();

    let readerOps = 0;
    const inProcess = (async () => {
      // Like the editor: one long-lived connection reading while others write.
      const store = await IndexStore.open(db);
      try {
        while (writing) {
          for (const run of await store.runs()) {
            await analyseRun(store, run, { threshold: DEFAULT_THRESHOLD, samplePreference: null });
            readerOps++;
          }
          await store.flags();
        }
      } catch (e) {
        failures.push(`in-process reader: ${(e as Error).message}`);
      } finally {
        await store.close();
      }
    })();

    await Promise.all([writer, otherProcess, inProcess]);
    console.log(
      `# concurrency: ${WRITER_SWEEPS} indexing processes (${WRITER_SWEEPS * 3} runs), ${cliOps} CLI reads and flag writes, ${readerOps} in-process run analyses, ${failures.length} failures`,
    );
    assert.deepEqual(failures, []);
    assert.ok(readerOps > 0 && cliOps >= 6, 'the readers really ran while the writer wrote');
    const store = await IndexStore.open(db);
    assert.equal((await store.runs()).length, 3 * (WRITER_SWEEPS + 1));
    assert.equal((await store.db.get<{ integrity_check: string }>('PRAGMA integrity_check'))!.integrity_check, 'ok');
    await store.close();
  } finally {
    tmp.cleanup();
  }
});

test('a flag from another process lands while an index transaction holds the index', { timeout: 60_000 }, async () => {
  const tmp = tempDir('premem-flag-during-index-');
  try {
    const sweep = writeExampleSweep(join(tmp.dir, 'sweep'));
    const db = join(tmp.dir, 'index.sqlite');
    const store = await IndexStore.open(db);
    const [outcome] = await indexPaths(store, [join(sweep, 'example_3epochs_lr2e-04')]);
    const run = outcome!.path;
    // A long index, as the indexer runs one: a write transaction on the index connection
    // (BEGIN IMMEDIATE), held until the other process's flag is done or 15 s pass.
    let flagged: { code: number | null; stderr: string; ms: number } | null = null;
    let committedAt = 0;
    const t0 = Date.now();
    const holding = store.db.transaction(async () => {
      await store.db.run('DELETE FROM runs WHERE path = ?', ['/nowhere']);
      await store.db.run("INSERT INTO meta(key, value) VALUES ('held', '1') ON CONFLICT(key) DO UPDATE SET value = excluded.value");
      const deadline = Date.now() + 15_000;
      while (flagged === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      committedAt = Date.now() - t0;
    });
    const r = await cli(['flag', run, '5', '--note', 'while indexing', '--db', db]);
    flagged = { ...r, ms: Date.now() - t0 };
    await holding;
    assert.equal(flagged.code, 0, flagged.stderr);
    assert.match(flagged.stderr, /flagged example_3epochs_lr2e-04 #5: while indexing/);
    assert.ok(flagged.ms <= committedAt, `the flag (${flagged.ms} ms) was written before the index transaction ended (${committedAt} ms)`);
    assert.deepEqual(
      (await store.flags(run)).map((f) => [f.index, f.note]),
      [[5, 'while indexing']],
    );
    await store.close();
  } finally {
    tmp.cleanup();
  }
});

test('a run indexed by another process while this one waited for the lock is not replaced under its readers', async () => {
  const tmp = tempDir('premem-fresh-race-');
  try {
    const sweep = writeExampleSweep(join(tmp.dir, 'sweep'));
    const db = join(tmp.dir, 'index.sqlite');
    const [layout] = discoverRuns(join(sweep, 'example_3epochs_lr2e-04'), new Map());
    const a = await IndexStore.open(db);
    const b = await IndexStore.open(db);
    try {
      let firstId = -1;
      // b decides the run is new; before it takes the lock, a indexes the whole run.
      const outcome = await indexRun(b, layout!, {
        beforeLock: async () => {
          assert.equal((await indexRun(a, layout!)).action, 'indexed');
          firstId = (await a.runByPath(layout!.path))!.id;
        },
      });
      assert.equal(outcome.action, 'unchanged', 'decided again under the lock: nothing to write');
      assert.equal((await b.runByPath(layout!.path))!.id, firstId, 'the run a indexed is the one that stays');
    } finally {
      await a.close();
      await b.close();
    }
  } finally {
    tmp.cleanup();
  }
});

test('six processes on a fresh index, reports and calibrate --apply at once: every one answers in full, the same figures', { timeout: 300_000 }, async () => {
  const tmp = tempDir('premem-fresh-six-');
  try {
    const sweep = writeExampleSweep(join(tmp.dir, 'sweep'));
    for (let round = 0; round < 4; round++) {
      const db = join(tmp.dir, `round-${round}.sqlite`);
      const runs = await Promise.all([
        ...[0, 1, 2].map(() => cli(['report', sweep, '--db', db, '--json'])),
        ...[0, 1, 2].map(() => cli(['calibrate', sweep, '--apply', '--db', db])),
      ]);
      for (const r of runs) assert.equal(r.code, 0, `round ${round}: ${r.stderr}`);
      // A report answers at the threshold in force when it read it (the default, or the one a
      // calibrate had kept by then) and says which: the same threshold, the same fit, whole runs.
      const reports = runs
        .slice(0, 3)
        .map((r) => JSON.parse(r.stdout) as { threshold: { value: number; source: string }; runs: { threshold: { value: number }; checkpoints: unknown[] }[]; fit: unknown });
      for (const r of reports) {
        // Every run of one report at one threshold: read once, not before and after a calibrate landed.
        assert.deepEqual(
          r.runs.map((x) => x.threshold.value),
          [r.threshold.value, r.threshold.value, r.threshold.value],
        );
        assert.deepEqual(
          r.runs.map((x) => x.checkpoints.length),
          [6, 6, 6],
        );
        assert.ok(r.threshold.value === -2.3 || r.threshold.value === -2.4, JSON.stringify(r.threshold));
        assert.equal(r.threshold.source === 'default', r.threshold.value === -2.3);
        const alone = JSON.parse((await cli(['report', sweep, '--db', join(tmp.dir, 'alone.sqlite'), '--json', '--loglog-threshold', String(r.threshold.value)])).stdout) as {
          fit: unknown;
        };
        assert.deepEqual(r.fit, alone.fit);
      }
      for (const c of runs.slice(3)) assert.match(c.stderr + c.stdout, /kept ln ln -2\.40 for/);
    }
  } finally {
    tmp.cleanup();
  }
});
