/**
 * `npm run bench:views`: the data map and the sweep table at 150,000 examples. Queries timed in
 * this process on a real indexed run (test/bench/scale-runs.ts, 150,000 examples × 20
 * checkpoints × 16 samples); the panels timed in Chromium on those figures (panel-page.ts): the
 * first paint, a brush over most of the map, and a sort of the table (150,000 rows × 20 runs),
 * beside the dashboard's recompute at a new threshold on the same run, measured in the same run
 * of the bench. Prints figures; asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REGION_CUTS } from '../../src/core/cartography';
import { DEFAULT_THRESHOLD } from '../../src/core/threshold';
import { dashboardFigures } from '../../src/queries/dashboard';
import { dataMapOf, regionStats } from '../../src/queries/dataMap';
import { describeCriterion } from '../../src/queries/exampleDetail';
import { analyseRun, atThreshold, type AnalysisOptions, type RunAnalysis } from '../../src/queries/runAnalysis';
import { sweepTableOf, varyingHyperparameters } from '../../src/queries/sweepTable';
import { IndexStore, type StoredExample } from '../../src/store/indexStore';
import { launchBrowser } from '../e2e/harness';
import { REPO } from '../helpers/paths';
import { filteredRows, sortRows } from '../../webview/sweepTable/rows';
import type { SweepTableView } from '../../src/protocol/sweepTable';
import { awaitTiming, firstPaintMs, openPanelPage, resetTiming } from './panel-page';
import { writeNumbersRun } from './scale-runs';

const ROOT = join(REPO, '.premem', 'scale');
const OPTIONS: AnalysisOptions = { threshold: DEFAULT_THRESHOLD, samplePreference: null };
const RUNS = 20;
const REPEATS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timed<T>(f: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = f();
  return { ms: performance.now() - t0, value };
}

function medianMs(f: () => unknown): number {
  f();
  return median(Array.from({ length: REPEATS }, () => timed(f).ms));
}

async function main(): Promise<void> {
  mkdirSync(ROOT, { recursive: true });
  const run = writeNumbersRun(ROOT);
  const db = join(ROOT, 'views-bench.sqlite');
  if (!existsSync(db)) {
    const r = spawnSync(process.execPath, [join(REPO, 'bin', 'premem.js'), 'index', run, '--db', db], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  }
  const store = await IndexStore.open(db);
  let analysis: RunAnalysis;
  let examples: StoredExample[];
  try {
    const [stored] = await store.runs();
    analysis = await analyseRun(store, stored!, OPTIONS);
    examples = await store.examples(stored!.id);
  } finally {
    await store.close();
  }
  const n = examples.length;
  const lines = [`premem bench:views on ${n.toLocaleString('en')} examples × ${analysis.checkpoints.length} checkpoints (the table: the same run as ${RUNS} runs)`, ''];
  const recompute = medianMs(() => dashboardFigures([{ run: analysis.run, analysis: atThreshold(analysis, { kind: 'loglog', value: -2.5 }), error: null }]));
  const mapQuery = medianMs(() => dataMapOf(analysis, examples));
  const map = dataMapOf(analysis, examples);
  // Twenty runs of one sweep: the run's arrays under twenty names, so the table has 20 column groups.
  const analyses = Array.from({ length: RUNS }, (_, j) => ({
    ...analysis,
    run: { ...analysis.run, id: 10_000 + j, name: `bench_${j + 1}epochs_lr${j}e-05`, path: `${analysis.run.path}#${j}` },
  }));
  const examplesOf = new Map(analyses.map((a) => [a.run.id, examples]));
  const tableQuery = medianMs(() => sweepTableOf(analyses, examplesOf));
  const t = sweepTableOf(analyses, examplesOf);
  const { examples: _rows, ...shown } = t;
  void _rows;
  const tableView: SweepTableView = { ...shown, sweepName: 'bench', varying: varyingHyperparameters(t.runs), sliceFields: [], flagged: [] };
  const all = filteredRows(tableView, { text: null, slice: null, flaggedOnly: false, group: 0 });
  const sortNode = medianMs(() => sortRows(tableView, all, { key: { kind: 'cell', run: 3, cell: 'premem' }, descending: false, byGroup: false }));

  const browser = await launchBrowser();
  let paint = NaN;
  let brush = NaN;
  let tablePaint = NaN;
  let sortPanel = NaN;
  let scrollSteps: number[] = [];
  let scrollIdle: number[] = [];
  try {
    const mapPage = await openPanelPage(browser, 'dataMap', {
      ...map,
      criterion: describeCriterion(OPTIONS, analysis),
      regionCuts: REGION_CUTS,
      regions: regionStats(map.columns),
      flags: [],
    });
    paint = await firstPaintMs(mapPage);
    const box = (await mapPage.locator('canvas.overlay').boundingBox())!;
    const brushes: number[] = [];
    for (let k = 0; k < REPEATS; k++) {
      await resetTiming(mapPage, 'brushMs');
      await mapPage.mouse.move(box.x + 60 + k, box.y + 20);
      await mapPage.mouse.down();
      await mapPage.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.8, { steps: 4 });
      await mapPage.mouse.up();
      brushes.push(await awaitTiming(mapPage, 'brushMs'));
    }
    brush = median(brushes);
    await mapPage.screenshot({ path: join(REPO, 'test-results', 'screenshots', 'bench-data-map-150k.png') });
    const tablePage = await openPanelPage(browser, 'sweepTable', tableView);
    tablePaint = await firstPaintMs(tablePage);
    const sorts: number[] = [];
    for (let k = 0; k < REPEATS; k++) {
      await resetTiming(tablePage, 'sortMs');
      await tablePage.locator('#sort-3-premem').click();
      sorts.push(await awaitTiming(tablePage, 'sortMs'));
    }
    sortPanel = median(sorts);
    // Scrolling: a page at a time, 30 times, each to the frame after its rows are drawn (the
    // scroll handler draws the rows in view at the next animation frame). A frame is 16.7 ms.
    scrollSteps = await tablePage
      .evaluate(async () => {
        const doc = (
          globalThis as unknown as {
            document: { getElementById(id: string): { scrollTop: number; clientHeight: number; querySelector(s: string): { getAttribute(a: string): string | null } | null } };
          }
        ).document;
        const frame = () => new Promise<void>((r) => (globalThis as unknown as { requestAnimationFrame(f: () => void): void }).requestAnimationFrame(() => r()));
        const scroller = doc.getElementById('table-scroller');
        const out: number[] = [];
        const idle: number[] = [];
        for (let i = 0; i < 30; i++) {
          // The baseline: the same two frames with nothing to draw.
          const t = performance.now();
          await frame();
          await frame();
          idle.push(performance.now() - t);
          const before = scroller.querySelector('tbody tr[aria-rowindex]')?.getAttribute('aria-rowindex');
          const t0 = performance.now();
          scroller.scrollTop += scroller.clientHeight;
          await frame();
          await frame();
          const after = scroller.querySelector('tbody tr[aria-rowindex]')?.getAttribute('aria-rowindex');
          out.push(after !== before ? performance.now() - t0 : Number.NaN);
        }
        return { out, idle };
      })
      .then(({ out, idle }) => {
        scrollIdle = idle;
        return out;
      });
    await tablePage.screenshot({ path: join(REPO, 'test-results', 'screenshots', 'bench-sweep-table-150k.png') });
  } finally {
    await browser.close();
  }
  const row = (label: string, ms: number) => `  ${label.padEnd(84)} ${`${ms.toFixed(1)} ms`.padStart(10)}`;
  lines.push(
    'baseline, the same run',
    row('dashboard recompute at a new threshold (median of 5)', recompute),
    '',
    'data map',
    row('query: dataMapOf (confidence, variability, regions; median of 5)', mapQuery),
    row('panel: first paint, from the answer to the painted frame', paint),
    row('panel: brush over most of the map, to the drawn selection (median of 5)', brush),
    '',
    `sweep table (${n.toLocaleString('en')} rows × ${RUNS} runs)`,
    row('query: sweepTableOf (median of 5)', tableQuery),
    row('panel: first paint, from the answer to the painted frame', tablePaint),
    row('panel: sort by a run’s pre-memorization accuracy, to the drawn rows (median of 5)', sortPanel),
    row('the same sort in Node (rows.ts, median of 5)', sortNode),
    row('panel: scroll a page, to the frame after its rows are drawn (median of 30)', median(scrollSteps.filter((x) => !Number.isNaN(x)))),
    row('panel: the same, slowest of 30', Math.max(...scrollSteps.filter((x) => !Number.isNaN(x)))),
    row('baseline: two animation frames with nothing to draw (median of 30)', median(scrollIdle)),
    `  ${scrollSteps.filter((x) => Number.isNaN(x)).length} of 30 scrolls drew no new rows (0 expected)`,
  );
  console.log(lines.join('\n'));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
