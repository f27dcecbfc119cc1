/**
 * What a researcher's first hour found in the views, checked below the UI on real data: ties
 * in the "lowest pre-memorization" order, search that narrows a filter and reaches references
 * and samples, the distribution of the metric, texts stored and shown whole, and untrusted text
 * in hovers kept inert. (The e2e suites check the same in the real VS Code.)
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { preMemorizationHistogram } from '../../src/core/histogram';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { escapeMarkdown } from '../../src/extension/markdown';
import { discoverRuns } from '../../src/ingest/runLayout';
import { distinguishingNames, oneLine, showControls } from '../../src/present/format';
import { orderedExamples, orderExamples } from '../../src/queries/examples';
import { analyseRun } from '../../src/queries/runAnalysis';
import { indexPaths, indexRun } from '../../src/store/indexer';
import { IndexStore } from '../../src/store/indexStore';
import { DEFAULT_THRESHOLD } from '../../src/core/threshold';
import { KANG_SWEEP, skipUnless, tempDir } from '../helpers/paths';

const options = { threshold: DEFAULT_THRESHOLD, samplePreference: null };

describe('the examples a researcher looks at', () => {
  let tmp: ReturnType<typeof tempDir>;
  let sweep: string;
  let store: IndexStore;
  before(async () => {
    tmp = tempDir('premem-researcher-');
    sweep = writeExampleSweep(join(tmp.dir, 'example'));
    store = await IndexStore.open(join(tmp.dir, 'index.sqlite'));
    await indexPaths(store, [sweep]);
  });
  after(async () => {
    await store.close();
    tmp.cleanup();
  });

  test('ties in "lowest pre-memorization first" break by memorization step, then final train accuracy', { skip: skipUnless(KANG_SWEEP) }, async () => {
    const runPath = join(KANG_SWEEP, 'gsm8k_orig_3epochs_full_lr2e-05_bs128');
    const kangStore = await IndexStore.open(':memory:');
    try {
      await indexRun(kangStore, discoverRuns(runPath)[0]!);
      const run = (await kangStore.runByPath(runPath))!;
      const a = await analyseRun(kangStore, run, options);
      const ordered = orderExamples(a, await kangStore.examples(run.id), 'premem');
      const J = a.checkpoints.length - 1;
      const premem = (p: number) => a.metrics.preMemorization[J]![p]!;
      const step = (p: number) => (a.metrics.memorizationCheckpoint[p] === -1 ? Infinity : a.checkpoints[a.metrics.memorizationCheckpoint[p]!]!.step);
      const zeros = ordered.filter((e) => premem(e.position) === 0);
      console.log(`# ${zeros.length} of ${ordered.length} examples tie at pre-memorization accuracy 0`);
      assert.ok(zeros.length > 100, 'hundreds of ties, as the researcher saw');
      // Not in dataset order any more: memorized earliest first, never memorized last.
      for (let i = 1; i < zeros.length; i++) {
        const [x, y] = [zeros[i - 1]!, zeros[i]!];
        assert.ok(step(x.position) <= step(y.position), `#${x.index} before #${y.index}: memorization step`);
        if (step(x.position) === step(y.position)) assert.ok(a.input.accuracy[J]![x.position]! <= a.input.accuracy[J]![y.position]!, 'then final accuracy');
      }
      assert.notDeepEqual(
        zeros.slice(0, 20).map((e) => e.index),
        [...zeros]
          .sort((p, q) => p.index - q.index)
          .slice(0, 20)
          .map((e) => e.index),
      );
    } finally {
      await kangStore.close();
    }
  });

  test('a search narrows the category filter, and finds text in references and samples', async () => {
    const runPath = join(sweep, 'example_3epochs_lr2e-04');
    const run = (await store.runByPath(runPath))!;
    const a = await analyseRun(store, run, options);
    const examples = await store.examples(run.id);
    const sorted = orderExamples(a, examples, 'dataset');
    const memorizedFirst = orderedExamples(a, sorted, { sort: 'dataset', filter: { kind: 'memorized-before-solved' }, search: null }, new Set());
    assert.ok(memorizedFirst.length > 0 && memorizedFirst.length < examples.length);
    // A word of one reference's solution, not of its question.
    const target = memorizedFirst[0]!;
    const word = target.answer!.split(/\s+/).find((w) => w.length > 3 && !target.question!.includes(w))!;
    const both = orderedExamples(a, sorted, { sort: 'dataset', filter: { kind: 'memorized-before-solved' }, search: { query: word.toUpperCase(), inSamples: false } }, new Set());
    assert.ok(
      both.some((e) => e.index === target.index),
      'found in the reference, case-insensitively',
    );
    assert.ok(
      both.every((e) => memorizedFirst.includes(e)),
      'and only among the filtered ones',
    );
    // Samples: a text only a sample holds.
    const c = (await store.checkpoints(run.id)).at(-1)!;
    const texts = (await store.sampleTexts(c.id, 'train', a.checkpoints.at(-1)!.trainSet, 0))!;
    const sampleWord = texts
      .join(' ')
      .split(/\s+/)
      .find((w) => w.length > 4 && !examples.some((e) => e.question?.includes(w) || e.answer?.includes(w)));
    if (sampleWord) {
      const matching = await store.positionsWithSampleText(run.id, sampleWord);
      assert.ok(matching.has(0));
      const found = orderedExamples(a, sorted, { sort: 'dataset', filter: { kind: 'all' }, search: { query: sampleWord, inSamples: true } }, new Set(), matching);
      assert.ok(found.some((e) => e.position === 0));
      assert.equal(orderedExamples(a, sorted, { sort: 'dataset', filter: { kind: 'all' }, search: { query: sampleWord, inSamples: false } }, new Set()).length, 0);
    }
  });

  test('the distribution of pre-memorization accuracy keeps 0 and 1 apart', () => {
    const h = preMemorizationHistogram(Float64Array.from([0, 0, 0, 0.05, 0.1, 0.55, 0.99, 1, NaN]));
    assert.deepEqual(
      h.bins.map((b) => [b.label, b.count]),
      [
        ['0', 3],
        ['(0.0, 0.1)', 1],
        ['[0.1, 0.2)', 1],
        ['[0.2, 0.3)', 0],
        ['[0.3, 0.4)', 0],
        ['[0.4, 0.5)', 0],
        ['[0.5, 0.6)', 1],
        ['[0.6, 0.7)', 0],
        ['[0.7, 0.8)', 0],
        ['[0.8, 0.9)', 0],
        ['[0.9, 1.0)', 1],
        ['1', 1],
      ],
    );
    assert.equal(h.unknown, 1);
  });

  test('each example knows its line in the dataset file, blank lines and all (Show in Dataset File)', async () => {
    const copy = join(tmp.dir, 'blank-lines');
    cpSync(sweep, copy, { recursive: true });
    const lines = readFileSync(join(copy, 'train.jsonl'), 'utf8').trim().split('\n');
    // Two blank lines after the first record: record 1 is on line 4, record k on line k + 3.
    writeFileSync(join(copy, 'train.jsonl'), [lines[0], '', '   ', ...lines.slice(1)].join('\n') + '\n');
    const runPath = join(copy, 'example_3epochs_lr2e-04');
    await indexRun(store, discoverRuns(runPath)[0]!);
    const stored = await store.examples((await store.runByPath(runPath))!.id);
    const written = readFileSync(join(copy, 'train.jsonl'), 'utf8').split('\n');
    for (const e of stored) {
      assert.equal(e.line, e.index === 0 ? 1 : e.index + 3);
      assert.equal(written[e.line - 1], e.record, `#${e.index} is the record on line ${e.line}`);
    }
  });

  test('a NUL in a dataset record is stored and read back whole', async () => {
    const copy = join(tmp.dir, 'nul');
    cpSync(sweep, copy, { recursive: true });
    const lines = readFileSync(join(copy, 'train.jsonl'), 'utf8').split('\n');
    lines[0] = JSON.stringify({ ...(JSON.parse(lines[0]!) as object), question: 'Before\u0000after', answer: 'x\u0000y\n#### 4' });
    writeFileSync(join(copy, 'train.jsonl'), lines.join('\n'));
    const runPath = join(copy, 'example_3epochs_lr2e-04');
    await indexRun(store, discoverRuns(runPath)[0]!);
    const first = (await store.examples((await store.runByPath(runPath))!.id)).find((e) => e.index === 0)!;
    assert.equal(first.question, 'Before\u0000after');
    assert.equal(first.answer, 'x\u0000y\n#### 4');
  });
});

describe('untrusted text in views and hovers', () => {
  test('bidi and control characters are shown, not obeyed', () => {
    assert.equal(showControls('abc\u202Edef\u0007\tg\nh'), 'abc<U+202E>def␇\tg\nh');
    assert.equal(oneLine('a\u2066b\nc'), 'a<U+2066>b␊c');
  });

  test('a note shaped like a command link stays text in Markdown', () => {
    for (const note of ['<command:premem.selectRun?x>', '[click](command:premem.selectRun?%5B%22x%22%5D)', '<https://example.com>', '**bold** `code` <img src=x>']) {
      const md = escapeMarkdown(note);
      // Every markup character is escaped: no autolink (<…>), link ([…](…)), emphasis or HTML can start.
      assert.doesNotMatch(md, /(^|[^\\])[<[\]()*`]/, md);
      assert.equal(md.replace(/\\(.)/g, '$1'), note, 'and it reads as the note itself');
    }
  });
});

describe('run names in a narrow sidebar', () => {
  test('what tells a sweep’s runs apart', () => {
    assert.deepEqual(distinguishingNames(['gsm8k_orig_3epochs_full_lr2e-05_bs128', 'gsm8k_orig_6epochs_half_lr2e-05_bs128', 'gsm8k_orig_3epochs_full_lr5e-07_bs128']), [
      '3epochs_full_lr2e-05',
      '6epochs_half_lr2e-05',
      '3epochs_full_lr5e-07',
    ]);
    assert.deepEqual(distinguishingNames(['example_3epochs_lr1e-05', 'example_3epochs_lr2e-04']), ['lr1e-05', 'lr2e-04']);
    assert.deepEqual(distinguishingNames(['run', 'run_b']), ['run', 'run_b'], 'no shared part: whole names');
    assert.deepEqual(distinguishingNames(['alone_run']), ['alone_run']);
  });
});
