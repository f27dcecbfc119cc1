/** The toolbar: the run picker and the memorization threshold, with the one threshold in force. */
import type { DashboardData, DashboardRun } from '../../src/protocol/dashboard';
import { button, dropdown, setDisabled, textField } from '../components/controls';
import { el } from '../shared/dom';
import { num } from '../../src/present/format';
import { act, client, round, select, setThreshold } from './state';

export function toolbar(d: DashboardData, run: DashboardRun | null): HTMLElement {
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
