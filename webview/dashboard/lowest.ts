import type { DashboardRun } from '../../src/protocol/dashboard';
import { badge, button } from '../components/controls';
import { el, section } from '../shared/dom';
import { num } from '../../src/present/format';
import { client, showError, ui } from './state';

export function lowestSection(run: DashboardRun): HTMLElement {
  const rows = ui.lowestFor === run.path ? ui.lowest : [];
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
