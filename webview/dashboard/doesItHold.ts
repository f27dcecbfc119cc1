/**
 * "Does it hold?": the questions anyone asks of the metric before trusting it on a sweep, from
 * the same engine as the fit (premem report --json's sensitivity, predictors and early). Is the
 * fit an artefact of the threshold (R² and held-out error against it; a click tries that
 * threshold), does it beat simple baselines, and how early in a run does it tell.
 */
import type { DashboardSweep, DoesItHold } from '../../src/protocol/dashboard';
import { num } from '../../src/present/format';
import { NEAR, PREDICTOR_LABELS, summarizeHolds, type HoldsSummary } from '../../src/present/holds';
import type { LinePoint } from '../shared/charts';
import { chartSlot } from '../shared/lazyCharts';
import { legend } from '../shared/legend';
import { el, numbersTable, pickableRow, section, tableHead } from '../shared/dom';
import type { ChartTheme } from '../shared/theme';
import { exportButtons, keep, setThreshold } from './state';

const TITLE = 'Does it hold? The threshold, the baselines, and how early it tells';

export function doesItHoldSection(sweep: DashboardSweep, textCriterion: boolean, theme: ChartTheme, width: number): HTMLElement {
  const h = sweep.holds;
  if (!h) return section(TITLE, [el('p', { className: 'muted', attrs: { id: 'holds-summary' }, text: `Nothing to check yet: the fit ${sweep.withheld ?? 'is withheld'}.` })]);
  const t = sweep.threshold.loglog;
  const s = summarizeHolds(h, t);
  const pm = h.predictors.find((p) => p.name === 'pre_memorization_accuracy');
  const train = h.predictors.find((p) => p.name === 'train_accuracy');
  const earliest = h.early.find((e) => e.pre_memorization_accuracy.r2 !== null && e.train_accuracy.r2 !== null && e.pre_memorization_accuracy.r2 > e.train_accuracy.r2) ?? null;
  const sentences = [
    s.here ? `R² ${num(s.here.r2)} at the threshold in force (ln ln ${num(t, 2)})` : `The threshold in force (ln ln ${num(t, 2)}) is between grid points`,
    s.near ? `; ${num(s.near.low)} to ${num(s.near.high)} within ±${NEAR} of it` : '',
    s.best ? `; best ${num(s.best.r2)} at ${num(s.best.threshold, 1)}. ` : '. ',
    pm && train ? `Held-out error (leave one run out): ${num(pm.loo_rmse)} from pre-memorization accuracy against ${num(train.loo_rmse)} from train accuracy. ` : '',
    earliest
      ? `Final test accuracy is predicted better by pre-memorization than by train accuracy from ${earliest.checkpoints} checkpoint${earliest.checkpoints === 1 ? '' : 's'} on (R² ${num(earliest.pre_memorization_accuracy.r2, 2)} against ${num(earliest.train_accuracy.r2, 2)}).`
      : 'At no checkpoint count does pre-memorization accuracy predict final test accuracy better than train accuracy here.',
  ];
  return section(TITLE, [
    el('p', { className: 'muted', attrs: { id: 'holds-summary' }, text: sentences.join('') }),
    el('div', { className: 'charts' }, [sensitivityFigure(h, sweep, s, textCriterion, theme, width), earlyFigure(h, theme, width)]),
    baselines(h),
    details('Every threshold (Enter on a row tries it)', sensitivityTable(h, t, textCriterion)),
  ]);
}

/** R² and the held-out error against the threshold; the one in force and the calibrated one marked; a click tries a threshold. */
function sensitivityFigure(h: DoesItHold, sweep: DashboardSweep, s: HoldsSummary, textCriterion: boolean, theme: ChartTheme, width: number): HTMLElement {
  const calibrated = s.lowestError?.threshold ?? null;
  const series = [
    { key: 'r2', label: 'R² of the fit', color: theme.series.green },
    { key: 'loo', label: 'held-out RMSE of test accuracy (leave one run out)', color: theme.series.blue },
  ];
  const points: LinePoint[] = h.sensitivity.flatMap((r) => [
    ...(r.r2 === null ? [] : [{ x: r.threshold, series: 'r2', y: r.r2 }]),
    ...(r.loo_rmse === null ? [] : [{ x: r.threshold, series: 'loo', y: r.loo_rmse }]),
  ]);
  const t = sweep.threshold.loglog;
  const rules = [
    { x: t, color: theme.foreground, label: `in force ${num(t, 2)}` },
    ...(calibrated !== null && Math.abs(calibrated - t) > 1e-9 ? [{ x: calibrated, color: theme.series.orange, label: `calibrated ${calibrated}` }] : []),
  ];
  const svg = chartSlot(width, 220, (plot) =>
    keep(
      'holds-threshold',
      plot.lineChart({
        theme,
        width,
        height: 220,
        series,
        points,
        xLabel: 'ln ln threshold',
        yLabel: 'R², RMSE',
        yDomain: [0, 1],
        xTickFormat: (x) => String(Number(x.toFixed(2))),
        rules,
        // Tries the clicked threshold here, as Apply does (kept thresholds and settings unchanged).
        onPick: textCriterion ? undefined : (x) => void setThreshold('loglog', String(x)),
        ariaLabel: 'R² and held-out error of the sweep fit against the memorization threshold',
        description: s.best ? `R² peaks at ${num(s.best.r2)} at ln ln ${num(s.best.threshold, 1)}, over 41 thresholds from −4.0 to 0.0.` : 'No fit at any threshold.',
        describedBy: 'holds-sensitivity',
      }),
    ),
  );
  const fig = el('figure', { className: 'chart', attrs: { 'data-chart': 'holds-threshold' } }, [
    el('figcaption', {}, [
      el('strong', { text: 'Is the fit an artefact of the threshold?' }),
      el('span', {
        className: 'fit',
        text: textCriterion
          ? 'memorization by text: the curve is the perplexity criterion’s'
          : `calibrated: lowest held-out error, as Calibrate Threshold chooses${calibrated === null ? ' (none)' : ''}; click the curve to try a threshold`,
      }),
      exportButtons('holds-threshold', theme),
    ]),
    legend(series),
    svg,
  ]);
  fig.style.width = `${width}px`;
  return fig;
}

/** R² of final test accuracy predicted from each run's first j checkpoints, by the metric and by train accuracy. */
function earlyFigure(h: DoesItHold, theme: ChartTheme, width: number): HTMLElement {
  const series = [
    { key: 'premem', label: 'from pre-memorization accuracy', color: theme.series.green },
    { key: 'train', label: 'from train accuracy', color: theme.series.blue },
  ];
  const points: LinePoint[] = h.early.flatMap((e) => [
    ...(e.pre_memorization_accuracy.r2 === null ? [] : [{ x: e.checkpoints, series: 'premem', y: e.pre_memorization_accuracy.r2 }]),
    ...(e.train_accuracy.r2 === null ? [] : [{ x: e.checkpoints, series: 'train', y: e.train_accuracy.r2 }]),
  ]);
  const svg = chartSlot(width, 220, (plot) =>
    keep(
      'holds-early',
      plot.lineChart({
        theme,
        width,
        height: 220,
        series,
        points,
        xLabel: 'checkpoints seen',
        yLabel: 'R² of final test accuracy',
        yDomain: [0, 1],
        ariaLabel: 'How early it tells: R² of each run’s final test accuracy from its first checkpoints',
        description: h.early.length
          ? `After ${h.early.at(-1)!.checkpoints} checkpoints, R² ${num(h.early.at(-1)!.pre_memorization_accuracy.r2, 2)} from pre-memorization accuracy against ${num(h.early.at(-1)!.train_accuracy.r2, 2)} from train accuracy.`
          : undefined,
        describedBy: 'holds-early-table',
      }),
    ),
  );
  const fig = el('figure', { className: 'chart', attrs: { 'data-chart': 'holds-early' } }, [
    el('figcaption', {}, [
      el('strong', { text: 'How early does it tell?' }),
      el('span', { className: 'fit', text: 'one point per finished run' }),
      exportButtons('holds-early', theme),
    ]),
    legend(series),
    svg,
    details(
      'As a table',
      numbersTable(
        'holds-early-table',
        ['checkpoints', 'pre-mem R²', 'pre-mem held-out RMSE', 'train R²', 'train held-out RMSE'],
        h.early.map((e) => [
          String(e.checkpoints),
          num(e.pre_memorization_accuracy.r2),
          num(e.pre_memorization_accuracy.loo_rmse),
          num(e.train_accuracy.r2),
          num(e.train_accuracy.loo_rmse),
        ]),
      ),
    ),
  ]);
  fig.style.width = `${width}px`;
  return fig;
}

/** The same fit from the baselines, side by side: R² (higher is better) and held-out error (lower is better). */
function baselines(h: DoesItHold): HTMLElement {
  const bar = (v: number | null) => {
    const b = el('span', { className: 'bar' });
    b.style.width = `${Math.max(0, Math.min(1, v ?? 0)) * 100}%`;
    return b;
  };
  return el('table', { className: 'numbers slices', attrs: { id: 'holds-baselines' } }, [
    el('caption', { text: 'Does it beat simple baselines? Each predicts test accuracy with a straight line over the same checkpoints.' }),
    tableHead(['predictor', 'R²', 'held-out RMSE']),
    el(
      'tbody',
      {},
      h.predictors.map((p) =>
        el('tr', { attrs: { 'data-predictor': p.name } }, [
          el('td', { text: PREDICTOR_LABELS[p.name] }),
          el('td', { className: 'bar-cell' }, [bar(p.r2), el('span', { text: num(p.r2) })]),
          el('td', { text: num(p.loo_rmse) }),
        ]),
      ),
    ),
  ]);
}

function sensitivityTable(h: DoesItHold, inForce: number, textCriterion: boolean): HTMLElement {
  return el('table', { className: 'numbers', attrs: { id: 'holds-sensitivity' } }, [
    tableHead(['ln ln threshold', 'R²', 'held-out RMSE', 'checkpoints']),
    el(
      'tbody',
      {},
      h.sensitivity.map((r, i) => {
        const here = Math.abs(r.threshold - inForce) < 1e-9;
        const row = el('tr', { className: here ? 'selected' : '', attrs: { id: `threshold-row-${i}`, ...(here ? { 'aria-current': 'true' } : {}) } }, [
          el('td', { text: num(r.threshold, 1) }),
          el('td', { text: num(r.r2) }),
          el('td', { text: num(r.loo_rmse) }),
          el('td', { text: String(r.points) }),
        ]);
        // The keyboard's way to what a click on the curve does: Enter on a row tries its threshold.
        return textCriterion ? row : pickableRow(row, () => void setThreshold('loglog', String(r.threshold)));
      }),
    ),
  ]);
}

/** Disclosures the user opened, by their summary: a redraw (after a threshold tried from a row) keeps them open, and the focus on that row. */
const opened = new Set<string>();

function details(summary: string, body: HTMLElement): HTMLElement {
  const d = el('details', {}, [el('summary', { text: summary }), body]);
  d.open = opened.has(summary);
  d.addEventListener('toggle', () => (d.open ? opened.add(summary) : opened.delete(summary)));
  return d;
}
