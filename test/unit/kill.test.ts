import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { seededRandom } from '../../src/core/random';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { discoverRuns } from '../../src/ingest/runLayout';
import { IndexStore } from '../../src/store/indexStore';
import { REPO, tempDir } from '../helpers/paths';

const BIN = join(REPO, 'bin', 'premem.js');
const KILLS = 50;

/**
 * Runs the CLI and SIGKILLs it after `afterMs`, or as soon as its stderr matches `when` (an event,
 * not a delay); resolves with what it printed before dying.
 */
function runAndKill(args: string[], afterMs: number, when?: RegExp): Promise<{ stderr: string; killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (when?.test(stderr)) child.kill('SIGKILL');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), afterMs);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve({ stderr, killed: signal === 'SIGKILL' });
    });
  });
}

test(`${KILLS} SIGKILLs during indexing and flag writes: the index stays whole and every acknowledged flag stays`, { timeout: 120_000 }, async () => {
  const tmp = tempDir('premem-kill-');
  try {
    const sweep = writeExampleSweep(join(tmp.dir, 'example'));
    const db = join(tmp.dir, 'index.sqlite');
    const runs = discoverRuns(sweep);
    const rand = seededRandom(7);
    const acknowledged = new Set<string>();
    let killedMidway = 0;
    let indexKills = 0;
    let completedFlags = 0;
    for (let k = 0; k < KILLS; k++) {
      const delay = 40 + Math.floor(rand() * 300);
      if (k % 2 === 0) {
        // Killed at an event: when the first run is announced indexed, the sweep's next run is
        // being read or written (on rounds where there is work: after the index was emptied).
        const r = await runAndKill(['index', sweep, '--db', db], 60_000, /indexed {4}\S+/);
        if (r.killed) {
          killedMidway++;
          indexKills++;
        }
      } else {
        const run = runs[Math.floor(rand() * runs.length)]!;
        const index = Math.floor(rand() * 48);
        // Every other flag runs to the end (it must be acknowledged); the rest die at a seeded moment.
        const complete = k % 4 === 1;
        const r = await runAndKill(['flag', run.path, String(index), '--note', `note ${k}`, '--db', db], complete ? 60_000 : delay);
        if (r.killed) killedMidway++;
        // The CLI prints "flagged" only after the write committed: those must survive.
        if (r.stderr.includes(`flagged ${run.name} #${index}`)) acknowledged.add(`${run.path}#${index}`);
        if (complete) {
          assert.ok(!r.killed && r.stderr.includes(`flagged ${run.name} #${index}`), `round ${k}: an uninterrupted flag is acknowledged: ${r.stderr}`);
          completedFlags++;
        }
      }
      // Every few rounds, drop the runs so the next index has everything to redo; now and then
      // delete the whole index file, as a user clearing a cache would. Flags live elsewhere.
      if (k % 12 === 11) {
        for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
      } else if (k % 6 === 5) {
        const store = await IndexStore.open(db);
        await store.db.run('DELETE FROM runs');
        await store.close();
      }
    }
    console.log(`# kill test: ${KILLS} runs of the CLI, ${killedMidway} killed mid-way, ${acknowledged.size} acknowledged flags`);
    // Event-based, so these hold on any machine: every index round with work was killed
    // after its first run, and the acknowledged flags include every uninterrupted one.
    assert.ok(indexKills > 0, 'index processes were killed mid-way');
    assert.ok(acknowledged.size > 0 && completedFlags === Math.ceil(KILLS / 4), `${completedFlags} flags ran to the end`);

    const store = await IndexStore.open(db);
    try {
      assert.deepEqual(await store.integrityCheck(), { index: 'ok', flags: 'ok' });
      for (const run of await store.runs()) {
        const onDisk = runs.find((r) => r.path === run.path)!;
        assert.equal((await store.checkpoints(run.id)).length, onDisk.checkpoints.length, `${run.name} is not half-indexed`);
        assert.equal((await store.examples(run.id)).length, 48);
      }
      const flags = new Set((await store.flags()).map((f) => `${f.runPath}#${f.index}`));
      for (const key of acknowledged) assert.ok(flags.has(key), `acknowledged flag ${key} is present`);
    } finally {
      await store.close();
    }
  } finally {
    tmp.cleanup();
  }
});

test('exports and perturbations to one file, three at once and SIGKILLed midway: the file is always absent or whole', { timeout: 180_000 }, async () => {
  const tmp = tempDir('premem-kill-write-');
  try {
    const sweep = writeExampleSweep(join(tmp.dir, 'example'));
    const run = join(sweep, 'example_3epochs_lr2e-04');
    const db = join(tmp.dir, 'index.sqlite');
    const rand = seededRandom(11);
    const exported = join(tmp.dir, 'curated.jsonl');
    const perturbed = join(tmp.dir, 'perturbations.jsonl');
    const whole = (file: string, lines?: number) => {
      if (!existsSync(file)) return;
      const text = readFileSync(file, 'utf8');
      assert.ok(text.endsWith('\n'), `${file} ends mid-line`);
      const rows = text.trimEnd().split('\n');
      for (const l of rows) JSON.parse(l);
      if (lines !== undefined) assert.equal(rows.length, lines);
    };
    let killed = 0;
    for (let k = 0; k < 12; k++) {
      // Three writers of the same file at once; one of them killed after a seeded delay.
      const delay = 20 + Math.floor(rand() * 250);
      const runs = await Promise.all([
        runAndKill(['export', run, '--strategy', 'random', '--count', '40', '--out', exported, '--force', '--db', db], delay),
        runAndKill(['export', run, '--strategy', 'lowest-premem', '--count', '40', '--out', exported, '--force', '--db', db], 60_000),
        runAndKill(['perturb', join(sweep, 'train.jsonl'), '--out', perturbed, '--force'], k % 2 ? delay : 60_000),
      ]);
      killed += runs.filter((r) => r.killed).length;
      whole(exported, 40);
      whole(perturbed);
    }
    console.log(`# write-kill test: 36 writers, ${killed} killed mid-way; the files were absent or whole every time`);
    const store = await IndexStore.open(db);
    try {
      assert.deepEqual(await store.integrityCheck(), { index: 'ok', flags: 'ok' });
    } finally {
      await store.close();
    }
  } finally {
    tmp.cleanup();
  }
});
