/**
 * The lm-evaluation-harness route, on real logs (test/helpers/harnessFixtures.ts: the harness
 * 0.4.13 running a fine-tuned GPT-2 on the tasks `premem plan lm-eval` wrote): log-likelihood
 * records of the training references turned into perplexities with the checkpoint's tokenizer,
 * the record shapes of the harness's 0.4.x releases (v0.4.3 on: one JSON line per record,
 * arguments as {"gen_args_<i>": {"arg_<j>": …}}, every response leaf a string; v0.4.0–0.4.2: one
 * JSON array, arguments as lists, numbers as numbers), logs nested where `--output_path` puts
 * them, duplicate logs, the planned tasks' k samples graded by Premem Lens, Trainer folders, and
 * the plan's files. Expected figures come from outside Premem Lens: a float64 transformers
 * forward pass of each reference, and the authors' GSM8K grading in Python.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import { continuationTokens } from '../../src/ingest/harnessTokens';
import { planFiles } from '../../src/plan/lmEvalPlan';
import { AUTHORS_TEMPLATES } from '../../src/score/templates';
import { runCli } from '../helpers/fixtures';
import { copyFixtureSweep, FIXTURE_CHECKPOINTS, harnessExpected, harnessLogs, jsonlRecords, toOldForm } from '../helpers/harnessFixtures';
import { characterTokenizer } from '../helpers/onnxModels';
import { tempDir } from '../helpers/paths';

const expected = harnessExpected();
const jsonl = (records: readonly object[]) => records.map((r) => JSON.stringify(r) + '\n').join('');
const SET = 'samples2_temp0.8_seed0';

describe('reference perplexities from harness log-likelihood records', () => {
  const { dir, cleanup } = tempDir();
  test.after(cleanup);
  const run = join(copyFixtureSweep('gsm8k-style', dir), 'planned_run');

  test('perplexities equal a float64 forward pass of each reference (1e-6 relative), at every checkpoint and in both record forms', async () => {
    // checkpoint-24's references as the older releases wrote them: one JSON array.
    for (const f of harnessLogs(join(run, 'checkpoint-24'), 'premem_train_references')) toOldForm(f);
    const db = join(dir, 'index.sqlite');
    const r = await runCli('examples', run, '--db', db, '--json');
    assert.equal(r.code, 0, r.err);
    const rows = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { index: number; perplexity: number[]; memorized: boolean[] });
    assert.equal(rows.length, 8);
    let worst = 0;
    FIXTURE_CHECKPOINTS.forEach((ck, j) => {
      for (const ref of expected.references[ck]) {
        const want = Math.exp(-ref.logprob / ref.tokens);
        const got = rows.find((x) => x.index === ref.index)!.perplexity[j]!;
        worst = Math.max(worst, Math.abs(got - want) / want);
        assert.ok(Math.abs(got - want) / want < 1e-6, `${ck} #${ref.index}: ${got} vs ${want}`);
      }
    });
    console.log(`# perplexities from the harness's float32 log-likelihoods vs a float64 forward pass: worst relative difference ${worst.toExponential(2)}`);
    // The perplexity criterion is the paper's own: memorized below the default cut (ppl < 1.1055).
    const cut = Math.exp(Math.exp(-2.3));
    for (const row of rows) row.memorized.forEach((m, j) => assert.equal(m, row.perplexity[j]! < cut));
  });

  test('continuation tokens are counted as the harness splits them, equal to the transformers tokenizer’s count', () => {
    for (const ck of FIXTURE_CHECKPOINTS) {
      const tokenizer = new Tokenizer(JSON.parse(readFileSync(join(run, ck, 'tokenizer.json'), 'utf8')) as ConstructorParameters<typeof Tokenizer>[0], {});
      const log = harnessLogs(join(run, ck), 'premem_train_references')[0]!;
      for (const rec of log.endsWith('.json') ? (JSON.parse(readFileSync(log, 'utf8')) as Record<string, unknown>[]) : jsonlRecords(log)) {
        const args = rec['arguments'] as { gen_args_0: { arg_0: string; arg_1: string } } | [string, string][];
        const [context, continuation] = Array.isArray(args) ? args[0]! : [args.gen_args_0.arg_0, args.gen_args_0.arg_1];
        const want = expected.references[ck].find((x) => x.index === rec['doc_id'])!.tokens;
        assert.equal(continuationTokens(tokenizer, context, continuation), want, `${ck} #${String(rec['doc_id'])}`);
      }
    }
    // Trailing whitespace of the context belongs to the continuation.
    const chars = characterTokenizer(['a', 'b', ' ']);
    const t = new Tokenizer(chars, {});
    assert.equal(continuationTokens(t, 'ab ', 'ba'), 3);
  });

  test('duplicate logs of a task: the newest is read and the report says which', async () => {
    // At checkpoint-24, where some samples are right (none are at checkpoint-6).
    const newest = harnessLogs(join(run, 'checkpoint-24'), `premem_train_${SET}`)[0]!;
    const stamp = /_(\d{4}-\d\d-\d\dT[\d.-]+)\.jsonl$/.exec(newest)![1]!;
    // An older log of the same task in which every sample answers wrong: it must not be read.
    const older = jsonlRecords(newest).map((rec) => ({ ...rec, resps: (rec['resps'] as string[][]).map((x) => x.map(() => ' #### -999999')) }));
    writeFileSync(newest.replace(stamp, '2023-01-01T00-00-00.000001'), jsonl(older));
    const db = join(dir, 'dup.sqlite');
    const r = await runCli('report', run, '--db', db, '--json');
    assert.equal(r.code, 0, r.err);
    const first = (JSON.parse(r.out) as { runs: { checkpoints: { train_accuracy: number; notes?: string[] }[] }[] }).runs[0]!.checkpoints[1]!;
    const grades = Object.values(expected.grades['checkpoint-24']);
    assert.ok(grades.flat().includes(0), 'some samples are right here');
    const want = grades.map((g) => g.filter((x) => x === 0).length / g.length).reduce((a, b) => a + b, 0) / grades.length;
    assert.ok(Math.abs(first.train_accuracy - want) < 1e-12, `${first.train_accuracy} vs the authors' grading ${want}`);
    assert.match(first.notes!.join('\n'), new RegExp(`2 harness logs of task premem_train_${SET.replace(/\./g, '\\.')}: read the newest, .*${stamp.replace(/\./g, '\\.')}`));
    const text = await runCli('report', run, '--db', db);
    assert.match(text.out, /note, step 24: 2 harness logs of task premem_train_samples2/);
  });

  test('records of other shapes are refused with the file and line', async () => {
    const good = jsonlRecords(harnessLogs(join(run, 'checkpoint-6'), 'premem_train_references')[0]!)[0]!;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...good, arguments: { foo: 1 } }, /"arguments" is neither/],
      [{ ...good, arguments: { gen_args_0: { arg_0: 'only context' } } }, /\(context, continuation\), two strings/],
      [{ ...good, resps: [[['0.5', 'False']]], filtered_resps: [['0.5', 'False']] }, /above 0: not a log-probability/],
      [{ ...good, filtered_resps: [['-1', 'False']] }, /"filtered_resps" .* and "resps" .* disagree/],
    ];
    for (const [k, [record, message]] of cases.entries()) {
      const bad = join(dir, `bad_${k}`);
      copyFixtureSweep('gsm8k-style', bad);
      const badRun = join(bad, 'gsm8k-style', 'planned_run');
      const log = harnessLogs(join(badRun, 'checkpoint-6'), 'premem_train_references')[0]!;
      const name = log.split('/').pop()!.replace(/\./g, '\\.');
      writeFileSync(log, '\n' + JSON.stringify(record) + '\n');
      const r = await runCli('report', badRun, '--db', join(dir, `bad-${k}.sqlite`));
      // The checkpoint is left out, named with the file and line; the run's other checkpoint stays.
      assert.match(r.out + r.err, new RegExp(`skipped step 6 .*${name}(:2:|: line 2:) .*${message.source}`));
      assert.match(r.out, /^\s+24\s/m);
      assert.doesNotMatch(r.out, /^\s+6\s/m);
    }
  });
});

describe('tasks planned by premem plan lm-eval, read back', () => {
  const { dir, cleanup } = tempDir();
  test.after(cleanup);

  test('k repeats per document are graded by Premem Lens into the sample set, as the authors’ rule grades them; variants into perturbed samples', async () => {
    const run = join(copyFixtureSweep('gsm8k-style', dir), 'planned_run');
    const db = join(dir, 'index.sqlite');
    const r = await runCli('report', run, '--db', db, '--json');
    assert.equal(r.code, 0, r.err);
    const cps = (JSON.parse(r.out) as { runs: { checkpoints: { train_accuracy: number; sample_sets: { train: string } }[] }[] }).runs[0]!.checkpoints;
    FIXTURE_CHECKPOINTS.forEach((ck, j) => {
      const grades = Object.values(expected.grades[ck]);
      const want = grades.map((g) => g.filter((x) => x === 0).length / g.length).reduce((a, b) => a + b, 0) / grades.length;
      assert.equal(cps[j]!.sample_sets.train, SET);
      assert.ok(Math.abs(cps[j]!.train_accuracy - want) < 1e-12, `${ck}: ${cps[j]!.train_accuracy} vs the authors' grading ${want}`);
    });
    const variants = jsonlRecords(harnessLogs(join(run, 'checkpoint-6'), `premem_perturbed_${SET}`)[0]!).length;
    assert.ok(variants > 0);
    const robust = await runCli('robustness', run, '--db', db, '--json');
    assert.equal(robust.code, 0, robust.err);
    assert.equal((JSON.parse(robust.out) as { variants: number }).variants, variants);
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
    // Weights at every checkpoint and samples at none: a run waiting for its evaluation, said so.
    const fresh = join(dir, 'fresh_sweep', 'trainer_1epochs');
    for (const step of [5, 10]) {
      mkdirSync(join(fresh, `checkpoint-${step}`), { recursive: true });
      for (const f of ['config.json', 'model.safetensors']) writeFileSync(join(fresh, `checkpoint-${step}`, f), '{}');
    }
    const waiting = await runCli('report', fresh, '--db', join(dir, 'fresh.sqlite'));
    assert.equal(waiting.code, 1);
    assert.match(waiting.err, /trainer_1epochs: not evaluated yet: 2 checkpoints \(steps 5, 10\) with model files and no samples\. premem plan lm-eval/);
    // One checkpoint without weights is not that: it is named as a checkpoint without samples.
    rmSync(join(fresh, 'checkpoint-5', 'model.safetensors'));
    rmSync(join(fresh, 'checkpoint-5', 'config.json'));
    assert.match((await runCli('report', fresh, '--db', join(dir, 'fresh2.sqlite'))).err, /checkpoint-5: no training samples/);
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
