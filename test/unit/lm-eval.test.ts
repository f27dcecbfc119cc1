/**
 * lm-evaluation-harness `--log_samples` logs as a run layout, on real logs (test/helpers/
 * harnessFixtures.ts): the harness's own gsm8k task with its two filters, on training questions
 * (`gsm8k_train`) and test questions; its own minerva_math task on MATH-style problems with
 * levels; the tasks `premem plan lm-eval` writes. Expectations come from outside Premem Lens:
 * the harness's own aggregate figures, and step copy rates computed in Python.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from '../helpers/fixtures';
import { copyFixtureSweep, FIXTURE_CHECKPOINTS, harnessExpected, harnessLogs, jsonlRecords, toOldForm } from '../helpers/harnessFixtures';
import { tempDir } from '../helpers/paths';

interface Report {
  runs: {
    checkpoints: {
      step: number;
      train_accuracy: number;
      test_accuracy: number | null;
      memorized_fraction: number;
      pre_memorization_accuracy: number;
      sample_sets: { train: string; test: string | null };
    }[];
  }[];
}
interface ExampleLine {
  index: number;
  memorized: boolean[];
  train_accuracy: number[];
}

const expected = harnessExpected();
const examples = (out: string) =>
  out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ExampleLine);
/** The text criterion, from copy rates: memorized when more than half the samples copy at least half the steps. */
const memorizedByCopies = (rates: number[]) => 2 * rates.filter((r) => r >= 0.5).length > rates.length;

describe('lm-evaluation-harness logs (real, 0.4.13)', () => {
  test('read per checkpoint: strict filter by default, correctness from the metric, test split for test accuracy; the v0.4.0–0.4.2 array form alike', async () => {
    const t = tempDir();
    try {
      const run = join(copyFixtureSweep('gsm8k-style', t.dir), 'harness_tasks_run');
      // checkpoint-24's logs as the older releases wrote them: one JSON array per task.
      for (const f of harnessLogs(join(run, 'checkpoint-24'), 'gsm8k_(train|test)')) toOldForm(f);
      const db = join(t.dir, 'i.sqlite');
      const r = await runCli('report', run, '--db', db, '--json');
      assert.equal(r.code, 0, r.err);
      const cps = (JSON.parse(r.out) as Report).runs[0]!.checkpoints;
      const harness = expected.harness.gsm8k;
      assert.deepEqual(
        cps.map((c) => [c.step, c.train_accuracy, c.test_accuracy, c.sample_sets]),
        FIXTURE_CHECKPOINTS.map((ck) => [
          Number(ck.slice(11)),
          harness[ck]['gsm8k_train']!['exact_match,strict-match'],
          harness[ck]['gsm8k_test']!['exact_match,strict-match'],
          { train: 'gsm8k_train:strict-match', test: 'gsm8k_test:strict-match' },
        ]),
      );
      // Another filter is another sample set, with the harness's figure for that filter.
      const flex = await runCli('report', run, '--db', db, '--json', '--sample-set', 'gsm8k_train:flexible-extract,gsm8k_test:flexible-extract');
      assert.equal(flex.code, 0, flex.err);
      assert.deepEqual(
        (JSON.parse(flex.out) as Report).runs[0]!.checkpoints.map((c) => [c.train_accuracy, c.test_accuracy]),
        FIXTURE_CHECKPOINTS.map((ck) => [harness[ck]['gsm8k_train']!['exact_match,flexible-extract'], harness[ck]['gsm8k_test']!['exact_match,flexible-extract']]),
      );
    } finally {
      t.cleanup();
    }
  });

  test('no perplexities: the text criterion finds the copies in the logged responses, as an independent implementation does', async () => {
    const t = tempDir();
    try {
      const run = join(copyFixtureSweep('gsm8k-style', t.dir), 'planned_run');
      // Without the references' logs the run has no perplexities: only the text can tell.
      for (const ck of FIXTURE_CHECKPOINTS) for (const f of harnessLogs(join(run, ck), 'premem_train_references')) rmSync(f);
      const db = join(t.dir, 'i.sqlite');
      const r = await runCli('examples', run, '--db', db, '--json', '--memorization', 'text');
      assert.equal(r.code, 0, r.err);
      const rows = examples(r.out);
      const task = Object.keys(expected.copies.planned['checkpoint-6']).find((k) => k.startsWith('premem_train_samples'))!;
      let memorized = 0;
      for (const row of rows) {
        const want = FIXTURE_CHECKPOINTS.map((ck) => memorizedByCopies(expected.copies.planned[ck][task]![String(row.index)]!));
        assert.deepEqual(row.memorized, want, `example #${row.index}`);
        memorized += want.filter(Boolean).length;
      }
      assert.equal(rows.length, 8);
      assert.ok(memorized > 0, 'the real model copies some references');
      // The documents are the examples: the questions are the dataset's.
      const ex = await runCli('examples', run, '--db', db, '--sort', 'dataset', '--limit', '1');
      const first = JSON.parse(readFileSync(join(t.dir, 'gsm8k-style', 'train.jsonl'), 'utf8').split('\n')[0]!) as { question: string };
      assert.ok(ex.out.includes(first.question.slice(0, 40)), ex.out);
    } finally {
      t.cleanup();
    }
  });

  test('a MATH log of the harness’s own task: problem and solution documents, one filter, LaTeX references, slices by level', async () => {
    const t = tempDir();
    try {
      const run = join(copyFixtureSweep('math-style', t.dir), 'math_run');
      const db = join(t.dir, 'i.sqlite');
      const r = await runCli('report', run, '--db', db, '--json', '--memorization', 'text', '--by', 'level');
      assert.equal(r.code, 0, r.err);
      const json = JSON.parse(r.out) as Report & { slices: { runs: { slices: { label: string; examples: number }[] }[] } };
      const task = 'minerva_math_train';
      assert.deepEqual(
        json.runs[0]!.checkpoints.map((c) => [c.step, c.sample_sets.train, c.train_accuracy, c.memorized_fraction]),
        FIXTURE_CHECKPOINTS.map((ck) => {
          const copies = Object.values(expected.copies.math[ck][task]!);
          return [Number(ck.slice(11)), `${task}:none`, expected.harness.math[ck][task]!['exact_match,none'], copies.filter(memorizedByCopies).length / copies.length];
        }),
      );
      // Six problems, as fixture_tasks.py wrote them: three at level 1, two at level 2, one at level 3.
      assert.deepEqual(
        json.slices.runs[0]!.slices.map((x) => [x.label, x.examples]),
        [
          ['Level 1', 3],
          ['Level 2', 2],
          ['Level 3', 1],
        ],
      );
      const ex = await runCli('examples', run, '--db', db, '--sort', 'dataset', '--limit', '1');
      assert.match(ex.out, /What is \$2\+3\$\?/);
      // The reference is the worked solution, not the bare final answer the harness's task adds
      // to each document ("answer"): a response that writes the solution out is a copy of it.
      const last = harnessLogs(join(run, 'checkpoint-24'), task)[0]!;
      const records = jsonlRecords(last);
      const doc0 = records.find((x) => x['doc_id'] === 0)!;
      const solution = (doc0['doc'] as { solution: string; answer: string }).solution;
      assert.notEqual((doc0['doc'] as { answer: string }).answer, solution, 'the harness adds a bare answer beside the solution');
      writeFileSync(last, records.map((x) => JSON.stringify(x === doc0 ? { ...x, resps: [[solution]], filtered_resps: [solution] } : x) + '\n').join(''));
      const copied = await runCli('examples', run, '--db', join(t.dir, 'copied.sqlite'), '--json', '--memorization', 'text');
      assert.equal(copied.code, 0, copied.err);
      assert.deepEqual(examples(copied.out).find((x) => x.index === 0)!.memorized, [false, true]);
    } finally {
      t.cleanup();
    }
  });

  test('a malformed record or a log cut short names the file and the record', async () => {
    const t = tempDir();
    try {
      const run = join(copyFixtureSweep('gsm8k-style', t.dir), 'harness_tasks_run');
      const file = harnessLogs(join(run, 'checkpoint-6'), 'gsm8k_train')[0]!;
      const name = file.split('/').pop()!.replace(/\./g, '\\.');
      const rows = jsonlRecords(file);
      const jsonl = (records: object[]) => records.map((x) => JSON.stringify(x) + '\n').join('');
      writeFileSync(file, jsonl([...rows.slice(0, 3), { ...rows[3]!, doc_id: 'three' }, ...rows.slice(4)]));
      // The checkpoint is left out, named with the file and the record's line; checkpoint-24 stays.
      const skipped = (text: string, detail: string) => assert.match(text, new RegExp(`skipped step 6 .*${name}(:|: line )${detail}`));
      let r = await runCli('report', run, '--db', join(t.dir, 'a.sqlite'));
      assert.equal(r.code, 0, r.err);
      skipped(r.out + r.err, '4: "doc_id" must be a whole number');
      assert.match(r.out, /^\s+24\s/m);
      // Cut mid-record, as a log still being written is.
      const whole = jsonl(rows);
      writeFileSync(file, whole.slice(0, whole.length - 40));
      r = await runCli('report', run, '--db', join(t.dir, 'b.sqlite'));
      skipped(r.out + r.err, `${rows.length}: malformed JSON`);
      // A record without any metric value.
      writeFileSync(file, jsonl(rows.map((x) => ({ ...x, exact_match: undefined, metrics: undefined }))));
      r = await runCli('report', run, '--db', join(t.dir, 'c.sqlite'));
      skipped(r.out + r.err, '1: no metric value');
      // With no checkpoint left to read, the run itself is refused, naming the same file.
      rmSync(join(run, 'checkpoint-24'), { recursive: true });
      r = await runCli('report', run, '--db', join(t.dir, 'd.sqlite'));
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(`${name}(:|: line )1: no metric value`));
    } finally {
      t.cleanup();
    }
  });
});
