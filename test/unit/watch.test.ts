/**
 * `premem watch` while a checkpoint is written slowly, in pieces: it must be indexed exactly
 * once, and only when complete (a half-written .npy is read as truncated and retried).
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { watchRuns } from '../../src/cli/watch';
import { DEFAULT_THRESHOLD } from '../../src/core/threshold';
import { IndexStore } from '../../src/store/indexStore';
import { float64Npy, int64Npy, writeNpyRun } from '../helpers/fixtures';
import { tempDir } from '../helpers/paths';

async function until(what: string, probe: () => boolean, ms = 15_000): Promise<number> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
  return Date.now();
}

test('a checkpoint written slowly in pieces is indexed exactly once, complete', { timeout: 60_000 }, async () => {
  const tmp = tempDir();
  const out: string[] = [];
  /** When each line of `out` was printed (ms since the epoch), to know what came before what. */
  const printedAt: number[] = [];
  const err: string[] = [];
  const stop = new AbortController();
  const store = await IndexStore.open(join(tmp.dir, 'index.sqlite'));
  try {
    const run = writeNpyRun(join(tmp.dir, 'sweep', 'live_2epochs_run'), [
      {
        step: 10,
        train: [
          [0, 1],
          [1, 1],
          [0, 0],
        ],
        ppl: [1.5, 2, 1.2],
        test: [[0, 1]],
      },
    ]);
    const watching = watchRuns(
      store,
      [join(tmp.dir, 'sweep')],
      { threshold: DEFAULT_THRESHOLD, samplePreference: null },
      {
        out: (t) => {
          out.push(t);
          printedAt.push(Date.now());
        },
        err: (t) => err.push(t),
      },
      stop.signal,
      {
        quietMs: 200,
        retryMs: 250,
        maxAttempts: 20,
      },
    );
    await until('the first checkpoint', () => out.some((l) => l.includes('checkpoint-10 indexed')));
    assert.match(out[0]!, /^live_2epochs_run: checkpoint-10 indexed: pre-memorization 0\.\d\d, test 0\.50$/);

    // checkpoint-20: the answers first, then the perplexities in two pieces with a pause between.
    const ckpt = join(run, 'checkpoint-20');
    mkdirSync(ckpt);
    writeFileSync(join(ckpt, 'train_answer_types2_seed2_temp0.8.npy'), int64Npy([0, 0, 0, 1, 1, 0], [3, 2]));
    writeFileSync(join(ckpt, 'test_answer_types2_seed2_temp0.8.npy'), int64Npy([0, 0], [1, 2]));
    const ppl = float64Npy([1.01, 1.5, 1.05]);
    writeFileSync(join(ckpt, 'train_perplexities.npy'), ppl.subarray(0, ppl.length - 10));
    // Long enough for the watcher to look (and find the file truncated) several times.
    await sleep(1200);
    assert.ok(!out.some((l) => l.includes('checkpoint-20')), 'nothing is indexed while the file is cut short');
    const completedAt = Date.now();
    writeFileSync(join(ckpt, 'train_perplexities.npy'), ppl);
    await until('the second checkpoint', () => out.some((l) => l.includes('checkpoint-20 indexed')));
    // The announcement was printed after the file was whole, not while it was cut short.
    const announcedAt = printedAt[out.findIndex((l) => l.includes('checkpoint-20 indexed'))]!;
    assert.ok(announcedAt >= completedAt, `checkpoint-20 was announced ${completedAt - announcedAt} ms before its file was whole`);
    await sleep(800); // any duplicate announcement would come now
    assert.equal(out.filter((l) => l.includes('checkpoint-20')).length, 1, out.join('\n'));
    assert.match(
      out.find((l) => l.includes('checkpoint-20'))!,
      /test 1\.00$/,
    );
    const [stored] = await store.runs();
    const cps = await store.checkpoints(stored!.id);
    assert.deepEqual(
      cps.map((c) => c.step),
      [10, 20],
    );
    assert.deepEqual(Array.from((await store.perplexities([cps[1]!.id])).get(cps[1]!.id)!), [1.01, 1.5, 1.05]);
    assert.deepEqual(
      err.filter((l) => l.includes('still cannot read')),
      [],
    );
    stop.abort();
    await watching;
  } finally {
    stop.abort();
    await store.close();
    tmp.cleanup();
  }
});
