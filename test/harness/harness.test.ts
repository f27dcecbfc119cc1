/**
 * The cluster route, run for real (`npm run test:harness`): a tiny Hugging Face run trained with
 * the real `transformers.Trainer`, planned with `premem plan lm-eval --backend hf --device cpu`,
 * evaluated by the generated `run_all.sh` on the real lm-evaluation-harness 0.4.13, and read
 * back by Premem Lens; its figures checked against the harness's own log-likelihoods, an
 * independent transformers forward pass and an independent grading of the logged samples
 * (`independent.py`), and against the in-tool ONNX route on the same checkpoint.
 *
 * The Python environment is `.tools/harness-venv`, made by `test/harness/setup-venv.sh` (pinned
 * versions in requirements.txt). Nothing is mocked: every record read here was written by the
 * harness in this run. vLLM cannot run on these machines (no GPU); its command is tested as text
 * in test/unit/plan.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { fillTemplates, type ScoreTemplates } from '../../src/score/templates';
import { IndexStore } from '../../src/store/indexStore';
import { parseThreshold } from '../../src/core/threshold';
import { dashboardFigures } from '../../src/queries/dashboard';
import { analyseRun } from '../../src/queries/runAnalysis';
import { runCli } from '../helpers/fixtures';
import { missingRequirement, REPO, tempDir } from '../helpers/paths';

const VENV = process.env['PREMEM_HARNESS_VENV'] ?? join(REPO, '.tools', 'harness-venv');
const PYTHON = join(VENV, 'bin', 'python');
const HERE = join(REPO, 'test', 'harness');
const SET = 'samples4_temp0.8_seed0';
const K = 4;
const ENV = {
  ...process.env,
  PATH: `${join(VENV, 'bin')}:${process.env['PATH'] ?? ''}`,
  HF_HUB_OFFLINE: '1',
  HF_DATASETS_OFFLINE: '1',
  TOKENIZERS_PARALLELISM: 'false',
  PYTHONHASHSEED: '0',
};

function run(cmd: string, args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env: ENV, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return r;
}

function must(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} failed (exit ${r.status}):\n${r.stderr.slice(-4000)}`);
  return r.stdout;
}

interface Independent {
  [checkpoint: string]: {
    forward: { index: number; logprob: number; tokens: number }[];
    harness_ll: Record<string, number>;
    grades: Record<string, number[]>;
    harness_exact_match: Record<string, number>;
    samples: Record<string, string[]>;
  };
}

const logs = (dir: string): string[] => {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (/^samples_.+\.jsonl$/.test(e.name)) out.push(join(d, e.name));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
};

/** `premem plan lm-eval` for the Hugging Face backend on this machine's CPU. */
const planOnCpu = (runDir: string, out: string, ...more: string[]) =>
  runCli('plan', 'lm-eval', runDir, '--out', out, '--backend', 'hf', '--device', 'cpu', '--batch-size', '16', ...more);

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe(
  'the cluster route on the real lm-evaluation-harness',
  { skip: existsSync(PYTHON) ? false : missingRequirement(`no harness environment at ${VENV}: run bash test/harness/setup-venv.sh`) },
  () => {
    const { dir: work, cleanup } = tempDir('premem-harness-');
    const runDir = join(work, 'run');
    const db = join(work, 'index.sqlite');
    let checkpoints: string[] = [];
    let firstRun: SpawnSyncReturns<string>;
    let independent: Independent;
    test.after(() => {
      if (!process.env['PREMEM_KEEP_HARNESS']) cleanup();
      else console.log(`kept ${work}`);
    });

    before(() => {
      const t0 = Date.now();
      must(run(PYTHON, [join(HERE, 'make_trainer_run.py'), work], work), 'building the Trainer run');
      checkpoints = readdirSync(runDir)
        .filter((d) => /^checkpoint-\d+$/.test(d))
        .sort((a, b) => Number(a.slice(11)) - Number(b.slice(11)));
      console.log(`# Trainer run: ${checkpoints.join(', ')} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });

    test('premem plan lm-eval --backend hf --device cpu writes a plan the harness runs on every checkpoint', async () => {
      const planned = await planOnCpu(runDir, join(work, 'plan'), '--samples', String(K), '--max-new-tokens', '48', '--model-args', 'dtype=float32');
      assert.equal(planned.code, 0, planned.err);
      const t0 = Date.now();
      firstRun = run('bash', [join(work, 'plan', 'run_all.sh')], work);
      console.log(`# run_all.sh on ${checkpoints.length} checkpoints: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      must(firstRun, 'run_all.sh');
      for (const c of checkpoints) {
        const names = logs(join(runDir, c, 'lm_eval')).map((f) => f.split('/').pop()!);
        for (const task of [`premem_train_${SET}`, 'premem_train_references', `premem_test_${SET}`])
          assert.ok(
            names.some((n) => n.startsWith(`samples_${task}_`)),
            `${c}: no log of ${task} (${names.join(', ')})`,
          );
      }
    });

    test('the plan’s fixes hold on the real harness: --device taken, dtype merged once, no bootstrapped perplexity', () => {
      const text = firstRun.stdout + firstRun.stderr;
      assert.doesNotMatch(text, /got multiple values for keyword argument/);
      assert.doesNotMatch(text, /Overwriting key/i);
      assert.doesNotMatch(text, /bootstrapping for stddev: perplexity/);
      for (const c of checkpoints) {
        const results = logs(join(runDir, c, 'lm_eval')).length
          ? readdirSync(join(runDir, c, 'lm_eval'), { recursive: true })
              .map(String)
              .filter((f) => /results_.*\.json$/.test(f))
          : [];
        assert.equal(results.length, 1, `${c}: one results file`);
        const r = JSON.parse(readFileSync(join(runDir, c, 'lm_eval', results[0]!), 'utf8')) as {
          config: { model_args: unknown; device?: string };
          results: Record<string, Record<string, unknown>>;
        };
        const args = JSON.stringify(r.config.model_args);
        assert.match(args, /float32/, `${c}: the user's dtype reached the harness (${args})`);
        assert.doesNotMatch(args, /"auto"|dtype=auto/, `${c}: the plan's dtype=auto was replaced, not repeated (${args})`);
        assert.equal(r.config.device, 'cpu');
        assert.deepEqual(
          Object.keys(r.results['premem_train_references']!)
            .filter((k) => k.includes(','))
            .sort(),
          ['acc,none', 'acc_stderr,none'],
          `${c}: the references task computes acc only`,
        );
      }
    });

    test('indexed: every checkpoint, with k samples per question on both splits', async () => {
      const r = await runCli('report', runDir, '--db', db, '--json');
      assert.equal(r.code, 0, r.err);
      const report = JSON.parse(r.out) as { runs: { path: string; checkpoints: { step: number }[] }[] };
      assert.equal(report.runs.length, 1);
      assert.deepEqual(
        report.runs[0]!.checkpoints.map((c) => `checkpoint-${c.step}`),
        checkpoints,
      );
      const store = await IndexStore.open(db);
      try {
        const stored = (await store.runs())[0]!;
        for (const c of await store.checkpoints(stored.id)) {
          for (const split of ['train', 'test'] as const) {
            const set = c.sampleSets.find((s) => s.split === split && s.name === SET);
            assert.ok(set, `checkpoint-${c.step}: no ${split} sample set ${SET}`);
            assert.equal(set.samplesPerQuestion, K);
            assert.equal(set.questions, split === 'train' ? 48 : 24);
          }
        }
      } finally {
        await store.close();
      }
    });

    test('perplexities equal the harness’s log-likelihoods (1e-9) and a transformers forward pass (1e-4); accuracy equals the authors’ grading', async () => {
      independent = JSON.parse(must(run(PYTHON, [join(HERE, 'independent.py'), runDir, join(work, 'train.jsonl'), `premem_train_${SET}`], work), 'independent.py')) as Independent;
      const store = await IndexStore.open(db);
      let worstHarness = 0;
      let worstForward = 0;
      let graded = 0;
      let correct = 0;
      const disagreements: string[] = [];
      try {
        const stored = (await store.runs())[0]!;
        const examples = await store.examples(stored.id);
        const stepped = await store.checkpoints(stored.id);
        const ppl = await store.perplexities(stepped.map((c) => c.id));
        const counts = await store.correctCounts(stepped.map((c) => ({ checkpointId: c.id, split: 'train' as const, name: SET })));
        for (const c of stepped) {
          const ind = independent[`checkpoint-${c.step}`]!;
          const perplexity = ppl.get(c.id)!;
          const correctCounts = counts.get(`${c.id}/train/${SET}`)!;
          for (const e of examples) {
            const f = ind.forward[e.index]!;
            const fromHarness = Math.exp(-ind.harness_ll[String(e.index)]! / f.tokens);
            const fromForward = Math.exp(-f.logprob / f.tokens);
            worstHarness = Math.max(worstHarness, relative(perplexity[e.position]!, fromHarness));
            worstForward = Math.max(worstForward, relative(perplexity[e.position]!, fromForward));
            const grades = ind.grades[String(e.index)]!;
            assert.equal(grades.length, K);
            const authors = grades.filter((g) => g === 0).length;
            assert.equal(correctCounts[e.position], authors, `checkpoint-${c.step} #${e.index}: premem counts ${correctCounts[e.position]} correct, the authors' rule ${authors}`);
            graded += K;
            correct += authors;
            // The harness's own exact_match: strict-match on the first sample only.
            const harnessFirst = ind.harness_exact_match[String(e.index)] === 1;
            if (harnessFirst !== (grades[0] === 0))
              disagreements.push(
                `checkpoint-${c.step} #${e.index}: harness ${harnessFirst ? 'correct' : 'wrong'}, authors' rule code ${grades[0]}: ${JSON.stringify(ind.samples[String(e.index)]![0])}`,
              );
          }
        }
      } finally {
        await store.close();
      }
      console.log(`# perplexity vs harness log-likelihoods: worst relative difference ${worstHarness.toExponential(2)}`);
      console.log(`# perplexity vs transformers forward pass (float64): worst relative difference ${worstForward.toExponential(2)}`);
      console.log(`# ${graded} samples graded, ${correct} correct by the authors' rule (${((100 * correct) / graded).toFixed(1)}%)`);
      console.log(`# harness strict-match vs the authors' rule on the first sample: ${disagreements.length} disagreements`);
      for (const d of disagreements) console.log(`#   ${d}`);
      assert.ok(worstHarness <= 1e-9, `perplexities differ from the harness's by ${worstHarness}`);
      assert.ok(worstForward <= 1e-4, `perplexities differ from the forward pass by ${worstForward}`);
      assert.ok(correct > 0 && correct < graded, 'the model solves some questions and not all');
    });

    test('the report and the dashboard’s figures show the run', async () => {
      const r = await runCli('report', runDir, '--db', db);
      assert.equal(r.code, 0, r.err);
      for (const c of checkpoints) assert.match(r.out, new RegExp(`^\\s+${c.slice(11)}\\s+0\\.\\d{4}`, 'm'));
      // The dashboard's figures, computed as its panel computes them (the same query functions).
      const store = await IndexStore.open(db);
      try {
        const stored = (await store.runs())[0]!;
        const analysis = await analyseRun(store, stored, {
          threshold: parseThreshold(undefined, undefined),
          thresholdIsOption: false,
          samplePreference: null,
          memorization: { kind: 'perplexity' },
        });
        const figures = dashboardFigures([{ run: stored, analysis, error: null }]);
        assert.equal(figures.runs[0]!.path, runDir);
        assert.equal(figures.runs[0]!.error, null);
        assert.equal(figures.runs[0]!.checkpoints.length, checkpoints.length);
      } finally {
        await store.close();
      }
    });

    test('run_all.sh again: checkpoints whose logs are complete are skipped', () => {
      const before = checkpoints.flatMap((c) => logs(join(runDir, c, 'lm_eval')));
      const again = must(run('bash', [join(work, 'plan', 'run_all.sh')], work), 'run_all.sh again');
      for (const c of checkpoints) assert.match(again, new RegExp(`${c} already has complete logs`));
      assert.deepEqual(
        checkpoints.flatMap((c) => logs(join(runDir, c, 'lm_eval'))),
        before,
        'no new logs',
      );
    });

    test('both routes agree on one checkpoint: ONNX premem score and premem sample against the harness', async () => {
      const last = checkpoints[checkpoints.length - 1]!;
      const copy = join(work, 'onnx', 'run');
      cpSync(runDir, copy, { recursive: true });
      cpSync(join(work, 'train.jsonl'), join(work, 'onnx', 'train.jsonl'));
      cpSync(join(work, 'test.jsonl'), join(work, 'onnx', 'test.jsonl'));
      must(run(PYTHON, [join(HERE, 'export_onnx.py'), join(copy, last), join(copy, last)], work), 'export_onnx.py');
      const onnxDb = join(work, 'onnx.sqlite');
      const step = last.slice(11);
      const sampled = await runCli(
        'sample',
        copy,
        '--checkpoints',
        step,
        '--split',
        'train',
        '--out',
        join(work, 'onnx', 'sampled'),
        '--samples',
        String(K),
        '--temperature',
        '0.8',
        '--seed',
        '0',
        '--max-new-tokens',
        '48',
        '--db',
        onnxDb,
      );
      assert.equal(sampled.code, 0, sampled.err);
      const scored = await runCli('score', copy, '--checkpoints', step, '--db', onnxDb);
      assert.equal(scored.code, 0, scored.err);
      const read = await runCli('report', join(work, 'onnx', 'sampled'), '--db', onnxDb);
      assert.equal(read.code, 0, read.err);
      const harnessStore = await IndexStore.open(db);
      const onnxStore = await IndexStore.open(onnxDb);
      try {
        const h = (await harnessStore.runs())[0]!;
        const o = (await onnxStore.runByPath(copy))!;
        const hc = (await harnessStore.checkpoints(h.id)).find((c) => c.step === Number(step))!;
        const oc = (await onnxStore.checkpoints(o.id)).find((c) => c.step === Number(step))!;
        assert.ok(oc.scored, 'the ONNX copy’s perplexities were scored by premem score');
        const hp = (await harnessStore.perplexities([hc.id])).get(hc.id)!;
        const op = (await onnxStore.perplexities([oc.id])).get(oc.id)!;
        let worst = 0;
        for (let i = 0; i < hp.length; i++) worst = Math.max(worst, relative(op[i]!, hp[i]!));
        console.log(`# ${last}: ONNX-scored perplexities vs the harness route: worst relative difference ${worst.toExponential(2)}`);
        assert.ok(worst <= 1e-4, `the routes' perplexities differ by ${worst}`);
        // Sampled accuracy: the same settings, templates and grading; different generators, so the
        // two must agree within sampling error (a two-proportion z of at most 3.5).
        const s = (await onnxStore.runByPath(join(work, 'onnx', 'sampled')))!;
        const sc = (await onnxStore.checkpoints(s.id)).find((c) => c.step === Number(step))!;
        const onnxSet = sc.sampleSets.find((x) => x.split === 'train' && x.name === SET)!;
        const harnessSet = hc.sampleSets.find((x) => x.split === 'train' && x.name === SET)!;
        const n = 48 * K;
        const p1 = onnxSet.correctTotal / n;
        const p2 = harnessSet.correctTotal / n;
        const pooled = (onnxSet.correctTotal + harnessSet.correctTotal) / (2 * n);
        const z = Math.abs(p1 - p2) / Math.sqrt((2 * pooled * (1 - pooled)) / n);
        console.log(`# ${last}: sampled train accuracy, ONNX route ${p1.toFixed(4)} vs harness route ${p2.toFixed(4)} over ${n} samples each (z = ${z.toFixed(2)})`);
        assert.ok(z <= 3.5, `sampled accuracies differ beyond sampling error: z = ${z}`);
      } finally {
        await harnessStore.close();
        await onnxStore.close();
      }
    });

    test('--limit N plans a smoke run on the first N questions that reads as a consistent run of N', async () => {
      const smoke = join(work, 'smoke', 'run');
      const first = checkpoints[0]!;
      cpSync(join(runDir, first), join(smoke, first), { recursive: true, filter: (src) => !src.includes('/lm_eval') });
      cpSync(join(work, 'train.jsonl'), join(work, 'smoke', 'train.jsonl'));
      cpSync(join(work, 'test.jsonl'), join(work, 'smoke', 'test.jsonl'));
      const planned = await planOnCpu(smoke, join(work, 'smoke', 'plan'), '--samples', '2', '--max-new-tokens', '40', '--limit', '8');
      assert.equal(planned.code, 0, planned.err);
      must(run('bash', [join(work, 'smoke', 'plan', 'run_all.sh')], work), 'run_all.sh --limit 8');
      const r = await runCli('examples', smoke, '--db', join(work, 'smoke.sqlite'), '--json');
      assert.equal(r.code, 0, r.err);
      const rows = r.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { index: number; question?: string });
      assert.deepEqual(
        rows.map((x) => x.index).sort((a, b) => a - b),
        [0, 1, 2, 3, 4, 5, 6, 7],
      );
      const train = readFileSync(join(work, 'train.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { question: string });
      for (const x of rows) if (x.question !== undefined) assert.equal(x.question, train[x.index]!.question);
      // Complete logs are skipped; --force evaluates the checkpoint again (a new, newer log).
      const logsBefore = logs(join(smoke, first, 'lm_eval'));
      assert.match(must(run('bash', [join(work, 'smoke', 'plan', 'run_all.sh')], work), 'run_all.sh again'), /already has complete logs/);
      assert.deepEqual(logs(join(smoke, first, 'lm_eval')), logsBefore);
      must(run('bash', [join(work, 'smoke', 'plan', 'run_all.sh'), '--force'], work), 'run_all.sh --force');
      assert.equal(logs(join(smoke, first, 'lm_eval')).length, logsBefore.length * 2, 'one new log per task');
    });

    test('a checkpoint whose logs cannot land fails run_all.sh, named, though the harness exits 0', () => {
      const broken = join(work, 'smoke', 'run', checkpoints[0]!);
      rmSync(join(broken, 'lm_eval'), { recursive: true, force: true });
      // A file where the output folder would go: the harness cannot write its logs there.
      writeFileSync(join(broken, 'lm_eval'), 'not a folder');
      const r = run('bash', [join(work, 'smoke', 'plan', 'run_all.sh')], work);
      assert.notEqual(r.status, 0, 'run_all.sh must fail');
      assert.match(r.stderr, new RegExp(`premem: .*${broken}`));
      console.log(`# the harness on an unwritable output folder: ${/lm_eval failed/.test(r.stderr) ? 'it failed itself' : 'it exited 0; the script caught the missing logs'}`);
    });

    test('the harness’s logs read against another dataset (two questions swapped) are refused, naming the log and line', async () => {
      const other = join(work, 'other-dataset');
      cpSync(runDir, join(other, 'run'), { recursive: true });
      const lines = readFileSync(join(work, 'train.jsonl'), 'utf8').trimEnd().split('\n');
      [lines[0], lines[1]] = [lines[1]!, lines[0]!];
      writeFileSync(join(other, 'train.jsonl'), lines.join('\n') + '\n');
      cpSync(join(work, 'test.jsonl'), join(other, 'test.jsonl'));
      const r = await runCli('report', join(other, 'run'), '--db', join(work, 'other.sqlite'));
      assert.notEqual(r.code, 0);
      assert.match(
        r.err,
        /samples_premem_(train|test)_\S+\.jsonl:\d+: document [01] is not the run's (train|test) question [01] \(.*train\.jsonl:[12]\): the log is of another dataset/,
      );
    });

    test('templates and values render literally through the harness’s own task loader and Jinja', async () => {
      const hostile = join(work, "data 'q' $(touch pwned) \u2028");
      const records = [
        { question: 'What is {{ 7*7 }} and {% for x in range(3) %}x{% endfor %}?', answer: 'It is 49\n#### 49' },
        { question: 'Line\r\nbreak \u2028 sep \u0085 nel \x7f del "quote" \\ back {# c #} \'single\' $(touch pwned) `id` \u{1F600}', answer: '5 + 5 = 10.\n#### 10' },
        { question: '{question}', answer: '{answer} {{answer}}\n#### 3' },
      ];
      mkdirSync(hostile, { recursive: true });
      writeFileSync(join(hostile, 'train.jsonl'), records.map((x) => JSON.stringify(x) + '\n').join(''));
      const templates: ScoreTemplates = { prompt: 'Q: {question} {{ 7*7 }} {% if 1 %}yes{% endif %}\r\n{# no #} "\\" A:', target: ' {answer}\nDone. {# x #} %}' };
      const planned = await runCli(
        'plan',
        'lm-eval',
        runDir,
        '--out',
        join(work, 'hostile-plan'),
        '--dataset',
        join(hostile, 'train.jsonl'),
        '--test-dataset',
        join(hostile, 'train.jsonl'),
        '--temperature',
        '1e-7',
        '--top-p',
        '0.95',
        '--prompt-template',
        templates.prompt,
        '--target-template',
        templates.target,
      );
      assert.equal(planned.code, 0, planned.err);
      const set = 'samples4_temp1e-7_seed0_topp0.95';
      const rendered = JSON.parse(
        must(run(PYTHON, [join(HERE, 'render_tasks.py'), join(work, 'hostile-plan', 'tasks'), `premem_train_${set}`, 'premem_train_references'], work), 'render_tasks.py'),
      ) as Record<
        string,
        { config: { temperature: number; temperature_type: string; top_p: number; top_p_type: string; until: string[] | null }; docs: { text: string; target: string }[] }
      >;
      const gen = rendered[`premem_train_${set}`]!;
      assert.equal(gen.config.temperature_type, 'float');
      assert.equal(gen.config.temperature, 1e-7);
      assert.equal(gen.config.top_p_type, 'float');
      assert.equal(gen.config.top_p, 0.95);
      assert.deepEqual(gen.config.until, ['\nDone. {# x #} %}']);
      const refs = rendered['premem_train_references']!;
      records.forEach((x, i) => {
        const literal = fillTemplates(templates, x.question, x.answer);
        assert.equal(gen.docs[i]!.text, literal.prompt, `document ${i}: the prompt as premem sample writes it`);
        assert.equal(refs.docs[i]!.text, literal.prompt);
        assert.equal(refs.docs[i]!.target, literal.target, `document ${i}: the target as premem score writes it`);
      });
      assert.ok(!existsSync(join(work, 'pwned')) && !existsSync(join(HERE, 'pwned')), 'no text ran as a command');
    });
  },
);
