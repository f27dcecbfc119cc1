/**
 * Accessibility of the panels, in the real VS Code: axe-core (the version in package.json) runs
 * inside each webview frame — the dashboard with its "Does it hold?" section and tables open, the
 * example panel, the data map with a selection and the sweep table — in Dark Modern, Light Modern,
 * High Contrast and High Contrast Light, and any violation of any
 * impact fails the test, listed with its rule and elements. Screenshots of each panel in each
 * theme are kept for looking at.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Browser, Frame, Page } from 'playwright-core';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { REPO } from '../helpers/paths';
import { answer, CODE_SERVER, fileDialog, runCommand, shot, showPremem, startWorkbench, VSIX, waitFor, webviewFrame, type Host } from './harness';

const AXE = join(REPO, 'node_modules', 'axe-core', 'axe.min.js');
const FAST_RUN = 'example_3epochs_lr2e-04';
const THEMES = [
  { name: 'Default Dark Modern', body: 'vscode-dark', slug: 'dark' },
  { name: 'Default Light Modern', body: 'vscode-light', slug: 'light' },
  { name: 'Default High Contrast', body: 'vscode-high-contrast', slug: 'high-contrast' },
  { name: 'Default High Contrast Light', body: 'vscode-high-contrast-light', slug: 'high-contrast-light' },
] as const;
const missing = !existsSync(CODE_SERVER)
  ? 'code-server is not installed: run test/e2e/setup-code-server.sh'
  : !existsSync(VSIX)
    ? 'no premem-lens.vsix: run npm run package'
    : !existsSync(AXE)
      ? 'axe-core is not installed: npm ci'
      : false;

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core's own run inside the frame, injected from node_modules (the page's CSP does not apply to the test's evaluation). */
async function axeViolations(frame: Frame): Promise<Violation[]> {
  await frame.evaluate(readFileSync(AXE, 'utf8'));
  return frame.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 6).map((n) => n.target.join(' ') + ' :: ' + (n.failureSummary || '').split('\\n').slice(1, 2).join(''))
  })))`);
}

/**
 * Moves the focus with Tab (or Shift+Tab) until the active element matches, as a keyboard user
 * would; fails when it is not reached in `max` presses. `test` is an expression over `a`, the
 * focused element (a toolkit control is reported as its host element).
 */
async function tabTo(frame: Frame, what: string, test: string, backwards = false, max = 150): Promise<void> {
  for (let i = 0; i <= max; i++) {
    if (await frame.evaluate<boolean>(`(() => { const a = document.activeElement; return !!a && a !== document.body && Boolean(${test}); })()`)) return;
    await frame.page().keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`${what} is not reached with ${max} presses of ${backwards ? 'Shift+Tab' : 'Tab'}`);
}

/** Waits for the focus to be on the element with this id; on time-out, says where it is instead. */
async function focusOn(frame: Frame, what: string, id: string): Promise<void> {
  await waitFor(what, async () => (await frame.evaluate<string>('document.activeElement?.id ?? ""')) === id).catch(async (e: Error) => {
    const where = await frame.evaluate<string>('`${document.activeElement?.tagName ?? "nothing"}#${document.activeElement?.id ?? ""}, page focused: ${document.hasFocus()}`');
    throw new Error(`${e.message}: the focus is on ${where}`);
  });
}

function describeViolations(vs: readonly Violation[]): string {
  return vs.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.join('\n    ')}`).join('\n');
}

describe('the panels pass axe in every theme', { skip: missing }, () => {
  let root: string;
  let ws: string;
  let host: Host;
  let browser: Browser;
  let page: Page;

  const settings = (extra: Record<string, unknown>) =>
    writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'premem.databasePath': join(root, 'index.sqlite'), ...extra }));

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'premem-a11y-'));
    ws = join(root, 'workspace');
    writeExampleSweep(join(ws, 'example-sweep'));
    mkdirSync(join(ws, '.vscode'), { recursive: true });
    settings({});
    ({ host, browser, page } = await startWorkbench(root, ws, THEMES[0].name, () => undefined));
    await showPremem(page);
    await runCommand(page, 'Premem: Select Run…');
    await page.locator('.quick-input-widget input').fill(FAST_RUN);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: FAST_RUN }).first().click();
  });

  afterEach(async (t) => {
    if (page) await shot(page, `a11y-after-${t.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
  });

  after(async () => {
    await browser?.close();
    await host?.stop();
    if (process.env['PREMEM_E2E_KEEP'] !== '1' && root) rmSync(root, { recursive: true, force: true });
  });

  for (const theme of THEMES) {
    test(`${theme.name}: no axe violation in the dashboard or the example panel`, async () => {
      settings({ 'workbench.colorTheme': theme.name });
      await runCommand(page, 'Premem: Show Dashboard');
      const dash = await webviewFrame(page, 'Premem Dashboard');
      await waitFor(`the dashboard in ${theme.name}`, async () => (await dash.evaluate<string>('document.body.className')).split(' ').includes(theme.body));
      await dash.locator('#holds-summary').waitFor({ timeout: 60_000 });
      await dash.locator('[data-chart="holds-threshold"] svg').waitFor();
      await dash.locator('[data-chart="run-curves"] svg').waitFor();
      // The tables behind the disclosures are checked too.
      await dash.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })");
      const dashboard = await axeViolations(dash);
      await page.waitForTimeout(300);
      await shot(page, `a11y-dashboard-${theme.slug}`);

      await runCommand(page, 'Premem: Open Example Panel');
      await answer(page, '4');
      const example = await waitFor('the example panel', async () => {
        const f = await webviewFrame(page, 'Premem Example');
        return (await f.locator('#samples[data-step]:not([aria-busy])').count()) > 0 ? f : undefined;
      });
      await waitFor(`the example panel in ${theme.name}`, async () => (await example.evaluate<string>('document.body.className')).split(' ').includes(theme.body));
      const panel = await axeViolations(example);
      // The screenshot shows the samples, where the outcome and step-kind colours are.
      await example.evaluate("document.querySelector('.sample')?.scrollIntoView({ block: 'start' })");
      await page.waitForTimeout(300);
      await shot(page, `a11y-example-${theme.slug}`);

      // The data map, with a selection listed (its table, its flag and export buttons).
      await runCommand(page, 'Premem: Show Data Map');
      const mapFrame = await webviewFrame(page, 'Premem Data Map');
      await waitFor(`the data map in ${theme.name}`, async () => (await mapFrame.evaluate<string>('document.body.className')).split(' ').includes(theme.body));
      await mapFrame.locator('#map-select-ambiguous').click();
      await mapFrame.locator('#selection-table').waitFor();
      const map = await axeViolations(mapFrame);
      await page.waitForTimeout(300);
      await shot(page, `a11y-data-map-${theme.slug}`);

      await runCommand(page, 'Premem: Show Sweep Table');
      const tableFrame = await webviewFrame(page, 'Premem Sweep Table');
      await waitFor(`the sweep table in ${theme.name}`, async () => (await tableFrame.evaluate<string>('document.body.className')).split(' ').includes(theme.body));
      await tableFrame.locator('#sweep-table tbody tr[aria-rowindex]').first().waitFor();
      const table = await axeViolations(tableFrame);
      await page.waitForTimeout(300);
      await shot(page, `a11y-sweep-table-${theme.slug}`);
      assert.equal(
        dashboard.length + panel.length + map.length + table.length,
        0,
        `dashboard:\n${describeViolations(dashboard)}\nexample panel:\n${describeViolations(panel)}\ndata map:\n${describeViolations(map)}\nsweep table:\n${describeViolations(table)}`,
      );
    });
  }

  test('keyboard only: names survive, Tab reaches every step, and the focus stays where it acted (threshold, checkpoint, export, flag, Next)', async () => {
    settings({ 'workbench.colorTheme': THEMES[0].name });
    await runCommand(page, 'Premem: Show Dashboard');
    const dash = await webviewFrame(page, 'Premem Dashboard');
    await dash.locator('#holds-summary').waitFor({ timeout: 60_000 });
    // The pickers are announced by their names.
    for (const name of ['Run', 'Threshold form']) assert.equal(await dash.getByRole('combobox', { name }).count(), 1, `the ${name} picker carries its name`);
    // The box is announced by its name, not as "Text field".
    const box = dash.getByRole('textbox', { name: 'Memorization threshold' });
    assert.equal(await box.count(), 1, 'the threshold box carries its name');
    // Enter in the box applies the threshold; the panel redraws, and the focus is still in the box.
    await tabTo(dash, 'the threshold box', 'a.getAttribute("aria-label") === "Memorization threshold"');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('-2.5');
    await page.keyboard.press('Enter');
    await waitFor('the threshold tried', async () => (await dash.locator('#criterion').innerText()).includes('tried in the dashboard'));
    await waitFor('the focus back in the box', async () => (await dash.evaluate<string>('document.activeElement?.getAttribute("aria-label") ?? ""')) === 'Memorization threshold');
    // From the keyboard: Tab to End Trial, Enter; the focus stays on a control of the toolbar, not the page body.
    await tabTo(dash, 'End Trial', 'a.id === "reset-threshold"');
    await page.keyboard.press('Enter');
    await waitFor('the trial ended', async () => !(await dash.locator('#criterion').innerText()).includes('tried in the dashboard'));
    assert.notEqual(await dash.evaluate<string>('document.activeElement?.tagName ?? ""'), 'BODY', 'the focus is not dropped on the page body');
    // A checkpoint selected from the keyboard (what a click on the chart does): Enter on its row.
    const row = dash.locator('#run-table tbody tr').nth(1);
    const step = (await row.locator('td').first().innerText()).trim();
    await tabTo(dash, `the row of step ${step}`, `a.id === "checkpoint-row-${step}"`);
    await page.keyboard.press('Enter');
    await waitFor('the checkpoint selected', async () => (await dash.locator('#run-table tr.selected td').first().innerText()).trim() === step);
    await waitFor('the focus back on its row', async () => (await dash.evaluate<string>('document.activeElement?.id ?? ""')) === `checkpoint-row-${step}`);
    // A threshold tried from the keyboard (what a click on the sensitivity curve does).
    // Every threshold's table is behind a disclosure, before the run's section: Shift+Tab to it, Enter opens it.
    await tabTo(dash, 'Every threshold', 'a.tagName === "SUMMARY" && a.textContent.includes("Every threshold")', true);
    // Enter toggles it: only if it is closed (the panel keeps a disclosure open across redraws).
    if (!(await dash.evaluate<boolean>('Boolean(document.activeElement?.parentElement?.open)'))) await page.keyboard.press('Enter');
    await tabTo(dash, 'the row of −2.5', 'a.id === "threshold-row-15"');
    await page.keyboard.press('Enter');
    await waitFor('-2.5 tried from its row', async () => (await dash.locator('#criterion').innerText()).includes('ln ln −2.50 · tried in the dashboard'));
    // The table stays open through the redraw, with the focus on the row that acted.
    assert.equal(await dash.locator('#holds-sensitivity tr.selected td').first().innerText(), '-2.5', 'the row of the threshold in force is marked');
    await waitFor('the focus back on its row', async () => (await dash.evaluate<string>('document.activeElement?.id ?? ""')) === 'threshold-row-15');
    await tabTo(dash, 'End Trial', 'a.id === "reset-threshold"', true);
    await page.keyboard.press('Enter');
    await waitFor('the trial ended', async () => !(await dash.locator('#criterion').innerText()).includes('tried in the dashboard'));
    // A chart exported from the keyboard: its SVG button, announced by name, Enter, VS Code's save dialog.
    const save = dash.getByRole('button', { name: 'Save this chart as SVG' }).first();
    // The role belongs to the toolkit's inner button; the id to its host element, where the focus is reported.
    const saveId = await save.evaluate((b) => {
      const node = b as unknown as { id: string; getRootNode(): { host?: { id: string } } };
      return (node.getRootNode().host ?? node).id;
    });
    assert.match(saveId, /^export-.+-svg$/);
    await tabTo(dash, 'the first chart’s SVG button', `a.id === "${saveId}"`);
    await page.keyboard.press('Enter');
    const out = join(root, 'exported-by-keyboard.svg');
    await fileDialog(page, out);
    await waitFor('the exported chart', () => existsSync(out) && readFileSync(out, 'utf8').startsWith('<svg'));
    // VS Code's save dialog took the focus; it comes back to the button that asked, not the page body.
    await focusOn(dash, 'the focus back on the export button', saveId);

    await runCommand(page, 'Premem: Open Example Panel');
    await answer(page, '4');
    const example = await waitFor('the example panel', async () => {
      const f = await webviewFrame(page, 'Premem Example');
      return (await f.locator('h1 .index').innerText()) === '#4' ? f : undefined;
    });
    const note = example.getByRole('textbox', { name: 'Flag note' });
    assert.equal(await note.count(), 1, 'the note box carries its name');
    await tabTo(example, 'the flag note box', 'a.getAttribute("aria-label") === "Flag note"');
    await page.keyboard.type('copied');
    await page.keyboard.press('Enter');
    await waitFor('flagged', async () => (await example.locator('#unflag').count()) > 0);
    await waitFor('the focus back in the note box', async () => (await example.evaluate<string>('document.activeElement?.getAttribute("aria-label") ?? ""')) === 'Flag note');
    // A checkpoint's samples from the keyboard (what a click on the timeline does): Enter on its row.
    await tabTo(example, 'Numbers', 'a.tagName === "SUMMARY" && a.textContent.includes("Numbers")');
    if (!(await example.evaluate<boolean>('Boolean(document.activeElement?.parentElement?.open)'))) await page.keyboard.press('Enter');
    const firstRow = example.locator('#timeline-table tbody tr').first();
    const firstStep = (await firstRow.locator('td').first().innerText()).trim();
    await tabTo(example, `the row of step ${firstStep}`, `a.id === "timeline-row-${firstStep}"`);
    await page.keyboard.press('Enter');
    await waitFor('its samples shown', async () => (await example.locator(`#samples[data-step="${firstStep}"]:not([aria-busy])`).count()) === 1);
    assert.equal(await example.evaluate<string>('document.activeElement?.id ?? ""'), `timeline-row-${firstStep}`, 'the focus stays on its row');
    await tabTo(example, 'Next', 'a.id === "next"', true);
    await page.keyboard.press('Enter');
    await waitFor('the next example', async () => (await example.locator('h1 .index').innerText()) !== '#4');
    await waitFor('the focus back on Next', async () => (await example.evaluate<string>('document.activeElement?.id ?? ""')) === 'next');
  });

  test('the data map and the sweep table from the keyboard: brush by bounds with Tab and Enter, flag, open; cells by arrow keys', async () => {
    settings({ 'workbench.colorTheme': THEMES[0].name });
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'Premem: Show Data Map');
    const map = await webviewFrame(page, 'Premem Data Map');
    const active = () => map.evaluate<string>('document.activeElement?.getAttribute("aria-label") || document.activeElement?.id || document.activeElement?.tagName || ""');
    // The keyboard's brush: four named boxes, moved between with Tab; Enter selects.
    await tabTo(map, 'Confidence from', 'a.getAttribute("aria-label") === "Confidence from"');
    await page.keyboard.type('0.5');
    for (const [name, value] of [
      ['Confidence to', '1'],
      ['Variability from', '0'],
      ['Variability to', '0.2'],
    ] as const) {
      await page.keyboard.press('Tab');
      assert.equal(await active(), name, `Tab reaches ${name}`);
      await page.keyboard.type(value);
    }
    await page.keyboard.press('Enter');
    await waitFor('the rectangle selected', async () => (await map.locator('h2', { hasText: 'Selection' }).innerText()).startsWith('Selection:'));
    assert.equal(await active(), 'Variability to', 'the focus stays in the box that acted');
    const heading = await map.locator('h2', { hasText: 'Selection' }).innerText();
    // The same rectangle is the easy-to-learn region here: variability below its cut, confidence at least 0.5.
    const easy = (await map.locator('#map-regions tbody tr', { hasText: 'easy-to-learn' }).innerText()).split('\t')[1]!.trim();
    assert.ok(heading.startsWith(`Selection: ${easy} examples`), `${heading} holds the ${easy} easy-to-learn examples`);
    // Flag them with a note, from the keyboard: Tab from the note box to Flag, Enter.
    await tabTo(map, 'the note box', 'a.getAttribute("aria-label") === "Note for the flags"');
    await page.keyboard.type('easy, by keyboard');
    await page.keyboard.press('Tab');
    assert.equal(await active(), `Flag ${easy} selected examples`);
    await page.keyboard.press('Enter');
    await waitFor('flagged', async () => (await map.locator('#map-status').innerText()).startsWith(`Flagged ${easy} examples`));
    await waitFor('the focus back on Flag', async () => (await active()) === `Flag ${easy} selected examples`);
    // Export them from the keyboard, through the save dialog; the focus comes back to Export.
    await tabTo(map, 'Export', 'a.id === "selection-export"');
    await page.keyboard.press('Enter');
    const exported = join(root, 'easy-by-keyboard.jsonl');
    await fileDialog(page, exported);
    await waitFor('the selection exported', () => existsSync(exported) && readFileSync(exported, 'utf8').trim().split('\n').length === Number(easy));
    await focusOn(map, 'the focus back on Export', 'selection-export');
    // Enter on a listed example opens it.
    const row = map.locator('#selection-table tbody tr').first();
    const index = (await row.locator('td').first().innerText()).trim();
    await tabTo(map, `the row of ${index}`, `a.id === "selection-row-${index.slice(1)}"`);
    await page.keyboard.press('Enter');
    await waitFor('its example panel', async () => (await (await webviewFrame(page, 'Premem Example')).locator('h1 .index').innerText()) === index);

    await runCommand(page, 'Premem: Show Sweep Table');
    const table = await webviewFrame(page, 'Premem Sweep Table');
    await table.locator('#table-active-cell').waitFor();
    // The shortcuts are announced: the grid points to the sentence that names them.
    assert.match(await table.locator('#table-count').innerText(), /Arrow keys move between cells, Enter opens the example/);
    assert.equal(await table.locator('#table-scroller').getAttribute('aria-describedby'), 'table-count');
    // A sort from its header button, with Enter; the focus stays on the button.
    await tabTo(table, 'the mean’s sort button', 'a.id === "sort-x-mean"');
    await page.keyboard.press('Enter');
    await waitFor('sorted by the mean', async () => (await table.locator('th:has(#sort-x-mean)').getAttribute('aria-sort')) === 'ascending');
    assert.equal(await table.evaluate<string>('document.activeElement?.id ?? ""'), 'sort-x-mean');
    // Arrow keys move the active cell; Enter opens that row's example at that column's run.
    await tabTo(table, 'the grid', 'a.id === "table-active-cell"');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    for (let k = 0; k < 8; k++) await page.keyboard.press('ArrowRight');
    const cell = table.locator('#table-active-cell');
    assert.equal(await table.evaluate<string>('document.activeElement?.id ?? ""'), 'table-active-cell', 'the focus follows the active cell');
    assert.equal(await cell.getAttribute('data-row'), '2');
    const rowIndex = (await table.locator('#sweep-table tbody tr[aria-rowindex]').nth(2).locator('td').first().innerText()).trim().replace(' ⚑', '');
    await page.keyboard.press('Enter');
    await waitFor('the example at that run', async () => {
      const f = await webviewFrame(page, 'Premem Example');
      return (await f.locator('h1 .index').innerText()) === rowIndex;
    });
  });
});
