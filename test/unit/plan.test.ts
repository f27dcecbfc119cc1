/**
 * `premem plan lm-eval` as text: the generated scripts run with bash against a stand-in
 * `lm_eval` that only records its arguments (the real harness runs in test/harness), so that
 * every value is shown to reach the harness literally and nothing in it runs; the YAML values,
 * model-argument merging, setting checks, checkpoints the harness cannot load, `--limit`, and the
 * one write rule for the plan's own files.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { formatModelArgs, mergeModelArgs, parseModelArgs } from '../../src/plan/modelArgs';
import { jinjaTemplate, shellQuote, yamlFloat, yamlString } from '../../src/plan/quoting';
import { runCli } from '../helpers/fixtures';
import { tempDir } from '../helpers/paths';

const HOSTILE = ['$(touch pwned)', '`touch pwned`', '"; touch pwned; "', "'; touch pwned; '", 'a\\b\\\\c', 'line\nbreak', '$HOME ${PATH} !! *', 'ünïcødé \u2028 \u0085 \x7f 😀'];

/** What bash makes of a word: the bytes `printf %s` prints for it. */
function bashWord(word: string, cwd: string): string {
  const r = spawnSync('bash', ['-c', `printf %s ${word}`], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** A Trainer-like run: checkpoints with config.json and weights, a dataset beside them. */
function trainerRun(dir: string, steps: readonly number[] = [10, 20], records = 3): string {
  const run = join(dir, 'run');
  for (const step of steps) {
    mkdirSync(join(run, `checkpoint-${step}`), { recursive: true });
    writeFileSync(join(run, `checkpoint-${step}`, 'config.json'), '{}');
    writeFileSync(join(run, `checkpoint-${step}`, 'model.safetensors'), '');
  }
  const lines = Array.from({ length: records }, (_, i) => JSON.stringify({ question: `q${i}`, answer: `a\n#### ${i}` }) + '\n').join('');
  writeFileSync(join(run, 'train.jsonl'), lines);
  return run;
}

/** Sources the plan's checkpoints.sh and evaluates each checkpoint with a stand-in lm_eval that records its argv (one JSON array per call). */
function stubEvaluate(planDir: string, work: string, backend: 'vllm' | 'hf'): string[][] {
  const bin = join(work, 'bin');
  mkdirSync(bin, { recursive: true });
  const record = join(work, 'calls.jsonl');
  writeFileSync(join(bin, 'lm_eval'), `#!/usr/bin/env node\nrequire('fs').appendFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)) + '\\n');\n`);
  chmodSync(join(bin, 'lm_eval'), 0o755);
  writeFileSync(record, '');
  const r = spawnSync('bash', ['-c', `source ${shellQuote(join(planDir, 'checkpoints.sh'))}; for c in "\${CHECKPOINTS[@]}"; do evaluate "$c" || true; done`], {
    cwd: work,
    env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}`, PREMEM_LM_EVAL_BACKEND: backend },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return readFileSync(record, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as string[]);
}

const after = (argv: readonly string[], flag: string) => argv[argv.indexOf(flag) + 1];

describe('values reach generated files inertly', () => {
  const { dir, cleanup } = tempDir();
  test.after(cleanup);

  test('shellQuote: bash reads every hostile string back exactly, and runs none of it', () => {
    for (const s of HOSTILE) assert.equal(bashWord(shellQuote(s), dir), s);
    assert.ok(!existsSync(join(dir, 'pwned')));
    assert.throws(() => shellQuote('a\0b'), /NUL/);
  });

  test('yamlString writes printable ASCII only (no raw U+2028, U+0085 or DEL for YAML to mis-read)', () => {
    for (const s of HOSTILE) assert.match(yamlString(s), /^"[\x20-\x7e]*"$/);
    assert.equal(yamlString('a\u2028b\u0085c\x7f"\\'), '"a\\u2028b\\x85c\\x7f\\"\\\\"');
    // JSON reads \uXXXX, \t, \" and \\ as YAML does (\x and \U are YAML only): an independent check of those.
    assert.equal(JSON.parse(yamlString('tab\there "q" \\ \u2028 ψ')), 'tab\there "q" \\ \u2028 ψ');
  });

  test('yamlFloat: a form PyYAML reads as a float (a point, a signed exponent)', () => {
    assert.equal(yamlFloat(1e-7), '1.0e-7');
    assert.equal(yamlFloat(1e21), '1.0e+21');
    assert.equal(yamlFloat(2.5e-10), '2.5e-10');
    assert.equal(yamlFloat(0.8), '0.8');
    assert.equal(yamlFloat(1), '1.0');
    assert.equal(yamlFloat(0), '0.0');
    assert.throws(() => yamlFloat(Number.NaN));
  });

  test('jinjaTemplate: no Jinja syntax of the user’s text is left outside a string expression', () => {
    const t = jinjaTemplate('Q: {question} {{ 7*7 }} {% if 1 %}x{% endif %} {# c #}\r\n', ['question']);
    assert.ok(t.startsWith('Q: {{question}}'));
    const outside = t.replace(/\{\{ "(?:[^"\\]|\\.)*" \}\}/g, '').replace('{{question}}', '');
    assert.doesNotMatch(outside, /[{}%#\r]/, outside);
    assert.equal(jinjaTemplate('{question}\nAnswer:', ['question']), '{{question}}\nAnswer:');
  });

  test('model args merge by key: the user’s value replaces the plan’s, no key twice; malformed ones refused', () => {
    const merged = mergeModelArgs(
      [
        ['dtype', 'auto'],
        ['seed', '0'],
      ],
      parseModelArgs('dtype=float32,max_model_len=4096'),
    );
    assert.equal(formatModelArgs(merged), 'dtype=float32,seed=0,max_model_len=4096');
    assert.throws(() => parseModelArgs('dtype=a,dtype=b'), /given twice/);
    assert.throws(() => parseModelArgs('novalue'), /not key=value/);
    assert.throws(() => parseModelArgs('bad key=1'), /not a name/);
  });
});

describe('premem plan lm-eval', () => {
  const { dir, cleanup } = tempDir();
  test.after(cleanup);

  test('hostile paths and --model-args reach lm_eval literally on both backends, and nothing runs', async () => {
    const work = join(dir, `work $(touch pwned) 'q' \`id\``);
    const run = trainerRun(work);
    const plan = join(work, 'plan');
    const r = await runCli(
      'plan',
      'lm-eval',
      run,
      '--out',
      plan,
      '--backend',
      'hf',
      '--device',
      'cpu',
      '--model-args',
      'trust_remote_code=$(touch pwned),revision=`touch pwned`"x',
    );
    assert.equal(r.code, 0, r.err);
    for (const backend of ['hf', 'vllm'] as const) {
      const calls = stubEvaluate(plan, work, backend);
      assert.equal(calls.length, 2);
      calls.forEach((argv, i) => {
        const ckpt = join(run, `checkpoint-${(i + 1) * 10}`);
        const args = after(argv, '--model_args')!;
        assert.ok(args.startsWith(`pretrained=${ckpt},`), args);
        assert.ok(args.endsWith(',trust_remote_code=$(touch pwned),revision=`touch pwned`"x'), args);
        assert.equal(after(argv, '--output_path'), `${ckpt}/lm_eval`);
        if (backend === 'hf') {
          assert.equal(after(argv, '--device'), 'cpu');
          assert.match(args, /^pretrained=[^,]+(,[^,]+)*$/);
          assert.equal(args.split(',').filter((p) => p.startsWith('dtype=')).length, 1);
        } else {
          assert.ok(!argv.includes('--device'));
          assert.match(args, /tensor_parallel_size=1,data_parallel_size=1,dtype=auto,gpu_memory_utilization=0\.9,seed=0/);
        }
      });
    }
    assert.ok(!existsSync(join(work, 'pwned')) && !existsSync(join(dir, 'pwned')), 'a value ran as a command');
  });

  test('--model-args dtype=float32 replaces the plan’s dtype=auto instead of following it', async () => {
    const run = trainerRun(join(dir, 'dtype'));
    const r = await runCli('plan', 'lm-eval', run, '--out', join(dir, 'dtype', 'plan'), '--backend', 'hf', '--model-args', 'dtype=float32');
    assert.equal(r.code, 0, r.err);
    const calls = stubEvaluate(join(dir, 'dtype', 'plan'), join(dir, 'dtype'), 'hf');
    assert.equal(after(calls[0]!, '--model_args'), `pretrained=${join(run, 'checkpoint-10')},dtype=float32`);
  });

  test('settings out of range are refused as premem sample refuses them; YAML numbers are floats', async () => {
    const run = trainerRun(join(dir, 'settings'));
    const out = join(dir, 'settings', 'plan');
    for (const [flag, value, message] of [
      ['--temperature', '-1', /temperature must be a number >= 0/],
      ['--top-p', '5', /top-p must be in \(0, 1\]/],
      ['--top-p', '0', /top-p must be in \(0, 1\]/],
      ['--seed', '4294967296', /seed must be a whole number from 0 to 4294967295/],
      ['--device', 'cpu; rm -rf /', /--device must be/],
      ['--batch-size', '0', /--batch-size must be/],
      ['--model-args', 'pretrained=/elsewhere', /pretrained is set by the plan/],
    ] as const) {
      const r = await runCli('plan', 'lm-eval', run, '--out', out, '--backend', 'hf', flag, value);
      assert.equal(r.code, 2, `${flag} ${value}: ${r.err}`);
      assert.match(r.err, message);
    }
    const vllmDevice = await runCli('plan', 'lm-eval', run, '--out', out, '--device', 'cuda');
    assert.equal(vllmDevice.code, 2);
    assert.match(vllmDevice.err, /--device is for the Hugging Face backend/);
    assert.ok(!existsSync(out), 'a refused plan writes nothing');
    const r = await runCli('plan', 'lm-eval', run, '--out', out, '--temperature', '1e-7', '--top-p', '0.95');
    assert.equal(r.code, 0, r.err);
    const yaml = readFileSync(join(out, 'tasks', 'premem_train_samples4_temp1e-7_seed0_topp0.95.yaml'), 'utf8');
    assert.match(yaml, /^ {2}temperature: 1\.0e-7$/m);
    assert.match(yaml, /^ {2}top_p: 0\.95$/m);
    assert.match(readFileSync(join(out, 'tasks', 'premem_train_references.yaml'), 'utf8'), /^metric_list:\n {2}- metric: acc\n/m);
  });

  test('checkpoints the harness cannot load are skipped and named; --strict refuses', async () => {
    const run = trainerRun(join(dir, 'weights'), [10, 20, 30]);
    writeFileSync(join(run, 'checkpoint-20', 'model.onnx'), '');
    for (const f of ['config.json', 'model.safetensors']) spawnSync('rm', [join(run, 'checkpoint-20', f)]);
    spawnSync('rm', [join(run, 'checkpoint-30', 'model.safetensors')]);
    const r = await runCli('plan', 'lm-eval', run, '--out', join(dir, 'weights', 'plan'));
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /skipped .*checkpoint-20: has no Hugging Face model .*its ONNX model is for premem sample and premem score/);
    assert.match(r.err, /skipped .*checkpoint-30: has config\.json but no weights/);
    const sh = readFileSync(join(dir, 'weights', 'plan', 'checkpoints.sh'), 'utf8');
    assert.ok(sh.includes('checkpoint-10') && !sh.includes('checkpoint-20') && !sh.includes('checkpoint-30'));
    assert.match(readFileSync(join(dir, 'weights', 'plan', 'slurm_array.sbatch'), 'utf8'), /#SBATCH --array=0-0/);
    const strict = await runCli('plan', 'lm-eval', run, '--out', join(dir, 'weights', 'strict'), '--strict');
    assert.notEqual(strict.code, 0);
    assert.match(strict.err, /checkpoint-20: has no Hugging Face model/);
    assert.ok(!existsSync(join(dir, 'weights', 'strict')));
  });

  test('--limit N plans against the dataset’s first N records, written untouched into the plan', async () => {
    const run = trainerRun(join(dir, 'limit'), [10], 5);
    const out = join(dir, 'limit', 'plan');
    const r = await runCli('plan', 'lm-eval', run, '--out', out, '--limit', '2');
    assert.equal(r.code, 0, r.err);
    const lines = readFileSync(join(run, 'train.jsonl'), 'utf8').split('\n');
    assert.equal(readFileSync(join(out, 'data', 'train_first2.jsonl'), 'utf8'), `${lines[0]}\n${lines[1]}\n`);
    assert.ok(readFileSync(join(out, 'tasks', 'premem_train_references.yaml'), 'utf8').includes(yamlString(join(out, 'data', 'train_first2.jsonl'))));
    assert.match(readFileSync(join(out, 'checkpoints.sh'), 'utf8'), /^LOG_RECORDS=\('2' '2'\)$/m);
  });

  test('the plan’s folder: the user’s files are never overwritten, --force replaces only the plan’s own, links are refused', async () => {
    const run = trainerRun(join(dir, 'owned'));
    const out = join(dir, 'owned', 'plan');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'run_all.sh'), '#!/bin/sh\necho my own script\n');
    for (const force of [[], ['--force']]) {
      const r = await runCli('plan', 'lm-eval', run, '--out', out, ...force);
      assert.notEqual(r.code, 0);
      assert.match(r.err, /run_all\.sh: exists and was not written by premem plan lm-eval/);
    }
    assert.equal(readFileSync(join(out, 'run_all.sh'), 'utf8'), '#!/bin/sh\necho my own script\n');
    assert.deepEqual(readdirSync(out), ['run_all.sh'], 'a refused plan writes none of its files');
    const linked = join(dir, 'owned', 'linked');
    mkdirSync(linked);
    writeFileSync(join(dir, 'owned', 'target.txt'), 'keep');
    symlinkSync(join(dir, 'owned', 'target.txt'), join(linked, 'checkpoints.sh'));
    const r = await runCli('plan', 'lm-eval', run, '--out', linked, '--force');
    assert.notEqual(r.code, 0);
    assert.match(r.err, /checkpoints\.sh: is a symbolic link/);
    assert.equal(readFileSync(join(dir, 'owned', 'target.txt'), 'utf8'), 'keep');
  });
});
