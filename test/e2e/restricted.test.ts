/**
 * Workspace Trust, in the real VS Code: a workspace nobody has trusted opens in Restricted Mode,
 * carrying a `.vscode/settings.json` whose sampling seed is shell text. Reading and browsing work
 * (the runs are listed); sampling, scoring and planning say they are off, and why, and write
 * nothing; the hostile setting never reaches a script.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { CODE_SERVER, notification, runCommand, shot, showPremem, startWorkbench, VSIX, type Host } from './harness';

const missing = !existsSync(CODE_SERVER)
  ? 'code-server is not installed: run test/e2e/setup-code-server.sh'
  : !existsSync(VSIX)
    ? 'no premem-lens.vsix: run npm run package'
    : false;

describe('Restricted Mode: reading works, what runs models or writes scripts says why it is off', { skip: missing }, () => {
  let root: string;
  let ws: string;
  let host: Host;
  let browser: Browser;
  let page: Page;
  const serverLog: string[] = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'premem-e2e-restricted-'));
    ws = join(root, 'workspace');
    writeExampleSweep(join(ws, 'sweep'));
    mkdirSync(join(ws, '.vscode'), { recursive: true });
    writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'premem.sample.seed': '0 $(touch pwned)', 'premem.runs': [join(ws, 'sweep')] }));
    ({ host, browser, page } = await startWorkbench(root, ws, 'Default Dark Modern', (s) => serverLog.push(s), { trust: true }));
  });

  after(async () => {
    await browser?.close();
    await host?.stop();
    if (!process.env['PREMEM_E2E_KEEP']) rmSync(root, { recursive: true, force: true });
  });

  test('the workspace is in Restricted Mode and the runs are still listed', async () => {
    await page.locator('.statusbar, .monaco-workbench').first().waitFor();
    await showPremem(page);
    const rows = await page.locator('.pane', { hasText: 'Runs' }).locator('.monaco-list-row').count();
    assert.ok(rows >= 3, `the example sweep's runs are listed (${rows} rows)`);
    // VS Code marks Restricted Mode in the status bar.
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 30_000 });
  });

  for (const [title, what] of [
    ['Premem: Plan Evaluation with lm-evaluation-harness…', 'Planning an evaluation is off in Restricted Mode'],
    ['Premem: Sample Checkpoints with ONNX…', 'Sampling checkpoints is off in Restricted Mode'],
    ['Premem: Score References with ONNX Checkpoints…', 'Scoring references is off in Restricted Mode'],
  ] as const) {
    test(`${title} says why it is off, and offers to manage trust`, async () => {
      await runCommand(page, title);
      await notification(page, what, 30_000);
      const text = await page.locator('.notifications-toasts', { hasText: what }).first().innerText();
      assert.match(text, /Trust this workspace to use it/);
      assert.ok(await page.locator('.notifications-toasts .monaco-button', { hasText: 'Manage Workspace Trust' }).first().isVisible());
      // The toast slides in: let it settle so the screenshot shows it whole.
      await page.waitForTimeout(500);
      await shot(page, `restricted-${title.split(' ')[1]!.toLowerCase()}`);
      await page.keyboard.press('Escape');
    });
  }

  test('nothing was written and the setting’s text never ran', () => {
    const runs = readdirSync(join(ws, 'sweep')).filter((d) => d.startsWith('example_'));
    for (const r of runs) assert.ok(!existsSync(join(ws, 'sweep', r, 'premem-lm-eval')), `no plan in ${r}`);
    assert.ok(!existsSync(join(ws, 'pwned')) && !existsSync(join(root, 'pwned')));
  });
});
