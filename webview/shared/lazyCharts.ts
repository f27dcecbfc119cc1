/**
 * The charting module (Observable Plot and its d3 parts: ~270 kB of the ~385 kB a panel used
 * to load as one script) is its own module, charts.js, shared by both panels and fetched while the page asks for its data. A panel
 * draws its text without waiting for Plot to be fetched and parsed; each chart takes its place,
 * sized beforehand so nothing jumps, once the module is there.
 */
import type * as ChartsModule from './charts';
import { afterPaint, el } from './dom';
import { markPainted } from './marks';

export type Charts = typeof ChartsModule;

let loaded: Charts | undefined;
/** Started when the page's script runs (this module is imported by it), not at first use. */
const loading: Promise<Charts> = import('./charts').then((m) => (loaded = m));

/** The charting module, once loaded. */
export function whenCharts(): Promise<Charts> {
  return loading;
}

/** Whether a chart has been drawn on this page yet: until then charts wait for a painted frame. */
let drawnOnce = false;

/**
 * A chart's place: the chart itself once the page has shown charts before, else a box of its
 * size that the chart replaces (unless the box has left the page by then: a later render won).
 * On the first render the charts are drawn after the text has been painted, even when the module
 * is already there (preloaded, it usually is): drawing them holds a first paint up by 30-70 ms,
 * and the text is what is read first. Later renders (a threshold, the next example) draw at once,
 * so nothing flickers. A module that failed to load shows its error in the box.
 */
export function chartSlot(width: number, height: number, draw: (charts: Charts) => Element): Element {
  if (loaded && drawnOnce) {
    markPainted('charts');
    return draw(loaded);
  }
  const slot = el('div', { className: 'chart-slot', attrs: { 'aria-busy': 'true' } });
  slot.style.width = `${width}px`;
  slot.style.height = `${height}px`;
  loading.then(
    async (charts) => {
      await afterPaint();
      if (!slot.isConnected) return;
      drawnOnce = true;
      slot.replaceWith(draw(charts));
      markPainted('charts');
    },
    (e: unknown) => {
      slot.removeAttribute('aria-busy');
      slot.append(el('p', { className: 'error', text: `The charts could not be loaded: ${e instanceof Error ? e.message : String(e)}` }));
    },
  );
  return slot;
}
