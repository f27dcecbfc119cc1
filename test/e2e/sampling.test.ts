/**
 * From checkpoints to the paper's third finding, in the real VS Code: a run made of two real
 * tinygsm checkpoints (ONNX models and the authors' files, linked from ../shared) analysing six
 * examples, sampled from the editor (Sample Checkpoints with ONNX…), its perturbed variants
 * (premem perturb) sampled too, then an example panel showing the variants with their samples
 * and the dashboard's robustness chart. Expected texts and figures come from the files the
 * sampling process wrote and from the `premem` CLI on the same index.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { int64Npy } from '../helpers/fixtures';
import { REPO, TINYGSM } from '../helpers/paths';
import { copyFixtureSweep } from '../helpers/harnessFixtures';
import {
  answer,
  CODE_SERVER,
  contextMenu,
  fileDialog,
  notification,
  pick,
  premem,
  rowTexts,
  runCommand,
  shot,
  showPremem,
  startWorkbench,
  viewPane,
  VSIX,
  waitFor,
  webviewFrame,
  type Host,
} from './harness';

/** The page's `document`, as far as these tests use it inside `frame.evaluate` (this file has no DOM types). */
declare const document: { getElementById(id: string): { parentElement: { scrollIntoView(o: { block: string }): void } | null } | null };

const TINY = join(TINYGSM, 'tinygsm_8epochs_full_lr0.001_bs8');
const RUN = 'tiny-sampled_8epochs';
const SET = 'samples2_temp0.8_seed0';
const missing = !existsSync(CODE_SERVER)
  ? 'code-server is not installed: run test/e2e/setup-code-server.sh'
  : !existsSync(VSIX)
    ? 'no premem-lens.vsix: run npm run package'
    : !existsSync(TINY)
      ? 'shared tinygsm run not found'
      : false;

describe('Premem Lens: sampling checkpoints and robustness, in a real VS Code', { skip: missing }, () => {
  let root: string;
  let run: string;
  let db: string;
  let host: Host;
  let browser: Browser;
  let page: Page;
  const cli = (...args: string[]) => premem(db, ...args);

  /** Runs the sampling command through its quick picks and waits for its notification. */
  async function sample(what: string): Promise<number> {
    const t0 = Date.now();
    // The window has one run: the command takes it without asking.
    await runCommand(page, 'Premem: Sample Checkpoints with ONNX…');
    await pick(page, what);
    // Every checkpoint with a model is picked to start with.
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'checkpoint-400' }).first().waitFor();
    await page.keyboard.press('Enter');
    await pick(page, 'Into the run’s checkpoint folders');
    await notification(page, `sampled 2 checkpoints of ${RUN}`, 240_000);
    return Date.now() - t0;
  }

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'premem-e2e-sampling-'));
    const ws = join(root, 'workspace');
    db = join(root, 'index.sqlite');
    // The run: six analysed examples; two real checkpoints whose files are links to ../shared.
    run = join(ws, RUN);
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'subsample_idxs.npy'), int64Npy([0, 1, 2, 3, 4, 5], [6]));
    writeFileSync(join(run, 'run.json'), JSON.stringify({ num_train_epochs: 8, train_file: join(TINYGSM, 'train.jsonl'), model: { context: 320 } }));
    for (const step of [350, 400]) {
      const dir = join(run, `checkpoint-${step}`);
      mkdirSync(dir);
      for (const f of readdirSync(join(TINY, `checkpoint-${step}`))) symlinkSync(join(TINY, `checkpoint-${step}`, f), join(dir, f));
    }
    // premem perturb works on a dataset, not on an index: the bin without --db.
    const perturb = ['perturb', join(TINYGSM, 'train.jsonl'), '--limit', '6', '--seed', '1', '--kinds', 'rename-person,irrelevant-sentence,resample-numbers'];
    execFileSync(process.execPath, [join(REPO, 'bin', 'premem.js'), ...perturb, '--out', join(run, 'perturbations.jsonl')]);
    mkdirSync(join(ws, '.vscode'), { recursive: true });
    writeFileSync(
      join(ws, '.vscode', 'settings.json'),
      JSON.stringify({ 'premem.databasePath': db, 'premem.sample.samplesPerQuestion': 2, 'premem.sample.temperature': 0.8, 'premem.sample.batch': 12 }),
    );
    ({ host, browser, page } = await startWorkbench(root, ws, 'Default Dark Modern', () => undefined));
    await showPremem(page);
  });

  afterEach(async (t) => {
    if (page) await shot(page, `sampling-after-${t.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
  });

  after(async () => {
    await browser?.close();
    await host?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('Sample Checkpoints with ONNX… writes graded samples into the run, and the index reads them', async () => {
    const ms = await sample('Training questions');
    for (const step of [350, 400]) {
      const lines = readFileSync(join(run, `checkpoint-${step}`, `train_samples_${SET}.jsonl`), 'utf8')
        .trim()
        .split('\n');
      assert.equal(lines.length, 6);
      for (const l of lines) {
        const v = JSON.parse(l) as { correct: boolean[]; answer_types: number[]; samples: string[] };
        assert.equal(v.samples.length, 2);
        assert.deepEqual(
          v.correct,
          v.answer_types.map((t) => t === 0),
        );
      }
    }
    // The window's index holds the new set: the CLI on it reports the files' accuracy.
    const report = JSON.parse(cli('report', run, '--sample-set', SET, '--json')) as { runs: { checkpoints: { step: number; train_accuracy: number }[] }[] };
    const expected = [350, 400].map((step) => {
      const codes = readFileSync(join(run, `checkpoint-${step}`, `train_samples_${SET}.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .flatMap((l) => (JSON.parse(l) as { answer_types: number[] }).answer_types);
      return codes.filter((c) => c === 0).length / codes.length;
    });
    assert.deepEqual(
      report.runs[0]!.checkpoints.map((c) => c.train_accuracy),
      expected,
    );
    console.log(`# e2e timing (sampling in the editor): 2 checkpoints x 6 questions x 2 samples, command to notification ${ms} ms`);
  });

  test('sampling the perturbed variants, then an example panel shows them with their samples beside the original', async () => {
    await sample('Perturbed variants in perturbations.jsonl');
    const file = join(run, 'checkpoint-400', `perturbed_samples_${SET}.jsonl`);
    const variants = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; index: number; question: string; samples: string[]; answer_types: number[] })
      .filter((v) => v.index === 0)
      // The panel lists an example's variants by id.
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    assert.ok(variants.length >= 2, 'example 0 has perturbed variants');
    await runCommand(page, 'Premem: Open Example Panel');
    await answer(page, '0');
    const frame = await waitFor('the example panel with its perturbed questions', async () => {
      const f = await webviewFrame(page, 'Premem Example');
      return (await f.locator('#perturbed-summary').count()) > 0 ? f : undefined;
    });
    // The panel's DOM, typed as the few members read here (the page's DOM types are not this file's).
    type Texts = { readonly textContent: string | null; readonly className: string };
    type VariantNode = { getAttribute(n: string): string | null; querySelector(s: string): Texts | null; querySelectorAll(s: string): ArrayLike<Texts> };
    const shown = await frame.locator('.variant').evaluateAll((nodes) =>
      (nodes as unknown as VariantNode[]).map((n) => ({
        id: n.getAttribute('data-variant'),
        question: n.querySelector('.variant-question')?.textContent ?? '',
        samples: Array.from(n.querySelectorAll('.sample-text'), (p) => p.textContent ?? ''),
        outcomes: Array.from(n.querySelectorAll('.variant-samples .outcome'), (o) => o.className),
      })),
    );
    assert.deepEqual(
      shown.map((s) => s.id),
      variants.map((v) => v.id),
    );
    for (const [k, v] of variants.entries()) {
      assert.equal(shown[k]!.question, v.question);
      assert.deepEqual(shown[k]!.samples, v.samples);
      assert.deepEqual(
        shown[k]!.outcomes,
        v.answer_types.map((t) => `outcome ${t === 0 ? 'correct' : t === 1 ? 'wrong' : 'no-answer'}`),
      );
    }
    const codes = variants.flatMap((v) => v.answer_types);
    const accuracy = codes.filter((c) => c === 0).length / codes.length;
    assert.match(await frame.locator('#perturbed-summary').innerText(), new RegExp(`perturbed questions ${accuracy.toFixed(4)}`));
    await frame.evaluate(() => document.getElementById('perturbed-summary')?.parentElement?.scrollIntoView({ block: 'start' }));
    await page.waitForTimeout(300);
    await shot(page, 'sampling-example-perturbations');
  });

  test('the dashboard draws the robustness chart with the CLI’s rank correlation', async () => {
    const expected = JSON.parse(cli('robustness', run, '--json')) as {
      checkpoint: number;
      examples: number;
      spearman: { rho: number | null };
      controls: { control: string; examples: number; partial: { rho: number | null } }[];
    };
    await runCommand(page, 'Premem: Show Dashboard');
    const frame = await waitFor('the dashboard with its robustness section', async () => {
      const f = await webviewFrame(page, 'Premem Dashboard');
      return (await f.locator('#robustness-note').count()) > 0 ? f : undefined;
    });
    const note = await frame.locator('#robustness-note').innerText();
    assert.match(note, new RegExp(`over ${expected.examples} examples`));
    assert.match(note, new RegExp(`at checkpoint ${expected.checkpoint}`));
    assert.match(note, new RegExp(`ρ = ${expected.spearman.rho === null ? '–' : expected.spearman.rho.toFixed(4)}`));
    // Is it just difficulty? The partial correlation given final train accuracy, as the CLI gives it.
    const train = expected.controls.find((c) => c.control === 'final_train_accuracy')!;
    assert.match(
      await frame.locator('#robustness-controls').innerText(),
      new RegExp(`given final train accuracy ${train.partial.rho === null ? '–' : train.partial.rho.toFixed(4)} \\(95% CI .*, ${train.examples} examples\\)`),
    );
    assert.equal(await frame.locator('[data-chart="premem-robustness"] svg').count(), 1);
    await frame.evaluate(() => document.getElementById('robustness-note')?.parentElement?.scrollIntoView({ block: 'start' }));
    await page.waitForTimeout(300);
    await shot(page, 'sampling-dashboard-robustness');
  });

  test('a run in lm-evaluation-harness’s layout, with log-likelihood records, shows perplexity-based memorization', async () => {
    // Real harness logs (test/helpers/harnessFixtures.ts), outside the workspace, as cluster
    // output usually is: opened through the Runs view's command.
    const harnessRun = join(copyFixtureSweep('gsm8k-style', join(root, 'cluster')), 'planned_run');
    await runCommand(page, 'Premem: Open Run or Sweep…');
    await fileDialog(page, harnessRun, 'Open Run or Sweep');
    const runs = viewPane(page, 'Runs');
    await waitFor('the harness run in the Runs view', async () => (await rowTexts(runs)).some((t) => t.includes('planned_run')));
    const expected = (
      JSON.parse(cli('report', harnessRun, '--json')) as { runs: { checkpoints: { memorized_fraction: number; pre_memorization_accuracy: number }[] }[] }
    ).runs[0]!.checkpoints.at(-1)!;
    assert.ok(expected.memorized_fraction > 0, 'the log-likelihoods mark memorized references');
    await runCommand(page, 'Premem: Select Run…');
    await page.locator('.quick-input-widget input').fill('planned_run');
    await pick(page, 'planned_run');
    // The examples view names each example's memorization step: from the perplexities, as the CLI says.
    const examples = (JSON.parse(`[${cli('examples', harnessRun, '--json').trim().split('\n').join(',')}]`) as { index: number; memorization_step: number | null }[]).filter(
      (e) => e.memorization_step !== null,
    );
    assert.ok(examples.length > 0);
    const pane = viewPane(page, 'Examples');
    await waitFor('an example memorized at its step', async () => {
      const rows = await rowTexts(pane);
      return examples.some((e) => rows.some((r) => r.startsWith(`#${e.index} `) && r.includes(`memorized at step ${e.memorization_step}`)));
    });
    const row = runs.locator('.monaco-list-row', { hasText: 'planned_run' }).first();
    assert.match(await row.innerText(), new RegExp(`premem ${expected.pre_memorization_accuracy.toFixed(4)}`));
    await shot(page, 'sampling-harness-run');
  });

  test('sampling into a new folder outside the sweep: the folder names its training run, and leads back to it', async () => {
    // The run, selected (the window has other runs by now).
    await runCommand(page, 'Premem: Select Run…');
    await page.locator('.quick-input-widget input').fill(RUN);
    await pick(page, RUN);
    // The run picker closed and the run selected, before the next command opens its own picker
    // (opened while the first was still closing, its list stayed hidden once).
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
    await waitFor('the run selected', async () => (await viewPane(page, 'Examples').locator('.pane-header').innerText()).includes(RUN));
    await runCommand(page, 'Premem: Sample Checkpoints with ONNX…');
    await pick(page, 'Training questions');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'checkpoint-400' }).first().waitFor();
    await page.keyboard.press('Enter');
    await pick(page, 'Into a new run folder outside the sweep');
    await notification(page, `sampled 2 checkpoints of ${RUN}`, 240_000);
    // Beside the sweep (the workspace holds the run): a sweep of its own, run.json naming its source.
    const out = join(root, 'workspace-samples', `${RUN}-${SET}`);
    assert.equal((JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { sampled_from: string }).sampled_from, run);
    const runs = viewPane(page, 'Runs');
    const sampled = runs.locator('.monaco-list-row', { hasText: `samples of ${RUN}` }).first();
    await sampled.waitFor({ timeout: 60_000 });
    assert.match(await sampled.innerText(), new RegExp(`${RUN}-${SET}`));
    // The sweep's figures still count the training run once: the folder is not in its sweep.
    const sweepOf = (JSON.parse(cli('report', join(root, 'workspace'), '--json')) as { runs: { path: string }[] }).runs.map((r) => r.path);
    assert.ok(!sweepOf.includes(out), 'the samples are not a run of the workspace sweep');
    // From the folder, back to the run: selected, the Examples view follows it.
    await sampled.click();
    const examplesTitle = () => viewPane(page, 'Examples').locator('.pane-header').innerText();
    await waitFor('the sampled folder selected', async () => (await examplesTitle()).includes(`${RUN}-${SET}`));
    await shot(page, 'sampling-new-folder-linked');
    await contextMenu(page, sampled, 'Show the Run These Samples Came From');
    await waitFor('the source run selected', async () => {
      const t = await examplesTitle();
      return t.includes(RUN) && !t.includes(`${RUN}-${SET}`);
    });
  });
});
