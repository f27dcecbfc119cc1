import type { DashboardRun } from '../../src/protocol/dashboard';
import { dropdown } from '../components/controls';
import { el, section, tableHead } from '../shared/dom';
import { num } from '../../src/present/format';
import { client, newestSlices, rerender, showError, ui } from './state';

/** The run's last checkpoint by slice: a field of its records (MATH's level, type) or reference length. */
export function slicesSection(run: DashboardRun): HTMLElement {
  const view = ui.slicesView?.runPath === run.path ? ui.slicesView : null;
  if (!view) {
    void loadSlices(run.path, ui.sliceBy);
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
      tableHead(['slice', 'examples', 'pre-mem acc', 'train acc', 'never memorized', 'median memorized at']),
      el('tbody', {}, rows),
    ]),
  ]);
}

async function loadSlices(runPath: string, by: string | null): Promise<void> {
  try {
    const answer = await newestSlices(client.request('slices', { runPath, by }));
    if (answer === undefined) return;
    ui.slicesView = answer;
    ui.sliceBy = ui.slicesView.by;
    client.setState({ runPath, sliceBy: ui.sliceBy });
  } catch (e) {
    showError((e as Error).message);
    return;
  }
  rerender();
}
