/**
 * Activation that cannot leave the UI dead: with an index path that cannot be opened (its
 * folder is a file), the commands are still registered. The welcome view's link, clicked as a
 * user would, explains what is wrong and how to fix it, instead of "command not found".
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { CODE_SERVER, paletteCommands, runFromPalette, shot, startWorkbench, viewPane, VSIX, waitFor, type CommandAnswer, type Host } from './harness';

const missing = !existsSync(CODE_SERVER)
  ? 'code-server is not installed: run test/e2e/setup-code-server.sh'
  : !existsSync(VSIX)
    ? 'no premem-lens.vsix: run npm run package'
    : false;

describe('Premem Lens with an index it cannot open', { skip: missing }, () => {
  let root: string;
  let ws: string;
  let host: Host;
  let browser: Browser;
  let page: Page;
  const serverLog: string[] = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'premem-e2e-startup-'));
    ws = join(root, 'workspace');
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
    // The toast's message is drawn after its frame: wait for the words, then read them.
    const text = await waitFor('the toast’s message', async () => {
      const t = await page.locator('.notifications-toasts').innerText();
      return /premem\.databasePath/.test(t) ? t : undefined;
    });
    assert.match(text, /not-a-folder/, 'names the index file');
    assert.match(text, /premem\.databasePath/, 'says which setting fixes it');
    assert.doesNotMatch(text, /not found/i, 'never "command not found"');
    // The toast's text and its buttons are drawn one after the other: wait for the button.
    await page.locator('.notifications-toasts .monaco-button', { hasText: 'Open Setting' }).first().waitFor({ timeout: 10_000 });
    // The welcome view now says so too.
    await runs.locator('.welcome-view-content', { hasText: 'could not open its index' }).first().waitFor({ timeout: 10_000 });
    await shot(page, 'startup-unopenable-index');
  });

  test('every palette command answers without its index: each explains and offers the fix, or works without one', async () => {
    const settingsFile = join(ws, '.vscode', 'settings.json');
    // Two commands need no index (see registerCommands' `standalone`); every other one explains.
    const explains: CommandAnswer = { toast: /could not open its index.*premem\.databasePath/ };
    const standalone: Record<string, CommandAnswer> = {
      'premem.showOutput': {
        seen: 'the Output panel',
        probe: async () => (await page.locator('.part.panel .output-view').count()) > 0 && (await page.locator('.part.panel .output-view').first().isVisible()),
      },
      'premem.toggleDecorations': {
        seen: 'premem.decorations.enabled turned off in the workspace settings',
        probe: () => Promise.resolve(/"premem\.decorations\.enabled":\s*false/.test(readFileSync(settingsFile, 'utf8'))),
      },
    };
    const seen: string[] = [];
    // Shown only while a filter is on, which cannot happen without an index.
    for (const c of paletteCommands().filter((x) => x.when === undefined)) {
      seen.push(`${c.command}: ${await runFromPalette(page, c, standalone[c.command] ?? explains)}`);
    }
    assert.ok(seen.length >= 24, `${seen.length} commands run`);
    console.log(`# e2e startup: every command answered\n${seen.map((l) => `#   ${l}`).join('\n')}`);
  });
});
