import type {
  CalibrationView,
  TextCalibrationView,
  SlicesView,
  DashboardData,
  DashboardMethods,
  DashboardNotifications,
  DashboardRun,
  DashboardState,
  DashboardSweep,
  LinearFit,
  LowExample,
} from '../../src/protocol/dashboard';
import { badge, button, dropdown, setDisabled, textField } from '../components/controls';
import type { LinePoint, ScatterPoint } from '../shared/charts';
import { pngFile, svgFile } from '../shared/chartExport';
import { chartSlot } from '../shared/lazyCharts';
import { legend } from '../shared/legend';
import { clear, el, section } from '../shared/dom';
import { num, stepLabel } from '../../src/present/format';
import { mark, markPainted } from '../shared/marks';
import { createClient, newestOnly } from '../shared/rpc';
import { chartTheme, onThemeChange, type ChartTheme } from '../shared/theme';

const client = createClient<DashboardMethods, DashboardNotifications, DashboardState>();
const app = document.getElementById('app')!;

/** Stroke-only symbols, combined with the six chart colours: 24 runs stay distinguishable. */
const SYMBOLS = [
  { plot: 'circle', glyph: '○' },
  { plot: 'square', glyph: '□' },
  { plot: 'triangle2', glyph: '△' },
  { plot: 'diamond2', glyph: '◇' },
];

let data: DashboardData | null = null;
let runPath: string | null = client.getState()?.runPath ?? null;
let step: number | null = null;
let lowest: readonly LowExample[] = [];
let lowestFor: string | null = null;
/** The run's slices as last asked for, kept across re-renders of the same run. */
let slicesView: SlicesView | null = null;
let sliceBy: string | null = client.getState()?.sliceBy ?? null;
/** The last calibration, kept across re-renders of the same sweep. */
let calibration: CalibrationView | null = null;
/** The last calibration against the texts, kept across re-renders of the same run. */
let textCalibration: TextCalibrationView | null = null;
/** Charts currently shown, by name, for export. */
const charts = new Map<string, SVGSVGElement>();

/** Keeps a drawn chart for its export buttons. */
function keep(name: string, svg: SVGSVGElement): SVGSVGElement {
  charts.set(name, svg);
  return svg;
}

/** Late answers about a run the user has already left, or figures since replaced, are dropped. */
const newestSelect = newestOnly();
const newestSlices = newestOnly();
const newestData = newestOnly();

client.on('data', (d) => show(d));
onThemeChange(() => data && render(data));
window.addEventListener(
  'resize',
  debounce(() => data && render(data), 150),
);

async function start(): Promise<void> {
  try {
    mark('request');
    const d = await newestData(client.request('ready', {}));
    mark('answer');
    if (d) show(d);
  } catch (e) {
    app.append(el('p', { className: 'error', text: (e as Error).message }));
  }
}

function show(d: DashboardData): void {
  data = d;
  if (d.selected) {
    runPath = d.selected.runPath;
    step = d.selected.step;
  }
  if (!d.runs.some((r) => r.path === runPath)) runPath = d.runs.find((r) => r.checkpoints.length > 0)?.path ?? d.runs[0]?.path ?? null;
  client.setState({ runPath, sliceBy });
  render(d);
  if (runPath && lowestFor !== runPath) void select(runPath, step);
}

async function select(path: string, atStep: number | null): Promise<void> {
  runPath = path;
  step = atStep;
  client.setState({ runPath, sliceBy });
  try {
    const answer = await newestSelect(client.request('select', { runPath: path, step: atStep }));
    if (answer === undefined) return;
    lowest = answer;
    lowestFor = path;
    markPainted('complete');
  } catch (e) {
    lowest = [];
    showError((e as Error).message);
  }
  if (data) render(data);
}

function render(d: DashboardData): void {
  const t0 = performance.now();
  const theme = chartTheme();
  charts.clear();
  clear(app);
  app.removeAttribute('aria-busy');
  const run = d.runs.find((r) => r.path === runPath) ?? null;
  const sweep = run ? (d.sweeps.find((s) => s.path === run.sweepPath) ?? null) : null;
  app.append(toolbar(d, run));
  if (d.runs.length === 0) {
    app.append(el('p', { className: 'message', text: 'No runs are indexed yet. Open a run or sweep from the Runs view.' }));
    return;
  }
  const width = Math.max(300, Math.min(620, Math.floor((app.clientWidth - 32) / 2)));
  if (sweep) app.append(sweepSection(d, sweep, theme, width));
  if (run) {
    app.append(runSection(run, theme, Math.max(width, Math.min(900, app.clientWidth - 40))));
    const histogram = histogramSection(run, theme, width);
    if (histogram) app.append(histogram);
    const robust = robustnessSection(run, theme, width);
    if (robust) app.append(robust);
    app.append(slicesSection(run), lowestSection(run));
  }
  const failed = d.runs.filter((r) => r.error !== null);
  if (failed.length)
    app.append(
      section('Runs without figures', [
        el(
          'ul',
          {},
          failed.map((r) => el('li', {}, [el('strong', { text: r.name }), ': ', r.error!])),
        ),
      ]),
    );
  document.getElementById('render-time')!.textContent = `computed in ${d.computeMs.toFixed(0)} ms, drawn in ${(performance.now() - t0).toFixed(0)} ms`;
  markPainted('painted');
}

function toolbar(d: DashboardData, run: DashboardRun | null): HTMLElement {
  const runs = dropdown(
    d.runs.map((r) => ({ value: r.path, label: r.name })),
    run?.path ?? '',
    (v) => void select(v, null),
    { id: 'run', label: 'Run' },
  );
  const form = dropdown(
    [
      { value: 'loglog', label: 'ln ln perplexity <' },
      { value: 'perplexity', label: 'perplexity <' },
    ],
    d.threshold.form,
    (v) => {
      value.value = String(v === 'loglog' ? round(d.threshold.loglog) : round(d.threshold.perplexity));
    },
    { id: 'threshold-form', label: 'Threshold form' },
  );
  const apply = () => void setThreshold(form.value === 'perplexity' ? 'perplexity' : 'loglog', value.value);
  // The box shows the threshold the selected run's figures use (tried here, kept for its sweep or
  // run, or from settings), never another one: the same answer the header and the sweep's line give.
  const inForce = run?.threshold ?? null;
  const shown = inForce ? (d.threshold.form === 'perplexity' ? round(inForce.perplexity) : round(inForce.loglog)) : d.threshold.value;
  const value = textField({ id: 'threshold', label: 'Memorization threshold', value: String(shown), size: 8, onEnter: apply });
  const applyButton = button('Apply', apply, { id: 'apply-threshold', appearance: 'primary' });
  // Ends a trial: back to the threshold in force (the one kept for the sweep, else the settings').
  const reset = button('End Trial', () => void act(() => client.request('resetThreshold', {})), {
    id: 'reset-threshold',
    disabled: d.thresholdSource === 'settings',
    title: 'Forget the threshold tried here: the one kept for this sweep (or run) applies again, else the settings’',
  });
  const textCriterion = d.criterion.kind === 'text';
  if (textCriterion) for (const c of [form.element, value.element, applyButton]) setDisabled(c, true);
  const criterion =
    d.criterion.kind === 'text'
      ? `Memorization by text: most samples copy at least ${d.criterion.copyRate} of the reference steps.`
      : inForce
        ? `Memorization by perplexity: ppl < ${num(inForce.perplexity)}, ${inForce.origin}${inForce.source === 'panel' ? ' (settings and kept thresholds unchanged)' : ''}.`
        : `Memorization by perplexity: ppl < ${num(d.threshold.perplexity)} (ln ln ${num(d.threshold.loglog, 2)})${d.thresholdSource === 'panel' ? ', tried here (settings unchanged)' : ', from settings'}.`;
  return el('header', { className: 'toolbar' }, [
    el('div', { className: 'controls' }, [
      el('label', { text: 'Run' }),
      runs.element,
      el('span', { className: 'spacer' }),
      el('label', { text: 'Memorized when' }),
      form.element,
      value.element,
      applyButton,
      reset,
    ]),
    el('p', { className: 'criterion', attrs: { id: 'criterion' } }, [criterion, ' ', el('span', { className: 'muted', attrs: { id: 'render-time' } })]),
  ]);
}

const round = (x: number) => Number(x.toPrecision(6));

async function setThreshold(form: 'loglog' | 'perplexity', text: string): Promise<void> {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || (form === 'perplexity' && value <= 1)) {
    showError(form === 'perplexity' ? 'A perplexity threshold is a number above 1, e.g. 1.1055.' : 'An ln ln threshold is a number such as -2.3.');
    return;
  }
  await act(() => client.request('setThreshold', { form, value }));
}

async function act(request: () => Promise<DashboardData>): Promise<void> {
  try {
    const d = await newestData(request());
    if (d) show(d);
  } catch (e) {
    showError((e as Error).message);
  }
}

function showError(message: string): void {
  document.getElementById('error')?.remove();
  app.prepend(el('p', { className: 'error', text: message, attrs: { id: 'error', role: 'alert' } }));
}

/** Which threshold the sweep's figures use and where it came from, with the ways to change it. */
function thresholdLine(d: DashboardData, sweep: DashboardSweep): HTMLElement {
  return el('div', { className: 'threshold-origin' }, [
    el('span', { text: `Memorization threshold: ${sweep.threshold.origin}`, attrs: { id: 'threshold-origin' } }),
    d.thresholdSource === 'panel'
      ? button('Keep for This Sweep', () => void act(() => client.request('keepThreshold', { sweepPath: sweep.path, calibrated: false })), {
          id: 'keep-threshold',
          title: 'Keep the threshold tried here for this sweep: every view and command then uses it',
        })
      : null,
    sweep.threshold.stored
      ? button('Use the Default', () => void act(() => client.request('clearThreshold', { sweepPath: sweep.path })), {
          id: 'clear-threshold',
          title: 'Forget the threshold kept for this sweep: the setting (by default the authors’ −2.3) applies again',
        })
      : null,
  ]);
}

/** What the two fits say, in words: the metric is not always the better predictor. */
function verdict(sweep: DashboardSweep): HTMLElement | null {
  if (sweep.withheld !== null) {
    return el('p', {
      className: 'muted',
      attrs: { id: 'fit-verdict' },
      text: `No line and no predictions: the fit ${sweep.withheld}. With fewer, a straight line says more about noise than about the runs.`,
    });
  }
  const p = sweep.fit.r2;
  const t = sweep.trainFit.r2;
  if (p === null || t === null) return null;
  const text =
    t > p
      ? `Here plain train accuracy fits test accuracy better than pre-memorization accuracy does (R² ${t.toFixed(3)} against ${p.toFixed(3)}): on this sweep the paper's metric adds nothing over train accuracy, so read its predictions with care.`
      : `Pre-memorization accuracy fits test accuracy better than plain train accuracy does (R² ${p.toFixed(3)} against ${t.toFixed(3)}), as the paper found.`;
  return el('p', { className: t > p ? 'warning' : 'muted', attrs: { id: 'fit-verdict' }, text });
}

function fitText(f: LinearFit): string {
  if (f.r2 === null || f.slope === null || f.intercept === null) return `no fit (${f.points} checkpoints with a test accuracy)`;
  return `R² ${f.r2.toFixed(4)} · ${f.points} checkpoints · test ≈ ${f.slope.toFixed(3)} x ${f.intercept < 0 ? '−' : '+'} ${Math.abs(f.intercept).toFixed(3)}`;
}

function sweepSection(d: DashboardData, sweep: DashboardSweep, theme: ChartTheme, width: number): HTMLElement {
  const runs = d.runs.filter((r) => r.sweepPath === sweep.path && r.checkpoints.length > 0);
  const groups = runs.map((r, i) => ({
    key: r.path,
    color: theme.categorical[i % theme.categorical.length]!,
    symbol: SYMBOLS[Math.floor(i / theme.categorical.length) % SYMBOLS.length]!.plot,
  }));
  const glyph = (i: number) => SYMBOLS[Math.floor(i / theme.categorical.length) % SYMBOLS.length]!.glyph;
  const pointsBy = (x: 'preMemorizationAccuracy' | 'trainAccuracy'): ScatterPoint[] =>
    runs.flatMap((r) =>
      r.checkpoints.flatMap((c) =>
        c.testAccuracy === null || c[x] === null
          ? []
          : [{ x: c[x], y: c.testAccuracy, group: r.path, step: c.step, label: `${r.name} · step ${c.step}`, selected: r.path === runPath && c.step === step }],
      ),
    );
  const pick = (p: ScatterPoint) => void select(p.group, p.step);
  const chart = (name: string, title: string, fit: LinearFit, x: 'preMemorizationAccuracy' | 'trainAccuracy', xLabel: string) => {
    const svg = chartSlot(width, Math.round(width * 0.72), (plot) =>
      keep(
        name,
        plot.scatterChart({
          theme,
          width,
          height: Math.round(width * 0.72),
          points: pointsBy(x),
          groups,
          fit: sweep.withheld === null && fit.slope !== null && fit.intercept !== null ? { slope: fit.slope, intercept: fit.intercept } : null,
          xLabel,
          yLabel: 'test accuracy',
          onPick: pick,
          ariaLabel: title,
        }),
      ),
    );
    const fig = el('figure', { className: 'chart', attrs: { 'data-chart': name } }, [
      el('figcaption', {}, [
        el('strong', { text: title }),
        el('span', { className: 'fit', text: sweep.withheld === null ? fitText(fit) : `no line drawn: ${sweep.withheld}`, attrs: { 'data-fit': name } }),
        exportButtons(name, theme),
      ]),
      svg,
    ]);
    // As wide as its chart, so the two charts sit side by side when the panel allows.
    fig.style.width = `${width}px`;
    return fig;
  };
  return section(`Sweep ${sweep.name}: does the training-time metric predict test accuracy?`, [
    el('div', { className: 'charts' }, [
      chart('premem-vs-test', 'Pre-memorization train accuracy', sweep.fit, 'preMemorizationAccuracy', 'pre-memorization train accuracy'),
      chart('train-vs-test', 'Plain train accuracy, for contrast', sweep.trainFit, 'trainAccuracy', 'train accuracy'),
    ]),
    legend(runs.map((r, i) => ({ color: groups[i]!.color, label: r.name, glyph: glyph(i) }))),
    verdict(sweep),
    thresholdLine(d, sweep),
    calibrationBlock(d, sweep, theme, width),
  ]);
}

/** Leave-one-run-out choice of the threshold: the button, and once run, its curve and verdict. */
function calibrationBlock(d: DashboardData, sweep: DashboardSweep, theme: ChartTheme, width: number): HTMLElement {
  const disabled = d.criterion.kind === 'text';
  const block = el('div', { className: 'calibration', attrs: { id: 'calibration' } }, [
    el('div', { className: 'calibration-head' }, [
      button('Calibrate against Texts', () => void calibrateText(), {
        id: 'calibrate-text',
        disabled,
        title: 'For the selected run (with sample texts): how often each ln ln threshold agrees with "most samples copy the reference" — calibration without a sweep',
      }),
      button('Calibrate Threshold', () => void calibrate(sweep.path), {
        id: 'calibrate',
        disabled,
        title:
          'For each ln ln threshold from −4 to −0.5: fit the line on all runs but one, predict the held-out run at every checkpoint; keep the threshold with the lowest held-out error',
      }),
      el('span', { className: 'muted', text: disabled ? 'needs the perplexity criterion' : 'which threshold predicts held-out runs best? (leave one run out)' }),
    ]),
  ]);
  const tc = textCalibration?.runPath === runPath ? textCalibration : null;
  if (tc) block.append(textCalibrationBlock(tc, theme, width));
  const c = calibration?.sweepPath === sweep.path ? calibration : null;
  if (!c) return block;
  const pct2 = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(2)}%`);
  const verdict = c.best
    ? `Cross-validated choice: ln ln ${c.best.threshold} (held-out RMSE ${pct2(c.best.heldOutRmse)}); the paper’s hand-picked ${c.handPicked.threshold}: ${pct2(c.handPicked.heldOutRmse)}. ${c.runs} runs, computed in ${c.computeMs.toFixed(0)} ms.`
    : `No threshold could be scored: it needs three or more runs with test evaluations (${c.runs} here).`;
  block.append(el('p', { className: 'verdict', text: verdict, attrs: { id: 'calibration-verdict' } }));
  if (c.best) {
    const best = c.best.threshold;
    // Already the sweep's threshold: say so rather than offer it again.
    const kept = sweep.threshold.stored && Math.abs(sweep.threshold.loglog - best) < 1e-9;
    const inForce = sweep.threshold.source !== 'panel' && Math.abs(sweep.threshold.loglog - best) < 1e-9;
    block.append(
      el('div', { className: 'calibration-actions' }, [
        button(
          kept ? `${best} Is Kept for This Sweep` : `Use ${best} for This Sweep`,
          () => void act(() => client.request('keepThreshold', { sweepPath: sweep.path, calibrated: true })),
          {
            id: 'use-calibrated',
            appearance: kept ? 'secondary' : 'primary',
            disabled: kept,
            title: 'Keep this threshold for the sweep: the views, hovers, panels, exports and the CLI use it from now on',
          },
        ),
        button(`Try ${best} Here`, () => void setThreshold('loglog', String(best)), { id: 'try-best', disabled: inForce }),
      ]),
    );
  }
  const points: LinePoint[] = c.scores.flatMap((s) => (s.heldOutRmse === null ? [] : [{ x: s.threshold, series: 'rmse', y: 100 * s.heldOutRmse }]));
  if (points.length > 1) {
    const svg = chartSlot(width, 200, (plot) =>
      keep(
        'calibration',
        plot.lineChart({
          theme,
          width,
          height: 200,
          series: [{ key: 'rmse', label: 'held-out RMSE (%)', color: theme.series.blue }],
          points,
          xLabel: 'ln ln threshold',
          yLabel: 'held-out RMSE of test accuracy (%)',
          xTickFormat: (x) => String(Number(x.toFixed(2))),
          rules: [
            ...(c.best ? [{ x: c.best.threshold, color: theme.series.green, label: `best ${c.best.threshold}` }] : []),
            { x: c.handPicked.threshold, color: theme.series.orange, label: `paper ${c.handPicked.threshold}` },
          ],
          ariaLabel: 'Held-out error against the memorization threshold',
        }),
      ),
    );
    const fig = el('figure', { className: 'chart', attrs: { 'data-chart': 'calibration' } }, [
      el('figcaption', {}, [el('strong', { text: 'Held-out error by threshold' }), exportButtons('calibration', theme)]),
      svg,
    ]);
    fig.style.width = `${width}px`;
    block.append(fig);
  }
  return block;
}

async function calibrateText(): Promise<void> {
  if (!runPath) return;
  try {
    textCalibration = await client.request('calibrateText', { runPath });
  } catch (e) {
    showError((e as Error).message);
  }
  if (data) render(data);
}

/** The agreement curve between the two criteria on one run, and the way to keep its best threshold. */
function textCalibrationBlock(tc: TextCalibrationView, theme: ChartTheme, width: number): HTMLElement {
  const pct1 = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);
  const at23 = tc.scores.find((s) => Math.abs(s.threshold + 2.3) < 1e-9) ?? null;
  const k = (x: number | null | undefined) => (x === null || x === undefined ? '–' : x.toFixed(3));
  const children: (HTMLElement | null)[] = [
    el('p', {
      className: 'verdict',
      attrs: { id: 'text-calibration-verdict' },
      text: tc.best
        ? `Against its texts (most samples copy at least ${tc.copyRate} of the reference steps; ${tc.copies} copied example-checkpoints), the perplexity criterion agrees best beyond chance at ln ln ${tc.best.threshold}: Cohen's κ ${k(tc.best.kappa)}, F1 ${k(tc.best.f1)}, raw agreement ${pct1(tc.best.agreement)}; at the paper's −2.3, κ ${k(at23?.kappa)}, agreement ${pct1(at23?.agreement ?? null)}. Raw agreement alone would favour "nothing is memorized" when copies are rare.`
        : (tc.tooFewCopies ?? 'No threshold could be scored against the texts.'),
    }),
  ];
  if (tc.best) {
    children.push(
      button(`Use ${tc.best.threshold} for This Run`, () => void act(() => client.request('keepTextThreshold', { runPath: tc.runPath })), {
        id: 'use-text-calibrated',
        title: 'Keep this threshold for the run: every view and command then uses it',
      }),
    );
  }
  const points: LinePoint[] = tc.scores.flatMap((s) => [
    ...(s.agreement === null ? [] : [{ x: s.threshold, series: 'agree', y: 100 * s.agreement }]),
    ...(s.kappa === null ? [] : [{ x: s.threshold, series: 'kappa', y: 100 * s.kappa }]),
  ]);
  if (points.length > 1) {
    const svg = chartSlot(width, 200, (plot) =>
      keep(
        'text-agreement',
        plot.lineChart({
          theme,
          width,
          height: 200,
          series: [
            { key: 'agree', label: 'raw agreement with the text criterion (%)', color: theme.series.green },
            { key: 'kappa', label: 'Cohen’s κ × 100 (agreement beyond chance; chooses)', color: theme.series.blue },
          ],
          points,
          xLabel: 'ln ln threshold',
          yLabel: 'agreement (%), κ × 100',
          xTickFormat: (x) => String(Number(x.toFixed(2))),
          rules: [
            ...(tc.best ? [{ x: tc.best.threshold, color: theme.series.blue, label: `best κ ${tc.best.threshold}` }] : []),
            { x: -2.3, color: theme.series.orange, label: 'paper −2.3' },
          ],
          ariaLabel: 'Raw agreement and Cohen’s kappa with the text criterion against the memorization threshold',
        }),
      ),
    );
    children.push(el('div', { attrs: { 'data-chart': 'text-agreement' } }, [svg]));
  }
  return el('div', { className: 'text-calibration', attrs: { id: 'text-calibration' } }, children);
}

async function calibrate(sweepPath: string): Promise<void> {
  const b = document.getElementById('calibrate');
  if (b) setDisabled(b, true);
  try {
    calibration = await client.request('calibrate', { sweepPath });
  } catch (e) {
    showError((e as Error).message);
  }
  if (data) render(data);
}

/** How many examples sit at each pre-memorization accuracy at the last checkpoint: where the ties are. */
function histogramSection(run: DashboardRun, theme: ChartTheme, width: number): HTMLElement | null {
  const h = run.histogram;
  if (!h) return null;
  const svg = chartSlot(width, 220, (plot) =>
    keep(
      'premem-histogram',
      plot.barChart({
        theme,
        width,
        height: 220,
        bars: h.bins.map((b) => ({ label: b.label, value: b.count })),
        color: theme.series.green,
        xLabel: 'pre-memorization accuracy at the last checkpoint',
        yLabel: 'examples',
        ariaLabel: `Distribution of pre-memorization accuracy in ${run.name}`,
      }),
    ),
  );
  const zero = h.bins[0]?.count ?? 0;
  const total = h.bins.reduce((a, b) => a + b.count, 0);
  return section('Distribution of pre-memorization accuracy', [
    el('p', {
      className: 'muted',
      attrs: { id: 'histogram-note' },
      text: `${zero} of ${total} examples are at exactly 0 (never solved before they were memorized, or never solved)${h.unknown ? `; ${h.unknown} unknown` : ''}. 0 and 1 have bars of their own.`,
    }),
    el('div', { attrs: { 'data-chart': 'premem-histogram' } }, [svg]),
  ]);
}

/**
 * The paper's per-example figure: accuracy on perturbed questions for examples binned by
 * pre-memorization accuracy, with 95% intervals, and the rank correlation over examples.
 */
function robustnessSection(run: DashboardRun, theme: ChartTheme, width: number): HTMLElement | null {
  const r = run.robustness;
  if (!r) return null;
  const svg = chartSlot(width, 240, (plot) =>
    keep(
      'premem-robustness',
      plot.intervalBarChart({
        theme,
        width,
        height: 240,
        bars: r.bins.map((b) => ({ label: b.label, value: b.mean, low: b.low, high: b.high, note: `n=${b.examples}` })),
        color: theme.series.blue,
        xLabel: `pre-memorization accuracy at checkpoint ${r.step}`,
        yLabel: 'accuracy on perturbed questions',
        ariaLabel: `Accuracy on perturbed questions by pre-memorization accuracy in ${run.name}`,
      }),
    ),
  );
  const s = r.spearman;
  return section('Robustness to perturbed questions', [
    el('p', {
      className: 'muted',
      attrs: { id: 'robustness-note' },
      text:
        `Spearman ρ = ${num(s.rho)} (95% CI ${num(s.low)} to ${num(s.high)}) over ${r.examples} examples and ${r.variants} perturbed variants at checkpoint ${r.step} (sample set ${r.sampleSet}). ` +
        'The paper finds examples with low pre-memorization accuracy less robust to perturbations of their question. Bars: mean per bin with its 95% interval.',
    }),
    el('div', { attrs: { 'data-chart': 'premem-robustness' } }, [svg]),
  ]);
}

function runSection(run: DashboardRun, theme: ChartTheme, width: number): HTMLElement {
  if (run.checkpoints.length === 0) return section(`Run ${run.name}`, [el('p', { className: 'muted', text: run.error ?? 'No checkpoints.' })]);
  const series = [
    { key: 'train', label: 'train accuracy', color: theme.series.blue },
    { key: 'premem', label: 'pre-memorization accuracy', color: theme.series.green },
    { key: 'test', label: 'test accuracy', color: theme.series.orange },
    { key: 'predicted', label: 'predicted test accuracy', color: theme.series.orange, dashed: true },
    { key: 'memorized', label: 'memorized fraction', color: theme.series.purple },
  ];
  const points: LinePoint[] = [];
  for (const c of run.checkpoints) {
    const add = (key: string, y: number | null) => y !== null && points.push({ x: c.step, series: key, y });
    add('train', c.trainAccuracy);
    add('premem', c.preMemorizationAccuracy);
    add('test', c.testAccuracy);
    add('predicted', c.predictedTestAccuracy);
    add('memorized', c.memorizedFraction);
  }
  const svg = chartSlot(width, 260, (plot) =>
    keep(
      'run-curves',
      plot.lineChart({
        theme,
        width,
        height: 260,
        series,
        points,
        xLabel: 'step',
        yLabel: 'share',
        yDomain: [0, 1],
        rules: step === null ? [] : [{ x: step, color: theme.foreground, label: `step ${step}` }],
        onPick: (x) => void select(run.path, x),
        ariaLabel: `Curves of ${run.name} over checkpoints`,
      }),
    ),
  );
  const hasLoss = run.checkpoints.some((c) => c.trainLoss !== null);
  const head = ['step', 'epoch', ...(hasLoss ? ['train loss'] : []), 'train acc', 'pre-mem acc', 'memorized', 'test acc', 'predicted test (95%)'];
  const table = el('table', { className: 'numbers', attrs: { id: 'run-table' } }, [
    el('thead', {}, [
      el(
        'tr',
        {},
        head.map((h) => el('th', { text: h })),
      ),
    ]),
    el(
      'tbody',
      {},
      run.checkpoints.map((c) =>
        el('tr', { className: c.step === step ? 'selected' : '' }, [
          el('td', { text: c.deletedOnDisk ? `${c.step} (deleted on disk)` : String(c.step) }),
          el('td', { text: num(c.epoch, 2) }),
          ...(hasLoss ? [el('td', { text: num(c.trainLoss) })] : []),
          el('td', { text: num(c.trainAccuracy) }),
          el('td', { text: num(c.preMemorizationAccuracy) }),
          el('td', { text: num(c.memorizedFraction) }),
          el('td', { text: num(c.testAccuracy) }),
          el('td', {
            text: `${num(c.predictedTestAccuracy)}${c.predictedInterval ? ` ± ${num((c.predictedInterval.high - c.predictedInterval.low) / 2)}` : ''}`,
            title: c.predictedInterval ? `95% prediction interval ${num(c.predictedInterval.low)} – ${num(c.predictedInterval.high)}` : undefined,
          }),
        ]),
      ),
    ),
  ]);
  const agreement = run.criteriaAgreement;
  return section(`Run ${run.name}`, [
    agreement && agreement.total > 0
      ? el('p', {
          className: 'muted',
          attrs: { id: 'criteria-agreement' },
          text: `Text and perplexity criteria agree on ${((100 * agreement.agree) / agreement.total).toFixed(1)}% of ${agreement.total} (example, checkpoint) pairs.`,
        })
      : null,
    el('figure', { className: 'chart wide', attrs: { 'data-chart': 'run-curves' } }, [
      el('figcaption', {}, [
        el('strong', { text: 'Over checkpoints' }),
        el('span', { className: 'fit', text: step === null ? 'click a checkpoint to select it' : `selected: ${stepLabel(step)}` }),
        exportButtons('run-curves', theme),
      ]),
      legend(series),
      svg,
    ]),
    table,
  ]);
}

/** The run's last checkpoint by slice: a field of its records (MATH's level, type) or reference length. */
function slicesSection(run: DashboardRun): HTMLElement {
  const view = slicesView?.runPath === run.path ? slicesView : null;
  if (!view) {
    void loadSlices(run.path, sliceBy);
    return section('By slice', [el('p', { className: 'muted', text: 'Loading…' })]);
  }
  if (view.fields.length === 0) return section('By slice', [el('p', { className: 'muted', text: 'No slices: the run has no dataset file.' })]);
  const picker = dropdown(
    view.fields.map((f) => ({ value: f, label: f === 'steps' ? 'number of reference steps' : f })),
    view.by ?? '',
    (v) => void loadSlices(run.path, v),
    { id: 'slice-by', label: 'Slice by' },
  );
  const rows = view.slices.map((x) => {
    const bar = el('span', { className: 'bar' });
    bar.style.width = `${Math.max(0, Math.min(1, x.preMemorizationAccuracy ?? 0)) * 100}%`;
    return el('tr', {}, [
      el('td', { text: x.label }),
      el('td', { text: String(x.examples) }),
      el('td', { className: 'bar-cell' }, [bar, el('span', { text: num(x.preMemorizationAccuracy) })]),
      el('td', { text: num(x.trainAccuracy) }),
      el('td', { text: String(x.neverMemorized) }),
      el('td', { text: x.medianMemorizationStep === null ? '–' : `step ${x.medianMemorizationStep}` }),
    ]);
  });
  return section('By slice, at the last checkpoint', [
    el('div', { className: 'controls' }, [el('label', { text: 'Slice by' }), picker.element]),
    el('table', { className: 'numbers slices', attrs: { id: 'slices' } }, [
      el('thead', {}, [
        el(
          'tr',
          {},
          ['slice', 'examples', 'pre-mem acc', 'train acc', 'never memorized', 'median memorized at'].map((h) => el('th', { text: h })),
        ),
      ]),
      el('tbody', {}, rows),
    ]),
  ]);
}

async function loadSlices(runPath: string, by: string | null): Promise<void> {
  try {
    const answer = await newestSlices(client.request('slices', { runPath, by }));
    if (answer === undefined) return;
    slicesView = answer;
    sliceBy = slicesView.by;
    client.setState({ runPath, sliceBy });
  } catch (e) {
    showError((e as Error).message);
    return;
  }
  if (data) render(data);
}

function lowestSection(run: DashboardRun): HTMLElement {
  const rows = lowestFor === run.path ? lowest : [];
  return section(`Least learned before memorization in ${run.name}`, [
    rows.length === 0
      ? el('p', { className: 'muted', text: 'No examples.' })
      : el(
          'ol',
          { className: 'lowest', attrs: { id: 'lowest' } },
          rows.map((e) =>
            el('li', {}, [
              button(`#${e.index}`, () => void client.request('showExample', { runPath: run.path, index: e.index }).catch((err: Error) => showError(err.message)), {
                title: 'Open the example panel',
              }),
              badge(num(e.preMemorizationAccuracy, 2), 'pre-memorization accuracy'),
              el('span', { className: 'muted', text: e.memorizationStep === null ? 'never memorized' : `memorized at step ${e.memorizationStep}` }),
              el('span', { className: 'question text', text: e.question === null ? '' : e.question.length > 160 ? `${e.question.slice(0, 159)}…` : e.question }),
            ]),
          ),
        ),
  ]);
}

function exportButtons(name: string, theme: ChartTheme): HTMLElement {
  const save = async (format: 'svg' | 'png') => {
    const svg = charts.get(name);
    if (!svg) return;
    try {
      const dataText = format === 'svg' ? svgFile(svg, theme) : await pngFile(svg, theme);
      await client.request('saveChart', { name, format, data: dataText });
    } catch (e) {
      showError((e as Error).message);
    }
  };
  return el('span', { className: 'export' }, [
    button('SVG', () => void save('svg'), { appearance: 'icon', title: 'Save this chart as SVG' }),
    button('PNG', () => void save('png'), { appearance: 'icon', title: 'Save this chart as PNG' }),
  ]);
}

function debounce(f: () => void, ms: number): () => void {
  let t: ReturnType<typeof setTimeout> | undefined;
  return () => {
    clearTimeout(t);
    t = setTimeout(f, ms);
  };
}

mark('script');
void start();
