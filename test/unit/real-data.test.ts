import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readNpyFile } from '../../src/ingest/npy';
import { discoverRuns } from '../../src/ingest/runLayout';
import { exampleJson, listExamples } from '../../src/queries/examples';
import { buildReport } from '../../src/queries/report';
import { analyseRun } from '../../src/queries/runAnalysis';
import { indexPaths } from '../../src/store/indexer';
import { IndexStore, type StoredRun } from '../../src/store/indexStore';
import { KANG_SWEEP, skipUnless, tempDir, TINYGSM } from '../helpers/paths';

const AUTHORS = ['types5_seed2_temp0.8', 'types50_seed2_temp0.8', 'types5_seed2', 'types50_seed2', 'types10_seed2_temp0.8'];

describe("the authors' 13 Llama 3 8B runs on GSM8K", () => {
  // Each test skips on its own (counted per test, with the reason), not the whole suite as one.
  const skip = skipUnless(KANG_SWEEP);
  let tmp: ReturnType<typeof tempDir>;
  let store: IndexStore;
  let runs: StoredRun[];
  before(async () => {
    if (skip) return;
    tmp = tempDir();
    store = await IndexStore.open(join(tmp.dir, 'kang.sqlite'));
    const outcomes = await indexPaths(store, [KANG_SWEEP]);
    runs = await Promise.all(outcomes.map(async (o) => (await store.runByPath(o.path))!));
  });
  after(async () => {
    await store?.close();
    tmp?.cleanup();
  });

  test('the sweep fit over all 51 checkpoints at ln-ln -2.3 gives R^2 = 0.9393', { skip }, async () => {
    const { json } = await buildReport(store, runs, { threshold: { kind: 'loglog', value: -2.3 }, samplePreference: AUTHORS });
    assert.equal(json.runs.length, 13);
    assert.equal(json.fit!.points, 51);
    assert.ok(Math.abs(json.fit!.r2! - 0.9393) <= 1e-4, `R^2 = ${json.fit!.r2}`);
    const quarter = json.runs.find((r) => r.name.includes('quarter'))!;
    assert.equal(quarter.checkpoints[0]!.examples, 1868, 'subsample_idxs decides which examples count');
  });

  test('plain final train accuracy predicts far worse (the paper: about 0.39)', { skip }, async () => {
    const { analyses } = await buildReport(store, runs, { threshold: { kind: 'loglog', value: -2.3 }, samplePreference: AUTHORS });
    const { fitLine } = await import('../../src/core/fit');
    const pts = analyses.flatMap((a) => a.checkpoints.filter((c) => c.testAccuracy !== null).map((c) => [c.summary.trainAccuracy, c.testAccuracy!] as const));
    const r2 = fitLine(
      pts.map((p) => p[0]),
      pts.map((p) => p[1]),
    ).r2!;
    assert.ok(r2 < 0.6, `train-accuracy R^2 = ${r2}`);
  });

  test("per-example values at -2.5 equal the authors' unmemorized_acc_cummax_all.npy bit for bit", { skip }, async () => {
    const runPath = join(KANG_SWEEP, 'gsm8k_orig_3epochs_full_lr2e-05_bs128');
    const oracle = readNpyFile(join(runPath, 'unmemorized_acc_cummax_all.npy'));
    assert.deepEqual(oracle.shape, [3, 7473]);
    const run = runs.find((r) => r.path === runPath)!;
    const a = await analyseRun(store, run, { threshold: { kind: 'loglog', value: -2.5 }, samplePreference: AUTHORS });
    const rows = listExamples(a, await store.examples(run.id), 'dataset').map(exampleJson);
    assert.equal(rows.length, 7473);
    let compared = 0;
    for (const row of rows) {
      for (let j = 0; j < 3; j++) {
        const expected = (oracle.data as Float64Array)[j * 7473 + row.index]!;
        if (!Object.is(row.pre_memorization_accuracy[j], expected)) {
          assert.fail(`example ${row.index}, checkpoint ${j}: ${row.pre_memorization_accuracy[j]} != ${expected}`);
        }
        compared++;
      }
    }
    assert.equal(compared, 22419);
    assert.deepEqual(
      a.checkpoints.map((c) => c.epoch),
      [1, 2, 3],
      'epochs from the run name',
    );
  });
});

describe('tinygsm: a small model really fine-tuned, with texts and Trainer state', () => {
  // Each test skips on its own (counted per test, with the reason), not the whole suite as one.
  const skip = skipUnless(TINYGSM);
  let tmp: ReturnType<typeof tempDir>;
  let store: IndexStore;
  let run: StoredRun;
  const runPath = join(TINYGSM, 'tinygsm_8epochs_full_lr0.001_bs8');
  before(async () => {
    if (skip) return;
    tmp = tempDir();
    store = await IndexStore.open(join(tmp.dir, 'tiny.sqlite'));
    await indexPaths(store, [TINYGSM]);
    run = (await store.runByPath(runPath))!;
  });
  after(async () => {
    await store?.close();
    tmp?.cleanup();
  });

  test('is found as a sweep with one run, with its dataset at the sweep root', { skip }, async () => {
    assert.deepEqual(
      discoverRuns(TINYGSM).map((r) => r.name),
      ['tinygsm_8epochs_full_lr0.001_bs8'],
    );
    const examples = await store.examples(run.id);
    assert.equal(examples.length, 400);
    const first = JSON.parse(readFileSync(join(TINYGSM, 'train.jsonl'), 'utf8').split('\n')[0]!) as { question: string };
    assert.equal(examples.find((e) => e.index === 0)!.question, first.question);
  });

  test("train and test accuracy agree with the run's own record of them", { skip }, async () => {
    const record = JSON.parse(readFileSync(join(runPath, 'run.json'), 'utf8')) as {
      checkpoints: { global_step: number; train_acc: number; test_acc: number; epoch: number; train_loss: number }[];
    };
    const { json, analyses } = await buildReport(store, [run], { threshold: { kind: 'loglog', value: -3 }, samplePreference: null });
    const cps = json.runs[0]!.checkpoints;
    assert.deepEqual(
      cps.map((c) => c.step),
      record.checkpoints.map((c) => c.global_step),
    );
    cps.forEach((c, j) => {
      assert.equal(c.train_accuracy, record.checkpoints[j]!.train_acc);
      assert.equal(c.test_accuracy, record.checkpoints[j]!.test_acc);
    });
    assert.deepEqual(
      analyses[0]!.checkpoints.map((c) => c.epoch),
      record.checkpoints.map((c) => c.epoch),
      'epochs from trainer_state.json',
    );
    assert.ok(analyses[0]!.checkpoints.every((c) => typeof c.trainLoss === 'number'));
    // The README: ln ln ppl < -3 marks about 28% of examples at the last checkpoint.
    assert.ok(Math.abs(cps.at(-1)!.memorized_fraction! - 0.28) < 0.02, `memorized ${cps.at(-1)!.memorized_fraction}`);
  });

  test('sample texts are stored and come back for one example, in its sample order', { skip }, async () => {
    const a = await analyseRun(store, run, { threshold: { kind: 'loglog', value: -3 }, samplePreference: null });
    const last = a.checkpoints.at(-1)!;
    const texts = readNpyFile(join(runPath, 'checkpoint-400', 'train_answers4_seed2_temp0.8.npy'));
    const examples = await store.examples(run.id);
    const ex = examples[17]!; // analysis position 17, some dataset index
    const stored = await store.sampleTexts(last.id, 'train', last.trainSet, ex.position);
    assert.deepEqual(stored, (texts.data as string[]).slice(ex.index * 4, ex.index * 4 + 4));
    const codes = readNpyFile(join(runPath, 'checkpoint-400', 'train_answer_types4_seed2_temp0.8.npy'));
    assert.deepEqual(await store.sampleCodes(last.id, 'train', last.trainSet, ex.position), Array.from((codes.data as Float64Array).slice(ex.index * 4, ex.index * 4 + 4)));
  });
});
