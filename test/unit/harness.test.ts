/**
 * The lm-evaluation-harness route: log-likelihood records of the training references turned into
 * perplexities with the checkpoint's tokenizer, the record shapes of the harness's 0.4.x releases,
 * logs nested where `--output_path` puts them, duplicate logs, tasks planned by `premem plan
 * lm-eval` (graded by Premem Lens), Trainer folders, and the plan's files.
 *
 * Records are built exactly in the harness's format. Sources (lm-evaluation-harness, read at
 * v0.4.2, v0.4.3 and main): `lm_eval/evaluator.py` (the logged example: doc_id, doc, target,
 * arguments, resps, filtered_resps, filter, metrics, doc_hash, prompt_hash, target_hash, and each
 * metric); `lm_eval/loggers/evaluation_tracker.py` `save_results_samples` (v0.4.3 on: one JSON
 * line per record in `<output_path>/<model_name_sanitized>/samples_<task>_<date>.jsonl`, arguments
 * rewritten as {"gen_args_<i>": {"arg_<j>": …}}, resps and filtered_resps through `sanitize_list`,
 * which turns every leaf into a string); v0.4.2 `lm_eval/__main__.py` (one JSON array per task,
 * arguments as lists, numbers as numbers); `lm_eval/api/model.py` `TemplateLM._encode_pair`
 * (trailing context whitespace moves to the continuation; continuation tokens = whole − context).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import { continuationTokens } from '../../src/ingest/harnessTokens';
import { readNpyFile } from '../../src/ingest/npy';
import { planFiles } from '../../src/plan/lmEvalPlan';
import { AUTHORS_TEMPLATES } from '../../src/score/templates';
import { runCli } from '../helpers/fixtures';
import { characterTokenizer } from '../helpers/onnxModels';
import { generationRecord, jsonl, loglikelihoodRecord, scores, STEPS, TINY, trainRecords, writeHarnessRun } from '../helpers/harnessRun';
import { skipUnless, tempDir } from '../helpers/paths';

describe('reference perplexities from harness log-likelihood records', () => {
  // Each test skips on its own (counted per test, with the reason), not the whole suite as one.
  const skip = skipUnless(TINY);
  const { dir, cleanup } = tempDir();
  test.after(cleanup);
  const train = skip ? [] : trainRecords();
  const run = skip ? '' : writeHarnessRun(join(dir, 'harness_8epochs'));

  test('perplexities equal reference_scores.jsonl within 1e-9 relative, at every checkpoint and in both record forms', { skip }, async () => {
    const db = join(dir, 'index.sqlite');
    const r = await runCli('examples', run, '--db', db, '--json');
    assert.equal(r.code, 0, r.err);
    const rows = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { index: number; perplexity: number[]; memorized: boolean[] });
    assert.equal(rows.length, 20);
    STEPS.forEach((step, j) => {
      for (const s of scores(step)) {
        const got = rows.find((x) => x.index === s.index)!.perplexity[j]!;
        assert.ok(Math.abs(got - s.perplexity) / s.perplexity < 1e-9, `checkpoint-${step} #${s.index}: ${got} vs ${s.perplexity}`);
      }
    });
    // The perplexity criterion is the paper's own: memorized below the default cut (ppl < 1.1055).
    const cut = Math.exp(Math.exp(-2.3));
    for (const row of rows) row.memorized.forEach((m, j) => assert.equal(m, row.perplexity[j]! < cut));
    assert.ok(
      rows.some((x) => x.memorized.some(Boolean)),
      'some references are memorized',
    );
  });

  test('continuation tokens are counted as the harness splits them, equal to num_tokens', { skip }, () => {
    const tokenizer = new Tokenizer(JSON.parse(readFileSync(join(TINY, 'tokenizer.json'), 'utf8')) as ConstructorParameters<typeof Tokenizer>[0], {});
    for (const s of scores(400)) assert.equal(continuationTokens(tokenizer, s.prompt, s.target), s.num_tokens);
    // Trailing whitespace of the context belongs to the continuation.
    const chars = characterTokenizer(['a', 'b', ' ']);
    const t = new Tokenizer(chars, {});
    assert.equal(continuationTokens(t, 'ab ', 'ba'), 3);
  });

  test('duplicate logs of a task: the newest is read and the report says which', { skip }, async () => {
    const c = join(run, 'checkpoint-400', 'lm_eval', '__work__ckpt');
    const older = readFileSync(join(c, 'samples_gsm8k_train_2024-06-01T10-00-00.000001.jsonl'), 'utf8');
    // An older log of the same task in which every sample is wrong: it must not be read.
    writeFileSync(join(c, 'samples_gsm8k_train_2023-01-01T00-00-00.000001.jsonl'), older.replace(/"exact_match":1/g, '"exact_match":0'));
    const db = join(dir, 'dup.sqlite');
    const r = await runCli('report', run, '--db', db, '--json');
    assert.equal(r.code, 0, r.err);
    const last = (JSON.parse(r.out) as { runs: { checkpoints: { train_accuracy: number; notes?: string[] }[] }[] }).runs[0]!.checkpoints.at(-1)!;
    const codes = readNpyFile(join(TINY, 'checkpoint-400', 'train_answer_types4_seed2_temp0.8.npy')).data as ArrayLike<number>;
    const expected = Array.from({ length: 20 }, (_, i) => (Number(codes[i * 4]) === 0 ? 1 : 0)).reduce((a: number, b: number) => a + b, 0) / 20;
    assert.equal(last.train_accuracy, expected);
    assert.match(last.notes!.join('\n'), /2 harness logs of task gsm8k_train: read the newest, .*2024-06-01T10-00-00/);
    const text = await runCli('report', run, '--db', db);
    assert.match(text.out, /note, step 400: 2 harness logs of task gsm8k_train/);
  });

  test('records of other shapes are refused with the file and line', { skip }, async () => {
    const bad = join(dir, 'bad_2epochs');
    const c = join(bad, 'checkpoint-10');
    mkdirSync(c, { recursive: true });
    copyFileSync(join(TINY, 'tokenizer.json'), join(c, 'tokenizer.json'));
    const doc = train[0]!;
    writeFileSync(join(c, 'samples_gsm8k_train_2024-01-01T00-00-00.000001.jsonl'), jsonl([generationRecord(0, doc, '#### 78', true)]));
    const s = scores(400)[0]!;
    const good = loglikelihoodRecord(s, doc, 'new') as Record<string, unknown>;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...good, arguments: { foo: 1 } }, /"arguments" is neither/],
      [{ ...good, arguments: { gen_args_0: { arg_0: 'only context' } } }, /\(context, continuation\), two strings/],
      [{ ...good, resps: [[['0.5', 'False']]], filtered_resps: [['0.5', 'False']] }, /above 0: not a log-probability/],
      [{ ...good, filtered_resps: [['-1', 'False']] }, /"filtered_resps" .* and "resps" .* disagree/],
    ];
    for (const [record, message] of cases) {
      writeFileSync(join(c, 'samples_premem_train_references_2024-01-01T00-00-00.000001.jsonl'), '\n' + JSON.stringify(record) + '\n');
      const r = await runCli('report', bad, '--db', join(dir, `bad-${Math.random()}.sqlite`));
      assert.notEqual(r.code, 0);
      assert.match(r.out + r.err, new RegExp(`samples_premem_train_references_2024-01-01T00-00-00\\.000001\\.jsonl(:2:|: line 2:) .*${message.source}`));
    }
  });
});

describe('tasks planned by premem plan lm-eval, read back', () => {
  const { dir, cleanup } = tempDir();
  test.after(cleanup);

  test('k repeats per document are graded by Premem Lens into the sample set; variants into perturbed samples', async () => {
    const run = join(dir, 'planned_1epochs');
    const train = [
      { question: 'Q0?', answer: 'x\n#### 7' },
      { question: 'Q1?', answer: 'y\n#### 1,000' },
    ];
    writeFileSync(join(dir, 'train.jsonl'), jsonl(train));
    const c = join(run, 'checkpoint-5', 'lm_eval', 'model');
    mkdirSync(c, { recursive: true });
    const record = (docId: number, doc: object, responses: string[]) => ({
      doc_id: docId,
      doc,
      target: '',
      arguments: { gen_args_0: { arg_0: 'Q\nAnswer:', arg_1: { until: ['\nDone.'] } } },
      resps: [responses],
      filtered_resps: [responses[0]],
      filter: 'strict-match',
      metrics: ['exact_match'],
      exact_match: 0,
    });
    writeFileSync(
      join(c, 'samples_premem_train_samples3_temp0.8_seed0_2024-06-01T10-00-00.000001.jsonl'),
      jsonl([record(0, train[0]!, [' #### 7', ' #### 7.0', ' no answer']), record(1, train[1]!, [' #### 1000', ' #### 999', ' #### 1,000'])]),
    );
    writeFileSync(
      join(run, 'checkpoint-5', 'train_references.jsonl'),
      jsonl([
        { index: 0, perplexity: 1.5 },
        { index: 1, perplexity: 1.01 },
      ]),
    );
    const variant = { id: '0-rename-person', index: 0, kind: 'rename-person', preserves_answer: true, question: 'Q0 renamed?', answer: 'x\n#### 7', changes: [] };
    writeFileSync(join(c, 'samples_premem_perturbed_samples3_temp0.8_seed0_2024-06-01T10-00-00.000001.jsonl'), jsonl([record(0, variant, [' #### 7', ' #### 8', ' #### 7'])]));
    const db = join(dir, 'index.sqlite');
    const r = await runCli('report', run, '--db', db, '--json');
    assert.equal(r.code, 0, r.err);
    const cp = (JSON.parse(r.out) as { runs: { checkpoints: { train_accuracy: number; sample_sets: { train: string } }[] }[] }).runs[0]!.checkpoints[0]!;
    assert.equal(cp.sample_sets.train, 'samples3_temp0.8_seed0');
    // Doc 0: 7 and 7.0 correct, one without an answer; doc 1: 1000 and 1,000 correct, 999 wrong.
    assert.equal(cp.train_accuracy, 4 / 6);
    const robust = await runCli('robustness', run, '--db', db, '--json');
    assert.equal(robust.code, 0, robust.err);
    assert.equal((JSON.parse(robust.out) as { variants: number }).variants, 1);
  });

  test('a Trainer checkpoint with model files but no evaluation is shown as not evaluated, with the plan command', async () => {
    const run = join(dir, 'trainer_2epochs');
    mkdirSync(join(run, 'checkpoint-10'), { recursive: true });
    writeFileSync(join(run, 'checkpoint-10', 'train_references.jsonl'), jsonl([{ index: 0, perplexity: 1.5 }]));
    writeFileSync(join(run, 'checkpoint-10', 'train_samples.jsonl'), jsonl([{ index: 0, correct: [true] }]));
    writeFileSync(join(run, 'checkpoint-10', 'trainer_state.json'), JSON.stringify({ global_step: 10, epoch: 1, log_history: [{ loss: 0.5 }] }));
    mkdirSync(join(run, 'checkpoint-20'));
    for (const f of ['config.json', 'model.safetensors']) writeFileSync(join(run, 'checkpoint-20', f), '{}');
    writeFileSync(join(run, 'checkpoint-20', 'trainer_state.json'), JSON.stringify({ global_step: 21, epoch: 2 }));
    writeFileSync(join(dir, 'train2.jsonl'), jsonl([{ question: 'q', answer: '#### 1' }]));
    const r = await runCli('report', run, '--db', join(dir, 'trainer.sqlite'), '--json');
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(r.out) as { runs: { checkpoints: { step: number }[]; skipped_checkpoints: { step: number; reason: string }[] }[] };
    assert.deepEqual(
      json.runs[0]!.checkpoints.map((c) => c.step),
      [10],
    );
    assert.equal(json.runs[0]!.skipped_checkpoints[0]!.step, 20);
    assert.match(json.runs[0]!.skipped_checkpoints[0]!.reason, /^not evaluated yet: .*premem plan lm-eval/);
  });
});

describe('premem plan lm-eval', () => {
  const { dir, cleanup } = tempDir();
  test.after(cleanup);
  /** Every key the harness documents for a task config (docs/task_guide.md), and those of its filter and metric lists. */
  const DOCUMENTED = new Set([
    'task',
    'dataset_path',
    'dataset_kwargs',
    'data_files',
    'test_split',
    'output_type',
    'num_fewshot',
    'doc_to_text',
    'doc_to_target',
    'target_delimiter',
    'repeats',
    'generation_kwargs',
    'until',
    'do_sample',
    'temperature',
    'top_p',
    'max_gen_toks',
    'filter_list',
    'name',
    'filter',
    'function',
    'regex_pattern',
    'metric_list',
    'metric',
    'aggregation',
    'higher_is_better',
    'ignore_case',
    'regexes_to_ignore',
    'metadata',
    'version',
    'train',
    'test',
  ]);

  test('writes deterministic task files using only documented keys, and scripts for one machine and Slurm', async () => {
    const run = join(dir, 'trainer_run');
    for (const step of [10, 20]) {
      mkdirSync(join(run, `checkpoint-${step}`), { recursive: true });
      writeFileSync(join(run, `checkpoint-${step}`, 'config.json'), '{}');
      writeFileSync(join(run, `checkpoint-${step}`, 'model.safetensors'), '');
    }
    writeFileSync(join(run, 'train.jsonl'), jsonl([{ question: 'q', answer: 'a\n#### 1' }]));
    writeFileSync(join(run, 'test.jsonl'), jsonl([{ question: 'q', answer: 'a\n#### 2' }]));
    const plan = async (out: string, ...more: string[]) => runCli('plan', 'lm-eval', run, '--out', out, '--samples', '5', '--tensor-parallel', '2', ...more);
    assert.equal((await plan(join(dir, 'p1'))).code, 0);
    // Planning again into the same folder replaces the plan's own files only when asked.
    const again1 = await plan(join(dir, 'p1'));
    assert.notEqual(again1.code, 0);
    assert.match(again1.err, /exists \(written by an earlier premem plan lm-eval\); pass --force/);
    const forced = await plan(join(dir, 'p1'), '--force');
    assert.equal(forced.code, 0, forced.err);
    const files = [
      'tasks/premem_train_samples5_temp0.8_seed0.yaml',
      'tasks/premem_train_references.yaml',
      'tasks/premem_test_samples5_temp0.8_seed0.yaml',
      'checkpoints.sh',
      'run_all.sh',
      'slurm_array.sbatch',
    ];
    for (const f of files.filter((x) => x.endsWith('.yaml'))) {
      const text = readFileSync(join(dir, 'p1', f), 'utf8');
      for (const m of text.matchAll(/^\s*-?\s*([a-z_]+):/gm)) assert.ok(DOCUMENTED.has(m[1]!), `${f}: key ${m[1]} is not one the harness documents`);
    }
    const gen = readFileSync(join(dir, 'p1', files[0]!), 'utf8');
    assert.match(gen, /^repeats: 5$/m);
    assert.match(gen, /^doc_to_text: "\{\{question\}\}\\nAnswer:"$/m);
    const refs = readFileSync(join(dir, 'p1', files[1]!), 'utf8');
    assert.match(refs, /^output_type: loglikelihood$/m);
    assert.match(refs, /^doc_to_target: " \{\{answer\}\}\\nDone\."$/m);
    const sh = readFileSync(join(dir, 'p1', 'checkpoints.sh'), 'utf8');
    assert.match(sh, /lm_eval --model vllm/);
    assert.match(sh, /tensor_parallel_size=2/);
    assert.match(sh, /--log_samples --output_path "\$ckpt\/lm_eval"/);
    assert.ok(sh.includes(join(run, 'checkpoint-10')) && sh.includes(join(run, 'checkpoint-20')));
    assert.match(readFileSync(join(dir, 'p1', 'slurm_array.sbatch'), 'utf8'), /#SBATCH --array=0-1/);
    // Deterministic: the same inputs give the same bytes.
    const again = planFiles({
      settings: { samples: 5, temperature: 0.8, topP: 1, maxNewTokens: 200, seed: 0, templates: AUTHORS_TEMPLATES, stop: ['\nDone.'] },
      set: 'samples5_temp0.8_seed0',
      trainFile: join(run, 'train.jsonl'),
      trainQuestions: 1,
      testFile: join(run, 'test.jsonl'),
      testQuestions: 1,
      perturbationsFile: null,
      perturbedQuestions: 0,
      sampleReference: 'a\n#### 1',
      checkpoints: [join(run, 'checkpoint-10'), join(run, 'checkpoint-20')],
      backend: 'vllm',
      tensorParallel: 2,
      dataParallel: 1,
      device: null,
      batchSize: 'auto',
      modelArgs: [],
      planDir: join(dir, 'p1'),
    });
    for (const f of again) assert.equal(readFileSync(join(dir, 'p1', f.path), 'utf8'), f.text, f.path);
  });
});
