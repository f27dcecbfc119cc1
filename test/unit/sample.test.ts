/**
 * `premem sample`: decoding with onnxruntime-node on models the tests build (their next-token
 * distributions are known in closed form), the cache path against the plain one, seeded
 * sampling, resuming a killed run, the run folder it writes, and a real tinygsm checkpoint.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { argmax, nucleus, pickToken, stopAt } from '../../src/core/decoding';
import { keyedRandom } from '../../src/core/random';
import { Sampler } from '../../src/score/sampler';
import { impliedStop, SampleCancelled, sampleRun, sampleSetName, type SampleRunOptions } from '../../src/score/sampleRun';
import { AUTHORS_TEMPLATES } from '../../src/score/templates';
import { IndexStore } from '../../src/store/indexStore';
import { indexPaths } from '../../src/store/indexer';
import { readNpyFile } from '../../src/ingest/npy';
import { runCli } from '../helpers/fixtures';
import { cachedLanguageModel, characterTokenizer, lookupLanguageModel, writeModel } from '../helpers/onnxModels';
import { REPO, skipUnless, tempDir, TINYGSM } from '../helpers/paths';

const CHARS = [...new Set('abcdxyz?\nAnswer:#0123456789 Done.\\{}'.split(''))];
const V = CHARS.length + 2;
const id = (c: string) => CHARS.indexOf(c) + 2;

/** A bigram table in which each character of `chain` (no character twice) strongly predicts the next. */
function chainTable(chain: string): number[][] {
  const table = Array.from({ length: V }, (_, r) => Array.from({ length: V }, (_, c) => Math.fround(((r * 7 + c * 3) % 11) / 10)));
  // Each character of the chain strongly predicts the next one; the chain has no repeated character with two successors.
  for (let t = 0; t + 1 < chain.length; t++) table[id(chain[t]!)]![id(chain[t + 1]!)] = 6;
  return table;
}

function writeTokenizer(dir: string): string {
  const file = join(dir, 'tokenizer.json');
  writeFileSync(file, JSON.stringify(characterTokenizer(CHARS)));
  return file;
}

const GREEDY = { temperature: 0, topP: 1, maxNewTokens: 40, stop: [] as string[], seed: 0 };

test('token choice: argmax ties to the lowest id, nucleus keeps the smallest set reaching p, stop strings', () => {
  assert.equal(argmax([1, 3, 3, 2], 0, 4), 1);
  const logits = [Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)];
  const n = nucleus(logits, 0, 4, { temperature: 1, topP: 0.75 });
  assert.deepEqual([...n.tokens], [0, 1]);
  assert.ok(Math.abs(n.probs[0]! - 0.625) < 1e-12 && Math.abs(n.probs[1]! - 0.375) < 1e-12);
  // Temperature 0.5 squares the odds: 0.5² : 0.3² : 0.15² : 0.05².
  const t = nucleus(logits, 0, 4, { temperature: 0.5, topP: 1 });
  const z = 0.25 + 0.09 + 0.0225 + 0.0025;
  assert.ok(Math.abs(t.probs[0]! - 0.25 / z) < 1e-12);
  // Drawing: the share of each token over many draws follows the distribution (4 standard errors).
  const random = keyedRandom(1);
  const counts = [0, 0, 0, 0];
  const N = 20000;
  for (let i = 0; i < N; i++) counts[pickToken(logits, 0, 4, { temperature: 1, topP: 1 }, random)]!++;
  [0.5, 0.3, 0.15, 0.05].forEach((p, k) => assert.ok(Math.abs(counts[k]! / N - p) < 4 * Math.sqrt((p * (1 - p)) / N), `token ${k}: ${counts[k]! / N} vs ${p}`));
  assert.equal(stopAt('abc\nDone.xyz', ['\nDone.', 'xyz']), 3);
  assert.deepEqual(impliedStop(AUTHORS_TEMPLATES), ['\nDone.']);
  assert.equal(sampleSetName({ samples: 4, temperature: 0.8, topP: 1, seed: 2 }), 'samples4_temp0.8_seed2');
  assert.equal(sampleSetName({ samples: 4, temperature: 0.8, topP: 0.9, seed: 2 }), 'samples4_temp0.8_seed2_topp0.9');
});

describe('decoding with built models', () => {
  const { dir, cleanup } = tempDir();
  test.after(cleanup);
  const chain = ':xyz 42\nDone';
  const table = chainTable(chain);
  const plain = join(dir, 'plain.onnx');
  writeModel(plain, lookupLanguageModel(table));
  const tokenizer = writeTokenizer(dir);

  test('greedy decoding follows the hand-computed chain and stops at the stop string', async () => {
    const s = await Sampler.load(plain, tokenizer);
    try {
      const [g] = await s.generate([{ prompt: 'abc?\nAnswer:', key: [0] }], { ...GREEDY, stop: ['\nDone'] });
      // From ":" the strongest successor of each character is the next one of the chain.
      assert.deepEqual(g, { text: 'xyz 42', tokens: 11, finish: 'stop' });
      const [cut] = await s.generate([{ prompt: 'abc?\nAnswer:', key: [0] }], { ...GREEDY, maxNewTokens: 4 });
      assert.deepEqual(cut, { text: 'xyz ', tokens: 4, finish: 'length' });
    } finally {
      await s.close();
    }
  });

  test('an end-of-sequence id from config.json ends a sequence; a context limit ends it too', async () => {
    const sub = join(dir, 'eos');
    mkdirSync(sub, { recursive: true });
    writeModel(join(sub, 'model.onnx'), lookupLanguageModel(table));
    writeFileSync(join(sub, 'config.json'), JSON.stringify({ eos_token_id: [id(' ')], max_position_embeddings: 64 }));
    const s = await Sampler.load(join(sub, 'model.onnx'), tokenizer);
    try {
      assert.deepEqual(await s.generate([{ prompt: 'a:', key: [0] }], GREEDY), [{ text: 'xyz', tokens: 3, finish: 'eos' }]);
      assert.equal(s.context, 64);
    } finally {
      await s.close();
    }
    const short = await Sampler.load(plain, tokenizer, { context: 5 });
    try {
      assert.deepEqual(await short.generate([{ prompt: 'ab:', key: [0] }], GREEDY), [{ text: 'xy', tokens: 2, finish: 'context' }]);
    } finally {
      await short.close();
    }
  });

  test('seeded sampling: same seed same texts, whatever the batch; another seed other texts', async () => {
    const flat = Array.from({ length: V }, (_, r) => Array.from({ length: V }, (_, c) => Math.fround(((r + 2 * c) % 5) / 4)));
    const file = join(dir, 'flat.onnx');
    writeModel(file, lookupLanguageModel(flat));
    const s = await Sampler.load(file, tokenizer);
    try {
      const requests = ['a?', 'bb?', 'ccc?', 'd?'].flatMap((p, q) => [0, 1].map((k) => ({ prompt: p, key: [q, k] })));
      const options = { temperature: 1, topP: 0.9, maxNewTokens: 12, stop: [], seed: 7 };
      const whole = await s.generate(requests, options);
      const oneByOne = [];
      for (const r of requests) oneByOne.push(...(await s.generate([r], options)));
      assert.deepEqual(oneByOne, whole);
      const reversed = await s.generate([...requests].reverse(), options);
      assert.deepEqual(reversed.reverse(), whole);
      assert.notDeepEqual(
        (await s.generate(requests, { ...options, seed: 8 })).map((g) => g.text),
        whole.map((g) => g.text),
      );
      assert.ok(new Set(whole.map((g) => g.text)).size > 4, 'samples differ between questions and sample numbers');
    } finally {
      await s.close();
    }
  });

  test('the key/value cache path gives the same tokens as the plain path, prompts of different lengths in one batch', async () => {
    const positionBias = Array.from({ length: 64 }, (_, p) => Array.from({ length: V }, (_, c) => Math.fround(((p * 5 + c * 11) % 13) / 3)));
    const file = join(dir, 'cached.onnx');
    writeModel(file, cachedLanguageModel(table, positionBias));
    const s = await Sampler.load(file, tokenizer);
    try {
      assert.ok(s.hasCache);
      const requests = ['a:', 'abcd?\nAnswer:', 'xyz', 'b'].map((prompt, q) => ({ prompt, key: [q] }));
      for (const options of [GREEDY, { temperature: 0.7, topP: 0.95, maxNewTokens: 20, stop: ['D'], seed: 3 }]) {
        const cached = await s.generate(requests, options, undefined, true);
        const plainPath = await s.generate(requests, options, undefined, false);
        assert.deepEqual(cached, plainPath);
        assert.ok(cached.some((g) => g.tokens > 5));
      }
      // Positions matter in this model: greedy from a prompt depends on where it ends.
      const ends = await s.generate(
        ['a:', 'aaaa:'].map((prompt, q) => ({ prompt, key: [q] })),
        GREEDY,
      );
      assert.notEqual(ends[0]!.text, ends[1]!.text);
    } finally {
      await s.close();
    }
  });
});

/** A small run in the JSONL layout whose checkpoints carry ONNX models the tests build. */
function writeRun(root: string, table: number[][]): string {
  const run = join(root, 'run_2epochs');
  mkdirSync(root, { recursive: true });
  const questions = ['a?', 'bb?', 'abc?', 'd?', 'ab?', 'c?'];
  writeFileSync(join(root, 'train.jsonl'), questions.map((q, i) => JSON.stringify({ question: q, answer: `x so \\boxed{${i % 2 ? 42 : 7}}` }) + '\n').join(''));
  for (const step of [10, 20]) {
    const c = join(run, `checkpoint-${step}`);
    mkdirSync(c, { recursive: true });
    writeFileSync(join(c, 'train_samples.jsonl'), questions.map((_, i) => JSON.stringify({ index: i, correct: [i % 3 === 0] }) + '\n').join(''));
    writeFileSync(join(c, 'train_references.jsonl'), questions.map((_, i) => JSON.stringify({ index: i, perplexity: 1.5 - step / 100 - i / 100 }) + '\n').join(''));
    writeModel(join(c, 'model.onnx'), lookupLanguageModel(table));
    writeTokenizer(c);
  }
  return run;
}

describe('premem sample on a run', () => {
  const { dir, cleanup } = tempDir();
  test.after(cleanup);
  // Greedy from ":" writes " \boxed{42}" and stops at the newline: questions whose answer is 42 are right.
  const table = chainTable(': \\boxed{42}\n');
  const run = writeRun(dir, table);
  const options: SampleRunOptions = {
    split: 'train',
    samples: 3,
    temperature: 0,
    topP: 1,
    maxNewTokens: 30,
    seed: 1,
    stop: ['\n'],
    templates: AUTHORS_TEMPLATES,
    batch: 4,
    out: null,
  };

  test('writes a graded sample set the index reads, into a run folder of its own', async () => {
    const out = join(dir, 'sampled');
    const store = await IndexStore.open(':memory:');
    try {
      await indexPaths(store, [run]);
      const stored = (await store.runByPath(run))!;
      const parts = await sampleRun(store, stored, { ...options, out });
      assert.deepEqual(
        parts.map((p) => [p.step, p.part, p.correct, p.noAnswer]),
        [
          [10, 'train', 9, 0],
          [20, 'train', 9, 0],
        ],
      );
      const line = JSON.parse(readFileSync(join(out, 'checkpoint-10', 'train_samples_samples3_temp0_seed1.jsonl'), 'utf8').split('\n')[1]!) as Record<string, unknown>;
      assert.deepEqual(line, { index: 1, correct: [true, true, true], answer_types: [0, 0, 0], samples: [' \\boxed{42}', ' \\boxed{42}', ' \\boxed{42}'] });
    } finally {
      await store.close();
    }
    // The new folder is a run: its sampled accuracy is what premem report shows.
    const report = await runCli(...['report', out, '--db', join(dir, 'out.sqlite'), '--sample-set', 'samples3_temp0_seed1', '--json']);
    assert.equal(report.code, 0, report.err);
    const json = JSON.parse(report.out) as { runs: { checkpoints: { train_accuracy: number }[] }[] };
    assert.deepEqual(
      json.runs[0]!.checkpoints.map((c) => c.train_accuracy),
      [0.5, 0.5],
    );
  });

  test('a killed run resumes where it stopped and writes the same file as an uninterrupted one', async () => {
    const sampling = { ...options, temperature: 1.2, topP: 0.9, seed: 5, steps: [20] };
    const whole = join(dir, 'whole');
    const resumed = join(dir, 'resumed');
    const store = await IndexStore.open(':memory:');
    try {
      await indexPaths(store, [run]);
      const stored = (await store.runByPath(run))!;
      await sampleRun(store, stored, { ...sampling, out: whole });
      let batches = 0;
      await assert.rejects(sampleRun(store, stored, { ...sampling, out: resumed }, { isCancelled: () => batches++ >= 2 }), (e: unknown) => e instanceof SampleCancelled);
      const file = 'train_samples_samples3_temp1.2_seed5_topp0.9.jsonl';
      const partial = join(resumed, 'checkpoint-20', `${file}.partial`);
      assert.ok(existsSync(partial) && !existsSync(join(resumed, 'checkpoint-20', file)));
      // A kill can tear the last line: it is dropped and its question sampled again.
      writeFileSync(partial, readFileSync(partial, 'utf8') + '{"index": 3, "corr');
      const parts = await sampleRun(store, stored, { ...sampling, out: resumed });
      assert.ok(parts[0]!.resumed > 0 && parts[0]!.resumed < 6, `resumed ${parts[0]!.resumed}`);
      assert.equal(readFileSync(join(resumed, 'checkpoint-20', file), 'utf8'), readFileSync(join(whole, 'checkpoint-20', file), 'utf8'));
      assert.deepEqual(readdirSync(join(resumed, 'checkpoint-20')).sort(), ['train_references.jsonl', file]);
      // Done is done: a third call samples nothing.
      const again = await sampleRun(store, stored, { ...sampling, out: resumed });
      assert.equal(again[0]!.skipped, true);
    } finally {
      await store.close();
    }
  });

  test('the CLI: --into-run or --out is required; --into-run writes into the checkpoints', async () => {
    const db = join(dir, 'cli.sqlite');
    const none = await runCli(...['sample', run, '--db', db]);
    assert.equal(none.code, 2);
    assert.match(none.err, /--out DIR .* or --into-run/);
    // A limit would leave the run's checkpoints covering only some examples: refused in the run.
    const partial = await runCli(...['sample', run, '--db', db, '--into-run', '--checkpoints', '10', '--limit', '2']);
    assert.equal(partial.code, 1);
    assert.match(partial.err, /question limit samples part of the run: write it to a run folder of its own/);
    const done = await runCli(...['sample', run, '--db', db, '--into-run', '--samples', '1', '--temperature', '0', '--checkpoints', '10']);
    assert.equal(done.code, 0, done.err);
    assert.ok(existsSync(join(run, 'checkpoint-10', 'train_samples_samples1_temp0_seed0.jsonl')));
    assert.ok(!existsSync(join(run, 'checkpoint-20', 'train_samples_samples1_temp0_seed0.jsonl')));
    const bad = await runCli(...['sample', run, '--db', db, '--into-run', '--checkpoints', '30']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /no ONNX model for checkpoint 30/);
  });
});

describe('a sample set is one set of settings, written by one sampler, never over another run', () => {
  const { dir, cleanup } = tempDir();
  test.after(cleanup);
  const run = writeRun(dir, chainTable(': \\boxed{42}\n'));
  const db = join(dir, 'guard.sqlite');
  const sample = (...more: string[]) => runCli('sample', run, '--db', db, '--samples', '2', '--temperature', '0', '--checkpoints', '10', ...more);

  test('--out another training run’s folder is refused and its run.json kept', async () => {
    const other = join(dir, 'other_run');
    mkdirSync(join(other, 'checkpoint-5'), { recursive: true });
    const runJson = JSON.stringify({ num_train_epochs: 3, learning_rate: 2e-5 });
    writeFileSync(join(other, 'run.json'), runJson);
    const r = await sample('--out', other);
    assert.equal(r.code, 1);
    assert.match(r.err, /other_run: is a run folder premem sample did not write/);
    assert.equal(readFileSync(join(other, 'run.json'), 'utf8'), runJson);
    assert.deepEqual(readdirSync(other).sort(), ['checkpoint-5', 'run.json']);
    const files = join(dir, 'some_files');
    mkdirSync(files);
    writeFileSync(join(files, 'notes.txt'), 'mine');
    assert.match((await sample('--out', files)).err, /some_files: is a folder of other files/);
  });

  test('resuming with another --max-new-tokens or --limit is refused by name; the same settings resume', async () => {
    const out = join(dir, 'sampled');
    assert.equal((await sample('--out', out, '--max-new-tokens', '30', '--limit', '4')).code, 0);
    const file = join(out, 'checkpoint-10', 'train_samples_samples2_temp0_seed0.jsonl');
    const before = readFileSync(file, 'utf8');
    const tokens = await sample('--out', out, '--max-new-tokens', '31', '--limit', '4');
    assert.equal(tokens.code, 1);
    assert.match(tokens.err, /sample set samples2_temp0_seed0 was drawn with max_new_tokens 30; this run asks for 31/);
    const limit = await sample('--out', out, '--max-new-tokens', '30', '--limit', '5');
    assert.match(limit.err, /was drawn with limit 4; this run asks for 5/);
    assert.equal(readFileSync(file, 'utf8'), before);
    assert.equal((await sample('--out', out, '--max-new-tokens', '30', '--limit', '4')).code, 0);
    // The folder of samples names its training run, and the index keeps the link for the editor.
    const { IndexStore } = await import('../../src/store/indexStore');
    const { indexPaths } = await import('../../src/store/indexer');
    const linked = await IndexStore.open(join(dir, 'linked.sqlite'));
    try {
      await indexPaths(linked, [out, run]);
      const byPath = new Map((await linked.runs()).map((r) => [r.path, r]));
      assert.equal(byPath.get(out)!.sampledFrom, run);
      assert.equal(byPath.get(run)!.sampledFrom, null);
    } finally {
      await linked.close();
    }
    // Into the run: the settings are recorded beside its own files, and checked the same way.
    assert.equal((await sample('--into-run', '--max-new-tokens', '30')).code, 0);
    assert.match(
      (await sample('--into-run', '--max-new-tokens', '12')).err,
      /premem_sample_sets\.json: sample set samples2_temp0_seed0 was drawn with max_new_tokens 30; this run asks for 12/,
    );
  });

  test('a second sampler into the same destination is refused by name; a lock left by a dead process is taken over', async () => {
    const out = join(dir, 'locked');
    mkdirSync(out);
    // A live process holds the lock: this test's own parent stands in for a running sampler.
    writeFileSync(join(out, '.premem-sample.lock'), `${process.ppid}\n`);
    const held = await sample('--out', out);
    assert.equal(held.code, 1);
    assert.match(held.err, new RegExp(`locked: another premem sample \\(process ${process.ppid}\\) is writing into it`));
    // A process that has exited: its lock is stale.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(out, '.premem-sample.lock'), `${gone}\n`);
    const r = await sample('--out', out);
    assert.equal(r.code, 0, r.err);
    assert.ok(!existsSync(join(out, '.premem-sample.lock')), 'the lock is released');
  });

  test('two samplers started at once into one run: one finishes with every question, the other is refused or finds it done', async () => {
    const out = join(dir, 'race');
    const args = [
      join(REPO, 'bin', 'premem.js'),
      'sample',
      run,
      '--db',
      join(dir, 'race.sqlite'),
      '--samples',
      '3',
      '--temperature',
      '0.7',
      '--checkpoints',
      '10,20',
      '--out',
      out,
    ];
    // Index first, so both processes reach sampling rather than racing to build the index.
    assert.equal((await runCli('report', run, '--db', join(dir, 'race.sqlite'))).code, 0);
    const both = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<{ code: number | null; err: string }>((done) => {
            const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
            let err = '';
            child.stderr.on('data', (d: Buffer) => (err += d.toString()));
            child.on('close', (code) => done({ code, err }));
          }),
      ),
    );
    for (const b of both) assert.ok(b.code === 0 || /another premem sample \(process \d+\) is writing into it/.test(b.err), `exit ${b.code}: ${b.err}`);
    assert.ok(both.some((b) => b.code === 0));
    for (const step of [10, 20]) {
      const lines = readFileSync(join(out, `checkpoint-${step}`, 'train_samples_samples3_temp0.7_seed0.jsonl'), 'utf8')
        .trim()
        .split('\n');
      assert.deepEqual(
        lines.map((l) => (JSON.parse(l) as { index: number }).index),
        [0, 1, 2, 3, 4, 5],
      );
      for (const l of lines) assert.equal((JSON.parse(l) as { samples: string[] }).samples.length, 3);
    }
  });
});

describe('bad models and prompts are named before anything is written', () => {
  const { dir, cleanup } = tempDir();
  test.after(cleanup);
  const table = chainTable(': \\boxed{42}\n');
  /** premem sample in a child process with a deadline: a hang is a failure, not a stuck suite. */
  const sampleCli = (run: string, out: string) =>
    spawnSync(process.execPath, [join(REPO, 'bin', 'premem.js'), 'sample', run, '--db', join(dir, `${run.length}.sqlite`), '--out', out, '--samples', '1', '--temperature', '0'], {
      encoding: 'utf8',
      timeout: 60_000,
    });

  test('a FIFO in place of model.onnx is refused at once, not read for ever', () => {
    const run = writeRun(join(dir, 'fifo'), table);
    rmSync(join(run, 'checkpoint-20', 'model.onnx'));
    assert.equal(spawnSync('mkfifo', [join(run, 'checkpoint-20', 'model.onnx')]).status, 0);
    const r = sampleCli(run, join(dir, 'fifo', 'out'));
    assert.equal(r.signal, null, 'premem sample hung on the FIFO');
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /checkpoint-20\/model\.onnx: is not a regular file/);
    assert.ok(!existsSync(join(dir, 'fifo', 'out', 'checkpoint-10')), 'nothing sampled before the check');
  });

  test('a tokenizer with ids beyond the model’s vocabulary is named, before any sample is written', () => {
    const run = writeRun(join(dir, 'vocab'), table);
    // Two more tokens than the model predicts.
    writeFileSync(join(run, 'checkpoint-10', 'tokenizer.json'), JSON.stringify(characterTokenizer([...CHARS, 'Q', 'W'])));
    const r = sampleCli(run, join(dir, 'vocab', 'out'));
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`checkpoint-10/tokenizer\\.json: has token ids up to ${V + 1} but .*model\\.onnx predicts ${V} tokens`));
    assert.doesNotMatch(r.stderr, /Gather/);
    assert.ok(!existsSync(join(dir, 'vocab', 'out', 'checkpoint-10')));
  });

  test('prompts that fill the model’s context are refused per question, not sampled to nothing', () => {
    const run = writeRun(join(dir, 'context'), table);
    // Prompts are "<question>\nAnswer:", one token a character: a? d? c? make 10 tokens, bb? ab? 11
    // and abc? 12; a context of 11 leaves room to generate only after the 10-token ones.
    writeFileSync(join(run, 'run.json'), JSON.stringify({ model: { context: 11 } }));
    const r = sampleCli(run, join(dir, 'context', 'out'));
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /3 train questions cannot be sampled: the prompt fills the model's context of 11 tokens \(#1: 11 tokens, #2: 12 tokens, #4: 11 tokens\)/);
  });
});

test('premem sample SIGKILLed once its first questions are on disk resumes to the same bytes as an uninterrupted run', { timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const run = writeRun(dir, chainTable(': \\boxed{42}\n'));
    const args = (out: string) => [
      join(REPO, 'bin', 'premem.js'),
      'sample',
      run,
      '--db',
      join(dir, `${out}.sqlite`),
      '--out',
      join(dir, out),
      '--samples',
      '4',
      '--temperature',
      '1.1',
      '--seed',
      '9',
      '--batch',
      '1',
      '--checkpoints',
      '20',
    ];
    const file = (out: string) => join(dir, out, 'checkpoint-20', 'train_samples_samples4_temp1.1_seed9.jsonl');
    assert.equal(spawnSync(process.execPath, args('whole'), { encoding: 'utf8' }).status, 0);
    // Killed when the event happens (the partial file holds a whole question), not after a delay.
    const killed = await new Promise<boolean>((done) => {
      const child = spawn(process.execPath, args('killed'), { stdio: 'ignore' });
      const partial = `${file('killed')}.partial`;
      const watch = setInterval(() => {
        if (existsSync(partial) && readFileSync(partial, 'utf8').includes('\n')) child.kill('SIGKILL');
      }, 2);
      child.on('exit', (_code, signal) => {
        clearInterval(watch);
        done(signal === 'SIGKILL');
      });
    });
    assert.ok(killed, 'the sampler was killed midway (it finished before its first question was written?)');
    assert.ok(!existsSync(file('killed')), 'no finished file after a kill');
    assert.ok(
      !existsSync(join(dir, 'killed', '.premem-sample.lock')) || readFileSync(join(dir, 'killed', '.premem-sample.lock'), 'utf8').trim() !== '',
      'the lock names its dead holder',
    );
    const again = spawnSync(process.execPath, args('killed'), { encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr);
    assert.equal(readFileSync(file('killed'), 'utf8'), readFileSync(file('whole'), 'utf8'));
  } finally {
    cleanup();
  }
});

const TINY_RUN = join(TINYGSM, 'tinygsm_8epochs_full_lr0.001_bs8');

test(
  'tinygsm: sampled train accuracy at temperature 0.8 agrees with the run’s own answer files (on the dataset’s first 64 questions)',
  { skip: skipUnless(TINY_RUN) },
  async () => {
    // The dataset's first 64 questions at the first and last checkpoints, one sample each.
    // Bound: 3.5 standard errors of the difference, the recorded accuracy's error computed over
    // question means (its 4 samples per question are not independent), the two treated as
    // independent (conservative: they share questions). The full 400-question, 8-checkpoint
    // comparison is in docs/robustness.md.
    const { dir, cleanup } = tempDir();
    try {
      const out = join(dir, 'sampled');
      const db = join(dir, 'index.sqlite');
      const r = await runCli(
        ...['sample', TINY_RUN, '--db', db, '--out', out, '--samples', '1', '--temperature', '0.8', '--seed', '2', '--checkpoints', '50,400', '--limit', '64', '--batch', '32'],
      );
      assert.equal(r.code, 0, r.err);
      // --limit 64 means the dataset's first 64 questions (indices 0–63), whatever the run's order.
      const order = Array.from({ length: 64 }, (_, i) => i);
      for (const step of [50, 400]) {
        const lines = readFileSync(join(out, `checkpoint-${step}`, 'train_samples_samples1_temp0.8_seed2.jsonl'), 'utf8')
          .trim()
          .split('\n');
        const parsed = lines.map((l) => JSON.parse(l) as { index: number; correct: boolean[] });
        assert.deepEqual(
          parsed.map((l) => l.index).sort((a, b) => a - b),
          order,
        );
        const ours = parsed.map((l): number => (l.correct[0] ? 1 : 0));
        const codes = readNpy(join(TINY_RUN, `checkpoint-${step}`, 'train_answer_types4_seed2_temp0.8.npy'));
        const perQuestion = order.map((q) => [0, 1, 2, 3].filter((k) => codes[q * 4 + k] === 0).length / 4);
        const p1 = ours.reduce((a, b) => a + b, 0) / ours.length;
        const p0 = perQuestion.reduce((a, b) => a + b, 0) / perQuestion.length;
        const var0 = perQuestion.reduce((a, b) => a + (b - p0) ** 2, 0) / (perQuestion.length - 1) / perQuestion.length;
        const se = Math.sqrt((p1 * (1 - p1) + 1e-9) / ours.length + var0);
        assert.ok(Math.abs(p1 - p0) <= 3.5 * Math.max(se, 0.02), `checkpoint-${step}: sampled ${p1.toFixed(3)} vs recorded ${p0.toFixed(3)} (se ${se.toFixed(3)})`);
      }
    } finally {
      cleanup();
    }
  },
);

function readNpy(file: string): number[] {
  return Array.from(readNpyFile(file).data as ArrayLike<number>, Number);
}

test(
  '"the first N questions" are the same in perturb and sample: --limit 12 on both finds the variants (tinygsm’s order is a permutation)',
  { skip: skipUnless(TINY_RUN) },
  async () => {
    const { dir, cleanup } = tempDir();
    try {
      const db = join(dir, 'index.sqlite');
      const variants = join(dir, 'perturbations.jsonl');
      assert.equal((await runCli('perturb', join(TINYGSM, 'train.jsonl'), '--out', variants, '--limit', '12', '--kinds', 'rename-person')).code, 0);
      const common = ['--db', db, '--out', join(dir, 'sampled'), '--samples', '1', '--temperature', '0', '--checkpoints', '400', '--limit', '12', '--max-new-tokens', '8'];
      const train = await runCli('sample', TINY_RUN, ...common);
      assert.equal(train.code, 0, train.err);
      const perturbed = await runCli('sample', TINY_RUN, ...common, '--dataset', variants);
      assert.equal(perturbed.code, 0, perturbed.err);
      const lines = readFileSync(join(dir, 'sampled', 'checkpoint-400', 'perturbed_samples_samples1_temp0_seed0.jsonl'), 'utf8')
        .trim()
        .split('\n');
      const indices = new Set(lines.map((l) => (JSON.parse(l) as { index: number }).index));
      assert.ok(indices.size > 0 && [...indices].every((i) => i < 12), [...indices].join(','));
    } finally {
      cleanup();
    }
  },
);
