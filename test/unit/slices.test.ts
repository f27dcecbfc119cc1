/**
 * Slices: pre-memorization accuracy by a field of the dataset records or by reference length,
 * from the CLI (`report --by`) on the real index, checked against per-example figures.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sliceBy } from '../../src/core/slices';
import { splitSteps } from '../../src/core/steps';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { runCli } from '../helpers/fixtures';
import { skipUnless, tempDir, TINYGSM } from '../helpers/paths';

interface SliceJson {
  label: string;
  examples: number;
  pre_memorization_accuracy: number;
  train_accuracy: number;
  never_memorized: number;
  median_memorization_step: number | null;
}

test('slices group by label, numbers in numeric order, unlabelled examples left out', () => {
  const s = sliceBy({
    labels: ['10', '2', null, '2', 'b', 'a'],
    finalPreMemorization: [0.5, 0.25, 1, 0.75, 0, 1],
    finalAccuracy: [1, 0.5, 1, 1, 0, 1],
    memorizationStep: [30, null, 10, 20, null, 40],
  });
  assert.deepEqual(
    s.map((x) => x.label),
    ['2', '10', 'a', 'b'],
  );
  assert.deepEqual(s[0], { label: '2', examples: 2, preMemorizationAccuracy: 0.5, trainAccuracy: 0.75, neverMemorized: 1, medianMemorizationStep: 20 });
  assert.equal(s[1]!.medianMemorizationStep, 30);
});

test('report --by FIELD on a dataset with a level field matches the per-example figures', async () => {
  const tmp = tempDir();
  try {
    const sweep = writeExampleSweep(join(tmp.dir, 'example'));
    // Give every record a MATH-style level (and keep its question and answer).
    const file = join(sweep, 'train.jsonl');
    const records = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    writeFileSync(file, records.map((r, i) => JSON.stringify({ ...r, level: `Level ${1 + (i % 3)}`, type: i % 2 ? 'algebra' : 'counting' })).join('\n') + '\n');
    const run = join(sweep, 'example_3epochs_lr2e-04');
    const db = join(tmp.dir, 'i.sqlite');
    const r = await runCli('report', run, '--db', db, '--by', 'level', '--json');
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(r.out) as { slices: { by: string; runs: { path: string; slices: SliceJson[] }[] } };
    assert.equal(json.slices.by, 'level');
    const slices = json.slices.runs[0]!.slices;
    assert.deepEqual(
      slices.map((s) => s.label),
      ['Level 1', 'Level 2', 'Level 3'],
    );
    const ex = (await runCli('examples', run, '--db', db, '--json')).out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { index: number; pre_memorization_accuracy: number[]; memorization_step: number | null });
    for (const s of slices) {
      const members = ex.filter((e) => `Level ${1 + (e.index % 3)}` === s.label);
      assert.equal(s.examples, members.length);
      const mean = members.reduce((a, e) => a + e.pre_memorization_accuracy.at(-1)!, 0) / members.length;
      assert.ok(Math.abs(s.pre_memorization_accuracy - mean) < 1e-12, `${s.label}: ${s.pre_memorization_accuracy} vs ${mean}`);
      assert.equal(s.never_memorized, members.filter((e) => e.memorization_step === null).length);
    }
    const text = await runCli('report', run, '--db', db, '--by', 'type');
    assert.match(text.out, /example_3epochs_lr2e-04 by type \(at the last checkpoint\)/);
    assert.match(text.out, /^algebra\s+24\s/m);
    const bad = await runCli('report', run, '--db', db, '--by', 'difficulty');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /cannot be sliced by "difficulty"; it offers: steps, level, type/);
  } finally {
    tmp.cleanup();
  }
});

test('on tinygsm, longer reference solutions are the ones the model copies rather than solves', { skip: skipUnless(TINYGSM) }, async () => {
  const tmp = tempDir();
  try {
    const r = await runCli('report', TINYGSM, '--db', join(tmp.dir, 'i.sqlite'), '--by', 'steps', '--json');
    assert.equal(r.code, 0, r.err);
    const slices = (JSON.parse(r.out) as { slices: { runs: { slices: SliceJson[] }[] } }).slices.runs[0]!.slices;
    // Counts follow the references themselves.
    const lengths = readFileSync(join(TINYGSM, 'train.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => splitSteps((JSON.parse(l) as { answer: string }).answer).steps.length);
    for (const s of slices) assert.equal(s.examples, lengths.filter((n) => String(n) === s.label).length);
    assert.deepEqual(
      slices.map((s) => s.label),
      ['2', '3', '4'],
    );
    const premem = slices.map((s) => s.pre_memorization_accuracy);
    assert.ok(premem[0]! > premem[1]! && premem[1]! > premem[2]!, `falls with length: ${premem.join(', ')}`);
  } finally {
    tmp.cleanup();
  }
});
