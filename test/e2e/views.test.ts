/**
 * Every example at once, in a real VS Code: the data map of a run (a brushed rectangle flags
 * exactly the examples inside it; a region picked from the keyboard; Enter opens an example) and
 * the table of a sweep (its rows and cells are the CLI's; a click opens the right example at the
 * right run; a header sorts; the search filters). Expected figures come from `premem map --json`
 * and `premem table --json` on the same index. Screenshots go to test-results/screenshots/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Browser, Frame, Page } from 'playwright-core';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { KANG_SWEEP, skipUnless } from '../helpers/paths';
import { CODE_SERVER, fileDialog, premem, runCommand, shot, showPremem, startWorkbench, viewPane, VSIX, waitFor, webviewFrame, type Host, selectRun } from './harness';

const FAST_RUN = 'example_3epochs_lr2e-04';
const KANG_RUN = 'gsm8k_orig_3epochs_full_lr2e-05_bs128';
const kangSkip = skipUnless(KANG_SWEEP);
const SLOW_RUN = 'example_3epochs_lr1e-05';
const missing = !existsSync(CODE_SERVER)
  ? 'code-server is not installed: run test/e2e/setup-code-server.sh'
  : !existsSync(VSIX)
    ? 'no premem-lens.vsix: run npm run package'
    : false;

interface MapLine {
  index: number;
  confidence: number;
  variability: number;
  pre_memorization_accuracy: number | null;
  memorized: boolean;
  memorization_step: number | null;
  region: string;
  group: number;
}
interface TableJson {
  runs: { name: string; path: string; hyperparameters: Record<string, unknown> }[];
  rows: {
    index: number;
    copied_before_solved: number;
    mean_pre_memorization_accuracy: number | null;
    group: number;
    cells: Record<string, { pre_memorization_accuracy: number | null; memorization_step: number | null; train_accuracy: number | null }>;
  }[];
}

describe('the data map and the sweep table in a real VS Code', { skip: missing }, () => {
  let root: string;
  let ws: string;
  let db: string;
  let sweep: string;
  let host: Host;
  let browser: Browser;
  let page: Page;
  const cli = (...args: string[]) => premem(db, ...args);
  const mapLines = (run: string, ...extra: string[]) =>
    cli('map', run, '--json', ...extra)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as MapLine);
  const flagsOf = (run: string) => (JSON.parse(cli('flags', '--json')) as { run: string; index: number; note: string }[]).filter((f) => f.run === run);

  async function examplePanelShows(index: number, runName: string): Promise<Frame> {
    return waitFor(`the example panel on #${index} of ${runName}`, async () => {
      const f = await webviewFrame(page, 'Premem Example');
      const h1 = await f.locator('h1').innerText();
      return (await f.locator('h1 .index').innerText()) === `#${index}` && h1.includes(runName) ? f : undefined;
    });
  }

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'premem-views-'));
    ws = join(root, 'workspace');
    db = join(root, 'index.sqlite');
    sweep = writeExampleSweep(join(ws, 'example-sweep'));
    mkdirSync(join(ws, '.vscode'), { recursive: true });
    writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'premem.databasePath': db }));
    cli('index', sweep);
    // One run keeps a threshold of its own (before the editor starts): the table says so per run.
    cli('threshold', join(sweep, SLOW_RUN), '--loglog-threshold', '-2.0');
    ({ host, browser, page } = await startWorkbench(root, ws, 'Default Dark Modern', () => undefined));
    await showPremem(page);
  });

  afterEach(async (t) => {
    if (page) await shot(page, `views-after-${t.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
  });

  after(async () => {
    await browser?.close();
    await host?.stop();
    if (process.env['PREMEM_E2E_KEEP'] !== '1' && root) rmSync(root, { recursive: true, force: true });
  });

  test('data map: the CLI’s regions; a brushed rectangle flags exactly its examples; a region from the keyboard; Enter opens an example', async () => {
    const run = join(sweep, FAST_RUN);
    const lines = mapLines(run);
    await selectRun(page, FAST_RUN);
    await runCommand(page, 'Premem: Show Data Map');
    const map = await webviewFrame(page, 'Premem Data Map');
    await map.locator('#map-canvas').waitFor();
    // The regions table is the CLI's.
    const regions = await map.locator('#map-regions tbody tr').allInnerTexts();
    for (const name of ['easy-to-learn', 'ambiguous', 'hard-to-learn']) {
      const row = regions.find((r) => r.startsWith(name))!;
      assert.equal(row.split('\t')[1]!.trim(), String(lines.filter((l) => l.region === name).length), `${name} count`);
    }
    assert.match((await map.locator('#map-canvas').getAttribute('aria-label'))!, new RegExp(`^${lines.length} examples by confidence and variability`));
    await shot(page, 'views-data-map-dark');

    // Brush: drag over the upper left of the plot (easy to learn, and some beside it).
    const box = (await map.locator('canvas.overlay').boundingBox())!;
    await page.mouse.move(box.x + 60, box.y + 20);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.55, { steps: 5 });
    await page.mouse.up();
    await map.locator('#selection-table').waitFor();
    const bound = async (id: string) => Number(await map.locator(`#${id} input`).inputValue());
    const [c0, c1, v0, v1] = [await bound('brush-confidence-from'), await bound('brush-confidence-to'), await bound('brush-variability-from'), await bound('brush-variability-to')];
    const inside = lines.filter((l) => l.confidence >= c0 && l.confidence <= c1 && l.variability >= v0 && l.variability <= v1).map((l) => l.index);
    assert.ok(inside.length > 0 && inside.length < lines.length, `the rectangle holds some examples, not all (${inside.length})`);
    assert.match(await map.locator('h2', { hasText: 'Selection' }).innerText(), new RegExp(`^Selection: ${inside.length} examples`));
    await shot(page, 'views-data-map-brushed-dark');
    await map.getByRole('textbox', { name: 'Note for the flags' }).fill('brushed: easy');
    // Flags change no figure: the drawn map stays (its canvas is the same element after).
    await map.locator('#map-canvas').evaluate((c) => (c as unknown as { setAttribute(k: string, v: string): void }).setAttribute('data-drawn', 'before-flag'));
    await map.locator('#selection-flag').click();
    await waitFor('the flags written', async () => (await map.locator('#map-status').innerText()).startsWith(`Flagged ${inside.length} examples`));
    assert.equal(await map.locator('#map-canvas').getAttribute('data-drawn'), 'before-flag', 'the map was not redrawn for a flag');
    assert.match(await map.locator('.criterion').innerText(), /memorized \(outlined\) when reference perplexity below 1\.1055/);
    const flagged = flagsOf(run);
    assert.deepEqual(
      flagged.map((f) => f.index).sort((a, b) => a - b),
      inside,
    );
    assert.ok(flagged.every((f) => f.note === 'brushed: easy'));
    // Export the same selection through the save dialog: one line per example, as premem export writes.
    await map.locator('#selection-export').click();
    const out = join(root, 'brushed.jsonl');
    await fileDialog(page, out);
    await waitFor('the export written', () => existsSync(out));
    const exported = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { index: number; question: string; premem: { run: string; flagged: boolean; note: string | null; pre_memorization_accuracy: number | null } });
    assert.deepEqual(
      exported.map((e) => e.index),
      inside,
    );
    const byIndex = new Map(lines.map((l) => [l.index, l]));
    for (const e of exported) {
      assert.equal(e.premem.run, FAST_RUN);
      assert.equal(e.premem.note, 'brushed: easy');
      assert.equal(e.premem.pre_memorization_accuracy, byIndex.get(e.index)!.pre_memorization_accuracy);
      assert.equal(typeof e.question, 'string', 'the dataset record itself is exported');
    }
    await waitFor('the export announced', async () => (await map.locator('#map-status').innerText()).startsWith(`Wrote ${inside.length} examples`));

    // The keyboard's way: a region's button, then Enter on a row of the selection.
    await map.locator('#map-select-ambiguous').focus();
    await page.keyboard.press('Enter');
    const ambiguous = mapLines(run, '--region', 'ambiguous');
    await waitFor('the ambiguous region selected', async () =>
      (await map.locator('h2', { hasText: 'Selection' }).innerText()).startsWith(`Selection: ${ambiguous.length} examples in the ambiguous region`),
    );
    const first = ambiguous[0]!.index;
    await map.locator(`#selection-row-${first}`).focus();
    await page.keyboard.press('Enter');
    await examplePanelShows(first, FAST_RUN);
  });

  test('sweep table: the CLI’s rows and cells, a click opens the example at that run, sorting and searching', async () => {
    const table = JSON.parse(cli('table', sweep, '--json')) as TableJson;
    await runCommand(page, 'Premem: Show Sweep Table');
    const frame = await webviewFrame(page, 'Premem Sweep Table');
    await frame.locator('#sweep-table tbody tr[aria-rowindex]').first().waitFor();
    assert.match(await frame.locator('#table-count').innerText(), new RegExp(`^${table.rows.length} of ${table.rows.length} rows`));
    // The header carries the runs' hyperparameters (from their run.json): the learning rates.
    const head = await frame.locator('#sweep-table thead').innerText();
    for (const r of table.runs) assert.ok(head.includes(String(r.hyperparameters['learning_rate'])), `${r.name}'s learning rate in the header`);
    assert.match(head, /memorized at/);
    assert.ok(head.includes('ln ln -2.00') || head.includes('ln ln −2.00'), 'the slow run’s own threshold in the header');
    // Default order: copied before solved in the most runs, then the lowest mean, then the index.
    const expected = [...table.rows].sort(
      (a, b) =>
        b.copied_before_solved - a.copied_before_solved || (a.mean_pre_memorization_accuracy ?? Infinity) - (b.mean_pre_memorization_accuracy ?? Infinity) || a.index - b.index,
    );
    const shownRows = async () =>
      await frame
        .locator('#sweep-table tbody tr[aria-rowindex]')
        .evaluateAll((rows) => rows.map((r) => (r as unknown as { innerText: string }).innerText.split('\t').map((c) => c.trim())));
    let rows = await shownRows();
    assert.ok(rows.length >= 10, 'the rows in view are drawn');
    rows.slice(0, 10).forEach((r, i) => {
      const e = expected[i]!;
      assert.equal(r[0]!.replace(' ⚑', ''), `#${e.index}`, `row ${i}`);
      assert.equal(r[2], String(e.copied_before_solved));
      // Runs in name order, three cells each: pre-mem, memorized at, train.
      table.runs.forEach((run, j) => {
        const cell = e.cells[run.name]!;
        assert.equal(r[4 + 3 * j], cell.pre_memorization_accuracy === null ? '–' : cell.pre_memorization_accuracy.toFixed(2), `#${e.index} ${run.name} pre-mem`);
        assert.equal(r[5 + 3 * j], cell.memorization_step === null ? '·' : String(cell.memorization_step), `#${e.index} ${run.name} step`);
      });
    });
    await shot(page, 'views-sweep-table-dark');

    // A click on the third row's cell of the slow run opens that example at that run.
    const slow = table.runs.findIndex((r) => r.name === SLOW_RUN);
    const target = expected[2]!;
    await frame.locator(`#sweep-table tbody tr[aria-rowindex] >> nth=2 >> td >> nth=${4 + 3 * slow}`).click();
    await examplePanelShows(target.index, SLOW_RUN);

    // Sorting by the fast run's pre-memorization accuracy (ascending): the CLI's values in order.
    const fast = table.runs.findIndex((r) => r.name === FAST_RUN);
    // A first click sorts a run's column ascending (lowest first), a second descending.
    await frame.locator(`#sort-${fast}-premem`).click();
    await waitFor('sorted ascending', async () => (await frame.locator(`th:has(#sort-${fast}-premem)`).getAttribute('aria-sort')) === 'ascending');
    const values = table.rows.flatMap((r) => (r.cells[FAST_RUN]!.pre_memorization_accuracy === null ? [] : [r.cells[FAST_RUN]!.pre_memorization_accuracy]));
    rows = await shownRows();
    [...values]
      .sort((a, b) => a - b)
      .slice(0, 8)
      .forEach((v, i) => assert.equal(rows[i]![4 + 3 * fast], v.toFixed(2), `ascending row ${i}`));
    await frame.locator(`#sort-${fast}-premem`).click();
    await waitFor('sorted descending', async () => (await frame.locator(`th:has(#sort-${fast}-premem)`).getAttribute('aria-sort')) === 'descending');
    rows = await shownRows();
    [...values]
      .sort((a, b) => b - a)
      .slice(0, 8)
      .forEach((v, i) => assert.equal(rows[i]![4 + 3 * fast], v.toFixed(2), `descending row ${i}`));

    // The search filters by question text: as many rows as questions hold the word.
    const questions = readFileSync(join(sweep, 'train.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { question: string }).question);
    const word = 'change';
    await frame.getByRole('textbox', { name: 'Search the questions' }).fill(word);
    await frame.getByRole('textbox', { name: 'Search the questions' }).press('Enter');
    const count = questions.filter((q) => q.toLowerCase().includes(word)).length;
    await waitFor('the search applied', async () => (await frame.locator('#table-count').innerText()).startsWith(`${count} of ${table.rows.length} rows`));
    await shot(page, 'views-sweep-table-search-dark');
  });

  test('data map of the authors’ 3-epoch GSM8K run: 7,473 examples, the CLI’s regions (the README’s picture)', { skip: kangSkip }, async () => {
    const run = join(KANG_SWEEP, KANG_RUN);
    cli('index', KANG_SWEEP);
    writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'premem.databasePath': db, 'premem.runs': [KANG_SWEEP] }));
    await waitFor('the authors’ runs in the Runs view', async () => (await viewPane(page, 'Runs').innerText()).includes('gsm8k'), 120_000);
    await selectRun(page, KANG_RUN);
    // The map alone in the editor area, as the README shows it.
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'Premem: Show Data Map');
    const map = await waitFor('the data map of the authors’ run', async () => {
      const f = await webviewFrame(page, 'Premem Data Map');
      return (await f.locator('h1').innerText()).includes(KANG_RUN) ? f : undefined;
    });
    const lines = mapLines(run);
    assert.equal(lines.length, 7473);
    const regions = await map.locator('#map-regions tbody tr').allInnerTexts();
    for (const name of ['easy-to-learn', 'ambiguous', 'hard-to-learn'])
      assert.equal(
        regions
          .find((r) => r.startsWith(name))!
          .split('\t')[1]!
          .trim(),
        lines.filter((l) => l.region === name).length.toLocaleString('en-US'),
      );
    await map.locator('#map-select-hard-to-learn').click();
    await map.locator('#selection-table').waitFor();
    await shot(page, 'views-data-map-kang-dark');
  });
});
