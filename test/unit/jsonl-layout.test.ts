import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { InputError } from '../../src/ingest/errors';
import { jsonlLines } from '../../src/ingest/jsonl';
import { discoverRuns } from '../../src/ingest/runLayout';
import { RunReader } from '../../src/ingest/runReader';
import { analyseRun } from '../../src/queries/runAnalysis';
import { indexPaths } from '../../src/store/indexer';
import { IndexStore } from '../../src/store/indexStore';
import { tempDir } from '../helpers/paths';

const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

function writeJsonlRun(root: string): string {
  const run = join(root, 'sweep', 'my_run');
  mkdirSync(join(run, 'checkpoint-100'), { recursive: true });
  mkdirSync(join(run, 'checkpoint-200'), { recursive: true });
  writeFileSync(
    join(root, 'sweep', 'train.jsonl'),
    jsonl([
      { question: 'Q0: 1+1?', answer: '1+1 = <<1+1=2>>2\n#### 2' },
      { question: 'Q1: 2*3?', answer: '2*3 = 6\n#### 6' },
      { question: 'Q2: 9-4?', answer: '9-4 = 5\n#### 5' },
    ]),
  );
  writeFileSync(join(run, 'run.json'), JSON.stringify({ num_train_epochs: 2 }));
  const samples = (c: boolean[][]) =>
    jsonl(c.map((correct, index) => ({ index, correct, samples: correct.map((ok) => (ok ? `right ${index}` : `wrong ${index} <script>x</script>`)) })));
  writeFileSync(
    join(run, 'checkpoint-100', 'train_samples.jsonl'),
    samples([
      [true, false],
      [false, false],
      [true, true],
    ]),
  );
  writeFileSync(
    join(run, 'checkpoint-200', 'train_samples.jsonl'),
    samples([
      [true, true],
      [true, false],
      [true, true],
    ]),
  );
  writeFileSync(join(run, 'checkpoint-100', 'train_references.jsonl'), jsonl([0, 1, 2].map((index) => ({ index, perplexity: 1.5, num_tokens: 12 }))));
  // Per-token log-probs: perplexity = exp(mean NLL).
  writeFileSync(
    join(run, 'checkpoint-200', 'train_references.jsonl'),
    jsonl([
      { index: 0, token_logprobs: [-0.01, -0.03] },
      { index: 1, perplexity: null },
      { index: 2, token_logprobs: [-0.5, -0.7, -0.6] },
    ]),
  );
  writeFileSync(
    join(run, 'checkpoint-200', 'test_samples.jsonl'),
    jsonl([
      { index: 0, correct: [true, false] },
      { index: 1, correct: [false, false] },
    ]),
  );
  return run;
}

describe('native JSONL layout', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: IndexStore;
  let run: string;
  before(async () => {
    tmp = tempDir();
    run = writeJsonlRun(tmp.dir);
    store = await IndexStore.open(join(tmp.dir, 'i.sqlite'));
  });
  after(async () => {
    await store.close();
    tmp.cleanup();
  });

  test('reads samples, texts, references and the sweep-level dataset through the common path', async () => {
    await indexPaths(store, [run]);
    const stored = (await store.runByPath(run))!;
    assert.equal(stored.hasDataset, true);
    const a = await analyseRun(store, stored, { threshold: { kind: 'perplexity', value: 1.1 }, samplePreference: null });
    assert.deepEqual(Array.from(a.input.accuracy[0]!), [0.5, 0, 1]);
    assert.equal(a.input.perplexity[1]![0], Math.exp(0.02));
    assert.ok(Number.isNaN(a.input.perplexity[1]![1]!), 'null perplexity is unknown');
    assert.deepEqual(
      a.checkpoints.map((c) => c.epoch),
      [1, 2],
    );
    assert.equal(a.checkpoints[0]!.testAccuracy, null, 'no test samples at step 100');
    assert.equal(a.checkpoints[1]!.testAccuracy, 0.25);
    // Example 0 memorized at step 200 (ppl e^0.02 < 1.1) after solving at step 100.
    assert.deepEqual(Array.from(a.metrics.preMemorization[1]!), [0.5, 0.5, 1]);
    const ex = await store.examples(stored.id);
    assert.equal(ex[1]!.question, 'Q1: 2*3?');
    assert.equal(await store.sampleTexts(a.checkpoints[0]!.id, 'train', 'samples', 1).then((t) => t![0]), 'wrong 1 <script>x</script>');
    assert.deepEqual(await store.sampleCodes(a.checkpoints[0]!.id, 'train', 'samples', 0), [0, 1]);
  });

  const cases: [string, (run: string) => void, RegExp][] = [
    [
      'a malformed line',
      (r) => writeFileSync(join(r, 'checkpoint-200', 'train_samples.jsonl'), '{"index": 0, "correct": [true, true]}\n{"index": 1, "correct": [tru\n'),
      /train_samples\.jsonl:2: malformed JSON/,
    ],
    [
      'a wrong type',
      (r) => writeFileSync(join(r, 'checkpoint-200', 'train_samples.jsonl'), jsonl([{ index: 0, correct: [1, 0] }])),
      /train_samples\.jsonl:1: "correct" must be an array of true\/false/,
    ],
    [
      'a missing example',
      (r) =>
        writeFileSync(
          join(r, 'checkpoint-200', 'train_samples.jsonl'),
          jsonl([
            { index: 0, correct: [true, true] },
            { index: 2, correct: [true, true] },
          ]),
        ),
      /checkpoint-200[/\\]train_samples\.jsonl: has no line for example 1/,
    ],
    [
      'ragged sample counts',
      (r) =>
        writeFileSync(
          join(r, 'checkpoint-100', 'train_samples.jsonl'),
          jsonl([
            { index: 0, correct: [true] },
            { index: 1, correct: [true, false] },
            { index: 2, correct: [true] },
          ]),
        ),
      /train_samples\.jsonl:2: has 2 samples where earlier lines have 1/,
    ],
    [
      'references without a value',
      (r) => writeFileSync(join(r, 'checkpoint-100', 'train_references.jsonl'), jsonl([{ index: 0 }])),
      /train_references\.jsonl:1: each line needs "perplexity" or "token_logprobs"/,
    ],
    ['a bad dataset record', (r) => writeFileSync(join(r, '..', 'train.jsonl'), jsonl([{ question: 'q', answer: 3 }])), /train\.jsonl:1: "answer" must be a string/],
    [
      'invalid UTF-8',
      (r) => writeFileSync(join(r, 'checkpoint-100', 'train_references.jsonl'), Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a])),
      /train_references\.jsonl:1: not valid UTF-8/,
    ],
  ];
  for (const [name, mutate, pattern] of cases) {
    test(`refuses ${name}, naming the file and line`, () => {
      const t = tempDir();
      try {
        const r = writeJsonlRun(t.dir);
        mutate(r);
        const reader = new RunReader(discoverRuns(r)[0]!);
        assert.throws(
          () => {
            reader.open();
            for (const c of reader.layout.checkpoints) reader.readCheckpoint(c);
          },
          (e: unknown) => e instanceof InputError && pattern.test(e.message),
        );
      } finally {
        t.cleanup();
      }
    });
  }
});

describe('the bundled example sweep', () => {
  test('is generated byte for byte the same every time, in the JSONL layout', () => {
    const a = tempDir();
    const b = tempDir();
    try {
      writeExampleSweep(a.dir);
      writeExampleSweep(b.dir);
      const runs = discoverRuns(a.dir);
      assert.equal(runs.length, 3);
      for (const run of runs) {
        for (const c of run.checkpoints) {
          for (const f of c.files) assert.ok(readFileSync(f).equals(readFileSync(f.replace(a.dir, b.dir))), `${f} differs`);
        }
      }
      assert.ok(readFileSync(join(a.dir, 'train.jsonl')).equals(readFileSync(join(b.dir, 'train.jsonl'))));
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });
});

describe('the streaming JSONL reader', () => {
  test('reads lines across its 1 MiB chunks, multi-byte characters cut at a chunk edge included', () => {
    const t = tempDir();
    try {
      const file = join(t.dir, 'big.jsonl');
      // Lines of varying length with 2-, 3- and 4-byte characters, ~3 MiB: many chunk edges.
      const lines = Array.from({ length: 9000 }, (_, i) => JSON.stringify({ i, text: `ü€😀 ${'x'.repeat(i % 700)} ${i}` }));
      writeFileSync(file, lines.join('\n') + '\n');
      const read = [...jsonlLines(file)];
      assert.equal(read.length, lines.length);
      read.forEach((l, i) => {
        assert.equal(l.line, i + 1);
        assert.equal(l.raw, lines[i]);
      });
    } finally {
      t.cleanup();
    }
  });

  test('names the exact line of invalid UTF-8 deep in a large file', () => {
    const t = tempDir();
    try {
      const file = join(t.dir, 'bad.jsonl');
      const lines = Array.from({ length: 6000 }, (_, i) => Buffer.from(JSON.stringify({ i, pad: 'y'.repeat(400) }) + '\n'));
      lines[4321] = Buffer.concat([Buffer.from('{"i": 4321, "bad": "'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]);
      writeFileSync(file, Buffer.concat(lines));
      assert.throws(() => [...jsonlLines(file)], /bad\.jsonl:4322: not valid UTF-8/);
    } finally {
      t.cleanup();
    }
  });
});
