/**
 * lm-evaluation-harness `--log_samples` logs as a run layout. The fixture follows the harness's
 * record format: one record per document and filter with doc_id, doc, target, arguments,
 * resps, filtered_resps, filter, metrics, the hashes and the metric value; GSM8K's two filters
 * (strict-match, flexible-extract); a training-split task (`gsm8k_train`) and the test task;
 * one checkpoint written in the older single-JSON-array form.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from '../helpers/fixtures';
import { tempDir } from '../helpers/paths';

const TRAIN_DOCS = [
  { question: 'Tom has 3 apples and buys 4 more. How many apples does he have?', answer: 'Tom starts with 3 apples.\nHe buys 4 more, so 3+4 = <<3+4=7>>7.\n#### 7' },
  { question: 'A box holds 6 pens. How many pens are in 5 boxes?', answer: 'Each box has 6 pens.\nFive boxes hold 5*6 = <<5*6=30>>30.\n#### 30' },
  { question: 'Mia reads 12 pages a day. How many pages in 3 days?', answer: 'She reads 12 a day.\nIn 3 days that is 12*3 = <<12*3=36>>36.\n#### 36' },
  { question: 'Sam had 20 stamps and gave away 8. How many are left?', answer: 'He gave away 8 of 20.\nSo 20-8 = <<20-8=12>>12 are left.\n#### 12' },
];
const TEST_DOCS = [
  { question: 'Ann buys 2 kites at $5. How much does she pay?', answer: 'Two kites cost 2*5 = <<2*5=10>>10.\n#### 10' },
  { question: 'Leo has 9 cards and gets 6. How many now?', answer: 'He has 9+6 = <<9+6=15>>15.\n#### 15' },
];

/** One record per document and filter, as the harness writes them. */
function records(docs: readonly { question: string; answer: string }[], responses: readonly string[], correct: readonly [boolean, boolean][]): object[] {
  return docs.flatMap((doc, i) =>
    (['strict-match', 'flexible-extract'] as const).map((filter, f) => ({
      doc_id: i,
      doc,
      target: doc.answer,
      arguments: { gen_args_0: { arg_0: `Question: ${doc.question}\nAnswer:`, arg_1: { until: ['Question:'], do_sample: false } } },
      resps: [[responses[i]]],
      filtered_resps: [correct[i]![f] ? doc.answer.split('#### ')[1] : '[invalid]'],
      filter,
      metrics: ['exact_match'],
      doc_hash: `d${i}`,
      prompt_hash: `p${i}`,
      target_hash: `t${i}`,
      exact_match: correct[i]![f] ? 1.0 : 0.0,
    })),
  );
}

const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/**
 * Checkpoint 100: the model reasons in its own words and solves two of four (strict), three
 * (flexible). Checkpoint 200: it reproduces the references verbatim and solves all four.
 * Checkpoint 200 is in the old JSON-array form.
 */
function writeLmEvalRun(dir: string): string {
  const run = join(dir, 'lmeval_sweep', 'llama_lm_eval_run');
  const own = ['3 and 4 make 7.\n#### 7', 'I think 5+6 = 11.\n#### 11', '12 times 3 gives 36.\n#### 36', '20 minus 8 is 13.\n#### 13'];
  const c100 = join(run, 'checkpoint-100');
  mkdirSync(c100, { recursive: true });
  writeFileSync(
    join(c100, 'samples_gsm8k_train_2024-06-01T10-00-00.123456.jsonl'),
    jsonl(
      records(TRAIN_DOCS, own, [
        [true, true],
        [false, false],
        [true, true],
        [false, true],
      ]),
    ),
  );
  writeFileSync(
    join(c100, 'samples_gsm8k_2024-06-01T10-05-00.654321.jsonl'),
    jsonl(
      records(
        TEST_DOCS,
        ['2*5 = 10.\n#### 10', '9+6 = 14\n#### 14'],
        [
          [true, true],
          [false, false],
        ],
      ),
    ),
  );
  const c200 = join(run, 'checkpoint-200');
  mkdirSync(c200);
  writeFileSync(
    join(c200, 'samples_gsm8k_train_2024-06-02T10-00-00.json'),
    JSON.stringify(
      records(
        TRAIN_DOCS,
        TRAIN_DOCS.map((d) => d.answer),
        TRAIN_DOCS.map(() => [true, true]),
      ),
    ),
  );
  writeFileSync(
    join(c200, 'samples_gsm8k_2024-06-02T10-05-00.json'),
    JSON.stringify(
      records(
        TEST_DOCS,
        ['2*5 = 10.\n#### 10', '9+6 = 15\n#### 15'],
        [
          [true, true],
          [true, true],
        ],
      ),
    ),
  );
  return run;
}

interface Report {
  threshold: { memorization?: string };
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

describe('lm-evaluation-harness logs', () => {
  test('read per checkpoint: strict filter by default, correctness from the metric, test split for test accuracy', async () => {
    const t = tempDir();
    try {
      const run = writeLmEvalRun(t.dir);
      const db = join(t.dir, 'i.sqlite');
      const r = await runCli('report', run, '--db', db, '--json');
      assert.equal(r.code, 0, r.err);
      const cps = (JSON.parse(r.out) as Report).runs[0]!.checkpoints;
      assert.deepEqual(
        cps.map((c) => [c.step, c.train_accuracy, c.test_accuracy, c.sample_sets]),
        [
          [100, 0.5, 0.5, { train: 'gsm8k_train:strict-match', test: 'gsm8k:strict-match' }],
          [200, 1, 1, { train: 'gsm8k_train:strict-match', test: 'gsm8k:strict-match' }],
        ],
      );
      // Another filter is another sample set.
      const flex = await runCli('report', run, '--db', db, '--json', '--sample-set', 'gsm8k_train:flexible-extract,gsm8k:flexible-extract');
      assert.deepEqual(
        (JSON.parse(flex.out) as Report).runs[0]!.checkpoints.map((c) => c.train_accuracy),
        [0.75, 1],
      );
    } finally {
      t.cleanup();
    }
  });

  test('no perplexities: the text criterion finds where the model started copying, from the logged responses', async () => {
    const t = tempDir();
    try {
      const run = writeLmEvalRun(t.dir);
      const db = join(t.dir, 'i.sqlite');
      const r = await runCli('report', run, '--db', db, '--json', '--memorization', 'text');
      assert.equal(r.code, 0, r.err);
      const cps = (JSON.parse(r.out) as Report).runs[0]!.checkpoints;
      // Own words at 100, verbatim references at 200: everything is memorized at 200 only.
      assert.deepEqual(
        cps.map((c) => c.memorized_fraction),
        [0, 1],
      );
      assert.deepEqual(
        cps.map((c) => c.pre_memorization_accuracy),
        [0.5, 0.5],
      );
      // The documents are the examples: questions come from the logs.
      const ex = await runCli('examples', run, '--db', db, '--sort', 'dataset', '--limit', '1');
      assert.match(ex.out, /Tom has 3 apples/);
    } finally {
      t.cleanup();
    }
  });

  test('a MATH-style log: problem and solution documents, one filter, LaTeX answers, slices by level', async () => {
    const t = tempDir();
    try {
      const docs = [
        { problem: 'What is $2+3$?', solution: 'We add: $2+3=5$. The answer is $\\boxed{5}$.', level: 'Level 1', type: 'Prealgebra' },
        { problem: 'Solve $x^2=9$ for $x>0$.', solution: 'Taking roots, $x=3$. So $x=\\boxed{3}$.', level: 'Level 2', type: 'Algebra' },
        { problem: 'What is $10/2$?', solution: 'Divide: $10/2=5$. Hence $\\boxed{5}$.', level: 'Level 1', type: 'Prealgebra' },
      ];
      const run = join(t.dir, 'math_sweep', 'math_lm_eval_run');
      for (const [step, right] of [
        [50, [true, false, false]],
        [100, [true, true, true]],
      ] as const) {
        const dir = join(run, `checkpoint-${step}`);
        mkdirSync(dir, { recursive: true });
        const rows = docs.map((doc, i) => ({
          doc_id: i,
          doc,
          target: doc.solution,
          resps: [[step === 100 ? doc.solution : 'I am not sure.']],
          filtered_resps: [right[i] ? 'ok' : 'no'],
          filter: 'none',
          metrics: ['exact_match'],
          exact_match: right[i] ? 1 : 0,
        }));
        writeFileSync(join(dir, `samples_minerva_math_train_2024-07-01T00-00-00.jsonl`), jsonl(rows));
      }
      const db = join(t.dir, 'i.sqlite');
      const r = await runCli('report', run, '--db', db, '--json', '--memorization', 'text', '--by', 'level');
      assert.equal(r.code, 0, r.err);
      const json = JSON.parse(r.out) as Report & { slices: { runs: { slices: { label: string; examples: number; pre_memorization_accuracy: number }[] }[] } };
      const cps = json.runs[0]!.checkpoints;
      assert.deepEqual(
        cps.map((c) => [c.step, c.sample_sets.train, c.train_accuracy, c.memorized_fraction]),
        [
          [50, 'minerva_math_train:none', 1 / 3, 0],
          [100, 'minerva_math_train:none', 1, 1],
        ],
      );
      assert.deepEqual(
        json.slices.runs[0]!.slices.map((x) => [x.label, x.examples, x.pre_memorization_accuracy]),
        [
          ['Level 1', 2, 0.5],
          ['Level 2', 1, 0],
        ],
      );
      const ex = await runCli('examples', run, '--db', db, '--sort', 'dataset', '--limit', '1');
      assert.match(ex.out, /What is \$2\+3\$\?/);
    } finally {
      t.cleanup();
    }
  });

  test('a malformed record or a log cut short names the file and the record', async () => {
    const t = tempDir();
    try {
      const run = writeLmEvalRun(t.dir);
      const file = join(run, 'checkpoint-100', 'samples_gsm8k_train_2024-06-01T10-00-00.123456.jsonl');
      const rows = records(
        TRAIN_DOCS,
        ['a', 'b', 'c', 'd'],
        TRAIN_DOCS.map(() => [true, true]),
      );
      writeFileSync(file, jsonl([...rows.slice(0, 3), { ...rows[3]!, doc_id: 'three' }, ...rows.slice(4)]));
      let r = await runCli('report', run, '--db', join(t.dir, 'a.sqlite'));
      assert.equal(r.code, 1);
      assert.match(r.err, /samples_gsm8k_train_2024-06-01T10-00-00\.123456\.jsonl:4: "doc_id" must be a whole number/);
      // Cut mid-record, as a log still being written is.
      const whole = jsonl(rows);
      writeFileSync(file, whole.slice(0, whole.length - 40));
      r = await runCli('report', run, '--db', join(t.dir, 'b.sqlite'));
      assert.equal(r.code, 1);
      assert.match(r.err, /\.jsonl:8: malformed JSON/);
      // A record without any metric value.
      const noMetric = rows.map((x) => ({ ...x, exact_match: undefined, metrics: undefined }));
      writeFileSync(file, jsonl(noMetric));
      r = await runCli('report', run, '--db', join(t.dir, 'c.sqlite'));
      assert.match(r.err, /\.jsonl:1: no metric value/);
    } finally {
      t.cleanup();
    }
  });
});
