/** The sweep's figure: test accuracy against pre-memorization and plain train accuracy, its fits, and its threshold. */
import type { DashboardData, DashboardSweep, LinearFit } from '../../src/protocol/dashboard';
import { button } from '../components/controls';
import type { ScatterPoint } from '../shared/charts';
import { chartSlot } from '../shared/lazyCharts';
import { legend } from '../shared/legend';
import { dataTable, el, section } from '../shared/dom';
import { num } from '../../src/present/format';
import type { ChartTheme } from '../shared/theme';
import { calibrationBlock } from './calibration';
import { act, client, exportButtons, keep, select, ui } from './state';

/** Stroke-only symbols, combined with the six chart colours: 24 runs stay distinguishable. */
const SYMBOLS = [
  { plot: 'circle', glyph: '○' },
  { plot: 'square', glyph: '□' },
  { plot: 'triangle2', glyph: '△' },
  { plot: 'diamond2', glyph: '◇' },
];

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

/** "R² 0.94 over 51 checkpoints of 13 runs; test accuracy rises with pre-memorization train accuracy." */
function fitDescription(f: LinearFit, runs: number, xLabel: string): string {
  if (f.r2 === null || f.slope === null) return `${f.points} checkpoints of ${runs} runs, test accuracy against ${xLabel}; no line fitted.`;
  return `R² ${f.r2.toFixed(2)} over ${f.points} checkpoints of ${runs} runs; test accuracy ${f.slope >= 0 ? 'rises' : 'falls'} with ${xLabel}.`;
}

function fitText(f: LinearFit): string {
  if (f.r2 === null || f.slope === null || f.intercept === null) return `no fit (${f.points} checkpoints with a test accuracy)`;
  return `R² ${f.r2.toFixed(4)} · ${f.points} checkpoints · test ≈ ${f.slope.toFixed(3)} x ${f.intercept < 0 ? '−' : '+'} ${Math.abs(f.intercept).toFixed(3)}`;
}

export function sweepSection(d: DashboardData, sweep: DashboardSweep, theme: ChartTheme, width: number): HTMLElement {
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
          : [{ x: c[x], y: c.testAccuracy, group: r.path, step: c.step, label: `${r.name} · step ${c.step}`, selected: r.path === ui.runPath && c.step === ui.step }],
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
          description: fitDescription(fit, runs.length, xLabel),
          describedBy: `${name}-table`,
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
      dataTable(
        `${name}-table`,
        ['run', 'step', xLabel, 'test accuracy'],
        pointsBy(x).map((p) => [runs.find((r) => r.path === p.group)?.name ?? '', String(p.step), num(p.x), num(p.y)]),
      ),
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
