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
    // The run so far: five of the six checkpoints the source run has.
    for (const step of [6, 12, 18, 24, 30]) cpSync(join(source, SOURCE_RUN, `checkpoint-${step}`), join(live, `checkpoint-${step}`), { recursive: true });
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
    const before = (JSON.parse(cli('report', live, '--json')) as { runs: { checkpoints: { step: number; pre_memorization_accuracy: number }[] }[] }).runs[0]!.checkpoints;
    assert.deepEqual(
      before.map((c) => c.step),
      [6, 12, 18, 24, 30],
    );
    await waitFor('the run as it is', async () => (await row.innerText()).includes(`premem ${before.at(-1)!.pre_memorization_accuracy.toFixed(4)}`));

    const t0 = Date.now();
    cpSync(join(source, SOURCE_RUN, 'checkpoint-36'), join(live, 'checkpoint-36'), { recursive: true });
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
