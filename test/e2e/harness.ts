import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Frame, type Locator, type Page } from 'playwright-core';
import { missingRequirement, REPO, REQUIRE_SHARED } from '../helpers/paths';

/**
 * A real VS Code (code-server 4.100.3, VS Code 1.100) with the packaged .vsix installed,
 * driven by Debian's Chromium through playwright-core. Nothing here is mocked.
 */
export const CODE_SERVER = join(REPO, '.tools', 'node_modules', '.bin', 'code-server');
export const VSIX = join(REPO, 'premem-lens.vsix');
export const SHOTS = join(REPO, 'test-results', 'screenshots');
export const CHROMIUM = '/usr/bin/chromium';

// In CI (PREMEM_REQUIRE_SHARED=1) every e2e suite needs Debian's Chromium and the test VS Code:
// without them the suites would skip and CI would pass having shown nothing.
if (REQUIRE_SHARED) {
  if (!existsSync(CHROMIUM)) missingRequirement(`Chromium is not installed at ${CHROMIUM} (Debian: chromium)`);
  if (!existsSync(CODE_SERVER)) missingRequirement(`code-server is not installed at ${CODE_SERVER} (test/e2e/setup-code-server.sh)`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

const BIN = join(REPO, 'bin', 'premem.js');

/**
 * The `premem` CLI on a suite's index, for the figures a test expects: the views must show
 * what the engine computes, so expectations never come from the test's own arithmetic.
 */
export function premem(db: string, ...args: string[]): string {
  return execFileSync(process.execPath, [BIN, ...args, '--db', db], { encoding: 'utf8', maxBuffer: 1 << 30 });
}

export interface Host {
  readonly url: string;
  readonly userDataDir: string;
  stop(): Promise<void>;
}

export function installVsix(extensionsDir: string, userDataDir: string): void {
  const r = spawnSync(CODE_SERVER, ['--install-extension', VSIX, '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--force'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`installing the .vsix failed:\n${r.stdout}\n${r.stderr}`);
}

/** User settings that keep the workbench quiet and deterministic for screenshots. */
export function writeUserSettings(userDataDir: string, theme: string, trust = false): void {
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(
    join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({
      'workbench.colorTheme': theme,
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'telemetry.telemetryLevel': 'off',
      // Workspace Trust on only where a suite tests it: with no start-up prompt, a folder
      // nobody has trusted opens in Restricted Mode.
      'security.workspace.trust.enabled': trust,
      'security.workspace.trust.startupPrompt': 'never',
      'extensions.autoCheckUpdates': false,
      'extensions.ignoreRecommendations': true,
      'update.mode': 'none',
      'files.simpleDialog.enable': true,
      'editor.hover.delay': 200,
      'window.dialogStyle': 'custom',
    }),
  );
}

export async function startCodeServer(workspace: string, userDataDir: string, extensionsDir: string, log: (s: string) => void, fixedPort?: number, trust = false): Promise<Host> {
  const port = fixedPort ?? (await freePort());
  const child: ChildProcess = spawn(
    CODE_SERVER,
    [
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--user-data-dir',
      userDataDir,
      '--extensions-dir',
      extensionsDir,
      '--disable-telemetry',
      '--disable-update-check',
      ...(trust ? [] : ['--disable-workspace-trust']),
      workspace,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  child.stdout!.on('data', (d: Buffer) => log(d.toString()));
  child.stderr!.on('data', (d: Buffer) => log(d.toString()));
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error('code-server did not start within 60 s');
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    userDataDir,
    stop: () => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* already gone */
      }
      return Promise.resolve();
    },
  };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

export interface Workbench {
  readonly host: Host;
  readonly browser: Browser;
  readonly page: Page;
}

/**
 * A fresh VS Code for a suite: the packaged .vsix installed into its own user-data and
 * extensions folders under `root`, code-server serving `workspace`, Chromium showing it.
 */
export async function startWorkbench(root: string, workspace: string, theme: string, log: (s: string) => void, options: { trust?: boolean } = {}): Promise<Workbench> {
  const userData = join(root, 'user-data');
  const extensions = join(root, 'extensions');
  writeUserSettings(userData, theme, options.trust ?? false);
  installVsix(extensions, userData);
  const host = await startCodeServer(workspace, userData, extensions, log, undefined, options.trust ?? false);
  const browser = await launchBrowser();
  return { host, browser, page: await openWorkbench(browser, host.url) };
}

/** Shows the Premem views and waits for the Runs view to have rows. */
export async function showPremem(page: Page): Promise<void> {
  const runs = viewPane(page, 'Runs');
  const icon = page.locator('.activitybar [aria-label^="Premem"]').first();
  await icon.waitFor({ timeout: 90_000 });
  // After a reload VS Code restores the container by itself, sometimes seconds later on a busy
  // machine: clicking its icon then would close it again. The view's focus command only shows it.
  for (let attempt = 0; attempt < 5 && !(await runs.isVisible()); attempt++) {
    await runCommand(page, 'Premem: Focus on Runs View');
    await runs.waitFor({ timeout: 5_000 }).catch(() => undefined);
  }
  await runs.locator('.monaco-list-row').first().waitFor({ timeout: 90_000 });
}

/** The workbench, loaded and with our activity-bar container available. */
export async function openWorkbench(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
  await page.goto(url);
  await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
  return page;
}

/**
 * Opens the command palette with `text` typed in. A panel or page that has just opened can take
 * the focus a moment later, which closes the palette under the typing: it is opened again then.
 */
async function openPalette(page: Page, text: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 5_000 });
      await input.fill(text, { timeout: 5_000 });
      return;
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
}

/** Runs a command from the palette by its title, as a user would. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await openPalette(page, `>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  await page.keyboard.press('Enter');
}

/**
 * Answers VS Code's own (simple) file dialog with a path and presses its button: "OK" for a
 * save dialog, the caller's `openLabel` for an open dialog.
 */
export async function fileDialog(page: Page, file: string, button = 'OK'): Promise<void> {
  const ok = page.locator('.quick-input-widget .monaco-button', { hasText: new RegExp(`^${button}$`) }).first();
  await ok.waitFor({ state: 'visible', timeout: 15_000 });
  const input = page.locator('.quick-input-widget input');
  // The dialog writes its default path in asynchronously; type ours until it stays.
  for (let attempt = 0; attempt < 20; attempt++) {
    await input.fill(file);
    await page.waitForTimeout(300);
    if ((await input.inputValue()) === file) break;
  }
  await ok.click();
}

/** Right-clicks a row and chooses a context-menu entry by its label. */
export async function contextMenu(page: Page, row: Locator, label: string): Promise<void> {
  await row.click({ button: 'right' });
  const item = page.locator('.monaco-menu .action-item', { hasText: label }).first();
  await item.waitFor({ state: 'visible' });
  // The menu ignores clicks while it is still opening.
  await page.waitForTimeout(300);
  await item.hover();
  await item.click();
  await page
    .locator('.context-view .monaco-menu')
    .waitFor({ state: 'detached', timeout: 10_000 })
    .catch(() => undefined);
}

/** Opens a workspace file through Quick Open, waiting for it to be found. */
export async function openFile(page: Page, relativePath: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(relativePath);
  const name = relativePath.split('/').pop()!;
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ state: 'visible', timeout: 30_000 });
  await page.keyboard.press('Enter');
  await page.locator('.tab.active', { hasText: name }).waitFor({ timeout: 30_000 });
  await page.locator('.monaco-editor .view-line').first().waitFor();
}

/**
 * Puts the cursor on a 1-based line of the active editor (Go to Line, not arrow keys: keys sent
 * while focus is still moving from Quick Open land elsewhere) and shows our hover there. The
 * status bar may still show an earlier "Ln N", so the hover itself must name the example that
 * line holds (`example #${record}`); a hover for another line moves the cursor again, up to three
 * times, then fails. Returns the hover, with its text.
 */
export async function hoverOnLine(page: Page, line: number, record: number): Promise<{ hover: Locator; text: string }> {
  const position = page.locator('.statusbar-item', { hasText: /^Ln \d+, Col \d+/ }).first();
  const hover = page
    .locator('.monaco-hover')
    .filter({ hasText: /Premem · example #/ })
    .first();
  let text = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    await runCommand(page, 'Go to Line/Column...');
    await page.keyboard.type(String(line));
    await page.keyboard.press('Enter');
    await waitFor(`the cursor on line ${line}`, async () => new RegExp(`^Ln ${line},`).test(await position.innerText()));
    await runCommand(page, 'Show or Focus Hover');
    await hover.waitFor({ timeout: 30_000 });
    text = await hover.innerText();
    if (new RegExp(`example #${record}\\b`).test(text)) return { hover, text };
    await page.keyboard.press('Escape');
  }
  throw new Error(`the hover on line ${line} is not for example #${record}: ${text}`);
}

/** A command a user can run from the palette: the manifest's entries not hidden with `when: false`. */
export interface PaletteCommand {
  readonly command: string;
  readonly title: string;
  /** The palette's `when`, if the command shows only in some states. */
  readonly when?: string;
}

export function paletteCommands(): PaletteCommand[] {
  const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
    contributes: { commands: { command: string; title: string }[]; menus: { commandPalette: { command: string; when: string }[] } };
  };
  const when = new Map(manifest.contributes.menus.commandPalette.map((m) => [m.command, m.when]));
  return manifest.contributes.commands.filter((c) => when.get(c.command) !== 'false').map((c) => ({ command: c.command, title: c.title, when: when.get(c.command) }));
}

/**
 * What running a command must visibly do: open a quick input (a pick, an input box or the file
 * dialog) whose text matches, show a notification that matches, make an editor tab active, or
 * something else a probe can see.
 */
export type CommandAnswer = { readonly input: RegExp } | { readonly toast: RegExp } | { readonly tab: string } | { readonly seen: string; readonly probe: () => Promise<boolean> };

/** VS Code's own words for a command that is not registered or that threw. */
const COMMAND_FAILED = /command '[^']*' not found|resulted in an error|error running command/i;

/**
 * Runs one command from the palette exactly as listed (its row, by its full label: the palette
 * puts recently used commands first, so the top row may be another) and waits for its answer.
 * Fails on VS Code's "not found" or "resulted in an error" notifications. Leaves any quick input
 * it opened closed. Returns what was seen, for the log.
 */
export async function runFromPalette(page: Page, c: PaletteCommand, expected: CommandAnswer, timeoutMs = 20_000): Promise<string> {
  const label = `Premem: ${c.title}`;
  await runCommand(page, 'Notifications: Clear All Notifications');
  const input = page.locator('.quick-input-widget input');
  await openPalette(page, `>${label}`);
  const rows = page.locator('.quick-input-list .monaco-list-row');
  const at = await waitFor(
    `"${label}" in the palette`,
    async () => {
      const labels = await rows.evaluateAll((rs) =>
        (rs as unknown as { querySelector(s: string): { textContent: string | null } | null }[]).map((r) => r.querySelector('.label-name')?.textContent ?? ''),
      );
      const i = labels.indexOf(label);
      return i >= 0 ? i + 1 : undefined;
    },
    15_000,
  );
  await rows.nth(at - 1).click();
  const toasts = page.locator('.notifications-toasts');
  const widget = page.locator('.quick-input-widget');
  const answered = await waitFor(
    `${c.command} to answer (${'input' in expected ? `an input matching ${String(expected.input)}` : 'toast' in expected ? `a notification matching ${String(expected.toast)}` : 'tab' in expected ? `the tab "${expected.tab}"` : expected.seen})`,
    async (): Promise<{ seen: string } | { failed: string } | false> => {
      const notes = (await toasts.count()) > 0 ? (await toasts.innerText()).replace(/\s+/g, ' ').trim() : '';
      if (COMMAND_FAILED.test(notes)) return { failed: notes };
      if ('toast' in expected) return expected.toast.test(notes) && { seen: `notification: ${notes}` };
      if ('tab' in expected) return (await page.locator('.tab.active', { hasText: expected.tab }).count()) > 0 && { seen: `tab: ${expected.tab}` };
      if ('seen' in expected) return (await expected.probe()) && { seen: expected.seen };
      if (!(await widget.isVisible()) || (await input.inputValue()).startsWith('>')) return false;
      const text = [await widget.innerText(), (await input.getAttribute('placeholder')) ?? '', (await input.getAttribute('aria-label')) ?? ''].join(' ').replace(/\s+/g, ' ');
      return expected.input.test(text) && { seen: `input: ${text.trim().slice(0, 120)}` };
    },
    timeoutMs,
  );
  if ('failed' in answered) throw new Error(`${c.command} failed: ${answered.failed}`);
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  return answered.seen;
}

/** Picks an item in an open quick pick by its label. */
export async function pick(page: Page, label: string): Promise<void> {
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  await row.click();
}

/** Selects a run from the palette (its list is virtualised: filtered to the run first) and waits until the Examples view shows it. */
export async function selectRun(page: Page, name: string): Promise<void> {
  await runCommand(page, 'Premem: Select Run…');
  await page.locator('.quick-input-widget input').fill(name);
  await pick(page, name);
  await waitFor(`${name} selected`, async () => (await viewPane(page, 'Examples').locator('.pane-header').innerText()).includes(name));
}

/** Types into the open input box (quick input) and accepts. */
export async function answer(page: Page, text: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(text);
  await page.keyboard.press('Enter');
}

/** The pane of one of our views, by its title. */
export function viewPane(page: Page, title: string): Locator {
  return page.locator('.pane', { has: page.locator('.pane-header', { hasText: new RegExp(`^\\s*${title}`, 'i') }) });
}

/** The text of every rendered row of a view, top to bottom. */
export async function rowTexts(pane: Locator): Promise<string[]> {
  type Row = { style: { top: string }; innerText: string };
  return pane.locator('.monaco-list-row').evaluateAll((rows) =>
    (rows as unknown as Row[])
      .map((r) => ({ top: parseFloat(r.style.top || '0'), text: (r.innerText || '').replace(/\s+/g, ' ').trim() }))
      .sort((a, b) => a.top - b.top)
      .map((r) => r.text),
  );
}

/** Polls `probe` (sync or async) until it gives a truthy value. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000, pollMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * The content frame of one of our webview panels, found by its document title. VS Code nests
 * it two iframes deep; hidden panels are not kept, so the title identifies the visible one.
 */
export async function webviewFrame(page: Page, title: string, timeoutMs = 60_000): Promise<Frame> {
  return waitFor(
    `the "${title}" panel`,
    async () => {
      for (const f of page.frames()) {
        try {
          if ((await f.title()) === title && (await f.$('#app:not([aria-busy])'))) return f;
        } catch {
          // A frame navigating or going away: look again.
        }
      }
      return undefined;
    },
    timeoutMs,
    20,
  );
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

export type { Frame, Page };

/**
 * Where a panel's first open went, from the marks its page keeps (`webview/shared/marks.ts`)
 * and its own navigation and resource timings, measured from `t0` (the test's clock when the
 * command was given: browser and test share the machine's clock). Printed, never asserted.
 */
export async function firstOpenBreakdown(frame: Frame, t0: number): Promise<string> {
  type Fetched = { start: number; end: number; kB: number } | null;
  type Seen = {
    origin: number;
    marks: Record<string, number>;
    script: Fetched;
    style: Fetched;
    charts: Fetched;
    placeholder: { worker: number; request: number; response: number; received: number; ready: number } | null;
  };
  const seen = await waitFor(
    'the panel’s paint marks',
    async () => {
      // A string, evaluated in the page (this project's test code has no DOM typings).
      const s = await frame.evaluate<Seen>(`(() => {
        const entry = (re) => {
          const e = performance.getEntriesByType('resource').find((x) => re.test(x.name));
          return e ? { start: performance.timeOrigin + e.startTime, end: performance.timeOrigin + e.responseEnd, kB: Math.round((e.decodedBodySize || e.encodedBodySize) / 1024) } : null;
        };
        return {
          origin: performance.timeOrigin,
          marks: { ...(window.prememMarks ?? {}) },
          script: entry(/\\/(example|dashboard)\\.js(\\?|$)/),
          style: entry(/\\/(example|dashboard)\\.css(\\?|$)/),
          charts: entry(/\\/charts\\.js(\\?|$)/),
          placeholder: (([n]) => n ? { worker: n.workerStart, request: n.requestStart, response: n.responseStart, received: n.responseEnd, ready: n.domContentLoadedEventStart } : null)(performance.getEntriesByType('navigation')),
        };
      })()`);
      return ['painted', 'charts', 'complete'].every((k) => s.marks[k] !== undefined) ? s : undefined;
    },
    30_000,
    20,
  );
  const m = seen.marks as Record<'script' | 'request' | 'answer' | 'painted' | 'charts' | 'complete', number>;
  if (seen.origin < t0) return `panel already open (reused): first paint was ${Math.round(m.painted - seen.origin)} ms after its page started`;
  const ms = (x: number) => `${Math.round(x)} ms`;
  const kB = (f: NonNullable<Fetched>) => (f.kB ? `, ${f.kB} kB` : '');
  const style = seen.style ? `stylesheet fetched ${ms(seen.style.end - seen.origin)} (asked at ${ms(seen.style.start - seen.origin)}${kB(seen.style)}); ` : '';
  const fetched = seen.script
    ? `${style}script fetched ${ms(seen.script.end - seen.origin)} (asked at ${ms(seen.script.start - seen.origin)}${kB(seen.script)}), parsed and run ${ms(m.script - seen.script.end)}`
    : `script fetched, parsed and run ${ms(m.script - seen.origin)}`;
  const charts = seen.charts ? `; charting module fetched ${ms(seen.charts.end - seen.origin)} (asked at ${ms(seen.charts.start - seen.origin)}${kB(seen.charts)})` : '';
  // VS Code loads a placeholder page (fake.html) into the frame and writes ours on its DOMContentLoaded.
  const placeholder = seen.placeholder
    ? `placeholder page: service worker ${ms(seen.placeholder.worker)}, requested ${ms(seen.placeholder.request)}, answered ${ms(seen.placeholder.response)}, received ${ms(seen.placeholder.received)}, ready ${ms(seen.placeholder.ready)}; `
    : '';
  return `command → webview page ${ms(seen.origin - t0)}; ${placeholder}${fetched}; data request → answer ${ms(m.answer - m.request)}${charts}; first paint ${ms(m.painted - t0)}, charts drawn ${ms(m.charts - t0)}, complete ${ms(m.complete - t0)} after the command`;
}

/**
 * Waits for a notification containing `text`; on a timeout, fails with what the notifications
 * said instead (usually the error the command reported).
 */
export async function notification(page: Page, text: string, timeoutMs: number): Promise<void> {
  await page
    .locator('.notifications-toasts', { hasText: text })
    .first()
    .waitFor({ timeout: timeoutMs })
    .catch(async (e: Error) => {
      const shown = await page
        .locator('.notifications-toasts')
        .innerText()
        .catch(() => '?');
      throw new Error(`${e.message}\nnotifications: ${shown}`);
    });
}
