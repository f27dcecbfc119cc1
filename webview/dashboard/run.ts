/** One run over its checkpoints: the curves, and the table of its figures. */
import type { DashboardRun } from '../../src/protocol/dashboard';
import type { LinePoint } from '../shared/charts';
import { chartSlot } from '../shared/lazyCharts';
import { legend } from '../shared/legend';
import { el, pickableRow, section, tableHead } from '../shared/dom';
import { num, sentenceStart, stepLabel } from '../../src/present/format';
import type { ChartTheme } from '../shared/theme';
import { exportButtons, keep, select, ui } from './state';

export function runSection(run: DashboardRun, theme: ChartTheme, width: number): HTMLElement {
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
        rules: ui.step === null ? [] : [{ x: ui.step, color: theme.foreground, label: `step ${ui.step}` }],
        onPick: (x) => void select(run.path, x),
        ariaLabel: `Curves of ${run.name} over checkpoints`,
        description: curvesDescription(run),
        describedBy: 'run-table',
      }),
    ),
  );
  const hasLoss = run.checkpoints.some((c) => c.trainLoss !== null);
  const head = ['step', 'epoch', ...(hasLoss ? ['train loss'] : []), 'train acc', 'pre-mem acc', 'memorized', 'test acc', 'predicted test (95%)'];
  const table = el('table', { className: 'numbers', attrs: { id: 'run-table' } }, [
    tableHead(head),
    el(
      'tbody',
      {},
      run.checkpoints.map((c) =>
        pickableRow(
          el('tr', { className: c.step === ui.step ? 'selected' : '', attrs: { id: `checkpoint-row-${c.step}`, ...(c.step === ui.step ? { 'aria-current': 'true' } : {}) } }, [
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
          () => void select(run.path, c.step),
        ),
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
        el('span', {
          className: 'fit',
          text: ui.step === null ? 'click a checkpoint, or press Enter on its row in the table, to select it' : `selected: ${stepLabel(ui.step)}`,
        }),
        exportButtons('run-curves', theme),
      ]),
      legend(series),
      svg,
    ]),
    table,
    forecastLine(run),
  ]);
}

/** "6 checkpoints, steps 6 to 36; at the last, train accuracy 0.95, pre-memorization accuracy 0.47, test accuracy 0.67." */
function curvesDescription(run: DashboardRun): string {
  const first = run.checkpoints[0]!;
  const last = run.checkpoints.at(-1)!;
  return `${run.checkpoints.length} checkpoints, steps ${first.step} to ${last.step}; at the last, train accuracy ${num(last.trainAccuracy)}, pre-memorization accuracy ${num(last.preMemorizationAccuracy)}, test accuracy ${num(last.testAccuracy)}.`;
}

/** A run not finished: where its final test accuracy is heading, from its sweep's finished runs (or why there is no forecast). */
function forecastLine(run: DashboardRun): HTMLElement | null {
  const f = run.forecast;
  if (!f) return null;
  const head = sentenceStart(f.unfinished);
  return el('p', {
    className: f.kind === 'forecast' ? 'verdict' : 'muted',
    attrs: { id: 'run-forecast' },
    text:
      f.kind === 'forecast'
        ? `${head}: final test accuracy forecast ${num(f.value)}${f.band === null ? '' : ` ± ${num(f.band)}`}, from the ${f.runs} finished runs of its sweep after ${f.checkpoints} checkpoints (± is how far such forecasts missed on them, leaving one run out).`
        : `${head}: ${f.reason}.`,
  });
}
