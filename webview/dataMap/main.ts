/**
 * The data map of a run: every example by its confidence and variability over the checkpoints
 * (dataset cartography), coloured by its pre-memorization accuracy, memorized ones outlined.
 * Brush a rectangle (or type its bounds, or pick a region) to select examples; the selection can
 * be opened one by one, flagged with one note, or exported. Every figure is the host's.
 */
import { REGION_NAMES, UNKNOWN_REGION, type DataMapMethods, type DataMapNotifications, type DataMapState, type DataMapView } from '../../src/protocol/dataMap';
import { num, pct } from '../../src/present/format';
import { button, dropdown, textField, type TextField } from '../components/controls';
import { clear, el, focusedId, pickableRow, refocusAfterDialog, restoreFocus, section, tableHead } from '../shared/dom';
import { mark, markPainted } from '../shared/marks';
import { createClient } from '../shared/rpc';
import { debounce, startPanel } from '../shared/start';
import { chartTheme, onThemeChange, type ChartTheme } from '../shared/theme';
import {
  stampPoints,
  COLOUR_BINS,
  confidenceAt,
  drawFrame,
  drawPoints,
  drawRegionNames,
  geometry,
  nearest,
  ramp,
  variabilityAt,
  xOf,
  yOf,
  type Drawn,
  type Geometry,
} from './canvas';

const client = createClient<DataMapMethods, DataMapNotifications, DataMapState>();
const app = document.getElementById('app')!;

/** Bounds of a brushed rectangle, in the map's own units. */
interface Bounds {
  confidence: [number, number];
  variability: [number, number];
}

type Selection = { kind: 'none' } | { kind: 'brush'; bounds: Bounds } | { kind: 'region'; region: number };

const timings: NonNullable<Window['prememTimings']> = (window.prememTimings = {});

const ui = {
  view: null as DataMapView | null,
  colourBy: 'premem' as 'premem' | 'group',
  /** Only this group of similar questions (0: every example). */
  group: 0,
  selection: { kind: 'none' } as Selection,
  rows: new Int32Array(0) as Int32Array,
  status: '',
  drawn: null as Drawn | null,
};

const fields: { confLo?: TextField; confHi?: TextField; varLo?: TextField; varHi?: TextField; note?: TextField } = {};

client.on('show', (v) => show(v, performance.now()));
onThemeChange(() => ui.view && render());
window.addEventListener(
  'resize',
  debounce(() => ui.view && render(), 150),
);

/** The same figures as before (a flag changed, not the figures): the new view keeps the old columns, so the drawn map is kept. */
function sameColumns(a: DataMapView['columns'], b: DataMapView['columns']): boolean {
  const keys = Object.keys(a) as (keyof DataMapView['columns'])[];
  return keys.every((k) => a[k].length === b[k].length && a[k].every((x, i) => Object.is(x, b[k][i])));
}

function show(next: DataMapView, since: number): void {
  const same = ui.view?.runPath === next.runPath;
  const v = same && ui.view && sameColumns(ui.view.columns, next.columns) ? { ...next, columns: ui.view.columns } : next;
  ui.view = v;
  client.setState({ runPath: v.runPath });
  if (!same) {
    ui.selection = { kind: 'none' };
    ui.group = 0;
  }
  if (ui.group !== 0 && !v.groups?.groups.some((g) => g.id === ui.group)) ui.group = 0;
  ui.rows = selectedRows();
  render();
  void afterFrame().then(() => {
    timings.paintMs = performance.now() - since;
    markPainted('painted');
  });
}

const afterFrame = () => new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0)));

function inGroup(k: number): boolean {
  return ui.group === 0 || ui.view!.columns.group[k] === ui.group;
}

function selectedRows(): Int32Array {
  const v = ui.view;
  const s = ui.selection;
  if (!v || s.kind === 'none') return new Int32Array(0);
  const c = v.columns;
  const out: number[] = [];
  for (let k = 0; k < c.index.length; k++) {
    if (!inGroup(k)) continue;
    if (s.kind === 'region') {
      if (c.region[k] === s.region) out.push(k);
      continue;
    }
    const conf = c.confidence[k]!;
    const vari = c.variability[k]!;
    if (conf >= s.bounds.confidence[0] && conf <= s.bounds.confidence[1] && vari >= s.bounds.variability[0] && vari <= s.bounds.variability[1]) out.push(k);
  }
  return Int32Array.from(out);
}

/**
 * The page in three parts: the heading and controls, the map, and what depends on the selection.
 * A brush, a status or a cleared selection redraws the last part only (renderSelection): the map's
 * canvases stay where they are, since detaching them costs the browser a repaint of 150,000 points.
 */
const slots = { top: el('div'), figure: el('div'), rest: el('div') };

function render(): void {
  const v = ui.view!;
  const focused = focusedId();
  if (!slots.top.isConnected) {
    clear(app);
    app.append(slots.top, slots.figure, slots.rest);
  }
  app.removeAttribute('aria-busy');
  clear(slots.top);
  slots.top.append(
    el('h1', { text: `Data map · ${v.runName}` }),
    el('p', {
      className: 'criterion',
      text: `${v.columns.index.length.toLocaleString('en-US')} examples over ${v.checkpoints} checkpoints. Colour: pre-memorization accuracy at the last checkpoint; memorized (outlined) when ${v.criterion}.`,
    }),
    toolbar(v),
  );
  const figure = cachedFigure(v, chartTheme());
  if (slots.figure.firstChild !== figure) slots.figure.replaceChildren(figure);
  fillRest(v);
  restoreFocus(focused);
}

function renderSelection(): void {
  const focused = focusedId();
  drawnFigure?.redrawSelection();
  fillRest(ui.view!);
  restoreFocus(focused);
}

function fillRest(v: DataMapView): void {
  clear(slots.rest);
  slots.rest.append(regionsTable(v), brushForm(), selectionSection(v), el('p', { className: 'status', attrs: { role: 'status', id: 'map-status' }, text: ui.status }));
}

function toolbar(v: DataMapView): HTMLElement {
  const colour = dropdown(
    [{ value: 'premem', label: 'Pre-memorization accuracy' }, ...(v.groups ? [{ value: 'group', label: 'Group of similar questions' }] : [])],
    ui.colourBy,
    (value) => {
      ui.colourBy = value === 'group' ? 'group' : 'premem';
      render();
    },
    { id: 'map-colour', label: 'Colour by' },
  );
  const groups = v.groups
    ? dropdown(
        [{ value: '0', label: `Every example` }, ...v.groups.groups.slice(0, 200).map((g) => ({ value: String(g.id), label: `Group ${g.id}: ${g.label} (${g.size})` }))],
        String(ui.group),
        (value) => {
          ui.group = Number(value);
          ui.rows = selectedRows();
          render();
        },
        { id: 'map-group', label: 'Show' },
      )
    : null;
  const regionButtons = REGION_NAMES.map((name, r) =>
    button(
      `Select ${name}`,
      () => {
        ui.selection = { kind: 'region', region: r };
        brushTimed(() => undefined);
      },
      { id: `map-select-${name}` },
    ),
  );
  return el('div', { className: 'controls' }, [
    el('label', { text: 'Colour by', attrs: { for: 'map-colour' } }),
    colour.element,
    groups && el('label', { text: 'Show', attrs: { for: 'map-group' } }),
    groups?.element,
    el('span', { className: 'spacer' }),
    ...regionButtons,
    v.groups ? null : el('span', { className: 'muted', text: 'No question texts: attach the dataset to group similar questions.' }),
  ]);
}

function colourOf(v: DataMapView, theme: ChartTheme, colours: string[]): (k: number) => string {
  const c = v.columns;
  if (ui.colourBy === 'group') {
    const cat = theme.categorical;
    return (k) => (c.group[k] === 0 ? theme.muted : cat[(c.group[k]! - 1) % cat.length]!);
  }
  return (k) => {
    const p = c.preMemorizationAccuracy[k]!;
    return Number.isFinite(p) ? colours[Math.round(p * COLOUR_BINS)]! : theme.muted;
  };
}

function describe(v: DataMapView): string {
  const parts = v.regions.map((r) => `${r.examples.toLocaleString('en-US')} ${r.region} (mean pre-memorization accuracy ${num(r.preMemorizationAccuracy, 2)})`);
  return `${v.columns.index.length.toLocaleString('en-US')} examples by confidence and variability: ${parts.join(', ')}.`;
}

/**
 * The drawn map is kept while what it draws is the same (figures, colouring, group, width,
 * theme): a brush or a flag redraws the selection layer only, not 150,000 points.
 */
let drawnFigure: { key: string; view: DataMapView; figure: HTMLElement; redrawSelection: () => void } | null = null;

function cachedFigure(v: DataMapView, theme: ChartTheme): HTMLElement {
  const key = [ui.colourBy, ui.group, app.clientWidth, document.body.className].join('|');
  if (drawnFigure && drawnFigure.key === key && drawnFigure.view.columns === v.columns) {
    drawnFigure.redrawSelection();
    return drawnFigure.figure;
  }
  let redrawSelection = () => undefined as void;
  const figure = mapFigure(v, theme, (f) => (redrawSelection = f));
  drawnFigure = { key, view: v, figure, redrawSelection: () => redrawSelection() };
  return figure;
}

function mapFigure(v: DataMapView, theme: ChartTheme, onSelectionLayer: (redraw: () => void) => void): HTMLElement {
  const width = Math.max(300, Math.min(820, app.clientWidth - 8));
  const height = Math.round(Math.min(520, width * 0.62));
  const g = geometry(width, height);
  const ratio = window.devicePixelRatio || 1;
  const canvas = el('canvas', { attrs: { id: 'map-canvas', role: 'img', 'aria-label': describe(v), 'aria-describedby': 'map-regions' } });
  const overlay = el('canvas', { className: 'overlay', attrs: { 'aria-hidden': 'true' } });
  for (const c of [canvas, overlay]) {
    c.width = Math.round(width * ratio);
    c.height = Math.round(height * ratio);
    c.style.width = `${width}px`;
    c.style.height = `${height}px`;
  }
  const ctx = canvas.getContext('2d')!;
  ctx.scale(ratio, ratio);
  drawFrame(ctx, g, theme, v.regionCuts);
  const n = v.columns.index.length;
  ui.drawn = drawPoints(ctx, g, v.columns, theme, { shown: inGroup, colour: colourOf(v, theme, ramp(ctx, theme)), pointSize: n > 20_000 ? 2 : n > 2_000 ? 3 : 5 }, ratio);
  drawRegionNames(ctx, g, theme);
  const octx = overlay.getContext('2d')!;
  octx.scale(ratio, ratio);
  const tip = el('div', { className: 'map-tip', attrs: { role: 'tooltip', id: 'map-tip' } });
  tip.hidden = true;
  const stack = el('div', { className: 'map-stack' }, [canvas, overlay, tip]);
  stack.style.width = `${width}px`;
  stack.style.height = `${height}px`;
  drawSelection(octx, g, theme);
  onSelectionLayer(() => drawSelection(octx, g, theme));
  wireMouse(overlay, octx, g, theme, tip);
  return el('figure', { className: 'chart map' }, [stack, legend(v, theme, ctx)]);
}

function legend(v: DataMapView, theme: ChartTheme, ctx: CanvasRenderingContext2D): HTMLElement {
  if (ui.colourBy === 'group' && v.groups) {
    const cat = theme.categorical;
    return el(
      'div',
      { className: 'legend' },
      v.groups.groups.slice(0, cat.length).map((g) => swatch(cat[(g.id - 1) % cat.length]!, `group ${g.id}: ${g.label}`)),
    );
  }
  const colours = ramp(ctx, theme);
  return el('div', { className: 'legend' }, [
    el('span', { className: 'muted', text: 'pre-memorization accuracy' }),
    swatch(colours[0]!, '0 (copied before solved)'),
    swatch(colours[COLOUR_BINS / 2]!, '0.5'),
    swatch(theme.muted, 'unknown'),
    swatch(colours[COLOUR_BINS]!, '1'),
    el('span', { className: 'legend-item' }, [el('span', { className: 'outline-swatch', attrs: { 'aria-hidden': 'true' } }), 'memorized (outlined)']),
  ]);
}

function swatch(colour: string, label: string): HTMLElement {
  const s = el('span', { className: 'dot', attrs: { 'aria-hidden': 'true' } });
  s.style.setProperty('--swatch', colour);
  return el('span', { className: 'legend-item' }, [s, label]);
}

function boundsOf(s: Selection): Bounds | null {
  return s.kind === 'brush' ? s.bounds : null;
}

function drawSelection(ctx: CanvasRenderingContext2D, g: Geometry, theme: ChartTheme, live?: { x0: number; y0: number; x1: number; y1: number }): void {
  ctx.clearRect(0, 0, g.width, g.height);
  const b = boundsOf(ui.selection);
  const rect = live ?? (b && { x0: xOf(g, b.variability[0]), x1: xOf(g, b.variability[1]), y0: yOf(g, b.confidence[1]), y1: yOf(g, b.confidence[0]) });
  if (!live && ui.drawn && ui.rows.length) stampPoints(ctx, ui.drawn, ui.rows, theme.foreground, 2, window.devicePixelRatio || 1);
  if (rect) {
    ctx.strokeStyle = theme.foreground;
    ctx.lineWidth = 1;
    ctx.setLineDash([4, 3]);
    ctx.strokeRect(Math.min(rect.x0, rect.x1), Math.min(rect.y0, rect.y1), Math.abs(rect.x1 - rect.x0), Math.abs(rect.y1 - rect.y0));
    ctx.setLineDash([]);
  }
}

function wireMouse(overlay: HTMLCanvasElement, ctx: CanvasRenderingContext2D, g: Geometry, theme: ChartTheme, tip: HTMLElement): void {
  let drag: { x0: number; y0: number; x1: number; y1: number } | null = null;
  const at = (e: MouseEvent) => {
    const r = overlay.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  overlay.addEventListener('mousedown', (e) => {
    const p = at(e);
    drag = { x0: p.x, y0: p.y, x1: p.x, y1: p.y };
  });
  overlay.addEventListener('mousemove', (e) => {
    const p = at(e);
    if (drag) {
      drag.x1 = p.x;
      drag.y1 = p.y;
      drawSelection(ctx, g, theme, drag);
      tip.hidden = true;
      return;
    }
    const k = ui.drawn ? nearest(ui.drawn, p.x, p.y) : -1;
    overlay.style.cursor = k === -1 ? 'crosshair' : 'pointer';
    if (k === -1) {
      tip.hidden = true;
      return;
    }
    clear(tip);
    tip.append(...tipLines(k).map((t, i) => el(i === 0 ? 'strong' : 'div', { text: t })));
    tip.hidden = false;
    tip.style.left = `${Math.min(p.x + 12, g.width - 240)}px`;
    tip.style.top = `${Math.max(0, p.y - 10)}px`;
  });
  overlay.addEventListener('mouseleave', () => (tip.hidden = true));
  // One window listener for every render's overlay: the drag may end outside the canvas.
  onMouseUp = (e) => {
    if (!drag) return;
    const d = drag;
    drag = null;
    if (Math.abs(d.x1 - d.x0) < 4 && Math.abs(d.y1 - d.y0) < 4) {
      // A click, not a brush: open the point under it.
      const p = at(e);
      const k = ui.drawn ? nearest(ui.drawn, p.x, p.y) : -1;
      drawSelection(ctx, g, theme);
      if (k !== -1) void openExample(ui.view!.columns.index[k]!);
      return;
    }
    const v0 = variabilityAt(g, Math.min(d.x0, d.x1));
    const v1 = variabilityAt(g, Math.max(d.x0, d.x1));
    const c0 = confidenceAt(g, Math.max(d.y0, d.y1));
    const c1 = confidenceAt(g, Math.min(d.y0, d.y1));
    ui.selection = { kind: 'brush', bounds: { confidence: [round3(c0), round3(c1)], variability: [round3(v0), round3(v1)] } };
    brushTimed(() => undefined);
  };
}

let onMouseUp: ((e: MouseEvent) => void) | null = null;
window.addEventListener('mouseup', (e) => onMouseUp?.(e));

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function tipLines(k: number): string[] {
  const v = ui.view!;
  const c = v.columns;
  const step = c.memorizationStep[k]!;
  const group = c.group[k]!;
  const label = group ? v.groups?.groups.find((g) => g.id === group)?.label : undefined;
  return [
    `#${c.index[k]}`,
    `confidence ${num(c.confidence[k])} · variability ${num(c.variability[k])}`,
    `pre-memorization accuracy ${num(c.preMemorizationAccuracy[k])}`,
    Number.isNaN(step) ? 'never memorized' : `memorized at step ${step}`,
    c.region[k] === UNKNOWN_REGION ? '' : REGION_NAMES[c.region[k]!]!,
    label ? `group ${group}: ${label}` : '',
  ].filter((t) => t !== '');
}

/** Applies a new selection and records how long it took until drawn (the bench reads it). */
function brushTimed(before: () => void): void {
  const t0 = performance.now();
  before();
  ui.rows = selectedRows();
  ui.status = `${ui.rows.length.toLocaleString('en-US')} examples selected.`;
  renderSelection();
  void afterFrame().then(() => (timings.brushMs = performance.now() - t0));
}

function regionsTable(v: DataMapView): HTMLElement {
  const total = v.columns.index.length;
  return el('div', { className: 'table-scroll' }, [
    el('table', { className: 'numbers', attrs: { id: 'map-regions' } }, [
      el('caption', {
        className: 'muted',
        text: `Regions: ambiguous where variability ≥ ${v.regionCuts.variability}; below it, easy-to-learn where confidence ≥ ${v.regionCuts.confidence}, else hard-to-learn.`,
      }),
      tableHead(['region', 'examples', 'share', 'mean pre-mem acc', 'memorized']),
      el(
        'tbody',
        {},
        v.regions.map((r) =>
          el(
            'tr',
            {},
            [r.region, r.examples.toLocaleString('en-US'), pct(total ? r.examples / total : null), num(r.preMemorizationAccuracy), r.memorized.toLocaleString('en-US')].map((t) =>
              el('td', { text: t }),
            ),
          ),
        ),
      ),
    ]),
  ]);
}

/** The keyboard's brush: the rectangle's bounds as numbers, filled in by a drag. */
function brushForm(): HTMLElement {
  const b = boundsOf(ui.selection);
  const field = (id: string, label: string, value: number | undefined) => textField({ id, label, value: value === undefined ? '' : String(value), size: 6, onEnter: apply });
  fields.confLo = field('brush-confidence-from', 'Confidence from', b?.confidence[0]);
  fields.confHi = field('brush-confidence-to', 'Confidence to', b?.confidence[1]);
  fields.varLo = field('brush-variability-from', 'Variability from', b?.variability[0]);
  fields.varHi = field('brush-variability-to', 'Variability to', b?.variability[1]);
  function apply(): void {
    const read = (f: TextField | undefined, fallback: number) => (f && f.value.trim() !== '' ? Number(f.value) : fallback);
    const bounds: Bounds = { confidence: [read(fields.confLo, 0), read(fields.confHi, 1)], variability: [read(fields.varLo, 0), read(fields.varHi, 0.5)] };
    if ([...bounds.confidence, ...bounds.variability].some((x) => !Number.isFinite(x))) {
      ui.status = 'The bounds must be numbers, such as 0.25.';
      renderSelection();
      return;
    }
    ui.selection = { kind: 'brush', bounds };
    brushTimed(() => undefined);
  }
  return section('Select by bounds', [
    el('p', { className: 'muted', text: 'Drag a rectangle over the map, or type its bounds and press Enter. Click a point to open its example.' }),
    el('div', { className: 'controls' }, [
      el('span', { text: 'Confidence' }),
      fields.confLo.element,
      el('span', { text: 'to' }),
      fields.confHi.element,
      el('span', { className: 'spacer' }),
      el('span', { text: 'Variability' }),
      fields.varLo.element,
      el('span', { text: 'to' }),
      fields.varHi.element,
      button('Select', apply, { id: 'brush-apply', appearance: 'primary' }),
      button(
        'Clear Selection',
        () => {
          ui.selection = { kind: 'none' };
          ui.status = 'Selection cleared.';
          ui.rows = selectedRows();
          renderSelection();
        },
        { id: 'brush-clear', disabled: ui.selection.kind === 'none' },
      ),
    ]),
  ]);
}

const SHOWN_ROWS = 200;

function selectionSection(v: DataMapView): HTMLElement {
  const rows = ui.rows;
  if (ui.selection.kind === 'none') return section('Selection', [el('p', { className: 'muted', text: 'Nothing selected.' })]);
  const c = v.columns;
  const flags = new Map(v.flags.map((f) => [f.index, f.note]));
  const byRegion = REGION_NAMES.map((name, r) => `${rows.filter((k) => c.region[k] === r).length.toLocaleString('en-US')} ${name}`);
  const what = ui.selection.kind === 'region' ? `the ${REGION_NAMES[ui.selection.region]} region` : 'the rectangle';
  fields.note = textField({ id: 'selection-note', label: 'Note for the flags', placeholder: 'note (optional)', size: 28, value: fields.note?.value ?? '' });
  const flag = button(
    `Flag ${rows.length.toLocaleString('en-US')}`,
    () => {
      const note = fields.note?.value ?? '';
      const indices = Array.from(rows, (k) => c.index[k]!);
      void client
        .request('flagSelection', { indices, note })
        .then((next) => {
          ui.status = `Flagged ${indices.length.toLocaleString('en-US')} examples of ${v.runName}${note ? ` with the note “${note}”` : ''}.`;
          if (next) show(next, performance.now());
        })
        .catch((e: Error) => ((ui.status = e.message), renderSelection()));
    },
    { id: 'selection-flag', disabled: rows.length === 0, ariaLabel: `Flag ${rows.length} selected examples` },
  );
  const exportButton = button(
    `Export ${rows.length.toLocaleString('en-US')}…`,
    () => {
      void client
        .request('exportSelection', { indices: Array.from(rows, (k) => c.index[k]!) })
        .then((file) => {
          ui.status = file ? `Wrote ${rows.length.toLocaleString('en-US')} examples to ${file}.` : 'Export cancelled.';
          renderSelection();
          refocusAfterDialog(() => document.getElementById('selection-export'));
        })
        .catch((e: Error) => ((ui.status = e.message), renderSelection()));
    },
    { id: 'selection-export', disabled: rows.length === 0, ariaLabel: `Export ${rows.length} selected examples` },
  );
  const shown = Array.from(rows.subarray(0, SHOWN_ROWS));
  return section(`Selection: ${rows.length.toLocaleString('en-US')} examples in ${what}`, [
    el('p', { className: 'muted', text: `${byRegion.join(', ')}${ui.group ? `, in group ${ui.group}` : ''}.` }),
    el('div', { className: 'controls' }, [fields.note.element, flag, exportButton]),
    rows.length === 0
      ? el('p', { className: 'muted', text: 'No example falls in it.' })
      : el('div', { className: 'table-scroll' }, [
          el('table', { className: 'numbers', attrs: { id: 'selection-table' } }, [
            el('caption', {
              className: 'muted',
              text:
                rows.length > SHOWN_ROWS
                  ? `The first ${SHOWN_ROWS} in dataset order; flag and export act on all ${rows.length.toLocaleString('en-US')}. Enter opens an example.`
                  : 'Enter opens an example.',
            }),
            tableHead(['index', 'confidence', 'variability', 'pre-mem acc', 'memorized at', 'flag']),
            el(
              'tbody',
              {},
              shown.map((k) => {
                const step = c.memorizationStep[k]!;
                const index = c.index[k]!;
                const note = flags.get(index);
                return pickableRow(
                  el(
                    'tr',
                    { attrs: { id: `selection-row-${index}` } },
                    [
                      `#${index}`,
                      num(c.confidence[k]),
                      num(c.variability[k]),
                      num(c.preMemorizationAccuracy[k]),
                      Number.isNaN(step) ? 'never' : `step ${step}`,
                      note === undefined ? '' : note || '⚑',
                    ].map((t) => el('td', { text: t })),
                  ),
                  () => void openExample(index),
                );
              }),
            ),
          ]),
        ]),
  ]);
}

async function openExample(index: number): Promise<void> {
  try {
    await client.request('openExample', { index });
  } catch (e) {
    ui.status = (e as Error).message;
    renderSelection();
  }
}

mark('script');
void startPanel(app, () => client.request('ready', {}), show, 'This run is no longer indexed. Open it from the Runs view.');
