/**
 * Numbers a researcher can act on, in the real VS Code: a dataset attached to the authors'
 * sweep (which ships no texts), an example across every run of that sweep, the calibrated
 * threshold kept for the sweep from the dashboard, and closing a run. Expected figures come
 * from the `premem` CLI on the same index.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { KANG_SWEEP, skipUnless } from '../helpers/paths';
import {
  answer,
  CODE_SERVER,
  contextMenu,
  fileDialog,
  pick,
  premem,
  runCommand,
  shot,
  showPremem,
  startWorkbench,
  viewPane,
  VSIX,
  waitFor,
  webviewFrame,
  type Host,
  selectRun,
} from './harness';

// Every test here reads the authors' sweep: each skips, saying why, without ../shared (CI requires it).
const kangSkip = skipUnless(KANG_SWEEP);
const KANG_RUN = 'gsm8k_orig_3epochs_full_lr2e-05_bs128';
const missing = !existsSync(CODE_SERVER)
  ? 'code-server is not installed: run test/e2e/setup-code-server.sh'
  : !existsSync(VSIX)
    ? 'no premem-lens.vsix: run npm run package'
    : false;

describe('Premem Lens: numbers to act on, in a real VS Code', { skip: missing }, () => {
  let root: string;
  let ws: string;
  let db: string;
  let dataset: string;
  let host: Host;
  let browser: Browser;
  let page: Page;
  const cli = (...args: string[]) => premem(db, ...args);
  const runs = () => viewPane(page, 'Runs');

  before(async () => {
    if (kangSkip) return;
    root = mkdtempSync(join(tmpdir(), 'premem-e2e-trust-'));
    ws = join(root, 'workspace');
    db = join(root, 'index.sqlite');
    writeExampleSweep(join(ws, 'example-sweep'));
    // A GSM8K-shaped training set of 7,473 records for the authors' runs, which ship no texts.
    dataset = join(root, 'gsm8k-train.jsonl');
    writeFileSync(
      dataset,
      Array.from({ length: 7473 }, (_, i) => JSON.stringify({ question: `Question ${i}: how many apples?`, answer: `Count them for ${i}.\n#### ${i}` })).join('\n') + '\n',
    );
    mkdirSync(join(ws, '.vscode'), { recursive: true });
    writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'premem.runs': [KANG_SWEEP], 'premem.databasePath': db }));
    ({ host, browser, page } = await startWorkbench(root, ws, 'Default Dark Modern', () => undefined));
    await showPremem(page);
    cli('index', KANG_SWEEP);
  });

  afterEach(async (t) => {
    if (page) await shot(page, `trust-after-${t.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
  });

  after(async () => {
    await browser?.close();
    await host?.stop();
    if (process.env['PREMEM_E2E_KEEP'] !== '1') rmSync(root, { recursive: true, force: true });
  });

  test('Attach Dataset File… gives the authors’ runs their questions everywhere', { skip: kangSkip }, async () => {
    await selectRun(page, KANG_RUN);
    await runCommand(page, 'Notifications: Clear All Notifications');
    await runCommand(page, 'Premem: Attach Dataset File…');
    await pick(page, 'All 13 runs of gsm8k');
    await fileDialog(page, dataset, 'Attach as Training Set');
    await page.locator('.notifications-toasts', { hasText: 'attached gsm8k-train.jsonl to 13 runs' }).first().waitFor({ timeout: 60_000 });
    // The Examples view now shows each example's question beside its figures.
    const lowest = JSON.parse(cli('examples', join(KANG_SWEEP, KANG_RUN), '--json', '--sort', 'premem', '--limit', '1').trim()) as { index: number; question: string };
    assert.equal(lowest.question, `Question ${lowest.index}: how many apples?`, 'the CLI sees the attachment too');
    await waitFor('questions in the Examples view', async () =>
      (await viewPane(page, 'Examples').locator('.monaco-list-row').first().innerText()).includes(`Question ${lowest.index}: how many apples?`),
    );
    await shot(page, 'trust-attached-dataset');
  });

  test('In other runs: the example across the 13 runs of the sweep, one click to switch', { skip: kangSkip }, async () => {
    const index = 11;
    await runCommand(page, 'Premem: Open Example Panel');
    await answer(page, String(index));
    const frame = await waitFor('the example panel', async () => {
      const f = await webviewFrame(page, 'Premem Example');
      return (await f.locator('h1 .index').innerText()) === `#${index}` && (await f.locator('#other-runs').count()) > 0 ? f : undefined;
    });
    const across = cli('examples', KANG_SWEEP, '--index', String(index), '--json')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { run: string; memorization_step: number | null; category: string });
    const rows = await frame.locator('#other-runs tbody tr').allInnerTexts();
    assert.equal(rows.length, across.length);
    for (const a of across) {
      const row = rows.find((r) => r.includes(a.run));
      assert.ok(row, `a row for ${a.run}`);
      assert.ok(row.includes(a.memorization_step === null ? 'never' : `step ${a.memorization_step}`), `${a.run}: ${row}`);
    }
    const copied = across.filter((a) => a.category === 'memorized-before-solved').length;
    assert.equal(await frame.locator('#other-runs-summary').innerText(), `Memorized before ever solved in ${copied} of ${across.length} runs.`);
    assert.match(await frame.locator('.question').first().innerText(), new RegExp(`^Question ${index}: how many apples\\?`));
    await frame.locator('#other-runs').scrollIntoViewIfNeeded();
    await shot(page, 'trust-in-other-runs');
    // In a narrow editor the table's last column is still there: inside the panel, or reachable by
    // scrolling the table's own box (it used to be cut off).
    await page.setViewportSize({ width: 900, height: 900 });
    await page.waitForTimeout(600);
    const reach = await frame.evaluate<{ right: number; width: number; scrolls: boolean }>(
      "(() => { const box = document.querySelector('#other-runs').parentElement; const th = document.querySelector('#other-runs th:last-child'); return { right: th.getBoundingClientRect().right, width: document.documentElement.clientWidth, scrolls: box.scrollWidth > box.clientWidth && getComputedStyle(box).overflowX === 'auto' }; })()",
    );
    assert.ok(reach.right <= reach.width || reach.scrolls, `the last column: ${JSON.stringify(reach)}`);
    await shot(page, 'trust-in-other-runs-narrow');
    await page.setViewportSize({ width: 1500, height: 900 });
    // Switch to another run of the sweep from the table.
    const other = across.find((a) => a.run !== KANG_RUN)!;
    await frame.locator('#other-runs vscode-button', { hasText: other.run }).first().click();
    await page
      .locator('.tab', { hasText: `#${index} · ${other.run}` })
      .first()
      .waitFor({ timeout: 30_000 });
  });

  test(
    'one threshold in force: the header, the box, the sweep’s line, the fit and the Runs view agree through Apply, Use for This Sweep, End Trial and Use the Default',
    { skip: kangSkip },
    async () => {
      await runCommand(page, 'Premem: Show Dashboard');
      const frame = await waitFor('the dashboard', async () => {
        const f = await webviewFrame(page, 'Premem Dashboard');
        return (await f.locator('#threshold-origin').count()) > 0 ? f : undefined;
      });
      const fitAt = (...extra: string[]) => (JSON.parse(cli('report', KANG_SWEEP, '--json', ...extra)) as { fit: { r2: number } }).fit.r2.toFixed(4);
      const sweepRow = () => runs().locator('.monaco-list-row', { hasText: '13 runs' }).first();
      /** Every label that names the threshold, read at once. */
      const labels = async () => ({
        header: await frame.locator('#criterion').innerText(),
        box: await frame.locator('#threshold input').inputValue(),
        line: await frame.locator('#threshold-origin').innerText(),
        fit: await frame.locator('[data-fit="premem-vs-test"]').innerText(),
        endTrial: (await frame.locator('#reset-threshold[disabled]').count()) === 0,
      });
      /** Waits until every label says `cut` (e.g. "−2.50") with `words`, and the fit is `r2`; returns them. */
      const agree = async (what: string, box: string, cut: string, words: RegExp, r2: string, trial: boolean) => {
        const l = await waitFor(what, async () => {
          const x = await labels();
          return x.box === box &&
            x.header.includes(`ln ln ${cut} · `) &&
            words.test(x.header) &&
            x.line.includes(`ln ln ${cut} · `) &&
            words.test(x.line) &&
            x.fit.startsWith(`R² ${r2} `) &&
            x.endTrial === trial
            ? x
            : undefined;
        });
        return l;
      };
      const settings = fitAt();
      await agree('the authors’ default everywhere', '-2.3', '−2.30', /default \(the authors' GSM8K value\)/, settings, false);
      // A trial: every label says so, and the sidebar keeps the setting's figures.
      await frame.locator('#threshold input').fill('-1.5');
      await frame.locator('#apply-threshold').click();
      const tried = fitAt('--loglog-threshold', '-1.5');
      await agree('the trial everywhere in the panel', '-1.5', '−1.50', /tried in the dashboard/, tried, true);
      assert.match(await sweepRow().innerText(), new RegExp(`R² ${settings}`), 'a trial leaves the Runs view alone');
      // Use the calibrated threshold for this sweep, straight from the trial: nothing may still say "tried".
      await frame.locator('#calibrate').click();
      await frame.locator('#use-calibrated').waitFor({ timeout: 60_000 });
      await frame.locator('#use-calibrated').click();
      const kept = fitAt('--loglog-threshold', '-2.5');
      const calibrated = /calibrated on 13 runs \(held-out RMSE 3\.46%\)/;
      const afterKeep = await agree('the kept threshold everywhere', '-2.5', '−2.50', calibrated, kept, false);
      assert.doesNotMatch(afterKeep.header + afterKeep.line, /tried/);
      // The calibration's buttons say it is done, instead of offering it again.
      await waitFor('the kept calibration', async () => (await frame.locator('#use-calibrated[disabled]').innerText()).includes('-2.5 Is Kept for This Sweep'));
      assert.equal(await frame.locator('#try-best[disabled]').count(), 1);
      await waitFor('the Runs view at the kept threshold', async () => (await sweepRow().innerText()).includes(`R² ${kept}`));
      await shot(page, 'trust-use-for-this-sweep');
      // The CLI and every view read the same user state.
      const report = JSON.parse(cli('report', KANG_SWEEP, '--json')) as { threshold: { loglog: number; source: string } };
      assert.deepEqual([report.threshold.loglog, report.threshold.source], [-2.5, 'stored']);
      const expected = JSON.parse(cli('report', join(KANG_SWEEP, KANG_RUN), '--json')) as { runs: { checkpoints: { pre_memorization_accuracy: number }[] }[] };
      const premem = expected.runs[0]!.checkpoints.at(-1)!.pre_memorization_accuracy.toFixed(4);
      await waitFor('the run row at the kept threshold', async () =>
        (await runs().locator('.monaco-list-row', { hasText: KANG_RUN }).first().innerText()).includes(`premem ${premem}`),
      );
      // Another trial, then End Trial: back to the kept threshold, not to the settings'.
      await frame.locator('#threshold input').fill('-1.5');
      await frame.locator('#apply-threshold').click();
      await agree('the second trial', '-1.5', '−1.50', /tried in the dashboard/, tried, true);
      await frame.locator('#reset-threshold').click();
      await agree('the kept threshold after End Trial', '-2.5', '−2.50', calibrated, kept, false);
      // Back to the default, from the same place.
      await frame.locator('#clear-threshold').click();
      await agree('the default again', '-2.3', '−2.30', /default \(the authors' GSM8K value\)/, settings, false);
      await waitFor('the Runs view at the default', async () => (await sweepRow().innerText()).includes(`R² ${settings}`));
      assert.equal((JSON.parse(cli('report', KANG_SWEEP, '--json')) as { threshold: { source: string } }).threshold.source, 'default');
    },
  );

  test('Close Run or Sweep takes a run out of the views and the index; its flags stay', { skip: kangSkip }, async () => {
    const run = join(ws, 'example-sweep', 'example_3epochs_lr2e-04');
    cli('flag', run, '3', '--note', 'keep me');
    await runCommand(page, 'View: Close All Editors');
    await showPremem(page);
    const row = runs().locator('.monaco-list-row', { hasText: 'example_3epochs_lr2e-04' }).first();
    await row.waitFor({ timeout: 60_000 });
    await contextMenu(page, row, 'Close Run or Sweep');
    await waitFor('the run gone from the Runs view', async () => (await runs().locator('.monaco-list-row', { hasText: 'example_3epochs_lr2e-04' }).count()) === 0);
    const listed = (JSON.parse(cli('flags', '--json')) as { run: string; note: string }[]).filter((f) => f.run === run);
    assert.deepEqual(
      listed.map((f) => f.note),
      ['keep me'],
    );
    await shot(page, 'trust-closed-run');
    // A refresh does not bring it back: it stays closed until opened again.
    await runCommand(page, 'Premem: Refresh Index');
    await page.waitForTimeout(2000);
    assert.equal(await runs().locator('.monaco-list-row', { hasText: 'example_3epochs_lr2e-04' }).count(), 0);
  });
});
