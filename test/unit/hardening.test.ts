/**
 * The defects an adversarial audit found in the readers and the store, each reproduced at the
 * size it was found at (or a size that would have shown it) and refused now with the file named.
 * Timings and memory are printed, never asserted.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { InputError } from '../../src/ingest/errors';
import { jsonDepth, jsonlLines, MAX_LINE_BYTES } from '../../src/ingest/jsonl';
import { rawRecords } from '../../src/ingest/lmEval';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { encodeNpy } from '../../src/ingest/npy';
import { discoverRuns } from '../../src/ingest/runLayout';
import { Database } from '../../src/store/db';
import { indexRun } from '../../src/store/indexer';
import { IndexStore } from '../../src/store/indexStore';
import { float64Npy, runCli, writeNpyRun } from '../helpers/fixtures';
import { tempDir } from '../helpers/paths';

const MiB = 1024 * 1024;

/** Runs `body`, returning what it threw, how long it took and how much the RSS grew. */
function measure(body: () => void): { error: unknown; ms: number; rssGrowthMb: number } {
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  let error: unknown = null;
  try {
    body();
  } catch (e) {
    error = e;
  }
  return { error, ms: performance.now() - t0, rssGrowthMb: (process.memoryUsage().rss - rss0) / MiB };
}

/** A JSONL samples line of about `mb` MiB: one sample text of that length. */
function writeLongLine(file: string, mb: number, newline: boolean): void {
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, '{"index": 0, "correct": [true], "samples": ["');
    const block = Buffer.alloc(MiB, 'x');
    for (let i = 0; i < mb; i++) writeSync(fd, block);
    writeSync(fd, `"]}${newline ? '\n' : ''}`);
  } finally {
    closeSync(fd);
  }
}

describe('hardening: readers', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(() => (tmp = tempDir('premem-hardening-')));
  after(() => tmp.cleanup());

  test('a JSONL line is read in linear time, and one over 64 MiB is refused with file and line', () => {
    // Under the limit: reading must grow with the line, not with its square (the old reader took
    // 0.8/2.5/10.2 s for 25/50/100 MB lines).
    const times: string[] = [];
    for (const mb of [8, 16, 32]) {
      const file = join(tmp.dir, `line-${mb}.jsonl`);
      writeLongLine(file, mb, true);
      const m = measure(() => {
        let n = 0;
        for (const e of jsonlLines(file)) n += ((e.value['samples'] as string[])[0] ?? '').length;
        assert.equal(n, mb * MiB);
      });
      assert.equal(m.error, null);
      times.push(`${mb} MiB ${m.ms.toFixed(0)} ms`);
      rmSync(file);
    }
    console.log(`# one JSONL line: ${times.join(', ')}`);
    // Over the limit (200 MB, the size that took 38 s and 3.4 GB): refused once 64 MiB are read.
    const huge = join(tmp.dir, 'huge.jsonl');
    writeFileSync(huge, '{"index": 0, "correct": [true]}\n');
    const fd = openSync(huge, 'a');
    const block = Buffer.alloc(MiB, 'y');
    for (let i = 0; i < 200; i++) writeSync(fd, block);
    closeSync(fd);
    const m = measure(() => {
      for (const _ of jsonlLines(huge)) void _;
    });
    console.log(`# a 200 MiB line: refused after ${m.ms.toFixed(0)} ms, RSS grew ${m.rssGrowthMb.toFixed(0)} MB`);
    assert.ok(m.error instanceof InputError, String(m.error));
    assert.match((m.error as Error).message, /huge\.jsonl:2: line is longer than 64 MiB/);
    assert.equal(MAX_LINE_BYTES, 64 * MiB);
    rmSync(huge);
  });

  test('only regular files are read: a pipe or a device as a data file is refused at once', () => {
    const run = join(tmp.dir, 'pipes');
    mkdirSync(join(run, 'checkpoint-1'), { recursive: true });
    execFileSync('mkfifo', [join(run, 'checkpoint-1', 'train_samples.jsonl')]);
    writeFileSync(join(run, 'checkpoint-1', 'train_references.jsonl'), '{"index": 0, "perplexity": 2}\n');
    const [layout] = discoverRuns(run);
    assert.deepEqual(
      layout!.problems.map((p) => p.reason),
      ['is not a regular file (a pipe, device or folder cannot be read as run data)'],
    );
    // run.json naming /dev/zero as the dataset (it ran for a minute at 3.8 GB).
    const dev = writeNpyRun(join(tmp.dir, 'devzero'), [{ step: 1, train: [[0], [1]], ppl: [1.5, 2] }]);
    writeFileSync(join(dev, 'run.json'), JSON.stringify({ train_file: '/dev/zero' }));
    const [devLayout] = discoverRuns(dev);
    assert.match(devLayout!.problems[0]!.reason, /"train_file" names \/dev\/zero, which is not a regular file/);
    assert.throws(() => jsonlLines('/dev/zero').next(), /\/dev\/zero: is not a regular file/);
  });

  test('an answer-types header claiming 16 million questions of zero samples is refused before anything is allocated', async () => {
    const run = join(tmp.dir, 'zero-cols');
    mkdirSync(join(run, 'checkpoint-1'), { recursive: true });
    const file = join(run, 'checkpoint-1', 'train_answer_types5_seed2.npy');
    writeFileSync(file, encodeNpy('<i8', [16_000_000, 0], Buffer.alloc(0)));
    writeFileSync(join(run, 'checkpoint-1', 'train_perplexities.npy'), float64Npy([1.5]));
    const store = await IndexStore.open(':memory:');
    const t0 = performance.now();
    const rss0 = process.memoryUsage().rss;
    await assert.rejects(indexRun(store, discoverRuns(run)[0]!), /train_answer_types5_seed2\.npy: has no samples per question \(shape \(16000000, 0\)\)/);
    console.log(`# a (16000000, 0) answer-types file: refused in ${(performance.now() - t0).toFixed(1)} ms, RSS grew ${((process.memoryUsage().rss - rss0) / MiB).toFixed(0)} MB`);
    await store.close();
  });

  test('perplexities below 1, zero, negative or −∞, and answer codes above 2, are refused with the file named', async () => {
    const store = await IndexStore.open(':memory:');
    const cases: [string, number[], (readonly number[])[], RegExp][] = [
      ['negative', [1.5, -2], [[0], [1]], /train_perplexities\.npy: example 1: perplexity -2 is below 1/],
      ['zero', [0, 2], [[0], [1]], /example 0: perplexity 0 is below 1/],
      ['minus infinity', [1.2, -Infinity], [[0], [1]], /example 1: perplexity -Infinity is below 1/],
      ['code 3', [1.2, 2], [[0], [3]], /train_answer_types2_seed2_temp0\.8\.npy: answer type 3 at row 1, sample 0: answer types are 0 \(correct\), 1 \(wrong\) or 2/],
      ['code 255', [1.2, 2], [[255], [1]], /answer type 255 at row 0/],
    ];
    for (const [name, ppl, train, pattern] of cases) {
      const run = writeNpyRun(join(tmp.dir, `values-${name.replace(/ /g, '-')}`), [{ step: 1, train, ppl }]);
      await assert.rejects(indexRun(store, discoverRuns(run)[0]!), pattern, name);
    }
    // NaN stays "unknown", +∞ "never memorized", rounding just below 1 "memorized": all accepted.
    const ok = writeNpyRun(join(tmp.dir, 'values-ok'), [{ step: 1, train: [[0], [1], [2]], ppl: [NaN, Infinity, 0.99999994] }]);
    assert.equal((await indexRun(store, discoverRuns(ok)[0]!)).action, 'indexed');
    // JSONL: a positive log-probability makes a perplexity below 1.
    const jrun = join(tmp.dir, 'values-jsonl');
    mkdirSync(join(jrun, 'checkpoint-1'), { recursive: true });
    writeFileSync(join(jrun, 'checkpoint-1', 'train_samples.jsonl'), '{"index": 0, "correct": [true]}\n{"index": 1, "correct": [false]}\n');
    writeFileSync(join(jrun, 'checkpoint-1', 'train_references.jsonl'), '{"index": 0, "perplexity": 1.5}\n{"index": 1, "token_logprobs": [-0.1, 0.5]}\n');
    await assert.rejects(indexRun(store, discoverRuns(jrun)[0]!), /train_references\.jsonl:2: perplexity 0\.8187.* is below 1/);
    await store.close();
  });

  test('two folders for one step name both; a step beyond 2^53 is refused', async () => {
    const run = writeNpyRun(join(tmp.dir, 'steps'), [{ step: 116, train: [[0], [1]], ppl: [1.5, 2] }]);
    writeNpyRun(join(tmp.dir, 'steps-copy'), [{ step: 116, train: [[0], [1]], ppl: [1.5, 2] }]);
    execFileSync('cp', ['-r', join(tmp.dir, 'steps-copy', 'checkpoint-116'), join(run, 'checkpoint-0116')]);
    const r = await runCli('report', run, '--db', join(tmp.dir, 'steps.sqlite'));
    assert.equal(r.code, 1);
    assert.match(r.err, /checkpoint-116: names step 116, as checkpoint-0116 does: one folder per step/);
    const big = writeNpyRun(join(tmp.dir, 'bigstep'), [{ step: 5, train: [[0], [1]], ppl: [1.5, 2] }]);
    execFileSync('cp', ['-r', join(big, 'checkpoint-5'), join(big, 'checkpoint-99999999999999999999')]);
    const r2 = await runCli('report', big, '--db', join(tmp.dir, 'steps.sqlite'));
    assert.equal(r2.code, 1);
    assert.match(r2.err, /checkpoint-99999999999999999999: step 99999999999999999999 is beyond 2\^53/);
  });

  test('a dangling or looping link in one run names the link and leaves the sweep’s other runs readable', async () => {
    const sweep = join(tmp.dir, 'links');
    writeNpyRun(join(sweep, 'good'), [{ step: 1, train: [[0], [1]], ppl: [1.5, 2] }]);
    const dangling = writeNpyRun(join(sweep, 'dangling'), [{ step: 1, train: [[0], [1]], ppl: [1.5, 2] }]);
    rmSync(join(dangling, 'checkpoint-1', 'train_perplexities.npy'));
    symlinkSync(join(tmp.dir, 'nowhere.npy'), join(dangling, 'checkpoint-1', 'train_perplexities.npy'));
    const looping = writeNpyRun(join(sweep, 'looping'), [{ step: 1, train: [[0], [1]], ppl: [1.5, 2] }]);
    const loop = join(looping, 'checkpoint-1', 'train_answer_types9_seed2.npy');
    symlinkSync(loop, loop);
    const layouts = discoverRuns(sweep);
    assert.deepEqual(
      layouts.map((l) => l.name),
      ['dangling', 'good', 'looping'],
      'discovery of the sweep goes on past the bad runs',
    );
    const store = await IndexStore.open(':memory:');
    await assert.rejects(indexRun(store, layouts[0]!), /dangling[/\\]checkpoint-1[/\\]train_perplexities\.npy: is a broken symbolic link/);
    assert.equal((await indexRun(store, layouts[1]!)).action, 'indexed');
    await assert.rejects(indexRun(store, layouts[2]!), /train_answer_types9_seed2\.npy: is a symbolic link that loops/);
    await store.close();
  });

  test('answer types with fewer rows than subsample_idxs.npy lists: the answer-types file is named', async () => {
    const run = writeNpyRun(join(tmp.dir, 'subsample'), [{ step: 1, train: [[0], [1], [0]], ppl: [1.5, 2, 3] }], [0, 2, 4]);
    const store = await IndexStore.open(':memory:');
    await assert.rejects(indexRun(store, discoverRuns(run)[0]!), /train_answer_types2_seed2_temp0\.8\.npy: has 3 training questions, but .*subsample_idxs\.npy lists index 4/);
    await store.close();
  });
});

describe('hardening: the store', () => {
  test('SQLite errors name the database they concern', async () => {
    const tmp = tempDir('premem-named-');
    try {
      const file = join(tmp.dir, 'ro.sqlite');
      const w = await Database.open(file);
      await w.exec('CREATE TABLE t (x INTEGER)');
      await w.close();
      const ro = await Database.open(file, { readonly: true });
      await assert.rejects(ro.run('INSERT INTO t VALUES (1)'), (e: Error & { code?: string }) => e.code === 'SQLITE_READONLY' && e.message.startsWith(`${file}: SQLITE_READONLY`));
      await ro.close();
    } finally {
      tmp.cleanup();
    }
  });
});

describe('records nested beyond reason are named errors, not stack overflows', () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

  test('a dataset line nested 200,000 deep: report names the file and line; export never overflows the stack', async () => {
    const sweep = writeExampleSweep(join(dir, 'sweep'));
    const file = join(sweep, 'train.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[2] = lines[2]!.replace(/}$/, `, "x": ${deep(200_000)}}`);
    writeFileSync(file, lines.join('\n'));
    const r = await runCli('report', sweep, '--db', join(dir, 'deep.sqlite'));
    assert.notEqual(r.code, 0);
    assert.match(r.err, /train\.jsonl:3: nests 200001 levels deep, more than the 512 a record may/);
    assert.doesNotMatch(r.err, /call stack/);
  });

  test('depth is counted outside strings only, and 512 levels are read', () => {
    assert.equal(jsonDepth('{"a": "[[[[{{{{", "b": [1, [2, {"c": "\\"]]"}]]}'), 4);
    const ok = join(dir, 'ok.jsonl');
    writeFileSync(ok, `{"x": ${deep(511)}}\n`);
    assert.equal([...jsonlLines(ok)].length, 1);
    writeFileSync(ok, `{"x": ${deep(512)}}\n`);
    assert.throws(
      () => [...jsonlLines(ok)],
      (e: unknown) => e instanceof InputError && e.line === 1 && /nests 513 levels deep/.test(e.detail),
    );
  });

  test('a harness log in the single-array form nested 200,000 deep is named', () => {
    const log = join(dir, 'samples_gsm8k_train_2024-06-01T10-00-00.json');
    writeFileSync(log, `[{"doc_id": 0, "doc": ${deep(200_000)}}]`);
    assert.throws(
      () => [...rawRecords(log)],
      (e: unknown) => e instanceof InputError && e.file === log && /nests 200001 levels deep/.test(e.detail),
    );
  });
});

test('a malformed perturbed-samples file: robustness names it, its line and why, not "has no samples"', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const sweep = writeExampleSweep(join(dir, 'sweep'));
    const run = join(sweep, 'example_3epochs_lr2e-04');
    const file = join(run, 'checkpoint-36', 'perturbed_samples_temp0.8.jsonl');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    writeFileSync(file, [...lines, '{"id": "3-x", "index": 3, broken'].join('\n') + '\n');
    const r = await runCli('robustness', run, '--db', join(dir, 'index.sqlite'));
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`perturbed_samples_temp0\\.8\\.jsonl: could not be read, so checkpoint 36 .*: line ${lines.length + 1}: malformed JSON`));
    assert.doesNotMatch(r.err, /has no samples on perturbed questions/);
  } finally {
    cleanup();
  }
});
