import type { DashboardRun } from '../../src/protocol/dashboard';
import { chartSlot } from '../shared/lazyCharts';
import { dataTable, el, section } from '../shared/dom';
import { num } from '../../src/present/format';
import type { ChartTheme } from '../shared/theme';
import { keep } from './state';

/**
 * The paper's per-example figure: accuracy on perturbed questions for examples binned by
 * pre-memorization accuracy, with 95% intervals, and the rank correlation over examples.
 */
export function robustnessSection(run: DashboardRun, theme: ChartTheme, width: number): HTMLElement | null {
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
        description: `Mean accuracy on perturbed questions in ${r.bins.length} bins of pre-memorization accuracy; Spearman ρ ${num(r.spearman.rho)} over ${r.examples} examples.`,
        describedBy: 'premem-robustness-table',
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
    r.controls.length
      ? el('p', {
          className: 'muted',
          attrs: { id: 'robustness-controls' },
          text: `Is it just difficulty? Partial ρ ${r.controls
            .map(
              (c) =>
                `given ${c.control === 'final_train_accuracy' ? 'final train accuracy' : c.control} ${num(c.partial.rho)} (95% CI ${num(c.partial.low)} to ${num(c.partial.high)}, ${c.examples} examples)`,
            )
            .join('; ')}: what is left of the link once the control is held fixed.`,
        })
      : null,
    el('div', { attrs: { 'data-chart': 'premem-robustness' } }, [
      svg,
      dataTable(
        'premem-robustness-table',
        ['pre-memorization accuracy', 'examples', 'perturbed accuracy', '95% interval'],
        r.bins.map((b) => [b.label, String(b.examples), num(b.mean), `${num(b.low)} – ${num(b.high)}`]),
      ),
    ]),
  ]);
}
