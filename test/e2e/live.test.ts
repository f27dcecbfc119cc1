/**
 * Following a run while it trains, in the real VS Code: a checkpoint folder appears in an open
 * run (copied in, as a trainer's save would write it) and the views update, with an
 * announcement, without a reload. Expected figures come from the CLI on the same index.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { skipUnless, TINYGSM } from '../helpers/paths';
import { characterTokenizer, lookupEncoder, writeModel } from '../helpers/onnxModels';
import { CODE_SERVER, fileDialog, notification, pick, premem, runCommand, shot, showPremem, startWorkbench, viewPane, VSIX, waitFor, type Host } from './harness';

const SOURCE_RUN = 'example_3epochs_lr2e-04';
const FINISHED_RUNS = ['example_3epochs_lr1e-05', 'example_3epochs_lr5e-05', 'example_3epochs_lr2e-04'];
/** The example runs save every half epoch: 12 steps an epoch. */
const STEPS_PER_EPOCH = 12;
const LIVE_RUN = 'live_3epochs_run';
const TINY_RUN = 'tiny_scored_run';
const TINY_SOURCE = join(TINYGSM, 'tinygsm_8epochs_full_lr0.001_bs8');
// Its tinygsm tests skip, each saying why, without ../shared (CI requires it).
const tinySkip = skipUnless(TINY_SOURCE);
const hasTiny = tinySkip === false;
const missing = !existsSync(CODE_SERVER)
  ? 'code-server is not installed: run test/e2e/setup-code-server.sh'
  : !existsSync(VSIX)
    ? 'no premem-lens.vsix: run npm run package'
    : false;

describe('Premem Lens follows a training run in a real VS Code', { skip: missing }, () => {
  let root: string;
  let db: string;
  let source: string;
  let live: string;
  let host: Host;
  let browser: Browser;
  let page: Page;

  const cli = (...args: string[]) => premem(db, ...args);
  /** A checkpoint of the source run written into the live run, with the trainer_state.json (its epoch) a Trainer saves beside it. */
  const saveCheckpoint = (step: number) => {
    const to = join(live, `checkpoint-${step}`);
    cpSync(join(source, SOURCE_RUN, `checkpoint-${step}`), to, { recursive: true });
    writeFileSync(join(to, 'trainer_state.json'), JSON.stringify({ epoch: step / STEPS_PER_EPOCH, global_step: step, log_history: [] }));
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'premem-live-'));
    db = join(root, 'index.sqlite');
    source = writeExampleSweep(join(root, 'source'));
    const ws = join(root, 'workspace');
    const sweep = join(ws, 'live-sweep');
    live = join(sweep, LIVE_RUN);
    mkdirSync(live, { recursive: true });
    for (const f of ['train.jsonl', 'test.jsonl']) cpSync(join(source, f), join(sweep, f));
    cpSync(join(source, SOURCE_RUN, 'run.json'), join(live, 'run.json'));
    // Its sweep's three finished runs, from which its final test accuracy is forecast.
    for (const run of FINISHED_RUNS) cpSync(join(source, run), join(sweep, run), { recursive: true });
    // The run so far: four of the six checkpoints the source run has, as a Trainer saves them.
    for (const step of [6, 12, 18, 24]) saveCheckpoint(step);
    if (hasTiny) {
      // A run as a pipeline without perplexities leaves it: samples and ONNX models only.
      const tinySweep = join(ws, 'tiny-sweep');
      for (const f of ['train.jsonl', 'test.jsonl']) cpSync(join(TINYGSM, f), join(tinySweep, f));
      for (const step of [50, 400]) {
        cpSync(join(TINY_SOURCE, `checkpoint-${step}`), join(tinySweep, TINY_RUN, `checkpoint-${step}`), {
          recursive: true,
          filter: (src) => !/train_(perplexities|num_tokens)\.npy$/.test(src),
        });
      }
      if (existsSync(join(TINY_SOURCE, 'subsample_idxs.npy'))) cpSync(join(TINY_SOURCE, 'subsample_idxs.npy'), join(tinySweep, TINY_RUN, 'subsample_idxs.npy'));
    }
    mkdirSync(join(ws, '.vscode'));
    writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'premem.databasePath': db }));
    ({ host, browser, page } = await startWorkbench(root, ws, 'Default Dark Modern', () => undefined));
    await showPremem(page);
  });

  after(async () => {
    await browser?.close();
    await host?.stop();
    if (process.env['PREMEM_E2E_KEEP'] !== '1') rmSync(root, { recursive: true, force: true });
  });

  test('a new checkpoint written into an open run is indexed and shown without a reload', async () => {
    const runs = viewPane(page, 'Runs');
    const row = runs.locator('.monaco-list-row', { hasText: LIVE_RUN }).first();
    await row.waitFor({ timeout: 60_000 });
    interface LiveReport {
      runs: { checkpoints: { step: number; pre_memorization_accuracy: number }[]; forecast?: { final_test_accuracy: number | null; band: number; checkpoints: number } }[];
    }
    const report = () => (JSON.parse(cli('report', live, '--json')) as LiveReport).runs[0]!;
    const before = report();
    assert.deepEqual(
      before.checkpoints.map((c) => c.step),
      [6, 12, 18, 24],
    );
    // Still training (epoch 2 of 3): the row forecasts its final test accuracy as the CLI does.
    const f4 = before.forecast!;
    assert.equal(f4.checkpoints, 4);
    const forecastLabel = (f: { final_test_accuracy: number | null; band: number }) => `final ≈ ${f.final_test_accuracy!.toFixed(4)} ± ${f.band.toFixed(4)}`;
    await waitFor('the run as it is, with its forecast', async () => {
      const label = await row.innerText();
      return label.includes(`premem ${before.checkpoints.at(-1)!.pre_memorization_accuracy.toFixed(4)}`) && label.includes(forecastLabel(f4));
    });

    // A checkpoint arrives: the announcement and the row carry the forecast after 5 checkpoints.
    saveCheckpoint(30);
    const toast5 = page.locator('.notifications-toasts', { hasText: /checkpoint-30 indexed.*final test forecast/ }).first();
    await toast5.waitFor({ timeout: 60_000 });
    const f5 = report().forecast!;
    assert.equal(f5.checkpoints, 5);
    assert.match(await toast5.innerText(), new RegExp(`final test forecast ${f5.final_test_accuracy!.toFixed(2)} ± ${f5.band.toFixed(2)} after 5 checkpoints`));
    await waitFor('the row’s forecast after 5 checkpoints', async () => (await row.innerText()).includes(forecastLabel(f5)));
    await shot(page, 'live-forecast');

    const t0 = Date.now();
    saveCheckpoint(36);
    // The expected figure: the same checkpoint as the complete source run has it.
    const expected = (
      JSON.parse(cli('report', join(source, SOURCE_RUN), '--json')) as { runs: { checkpoints: { step: number; pre_memorization_accuracy: number; test_accuracy: number }[] }[] }
    ).runs[0]!.checkpoints.at(-1)!;
    assert.equal(expected.step, 36);
    const toast = page.locator('.notifications-toasts', { hasText: `${LIVE_RUN}: checkpoint-36 indexed` }).first();
    await toast.waitFor({ timeout: 60_000 });
    const shownMs = Date.now() - t0;
    assert.match(await toast.innerText(), new RegExp(`pre-memorization ${expected.pre_memorization_accuracy.toFixed(2)}, test ${expected.test_accuracy.toFixed(2)}`));
    await waitFor('the run row with the new checkpoint', async () => (await row.innerText()).includes(`premem ${expected.pre_memorization_accuracy.toFixed(4)}`));
    // Epoch 3 of 3 with a test evaluation: finished, its final test accuracy measured, no forecast.
    assert.ok(!(await row.innerText()).includes('final ≈'), 'a finished run has no forecast');
    assert.equal(report().forecast, undefined);
    await shot(page, 'live-new-checkpoint');
    console.log(`# e2e timing (live run): checkpoint folder copied -> announced and shown ${shownMs} ms (includes the 1.5 s quiet period)`);
  });

  test('scoring a run without perplexities from its ONNX checkpoints, in the editor, fills in its figures', { skip: tinySkip }, async () => {
    const runs = viewPane(page, 'Runs');
    const row = runs.locator('.monaco-list-row', { hasText: TINY_RUN }).first();
    await row.waitFor({ timeout: 60_000 });
    await runCommand(page, 'Premem: Select Run…');
    await page.locator('.quick-input-widget input').fill(TINY_RUN);
    await pick(page, TINY_RUN);
    const t0 = Date.now();
    await runCommand(page, 'Premem: Score References with ONNX Checkpoints…');
    await page.locator('.notifications-toasts', { hasText: 'scored the references of 2 checkpoints' }).first().waitFor({ timeout: 120_000 });
    const scoredMs = Date.now() - t0;
    // The CLI on the same index now sees the scored perplexities; the view shows the same figure.
    const runPath = join(root, 'workspace', 'tiny-sweep', TINY_RUN);
    const expected = (JSON.parse(cli('report', runPath, '--json')) as { runs: { checkpoints: { memorized_fraction: number; pre_memorization_accuracy: number }[] }[] }).runs[0]!
      .checkpoints;
    assert.ok(expected.at(-1)!.memorized_fraction > 0, 'the scored perplexities mark memorized examples');
    await waitFor('the run row with the scored figures', async () => (await row.innerText()).includes(`premem ${expected.at(-1)!.pre_memorization_accuracy.toFixed(4)}`));
    await page.waitForTimeout(1500);
    assert.equal(await page.getByText('terminated unexpectedly').count(), 0, 'the extension host is still running');
    await shot(page, 'live-scored-in-editor');
    console.log(`# e2e timing (scoring in the editor): 2 checkpoints x 400 references scored in a child process and shown ${scoredMs} ms after the command`);
  });

  test('from the flagged examples, find similar questions in a candidate file', { skip: tinySkip }, async () => {
    // The run selected by the previous test; two of its examples flagged through the CLI.
    const runPath = join(root, 'workspace', 'tiny-sweep', TINY_RUN);
    const questions = readFileSync(join(TINYGSM, 'train.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { question: string }).question);
    cli('flag', runPath, '3', '7', '--note', 'copied');
    const files = join(root, 'similar');
    mkdirSync(files);
    const chars = [...new Set(questions.join(''))];
    writeModel(
      join(files, 'encoder.onnx'),
      lookupEncoder(Array.from({ length: chars.length + 2 }, (_, i) => Array.from({ length: 6 }, (_, k) => Math.fround(Math.sin(i * 7 + k * 3))))),
    );
    writeFileSync(join(files, 'tokenizer.json'), JSON.stringify(characterTokenizer(chars)));
    const pool = join(files, 'pool.jsonl');
    writeFileSync(
      pool,
      [
        { id: 'other', question: 'zzz' },
        { id: 'like-3', question: questions[3] },
        { id: 'like-7', question: questions[7] },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    const out = join(files, 'more.jsonl');
    await runCommand(page, 'Premem: Find Similar in a Candidate File…');
    await fileDialog(page, pool, 'Use as Candidates');
    await fileDialog(page, join(files, 'encoder.onnx'), 'Use as Encoder');
    await fileDialog(page, join(files, 'tokenizer.json'), 'Use as Tokenizer');
    await fileDialog(page, out);
    await notification(page, 'candidates nearest to 2 flagged examples', 60_000);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; distance: number; nearest_seed: number });
    assert.deepEqual(
      lines
        .slice(0, 2)
        .map((l) => [l.id, l.nearest_seed])
        .sort(),
      [
        ['like-3', 3],
        ['like-7', 7],
      ],
    );
    assert.ok(lines[0]!.distance < 1e-6 && lines[1]!.distance < 1e-6);
    await shot(page, 'live-find-similar');
  });
});
