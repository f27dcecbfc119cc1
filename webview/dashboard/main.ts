/**
 * The dashboard: lays out its sections (one module each beside this one) from the figures the
 * host sends, and redraws them when the figures, the theme or the panel's width change.
 */
import { clear, el, focusedId, restoreFocus, section } from '../shared/dom';
import { mark, markPainted } from '../shared/marks';
import { debounce } from '../shared/start';
import { chartTheme, onThemeChange } from '../shared/theme';
import type { DashboardData } from '../../src/protocol/dashboard';
import { doesItHoldSection } from './doesItHold';
import { histogramSection } from './histogram';
import { lowestSection } from './lowest';
import { robustnessSection } from './robustness';
import { runSection } from './run';
import { slicesSection } from './slices';
import { app, charts, client, newestData, onRender, show, ui } from './state';
import { sweepSection } from './sweep';
import { toolbar } from './toolbar';

client.on('data', (d) => show(d));
onRender(render);
onThemeChange(() => ui.data && render(ui.data));
window.addEventListener(
  'resize',
  debounce(() => ui.data && render(ui.data), 150),
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

function render(d: DashboardData): void {
  const t0 = performance.now();
  const theme = chartTheme();
  charts.clear();
  const focused = focusedId();
  clear(app);
  app.removeAttribute('aria-busy');
  const run = d.runs.find((r) => r.path === ui.runPath) ?? null;
  const sweep = run ? (d.sweeps.find((s) => s.path === run.sweepPath) ?? null) : null;
  // The page's one top-level heading, for listeners (the toolbar stands in for it on screen).
  app.append(el('h1', { className: 'visually-hidden', text: sweep ? `Premem Dashboard: ${sweep.name}` : 'Premem Dashboard' }), toolbar(d, run));
  if (d.runs.length === 0) {
    app.append(el('p', { className: 'message', text: 'No runs are indexed yet. Open a run or sweep from the Runs view.' }));
    return;
  }
  const width = Math.max(300, Math.min(620, Math.floor((app.clientWidth - 32) / 2)));
  if (sweep) app.append(sweepSection(d, sweep, theme, width), doesItHoldSection(sweep, d.criterion.kind === 'text', theme, width));
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
  restoreFocus(focused);
  document.getElementById('render-time')!.textContent = `computed in ${d.computeMs.toFixed(0)} ms, drawn in ${(performance.now() - t0).toFixed(0)} ms`;
  markPainted('painted');
}

mark('script');
void start();
