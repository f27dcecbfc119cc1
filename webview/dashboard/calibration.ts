/** Choosing the threshold: leave-one-run-out over the sweep, or agreement with the text criterion on one run. */
import type { DashboardData, DashboardSweep, TextCalibrationView } from '../../src/protocol/dashboard';
import { button, setDisabled } from '../components/controls';
import type { LinePoint } from '../shared/charts';
import { chartSlot } from '../shared/lazyCharts';
import { dataTable, el } from '../shared/dom';
import type { ChartTheme } from '../shared/theme';
import { act, client, exportButtons, keep, rerender, setThreshold, showError, ui } from './state';

/** Leave-one-run-out choice of the threshold: the button, and once run, its curve and verdict. */
export function calibrationBlock(d: DashboardData, sweep: DashboardSweep, theme: ChartTheme, width: number): HTMLElement {
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
  const tc = ui.textCalibration?.runPath === ui.runPath ? ui.textCalibration : null;
  if (tc) block.append(textCalibrationBlock(tc, theme, width));
  const c = ui.calibration?.sweepPath === sweep.path ? ui.calibration : null;
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
          description: c.best
            ? `Held-out RMSE over ${points.length} thresholds, lowest (${pct2(c.best.heldOutRmse)}) at ln ln ${c.best.threshold}; ${pct2(c.handPicked.heldOutRmse)} at the paper's ${c.handPicked.threshold}.`
            : `Held-out RMSE over ${points.length} thresholds.`,
          describedBy: 'calibration-table',
        }),
      ),
    );
    const fig = el('figure', { className: 'chart', attrs: { 'data-chart': 'calibration' } }, [
      el('figcaption', {}, [el('strong', { text: 'Held-out error by threshold' }), exportButtons('calibration', theme)]),
      svg,
      dataTable(
        'calibration-table',
        ['ln ln threshold', 'held-out RMSE', 'R²'],
        c.scores.map((s) => [String(s.threshold), pct2(s.heldOutRmse), s.r2 === null ? '–' : s.r2.toFixed(4)]),
      ),
    ]);
    fig.style.width = `${width}px`;
    block.append(fig);
  }
  return block;
}

async function calibrateText(): Promise<void> {
  if (!ui.runPath) return;
  try {
    ui.textCalibration = await client.request('calibrateText', { runPath: ui.runPath });
  } catch (e) {
    showError((e as Error).message);
  }
  rerender();
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
          description: tc.best ? `Cohen's κ is highest (${k(tc.best.kappa)}) at ln ln ${tc.best.threshold}, where raw agreement is ${pct1(tc.best.agreement)}.` : undefined,
          describedBy: 'text-agreement-table',
        }),
      ),
    );
    children.push(
      el('div', { attrs: { 'data-chart': 'text-agreement' } }, [
        svg,
        dataTable(
          'text-agreement-table',
          ['ln ln threshold', 'raw agreement', 'κ', 'F1'],
          tc.scores.map((s) => [String(s.threshold), pct1(s.agreement), k(s.kappa), k(s.f1)]),
        ),
      ]),
    );
  }
  return el('div', { className: 'text-calibration', attrs: { id: 'text-calibration' } }, children);
}

async function calibrate(sweepPath: string): Promise<void> {
  const b = document.getElementById('calibrate');
  if (b) setDisabled(b, true);
  try {
    ui.calibration = await client.request('calibrate', { sweepPath });
  } catch (e) {
    showError((e as Error).message);
  }
  rerender();
}
