/**
 * Activation that cannot leave the UI dead: with an index path that cannot be opened (its
 * folder is a file), the commands are still registered. The welcome view's link, clicked as a
 * user would, explains what is wrong and how to fix it, instead of "command not found".
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { CODE_SERVER, runCommand, shot, startWorkbench, viewPane, VSIX, type Host } from './harness';

const missing = !existsSync(CODE_SERVER)
  ? 'code-server is not installed: run test/e2e/setup-code-server.sh'
  : !existsSync(VSIX)
    ? 'no premem-lens.vsix: run npm run package'
    : false;

describe('Premem Lens with an index it cannot open', { skip: missing }, () => {
  let root: string;
  let host: Host;
  let browser: Browser;
  let page: Page;
  const serverLog: string[] = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'premem-e2e-startup-'));
    const ws = join(root, 'workspace');
    mkdirSync(join(ws, '.vscode'), { recursive: true });
    // A regular file where the index's folder should be: no one, root included, can create it.
    writeFileSync(join(root, 'not-a-folder'), 'x');
    writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'premem.databasePath': join(root, 'not-a-folder', 'index.sqlite') }));
    ({ host, browser, page } = await startWorkbench(root, ws, 'Default Dark Modern', (s) => serverLog.push(s)));
  });

  after(async () => {
    await browser?.close();
    await host?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test('the welcome view’s Open Run or Sweep… explains and offers the fix', async () => {
    const icon = page.locator('.activitybar [aria-label^="Premem"]').first();
    await icon.waitFor({ timeout: 90_000 });
    await icon.click();
    const runs = viewPane(page, 'Runs');
    const link = runs.locator('.welcome-view-content a', { hasText: 'Open Run or Sweep…' }).first();
    await link.waitFor({ timeout: 60_000 });
    await link.click();
    const toast = page.locator('.notifications-toasts', { hasText: 'could not open its index' }).first();
    await toast.waitFor({ timeout: 30_000 });
    const text = await page.locator('.notifications-toasts').innerText();
    assert.match(text, /not-a-folder/, 'names the index file');
    assert.match(text, /premem\.databasePath/, 'says which setting fixes it');
    assert.doesNotMatch(text, /not found/i, 'never "command not found"');
    assert.ok(await page.locator('.notifications-toasts .monaco-button', { hasText: 'Open Setting' }).first().isVisible(), 'offers the setting');
    // The welcome view now says so too.
    await runs.locator('.welcome-view-content', { hasText: 'could not open its index' }).first().waitFor({ timeout: 10_000 });
    await shot(page, 'startup-unopenable-index');
  });

  test('every palette command answers, none is missing', async () => {
    await runCommand(page, 'Premem: Show Dashboard');
    const toast = page.locator('.notifications-toasts', { hasText: 'could not open its index' }).first();
    await toast.waitFor({ timeout: 30_000 });
    assert.doesNotMatch(await page.locator('.notifications-toasts').innerText(), /not found/i);
  });
});
