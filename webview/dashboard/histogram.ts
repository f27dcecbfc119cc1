import type { DashboardRun } from '../../src/protocol/dashboard';
import { chartSlot } from '../shared/lazyCharts';
import { dataTable, el, section } from '../shared/dom';
import type { ChartTheme } from '../shared/theme';
import { keep } from './state';

/** How many examples sit at each pre-memorization accuracy at the last checkpoint: where the ties are. */
export function histogramSection(run: DashboardRun, theme: ChartTheme, width: number): HTMLElement | null {
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
        description: `${h.bins[0]?.count ?? 0} of ${h.bins.reduce((a, b) => a + b.count, 0)} examples at exactly 0, ${h.bins.at(-1)?.count ?? 0} at exactly 1.`,
        describedBy: 'premem-histogram-table',
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
    el('div', { attrs: { 'data-chart': 'premem-histogram' } }, [
      svg,
      dataTable(
        'premem-histogram-table',
        ['pre-memorization accuracy', 'examples'],
        h.bins.map((b) => [b.label, String(b.count)]),
      ),
    ]),
  ]);
}
