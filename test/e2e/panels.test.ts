/**
 * The two webview panels, end to end in a real VS Code (code-server) driven by Chromium: the
 * example panel (samples aligned step by step against the reference) and the dashboard (the
 * paper's figure). Expected figures come from the `premem` CLI on the same index. A run whose
 * texts are hostile checks that nothing in a sample or question can execute. Screenshots in
 * the dark and the light theme go to test-results/screenshots/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Browser, Frame, Page } from 'playwright-core';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { KANG_SWEEP, skipUnless, TINYGSM } from '../helpers/paths';
import {
  answer,
  CODE_SERVER,
  fileDialog,
  firstOpenBreakdown,
  runCommand,
  shot,
  startWorkbench,
  showPremem,
  viewPane,
  VSIX,
  premem,
  waitFor,
  webviewFrame,
  type Host,
  selectRun,
} from './harness';

// Browser globals, for the functions that run inside a panel through frame.evaluate. The
// test project has no DOM library (so src/ cannot use one by accident); these stay local.
// Typed as narrowly as they are used, so a typo in a test fails to compile like anything else.
interface PageNode {
  readonly textContent: string | null;
  readonly style: { getPropertyValue(name: string): string };
  querySelector(selector: string): PageNode | null;
  querySelectorAll(selector: string): PageNode[];
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { x: number; y: number; width: number; height: number };
  scrollIntoView(options?: { block?: string }): void;
}
declare const document: Pick<PageNode, 'querySelector' | 'querySelectorAll'> & {
  readonly body: PageNode;
  readonly documentElement: { readonly scrollWidth: number; readonly clientWidth: number };
  getElementById(id: string): PageNode | null;
};
declare const window: { scrollTo(x: number, y: number): void; readonly __pwned?: string };
declare function getComputedStyle(element: PageNode): { display: string };
/** The rows Playwright hands evaluateAll, as the DOM nodes they are. */
const cellTexts = (rows: unknown): string[][] => (rows as PageNode[]).map((r) => [...r.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim()));

const FAST_RUN = 'example_3epochs_lr2e-04';
const KANG_RUN = 'gsm8k_orig_3epochs_full_lr2e-05_bs128';
const TINY_RUN = 'tinygsm_8epochs_full_lr0.001_bs8';
/** A tinygsm question whose samples reason in their own words early and copy the reference late. */
const TINY_EXAMPLE = 20;
const HOSTILE_RUN = 'hostile_1epochs_run';
// Tests on ../shared skip, each saying why, where it is absent (CI requires it: PREMEM_REQUIRE_SHARED).
const kangSkip = skipUnless(KANG_SWEEP);
const tinySkip = skipUnless(TINYGSM);
const hasKang = kangSkip === false;
const hasTiny = tinySkip === false;
const missing = !existsSync(CODE_SERVER)
  ? 'code-server is not installed: run test/e2e/setup-code-server.sh'
  : !existsSync(VSIX)
    ? 'no premem-lens.vsix: run npm run package'
    : false;

/** Strings that would run code, load something or break the page if they were ever parsed as HTML. */
const HOSTILE = {
  question:
    'What is 2+2? \u202Edesrever <script>window.__pwned = "script"</script><img src=x onerror="window.__pwned = \'img\'"> <a href="javascript:window.__pwned=\'link\'">click</a>',
  answer: 'Add them: 2+2 = <<2+2=4>>4 </style><style>body{display:none}</style>\nSo the answer is 4 <iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>\n#### 4',
  samples: [
    '<img src=x onerror="window.__pwned = \'sample\'">2+2 = 4\n#### 4',
    'Bell \u0007 and escape \u001b[31m red\n' + 'x'.repeat(20_000) + '\n#### 5',
    '{{constructor.constructor("window.__pwned=\'template\'")()}}\n<svg onload="window.__pwned=\'svg\'"></svg>\n#### 4',
  ],
};

/** A one-checkpoint run in the native JSONL layout whose texts are all hostile. */
function writeHostileRun(dir: string): string {
  const run = join(dir, HOSTILE_RUN);
  mkdirSync(join(run, 'checkpoint-1'), { recursive: true });
  writeFileSync(join(dir, 'train.jsonl'), JSON.stringify({ question: HOSTILE.question, answer: HOSTILE.answer }) + '\n');
  writeFileSync(join(run, 'checkpoint-1', 'train_samples_t1.jsonl'), JSON.stringify({ index: 0, correct: [true, false, true], samples: HOSTILE.samples }) + '\n');
  writeFileSync(join(run, 'checkpoint-1', 'train_references.jsonl'), JSON.stringify({ index: 0, perplexity: 1.5, num_tokens: 20 }) + '\n');
  return dir;
}

interface ExampleLine {
  index: number;
  train_accuracy: (number | null)[];
  perplexity: (number | null)[];
  memorization_step: number | null;
  pre_memorization_accuracy: (number | null)[];
}
interface ReportJson {
  runs: { name: string; path: string; checkpoints: { step: number; train_accuracy: number; test_accuracy: number | null }[] }[];
  fit: { points: number; r2: number };
}

const f4 = (x: number | null) => (x === null ? '–' : x.toFixed(4));

/** R² of the least-squares line, written out here rather than taken from the engine. */
function r2(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  return (sxy * sxy) / (sxx * syy);
}

describe('Premem Lens panels in a real VS Code', { skip: missing }, () => {
  let root: string;
  let ws: string;
  let db: string;
  let sweep: string;
  let host: Host;
  let browser: Browser;
  let page: Page;
  const serverLog: string[] = [];
  const dialogs: string[] = [];
  const cspViolations: string[] = [];
  const timings: string[] = [];

  const cli = (...args: string[]) => premem(db, ...args);
  const exampleLine = (run: string, index: number, ...extra: string[]) =>
    cli('examples', run, '--json', ...extra)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ExampleLine)
      .find((e) => e.index === index)!;
  const writeWorkspaceSettings = (extra: Record<string, unknown>) =>
    writeFileSync(
      join(ws, '.vscode', 'settings.json'),
      JSON.stringify({ 'premem.runs': [...(hasKang ? [KANG_SWEEP] : []), ...(hasTiny ? [TINYGSM] : [])], 'premem.databasePath': db, ...extra }),
    );
  const text = async (frame: Frame, selector: string) => (await frame.locator(selector).first().innerText()).trim();

  /** Opens the example panel for an index of the selected run; returns the panel and the time it took. */
  async function openExample(index: number): Promise<{ frame: Frame; ms: number; t0: number }> {
    await runCommand(page, 'Premem: Open Example Panel');
    const t0 = Date.now();
    await answer(page, String(index));
    const frame = await waitFor(
      'the example panel of the asked index',
      async () => {
        const f = await webviewFrame(page, 'Premem Example');
        return (await f.locator('h1 .index').innerText()) === `#${index}` && (await f.locator('#samples[data-step]:not([aria-busy])').count()) > 0 ? f : undefined;
      },
      60_000,
      20,
    );
    return { frame, ms: Date.now() - t0, t0 };
  }

  /** Picks a checkpoint in the panel's toolkit dropdown and waits until its samples are shown. */
  async function chooseCheckpoint(frame: Frame, step: number): Promise<number> {
    await frame.locator('#checkpoint').click();
    const t0 = Date.now();
    await frame.locator(`#checkpoint vscode-option[value="${step}"]`).click();
    await frame.locator(`#samples[data-step="${step}"]:not([aria-busy])`).waitFor({ timeout: 30_000 });
    return Date.now() - t0;
  }

  async function timelineRows(frame: Frame): Promise<string[][]> {
    return frame.locator('#timeline-table tbody tr').evaluateAll(cellTexts);
  }

  async function checkExampleNumbers(frame: Frame, runPath: string, index: number): Promise<void> {
    const expected = exampleLine(runPath, index);
    assert.equal(await text(frame, '#premem'), f4(expected.pre_memorization_accuracy.at(-1)!));
    assert.equal(await text(frame, '#memorization-step'), expected.memorization_step === null ? 'never' : `step ${expected.memorization_step}`);
    const rows = await timelineRows(frame);
    assert.equal(rows.length, expected.train_accuracy.length);
    rows.forEach((r, j) => {
      assert.equal(r[1], f4(expected.train_accuracy[j]!), `accuracy at checkpoint ${j}`);
      assert.equal(r[2], f4(expected.perplexity[j]!), `perplexity at checkpoint ${j}`);
      assert.equal(r[5], f4(expected.pre_memorization_accuracy[j]!), `pre-mem accuracy at checkpoint ${j}`);
    });
  }

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'premem-panels-'));
    ws = join(root, 'workspace');
    db = join(root, 'index.sqlite');
    sweep = writeExampleSweep(join(ws, 'example-sweep'));
    writeHostileRun(join(ws, 'hostile-sweep'));
    mkdirSync(join(ws, '.vscode'), { recursive: true });
    writeWorkspaceSettings({});
    ({ host, browser, page } = await startWorkbench(root, ws, 'Default Dark Modern', (s) => serverLog.push(s)));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('console', (m) => {
      if (/Content[- ]Security[- ]Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    await showPremem(page);
    // Everything configured is indexed (by the extension or, if it is not there yet, by the CLI)
    // before the first test looks at it.
    for (const folder of [sweep, join(ws, 'hostile-sweep'), ...(hasKang ? [KANG_SWEEP] : []), ...(hasTiny ? [TINYGSM] : [])]) cli('index', folder);
  });

  afterEach(async (t) => {
    if (page) await shot(page, `panels-after-${t.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
  });

  after(async () => {
    if (timings.length) console.log(timings.map((t) => `# e2e timing: ${t}`).join('\n'));
    await browser?.close();
    await host?.stop();
    if (process.env['PREMEM_E2E_KEEP'] !== '1') rmSync(root, { recursive: true, force: true });
  });

  test('example panel on the example run: the engine’s numbers, aligned samples, the diff editor', async () => {
    const runPath = join(sweep, FAST_RUN);
    const index = (JSON.parse(cli('examples', runPath, '--json', '--sort', 'premem', '--limit', '1').trim()) as { index: number }).index;
    await selectRun(page, FAST_RUN);
    const { frame } = await openExample(index);
    await checkExampleNumbers(frame, runPath, index);
    // The reference is split into its reasoning steps, without the final-answer line.
    const reference = (JSON.parse(readFileSync(join(sweep, 'train.jsonl'), 'utf8').split('\n')[index]!) as { answer: string }).answer;
    assert.equal(await frame.locator('#reference-steps li').count(), reference.split('\n').filter((l) => !l.startsWith('####')).length);
    assert.ok((await frame.locator('.sample').count()) > 0, 'samples are shown');
    // Every reference cell of the aligned rows is a reference step, to the space
    // (a word diff used to drop one beside calculator notes: "25pages.").
    const steps = new Set(await frame.locator('#reference-steps li').allInnerTexts());
    const cells = await frame.locator('.aligned .step:nth-child(3)').allInnerTexts();
    const shown = cells.map((c) => c.trim()).filter((c) => c !== '');
    assert.ok(shown.length > 0);
    for (const c of shown) assert.ok(steps.has(c), `reference cell "${c}" is a reference step`);
    // Terms are explained where they are used.
    assert.ok((await frame.locator('.aligned .kind[title]').count()) > 0, 'step kinds carry their meaning');
    assert.match(await frame.locator('#terms').innerText(), /What these mean/);
    await shot(page, 'panel-example-run-dark');
    // "Open in Diff Editor" opens VS Code's own diff editor on read-only documents from the index.
    await frame.locator('.sample vscode-button', { hasText: 'Open in Diff Editor' }).first().click();
    const tab = page.locator('.tab', { hasText: 'reference ↔' }).first();
    await tab.waitFor({ timeout: 30_000 });
    await page.locator('.monaco-diff-editor').first().waitFor({ timeout: 30_000 });
    await shot(page, 'panel-example-diff-editor');
    await tab.locator('.codicon-close').click();
  });

  test('example panel on tinygsm: early samples reason in their own words, late ones copy the reference', { skip: tinySkip }, async () => {
    await selectRun(page, TINY_RUN);
    const { frame, ms: openMs, t0: opened } = await openExample(TINY_EXAMPLE);
    const breakdown = await firstOpenBreakdown(frame, opened);
    await checkExampleNumbers(frame, TINYGSM.endsWith(TINY_RUN) ? TINYGSM : join(TINYGSM, TINY_RUN), TINY_EXAMPLE);
    const copied = async () => frame.locator('.aligned.copied').count();
    const own = async () => frame.locator('.aligned.own').count();
    const earlyMs = await chooseCheckpoint(frame, 50);
    const [copiedEarly, ownEarly] = [await copied(), await own()];
    await frame.evaluate(() => document.querySelector('.section-title')?.scrollIntoView({ block: 'start' }));
    await page.waitForTimeout(300);
    await shot(page, 'panel-example-tinygsm-step50-samples-dark');
    await frame.evaluate(() => window.scrollTo(0, 0));
    const lateMs = await chooseCheckpoint(frame, 400);
    const [copiedLate, ownLate] = [await copied(), await own()];
    await shot(page, 'panel-example-tinygsm-step400-dark');
    await frame.evaluate(() => document.querySelector('.section-title')?.scrollIntoView({ block: 'start' }));
    await page.waitForTimeout(300);
    await shot(page, 'panel-example-tinygsm-step400-samples-dark');
    assert.ok(copiedLate > copiedEarly, `more copied steps late (${copiedLate}) than early (${copiedEarly})`);
    assert.ok(ownEarly > ownLate, `more own steps early (${ownEarly}) than late (${ownLate})`);
    timings.push(`tinygsm example panel (4 samples): open ${openMs} ms; switch checkpoint ${earlyMs} ms and ${lateMs} ms`);
    timings.push(`tinygsm example panel, first open: ${breakdown}`);
  });

  test('untrusted text: hostile questions and samples are shown literally and nothing runs', async () => {
    await selectRun(page, HOSTILE_RUN);
    // An index the run does not analyse: the box says so, with the run's range, and stays open.
    await runCommand(page, 'Premem: Open Example Panel');
    const box = page.locator('.quick-input-widget input');
    await box.waitFor({ state: 'visible' });
    await box.fill('99999');
    const message = page.locator('.quick-input-widget .quick-input-message');
    await waitFor(
      'the index box’s message',
      async () => /No example #99999 in .+: it analyses \d+ examples?, indices \d+–\d+/.test(await message.innerText()) || undefined,
      10_000,
      50,
    );
    await page.keyboard.press('Escape');
    const { frame } = await openExample(0);
    await frame.locator('.sample').nth(2).waitFor();
    const probe = await frame.evaluate(() => {
      return {
        pwned: window.__pwned ?? null,
        scripts: document.querySelectorAll('#app script').length,
        // Style elements are allowed only as the first child of a chart's svg (Plot's own).
        injected: document.querySelectorAll('#app img, #app a, #app iframe, #app [onload], #app [onerror], #app :not(svg) > style').length,
        bodyVisible: getComputedStyle(document.body).display !== 'none',
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        text: document.getElementById('app')!.textContent ?? '',
      };
    });
    assert.equal(probe.pwned, null, 'no injected handler ran');
    assert.equal(probe.scripts, 0, 'no script element came from untrusted text');
    assert.equal(probe.injected, 0, 'no element was created from untrusted text');
    assert.ok(probe.bodyVisible, 'an injected </style> did not restyle the page');
    assert.ok(probe.overflow <= 1, `a 20,000-character line does not widen the page (overflow ${probe.overflow}px)`);
    for (const literal of [
      '<script>window.__pwned = "script"</script>',
      '<img src=x onerror="window.__pwned = \'sample\'">',
      '</style><style>body{display:none}</style>',
      '{{constructor.constructor(',
    ]) {
      assert.ok(probe.text.includes(literal), `shown literally: ${literal}`);
    }
    assert.ok(probe.text.includes('Bell \u2407 and escape \u241b[31m'), 'control characters are shown as visible symbols');
    assert.ok(probe.text.includes('<U+202E>desrever'), 'a right-to-left override is shown, not obeyed');
    assert.ok(!probe.text.includes('\u202E'), 'and not in the page as the character itself');
    // The 20,000-character line is folded, with a button that shows it whole.
    const toggle = frame.locator('.fold-toggle', { hasText: /Show all 20,0\d\d characters/ }).first();
    await toggle.waitFor();
    const foldedHeight = (await frame.locator('.sample').nth(1).boundingBox())!.height;
    await toggle.click();
    await frame.locator('.fold-toggle', { hasText: 'Fold' }).first().waitFor();
    const openHeight = (await frame.locator('.sample').nth(1).boundingBox())!.height;
    assert.ok(openHeight > foldedHeight * 2, `unfolded ${openHeight}px vs folded ${foldedHeight}px`);
    await frame.locator('.fold-toggle', { hasText: 'Fold' }).first().click();
    assert.deepEqual(dialogs, [], 'no dialog opened');
    await shot(page, 'panel-example-untrusted');
  });

  test('dashboard on the real GSM8K sweep: the paper’s figure, a live threshold, point selection, export', { skip: kangSkip }, async () => {
    await selectRun(page, KANG_RUN);
    const expected = JSON.parse(cli('report', KANG_SWEEP, '--json')) as ReportJson;
    const t0 = Date.now();
    await runCommand(page, 'Premem: Show Dashboard');
    const frame = await webviewFrame(page, 'Premem Dashboard');
    const premFit = () => text(frame, '[data-fit="premem-vs-test"]');
    await waitFor('the sweep fit', async () => (await premFit()).startsWith(`R² ${expected.fit.r2.toFixed(4)} · ${expected.fit.points} checkpoints`));
    const openMs = Date.now() - t0;
    timings.push(`dashboard, 13-run GSM8K sweep, first open: ${await firstOpenBreakdown(frame, t0)}`);
    assert.match(await premFit(), /^R² 0\.939/, 'the paper’s R² ≈ 0.94 at ln ln −2.3');
    // The contrast chart: plain train accuracy, its R² computed here from the CLI's report.
    const pts = expected.runs.flatMap((r) => r.checkpoints.filter((c) => c.test_accuracy !== null).map((c) => [c.train_accuracy, c.test_accuracy!] as const));
    assert.ok(
      (await text(frame, '[data-fit="train-vs-test"]')).startsWith(
        `R² ${r2(
          pts.map((p) => p[0]),
          pts.map((p) => p[1]),
        ).toFixed(4)}`,
      ),
    );
    assert.equal(await frame.locator('[data-chart="premem-vs-test"] g[aria-label="dot"]').first().locator('path, circle').count(), expected.fit.points);
    await page.waitForTimeout(300);
    await shot(page, 'panel-dashboard-gsm8k-dark');

    // A threshold tried in the panel recomputes every figure from the index.
    const at25 = JSON.parse(cli('report', KANG_SWEEP, '--json', '--loglog-threshold', '-2.5')) as ReportJson;
    await frame.locator('#threshold input').fill('-2.5');
    const t1 = Date.now();
    await frame.locator('#apply-threshold').click();
    await waitFor('the fit at -2.5', async () => (await premFit()).startsWith(`R² ${at25.fit.r2.toFixed(4)}`), 30_000, 10);
    const recomputeMs = Date.now() - t1;
    const hostMs = /computed in (\d+) ms/.exec(await text(frame, '#render-time'))?.[1];
    await frame.locator('#reset-threshold').click();
    await waitFor('the fit back at -2.3', async () => (await premFit()).startsWith(`R² ${expected.fit.r2.toFixed(4)}`));

    // Clicking a point selects that run and checkpoint, in the panel and in the Examples view.
    const other = expected.runs.find((r) => r.name !== KANG_RUN && r.checkpoints.some((c) => c.test_accuracy !== null))!;
    const chart = frame.locator('[data-chart="premem-vs-test"] svg');
    const box = await chart.boundingBox();
    const target = await frame.evaluate(
      ({ name }) => {
        // Plot draws one path per dot; its title-less position is read back from the transform.
        const svg = document.querySelector('[data-chart="premem-vs-test"] svg')!;
        const dots = [...svg.querySelectorAll('g[aria-label="dot"]')[0]!.querySelectorAll('path, circle')];
        const legendIndex = [...document.querySelectorAll('.legend-item')].findIndex((l) => l.textContent?.endsWith(name));
        const stroke = document.querySelectorAll('.legend-item .glyph')[legendIndex]!.style.getPropertyValue('--swatch');
        const dot = dots.find((d) => d.getAttribute('stroke') === stroke) ?? dots[0]!;
        const r = dot.getBoundingClientRect();
        const s = svg.getBoundingClientRect();
        return { x: r.x + r.width / 2 - s.x, y: r.y + r.height / 2 - s.y };
      },
      { name: other.name },
    );
    assert.ok(box);
    await chart.click({ position: target });
    const picked = await waitFor('a selected checkpoint', async () =>
      (await frame.locator('#run-table tr.selected').count()) === 1 ? text(frame, '#run-table tr.selected td') : undefined,
    );
    const selectedRun = await waitFor('the selected run', async () => /^Run (.+)$/.exec(await text(frame, 'section:has(#run-table) h2'))?.[1]);
    assert.ok(
      expected.runs.find((r) => r.name === selectedRun)!.checkpoints.some((c) => String(c.step) === picked),
      `step ${picked} is a checkpoint of ${selectedRun}`,
    );
    await waitFor('the Examples view follows', async () => (await viewPane(page, 'Examples').locator('.pane-header').innerText()).includes(selectedRun));
    await shot(page, 'panel-dashboard-point-selected-dark');
    // The distribution of the metric for the selected run: how many examples tie at 0, as the CLI counts them.
    const selectedPath = expected.runs.find((r) => r.name === selectedRun)!.path;
    const finals = cli('examples', selectedPath, '--json')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { pre_memorization_accuracy: (number | null)[] }).pre_memorization_accuracy.at(-1));
    const atZero = finals.filter((x) => x === 0).length;
    await waitFor('the histogram of the selected run', async () => (await text(frame, '#histogram-note')).startsWith(`${atZero} of ${finals.length} examples are at exactly 0`));
    assert.equal(await frame.locator('[data-chart="premem-histogram"] svg').count(), 1);
    await frame.locator('[data-chart="premem-histogram"]').scrollIntoViewIfNeeded();
    await shot(page, 'panel-dashboard-histogram-dark');

    // Export: the same chart as SVG and as PNG, through VS Code's save dialog.
    const svgOut = join(root, 'premem-vs-test.svg');
    await frame.locator('[data-chart="premem-vs-test"] vscode-button', { hasText: 'SVG' }).click();
    await fileDialog(page, svgOut);
    await waitFor('the SVG file', () => existsSync(svgOut));
    const svg = readFileSync(svgOut, 'utf8');
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.ok((svg.match(/<path/g) ?? []).length >= expected.fit.points);
    const pngOut = join(root, 'premem-vs-test.png');
    await frame.locator('[data-chart="premem-vs-test"] vscode-button', { hasText: 'PNG' }).click();
    await fileDialog(page, pngOut);
    await waitFor('the PNG file', () => existsSync(pngOut) && readFileSync(pngOut).length > 1000);
    assert.deepEqual([...readFileSync(pngOut).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    // Calibration: leave-one-run-out over the threshold grid, as `premem calibrate` does.
    const cal = JSON.parse(cli('calibrate', KANG_SWEEP, '--json')) as { best: { threshold: number; heldOutRmse: number }; reference: { threshold: number; heldOutRmse: number } };
    const t2 = Date.now();
    await frame.locator('#calibrate').click();
    const verdict = await waitFor(
      'the calibration verdict',
      async () => ((await frame.locator('#calibration-verdict').count()) > 0 ? text(frame, '#calibration-verdict') : undefined),
      60_000,
      20,
    );
    const calibrateMs = Date.now() - t2;
    const pct2 = (x: number) => `${(100 * x).toFixed(2)}%`;
    assert.ok(
      verdict.startsWith(
        `Cross-validated choice: ln ln ${cal.best.threshold} (held-out RMSE ${pct2(cal.best.heldOutRmse)}); the paper’s hand-picked ${cal.reference.threshold}: ${pct2(cal.reference.heldOutRmse)}.`,
      ),
      verdict,
    );
    await frame.locator('[data-chart="calibration"] svg').waitFor();
    await frame.locator('#calibration').scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    await shot(page, 'panel-dashboard-calibration-dark');
    await frame.locator('#try-best').click();
    await waitFor('the fit at the calibrated threshold', async () => (await premFit()).startsWith(`R² ${at25.fit.r2.toFixed(4)}`));
    await frame.locator('#reset-threshold').click();
    await waitFor('the fit back at -2.3 again', async () => (await premFit()).startsWith(`R² ${expected.fit.r2.toFixed(4)}`));
    timings.push(
      `dashboard, 13-run GSM8K sweep: open ${openMs} ms; threshold change -> new figure ${recomputeMs} ms (host compute ${hostMs} ms); calibration over 36 thresholds ${calibrateMs} ms`,
    );
  });

  test('Does it hold? on the GSM8K sweep: the CLI’s sensitivity, baselines and early rows; a click on the curve tries that threshold', { skip: kangSkip }, async () => {
    await selectRun(page, KANG_RUN);
    interface Quality {
      r2: number | null;
      loo_rmse: number | null;
    }
    const report = JSON.parse(cli('report', KANG_SWEEP, '--json')) as ReportJson & {
      sensitivity: (Quality & { threshold: number; points: number })[];
      predictors: (Quality & { name: string })[];
      early: { checkpoints: number; pre_memorization_accuracy: Quality; train_accuracy: Quality }[];
    };
    await runCommand(page, 'Premem: Show Dashboard');
    const frame = await webviewFrame(page, 'Premem Dashboard');
    const summary = await waitFor('the Does it hold? summary', async () => ((await frame.locator('#holds-summary').count()) > 0 ? text(frame, '#holds-summary') : undefined));
    const at = (t: number) => report.sensitivity.find((r) => r.threshold === t)!;
    const best = report.sensitivity.reduce((b, r) => (r.r2! > b.r2! ? r : b));
    const near = report.sensitivity.filter((r) => Math.abs(r.threshold + 2.3) <= 0.3 + 1e-9).map((r) => r.r2!);
    assert.ok(
      summary.startsWith(
        `R² ${f4(at(-2.3).r2)} at the threshold in force (ln ln -2.30); ${f4(Math.min(...near))} to ${f4(Math.max(...near))} within ±0.3 of it; best ${f4(best.r2)} at -2.5.`,
      ),
      summary,
    );
    const p = Object.fromEntries(report.predictors.map((x) => [x.name, x]));
    assert.match(
      summary,
      new RegExp(
        `Held-out error \\(leave one run out\\): ${f4(p['pre_memorization_accuracy']!.loo_rmse)} from pre-memorization accuracy against ${f4(p['train_accuracy']!.loo_rmse)} from train accuracy`,
      ),
    );
    // The baselines side by side, each row the CLI's.
    for (const x of report.predictors) {
      const cells = await frame.locator(`#holds-baselines tr[data-predictor="${x.name}"] td`).allInnerTexts();
      assert.deepEqual(cells.slice(1), [f4(x.r2), f4(x.loo_rmse)], x.name);
    }
    await frame.locator('[data-chart="holds-threshold"] svg').waitFor();
    await frame.evaluate(() => document.querySelector('section:has(#holds-summary)')!.scrollIntoView({ block: 'start' }));
    await page.waitForTimeout(300);
    await shot(page, 'panel-dashboard-does-it-hold-dark');
    // Every threshold, and the early rows, as tables (the charts' text alternative).
    await frame.locator('details:has(#holds-sensitivity) summary').click();
    const cellsOf = async (selector: string) => (await frame.locator(selector).allInnerTexts()).map((row) => row.split('\t').map((c) => c.trim()));
    const rows = await cellsOf('#holds-sensitivity tbody tr');
    assert.deepEqual(
      rows,
      report.sensitivity.map((r) => [r.threshold.toFixed(1), f4(r.r2), f4(r.loo_rmse), String(r.points)]),
    );
    assert.equal(await frame.locator('#holds-sensitivity tr.selected td').first().innerText(), '-2.3');
    await frame.locator('details:has(#holds-early-table) summary').click();
    const early = await cellsOf('#holds-early-table tbody tr');
    assert.deepEqual(
      early,
      report.early.map((e) => [
        String(e.checkpoints),
        f4(e.pre_memorization_accuracy.r2),
        f4(e.pre_memorization_accuracy.loo_rmse),
        f4(e.train_accuracy.r2),
        f4(e.train_accuracy.loo_rmse),
      ]),
    );
    assert.equal(await frame.locator('[data-chart="holds-early"] svg').count(), 1);
    const chart = frame.locator('[data-chart="holds-threshold"] svg');
    await chart.scrollIntoViewIfNeeded();

    // A click on the curve at −2.5 tries that threshold: the sweep's fit is the CLI's at −2.5.
    const at25 = JSON.parse(cli('report', KANG_SWEEP, '--json', '--loglog-threshold', '-2.5')) as ReportJson;
    const target = await frame.evaluate(() => {
      const svg = document.querySelector('[data-chart="holds-threshold"] svg')!;
      const dots = [...svg.querySelectorAll('g[aria-label="dot"] circle, g[aria-label="dot"] path')].map((d) => d.getBoundingClientRect());
      // 41 thresholds from −4.0: the 16th distinct x from the left is −2.5.
      const xs = [...new Set(dots.map((r) => Math.round(r.x + r.width / 2)))].sort((a, b) => a - b);
      const s = svg.getBoundingClientRect();
      return { count: xs.length, x: xs[15]! - s.x, y: s.height / 2 };
    });
    assert.equal(target.count, 41, 'one x per threshold');
    await chart.click({ position: { x: target.x, y: target.y } });
    await waitFor('the fit at −2.5 from the curve', async () => (await text(frame, '[data-fit="premem-vs-test"]')).startsWith(`R² ${at25.fit.r2.toFixed(4)}`));
    await waitFor('the summary at −2.5', async () => (await text(frame, '#holds-summary')).startsWith(`R² ${f4(at(-2.5).r2)} at the threshold in force (ln ln -2.50)`));
    await frame.locator('#reset-threshold').click();
    await waitFor('back at −2.3', async () => (await text(frame, '#holds-summary')).startsWith(`R² ${f4(at(-2.3).r2)} at the threshold in force (ln ln -2.30)`));
  });

  test('from the dashboard to an example: 50 samples without texts, flag with a note, next in order', { skip: kangSkip }, async () => {
    await selectRun(page, KANG_RUN);
    await runCommand(page, 'Premem: Show Dashboard');
    const dash = await webviewFrame(page, 'Premem Dashboard');
    const runPath = join(KANG_SWEEP, KANG_RUN);
    const order = cli('examples', runPath, '--json', '--sort', 'premem', '--limit', '2')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as ExampleLine).index);
    await dash
      .locator(`#lowest vscode-button`, { hasText: `#${order[0]}` })
      .first()
      .click();
    const t0 = Date.now();
    const frame = await waitFor(
      'the example panel',
      async () => {
        const f = await webviewFrame(page, 'Premem Example');
        return (await f.locator('h1 .index').innerText()) === `#${order[0]}` && (await f.locator('#samples[data-step]:not([aria-busy])').count()) > 0 ? f : undefined;
      },
      60_000,
      20,
    );
    const openMs = Date.now() - t0;
    timings.push(`GSM8K example panel (50 samples) from the dashboard: ${await firstOpenBreakdown(frame, t0)}`);
    await checkExampleNumbers(frame, runPath, order[0]!);
    assert.match(await text(frame, '#samples-summary'), /of 50 samples correct/);
    assert.equal(await frame.locator('#samples .outcome').count(), 50);
    assert.match(await text(frame, '#app'), /kept no sample texts/);
    // No question texts: the panel says which file it needs and offers to attach it.
    assert.match(await text(frame, '#app'), /No question text: the run has no dataset file Premem Lens can find/);
    assert.equal(await frame.locator('#attach-dataset').count(), 1, 'an Attach Dataset File… button where texts are missing');
    const steps = (await timelineRows(frame)).map((r) => Number(r[0]));
    const switchMs = await chooseCheckpoint(frame, steps[0]!);
    timings.push(`GSM8K example panel (50 samples): open from the dashboard ${openMs} ms; switch checkpoint ${switchMs} ms`);

    await frame.locator('#flag-note input').fill('copies the reference: collect more like it');
    await frame.locator('#flag').click();
    await waitFor('the flag in the index', () => cli('flags', '--json').includes('copies the reference: collect more like it'));
    await frame.locator('#unflag').waitFor();
    await shot(page, 'panel-example-gsm8k-flagged-dark');
    // → moves to the next example in the Examples view's order (lowest pre-memorization first).
    await frame.locator('h1').click();
    const t1 = Date.now();
    await page.keyboard.press('ArrowRight');
    await waitFor(
      'the next example',
      async () => (await frame.locator('h1 .index').innerText()) === `#${order[1]}` && (await frame.locator('#samples[data-step]:not([aria-busy])').count()) > 0,
      30_000,
      10,
    );
    timings.push(`GSM8K example panel (50 samples): next example in the open panel ${Date.now() - t1} ms`);
  });

  test('text criterion: the dashboard says which criterion is in use and how often it agrees with perplexity', async () => {
    const expected = /agree on ([\d.]+)%/.exec(cli('report', join(sweep, FAST_RUN), '--memorization', 'text'))![1];
    writeWorkspaceSettings({ 'premem.memorization.criterion': 'text' });
    await selectRun(page, FAST_RUN);
    await runCommand(page, 'Premem: Show Dashboard');
    const dash = await webviewFrame(page, 'Premem Dashboard');
    await waitFor('the text criterion', async () => (await text(dash, '#criterion')).startsWith('Memorization by text'));
    await waitFor('the agreement', async () => (await text(dash, '#criteria-agreement')).includes(`agree on ${expected}%`));
    assert.equal(await dash.locator('#apply-threshold[disabled]').count(), 1, 'the perplexity threshold does not apply');
    await shot(page, 'panel-dashboard-text-criterion-dark');
    writeWorkspaceSettings({});
    await waitFor('the perplexity criterion again', async () => (await text(dash, '#criterion')).startsWith('Memorization by perplexity'));
  });

  test('panels come back after a window reload, and both render in the light theme', async () => {
    await page
      .locator('.tab', { hasText: /#\d+ · / })
      .first()
      .click();
    const before = await (await webviewFrame(page, 'Premem Example')).locator('h1 .index').innerText();
    await runCommand(page, 'Developer: Reload Window');
    await page.waitForTimeout(2000);
    await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
    const restored = await waitFor(
      'the restored example panel',
      async () => {
        const f = await webviewFrame(page, 'Premem Example', 5_000).catch(() => undefined);
        return f && (await f.locator('h1 .index').innerText()) === before ? f : undefined;
      },
      90_000,
    );
    assert.ok(restored);
    writeWorkspaceSettings({ 'workbench.colorTheme': 'Default Light Modern' });
    await waitFor('the light theme', async () => (await page.locator('.monaco-workbench.vs').count()) > 0);
    const light = await webviewFrame(page, 'Premem Example');
    await light.locator('#samples[data-step]:not([aria-busy])').waitFor();
    // The panel itself took the theme, and still shows the same figures as the CLI.
    await waitFor('the light theme inside the panel', async () => (await light.evaluate<string>('document.body.className')).split(' ').includes('vscode-light'));
    const runName = await light.locator('h1 .run').innerText();
    const runPath = { [FAST_RUN]: join(sweep, FAST_RUN), [KANG_RUN]: join(KANG_SWEEP, KANG_RUN), [HOSTILE_RUN]: join(ws, 'hostile-sweep', HOSTILE_RUN) }[runName];
    assert.ok(runPath, `a run this suite opened: ${runName}`);
    await checkExampleNumbers(light, runPath, Number(before.slice(1)));
    await page.waitForTimeout(500);
    await shot(page, 'panel-example-light');
    await runCommand(page, 'Premem: Show Dashboard');
    const dash = await webviewFrame(page, 'Premem Dashboard');
    await dash.locator('[data-chart="premem-vs-test"] svg, [data-chart="run-curves"] svg').first().waitFor();
    // The dashboard restored by the reload is the one shown: no second tab.
    assert.equal(await page.locator('.tab', { hasText: 'Premem Dashboard' }).count(), 1);
    await waitFor('the light theme inside the dashboard', async () => (await dash.evaluate<string>('document.body.className')).split(' ').includes('vscode-light'));
    // The selected run's sweep, with the CLI's fit.
    const fit = (JSON.parse(cli('report', sweep, '--json')) as ReportJson).fit;
    await waitFor('the sweep fit in the light theme', async () =>
      (await text(dash, '[data-fit="premem-vs-test"]')).startsWith(`R² ${fit.r2.toFixed(4)} · ${fit.points} checkpoints`),
    );
    await page.waitForTimeout(500);
    await shot(page, 'panel-dashboard-light');
    // High contrast: the charts redraw from the theme's own colours.
    const lightChart = await dash.locator('[data-chart="run-curves"] svg').first().innerHTML();
    writeWorkspaceSettings({ 'workbench.colorTheme': 'Default High Contrast' });
    await waitFor('the high-contrast theme', async () => (await page.locator('.monaco-workbench.hc-black').count()) > 0);
    await waitFor('charts redrawn in its colours', async () => (await dash.locator('[data-chart="run-curves"] svg').first().innerHTML()) !== lightChart);
    await waitFor('the high-contrast theme inside the dashboard', async () => (await dash.evaluate<string>('document.body.className')).split(' ').includes('vscode-high-contrast'));
    assert.ok((await text(dash, '[data-fit="premem-vs-test"]')).startsWith(`R² ${fit.r2.toFixed(4)}`), 'the same fit in high contrast');
    await page.waitForTimeout(500);
    await shot(page, 'panel-dashboard-high-contrast');
    writeWorkspaceSettings({});
    assert.deepEqual(cspViolations, [], 'no Content-Security-Policy violation was reported');
  });

  test('in the light theme, the tinygsm example panel shows the CLI’s figures at the chosen checkpoint', { skip: tinySkip }, async () => {
    writeWorkspaceSettings({ 'workbench.colorTheme': 'Default Light Modern' });
    await waitFor('the light theme', async () => (await page.locator('.monaco-workbench.vs').count()) > 0);
    await selectRun(page, TINY_RUN);
    const { frame } = await openExample(TINY_EXAMPLE);
    await waitFor('the light theme inside the panel', async () => (await frame.evaluate<string>('document.body.className')).split(' ').includes('vscode-light'));
    await checkExampleNumbers(frame, TINYGSM.endsWith(TINY_RUN) ? TINYGSM : join(TINYGSM, TINY_RUN), TINY_EXAMPLE);
    await chooseCheckpoint(frame, 400);
    assert.ok((await frame.locator('.aligned.copied').count()) > 0, 'late samples show copied steps');
    await page.waitForTimeout(300);
    await shot(page, 'panel-example-tinygsm-light');
  });

  test('in the light theme, the dashboard’s slices of tinygsm by reference length equal premem report --by steps', { skip: tinySkip }, async () => {
    await runCommand(page, 'Premem: Show Dashboard');
    const dash = await webviewFrame(page, 'Premem Dashboard');
    const bySteps = (
      JSON.parse(cli('report', TINYGSM, '--by', 'steps', '--json')) as {
        slices: { runs: { slices: { label: string; examples: number; pre_memorization_accuracy: number }[] }[] };
      }
    ).slices.runs[0]!.slices;
    const rows = await waitFor('the slices table', async () => {
      const r = await dash.locator('#slices tbody tr').evaluateAll(cellTexts);
      return r.length > 0 ? r : undefined;
    });
    assert.deepEqual(
      rows.map((r) => [r[0], r[1], r[2]]),
      bySteps.map((x) => [x.label, String(x.examples), x.pre_memorization_accuracy.toFixed(4)]),
    );
    await dash.locator('#slices').scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    await shot(page, 'panel-dashboard-tinygsm-slices-light');
    writeWorkspaceSettings({});
  });
});
