/**
 * The table of a sweep: a row per example, and per run its pre-memorization accuracy (a heat
 * cell), memorization step and train accuracy, under headers carrying the runs' hyperparameters.
 * Virtualised: only the rows in view are in the DOM, so 150,000 rows scroll as 50 do. Sorting and
 * filtering run over the typed columns (rows.ts); a search or a slice asks the host.
 */
import type { SliceColumn, SweepTableMethods, SweepTableNotifications, SweepTableState, SweepTableView } from '../../src/protocol/sweepTable';
import { distinguishingNames, num } from '../../src/present/format';
import { button, dropdown, textField, type TextField } from '../components/controls';
import { clear, el, focusedId, restoreFocus } from '../shared/dom';
import { mark, markPainted } from '../shared/marks';
import { createClient, newestOnly } from '../shared/rpc';
import { startPanel } from '../shared/start';
import { onThemeChange } from '../shared/theme';
import { filteredRows, sortRows, type CellKind, type Filter, type Sort, type SortKey } from './rows';

const client = createClient<SweepTableMethods, SweepTableNotifications, SweepTableState>();
const app = document.getElementById('app')!;
const newestSearch = newestOnly();

const timings: NonNullable<Window['prememTimings']> = (window.prememTimings = {});

const ROW_HEIGHT = 24;
const OVERSCAN = 10;
const CELLS: readonly CellKind[] = ['premem', 'step', 'train'];
const CELL_LABEL: Record<CellKind, string> = { premem: 'pre-mem', step: 'memorized', train: 'train' };
const CELL_TITLE: Record<CellKind, string> = {
  premem: 'pre-memorization accuracy at the last checkpoint',
  step: 'the step at which it was first memorized',
  train: 'train accuracy at the last checkpoint',
};

const ui = {
  view: null as SweepTableView | null,
  sort: { key: { kind: 'copied' }, descending: true, byGroup: false } as Sort,
  filter: { text: null, slice: null, flaggedOnly: false, group: 0 } as Filter,
  searchText: '',
  sliceField: '',
  slice: null as SliceColumn | null,
  sliceLabel: -1,
  /** Run columns ordered (and banded) by this hyperparameter; '' keeps the runs' order. */
  runsBy: '',
  rows: new Int32Array(0) as Int32Array,
  /** The keyboard's cell: a position in `rows` and a column. */
  active: { row: 0, col: 0 },
  status: '',
};

client.on('show', (v) => show(v, performance.now()));
onThemeChange(() => ui.view && render());

function show(v: SweepTableView, since: number): void {
  const same = ui.view?.sweepPath === v.sweepPath;
  ui.view = v;
  client.setState({ sweepPath: v.sweepPath });
  if (!same) {
    ui.filter = { text: null, slice: null, flaggedOnly: false, group: 0 };
    ui.searchText = '';
    ui.slice = null;
    ui.sliceField = '';
  }
  if (ui.sort.key.kind === 'cell' && ui.sort.key.run >= v.runs.length) ui.sort = { ...ui.sort, key: { kind: 'copied' } };
  reorder();
  render();
  void afterFrame().then(() => {
    timings.paintMs = performance.now() - since;
    markPainted('painted');
  });
}

const afterFrame = () => new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0)));

function reorder(): void {
  ui.rows = sortRows(ui.view!, filteredRows(ui.view!, ui.filter), ui.sort);
  ui.active = { row: Math.min(ui.active.row, Math.max(0, ui.rows.length - 1)), col: ui.active.col };
}

/** Runs in column order: by the chosen hyperparameter's value (numbers by value), else as sent. */
function runOrder(v: SweepTableView): number[] {
  const order = v.runs.map((_, j) => j);
  if (!ui.runsBy) return order;
  const val = (j: number) => v.runs[j]!.hyperparameters[ui.runsBy]?.value;
  return order.sort((a, b) => {
    const x = val(a);
    const y = val(b);
    if (x === undefined || y === undefined) return x === undefined ? (y === undefined ? a - b : 1) : -1;
    if (typeof x === 'number' && typeof y === 'number') return x - y || a - b;
    return String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : a - b;
  });
}

interface Column {
  readonly header: string;
  readonly title: string;
  readonly key: SortKey;
  readonly run: number | null;
  readonly cell: CellKind | null;
}

function columns(v: SweepTableView): Column[] {
  const fixed: Column[] = [
    { header: 'index', title: 'dataset index', key: { kind: 'index' }, run: null, cell: null },
    ...(v.groups ? [{ header: 'group', title: 'group of similar questions', key: { kind: 'group' } as SortKey, run: null, cell: null }] : []),
    { header: 'copied', title: 'runs in which it was memorized before any sample solved it', key: { kind: 'copied' }, run: null, cell: null },
    { header: 'mean', title: 'mean pre-memorization accuracy over the runs', key: { kind: 'mean' }, run: null, cell: null },
  ];
  return [
    ...fixed,
    ...runOrder(v).flatMap((j) => CELLS.map((cell): Column => ({ header: CELL_LABEL[cell], title: CELL_TITLE[cell], key: { kind: 'cell', run: j, cell }, run: j, cell }))),
  ];
}

const sameKey = (a: SortKey, b: SortKey) => a.kind === b.kind && (a.kind !== 'cell' || (b.kind === 'cell' && a.run === b.run && a.cell === b.cell));

function render(): void {
  const v = ui.view!;
  const focused = focusedId();
  clear(app);
  app.removeAttribute('aria-busy');
  app.append(
    el('h1', { text: `Sweep table · ${v.sweepName}` }),
    el('p', {
      className: 'criterion',
      text: `${v.index.length.toLocaleString('en-US')} examples × ${v.runs.length} runs, at each run’s last checkpoint; memorized at ${thresholdsDiffer(v) ? 'each run’s own threshold (in the header)' : (v.runs[0]?.threshold.origin ?? '')}.${v.groups ? ` Groups of similar questions: MinHash over words, Jaccard ≥ ${v.groups.minSimilarity}.` : ''}`,
    }),
    controls(v),
    el('p', {
      className: 'muted',
      attrs: { id: 'table-count' },
      text: `${ui.rows.length.toLocaleString('en-US')} of ${v.index.length.toLocaleString('en-US')} rows. Arrow keys move between cells, Enter opens the example at that cell’s run.`,
    }),
    grid(v),
    el('p', { className: 'status', attrs: { role: 'status', id: 'table-status' }, text: ui.status }),
  );
  restoreFocus(focused);
}

const thresholdsDiffer = (v: SweepTableView) => new Set(v.runs.map((r) => r.threshold.loglog)).size > 1;

function controls(v: SweepTableView): HTMLElement {
  const search: TextField = textField({
    id: 'table-search',
    label: 'Search the questions',
    placeholder: 'search questions',
    value: ui.searchText,
    size: 22,
    onEnter: () => void applySearch(search.value),
  });
  const sliceField = v.sliceFields.length
    ? dropdown([{ value: '', label: 'No slice filter' }, ...v.sliceFields.map((f) => ({ value: f, label: `By ${f}` }))], ui.sliceField, (f) => void chooseSliceField(f), {
        id: 'table-slice-field',
        label: 'Filter by a field',
      })
    : null;
  const sliceValue =
    ui.slice && ui.sliceField
      ? dropdown(
          [{ value: '-1', label: 'Every value' }, ...ui.slice.labels.map((l, i) => ({ value: String(i), label: l }))],
          String(ui.sliceLabel),
          (x) => {
            ui.sliceLabel = Number(x);
            ui.filter = { ...ui.filter, slice: ui.sliceLabel >= 0 ? { of: ui.slice!.of, label: ui.sliceLabel } : null };
            timedReorder();
          },
          { id: 'table-slice-value', label: `${ui.sliceField} value` },
        )
      : null;
  const groupFilter = v.groups
    ? dropdown(
        [{ value: '0', label: 'Every group' }, ...v.groups.groups.slice(0, 200).map((g) => ({ value: String(g.id), label: `Group ${g.id}: ${g.label} (${g.size})` }))],
        String(ui.filter.group),
        (x) => {
          ui.filter = { ...ui.filter, group: Number(x) };
          timedReorder();
        },
        { id: 'table-group', label: 'Group of similar questions' },
      )
    : null;
  const runsBy = dropdown(
    [{ value: '', label: 'Runs in name order' }, ...[...v.varying].map((k) => ({ value: k, label: `Runs by ${k}` }))],
    ui.runsBy,
    (x) => {
      ui.runsBy = x;
      render();
    },
    { id: 'table-runs-by', label: 'Group the runs by a hyperparameter' },
  );
  const flagged = el('input', { attrs: { type: 'checkbox', id: 'table-flagged' } });
  flagged.checked = ui.filter.flaggedOnly;
  flagged.addEventListener('change', () => {
    ui.filter = { ...ui.filter, flaggedOnly: flagged.checked };
    timedReorder();
  });
  const byGroup = el('input', { attrs: { type: 'checkbox', id: 'table-by-group' } });
  byGroup.checked = ui.sort.byGroup;
  byGroup.disabled = !v.groups;
  byGroup.addEventListener('change', () => {
    ui.sort = { ...ui.sort, byGroup: byGroup.checked };
    timedReorder();
  });
  return el('div', { className: 'controls' }, [
    search.element,
    button('Search', () => void applySearch(search.value), { id: 'table-search-go' }),
    sliceField?.element,
    sliceValue?.element,
    groupFilter?.element,
    el('label', { className: 'check' }, [flagged, 'Flagged only']),
    el('span', { className: 'spacer' }),
    runsBy.element,
    el('label', { className: 'check' }, [byGroup, 'Rows by group']),
  ]);
}

async function applySearch(text: string): Promise<void> {
  ui.searchText = text;
  if (text.trim() === '') ui.filter = { ...ui.filter, text: null };
  else {
    const rows = await newestSearch(client.request('search', { text: text.trim() }));
    if (rows === undefined) return;
    ui.filter = { ...ui.filter, text: rows };
  }
  timedReorder();
}

async function chooseSliceField(field: string): Promise<void> {
  ui.sliceField = field;
  ui.sliceLabel = -1;
  ui.filter = { ...ui.filter, slice: null };
  ui.slice = field ? await client.request('slice', { field }) : null;
  timedReorder();
}

/** Re-sorts or re-filters and records how long until drawn (the bench reads it). */
function timedReorder(): void {
  const t0 = performance.now();
  reorder();
  render();
  void afterFrame().then(() => (timings.sortMs = performance.now() - t0));
}

function sortBy(key: SortKey): void {
  const same = sameKey(ui.sort.key, key);
  // A new column starts where it is most telling: the lowest accuracy, the most copies first.
  ui.sort = { ...ui.sort, key, descending: same ? !ui.sort.descending : key.kind === 'copied' };
  timedReorder();
}

function grid(v: SweepTableView): HTMLElement {
  const cols = columns(v);
  const names = distinguishingNames(v.runs.map((r) => r.name));
  const order = runOrder(v);
  const fixedCount = cols.length - order.length * CELLS.length;
  const headRows: HTMLElement[] = [];
  // The grouping hyperparameter's values first, adjacent equal ones merged into one band; then the
  // runs; then the other hyperparameters that differ between them.
  const runHeaderRow = (label: string, text: (j: number) => string, title: (j: number) => string, merge = false) => {
    const cells: HTMLElement[] = [];
    for (let i = 0; i < order.length;) {
      let span = 1;
      while (merge && i + span < order.length && text(order[i + span]!) === text(order[i]!)) span++;
      cells.push(
        el('th', {
          text: text(order[i]!),
          title: title(order[i]!),
          attrs: { colspan: String(CELLS.length * span), scope: 'colgroup', class: merge ? 'run-head band' : 'run-head' },
        }),
      );
      i += span;
    }
    return el('tr', {}, [el('th', { text: label, attrs: { colspan: String(fixedCount), scope: 'row' } }), ...cells]);
  };
  const hyper = (k: string, merge: boolean) =>
    runHeaderRow(
      k,
      (j) => String(v.runs[j]!.hyperparameters[k]?.value ?? '—'),
      (j) => `${k}: from ${v.runs[j]!.hyperparameters[k]?.source ?? 'nowhere'}`,
      merge,
    );
  if (ui.runsBy) headRows.push(hyper(ui.runsBy, true));
  headRows.push(
    runHeaderRow(
      'run',
      (j) => names[j]!,
      (j) => v.runs[j]!.name,
    ),
  );
  for (const k of v.varying) if (k !== ui.runsBy) headRows.push(hyper(k, false));
  // Runs of one sweep share its threshold unless one keeps its own: then each column says which.
  if (thresholdsDiffer(v))
    headRows.push(
      runHeaderRow(
        'memorized at',
        (j) => `ln ln ${v.runs[j]!.threshold.loglog.toFixed(2).replace('-', '−')}`,
        (j) => v.runs[j]!.threshold.origin,
      ),
    );
  headRows.push(
    el(
      'tr',
      {},
      cols.map((c) => {
        const sorted = sameKey(ui.sort.key, c.key);
        const th = el('th', { attrs: { scope: 'col', 'aria-sort': sorted ? (ui.sort.descending ? 'descending' : 'ascending') : 'none' } });
        const b = el('button', {
          className: 'sort',
          title: `${c.title}${c.run !== null ? ` · ${v.runs[c.run]!.name}` : ''}. Sort by it`,
          text: `${c.header}${sorted ? (ui.sort.descending ? ' ▼' : ' ▲') : ''}`,
          attrs: { type: 'button', id: `sort-${c.run ?? 'x'}-${c.cell ?? c.key.kind}`, 'aria-label': `${c.header}${c.run !== null ? ` of ${names[c.run]}` : ''}: sort` },
        });
        b.addEventListener('click', () => sortBy(c.key));
        th.append(b);
        return th;
      }),
    ),
  );
  const table = el('table', { className: 'sweep', attrs: { id: 'sweep-table', 'aria-rowcount': String(ui.rows.length + headRows.length), 'aria-colcount': String(cols.length) } }, [
    el('thead', {}, headRows),
  ]);
  const body = el('tbody');
  table.append(body);
  const scroller = el('div', { className: 'scroller', attrs: { id: 'table-scroller', 'aria-describedby': 'table-count' } }, [table]);
  const flagged = new Set(v.flagged);
  let first = -1;
  let last = -1;
  const draw = (force = false) => {
    const top = Math.max(0, Math.floor(scroller.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const count = Math.ceil(scroller.clientHeight / ROW_HEIGHT) + 2 * OVERSCAN;
    const end = Math.min(ui.rows.length, top + count);
    if (!force && top === first && end === last) return;
    first = top;
    last = end;
    clear(body);
    body.append(spacer(top, cols.length));
    for (let i = top; i < end; i++) body.append(rowOf(v, cols, ui.rows[i]!, i, headRows.length, flagged));
    body.append(spacer(ui.rows.length - end, cols.length));
  };
  scroller.addEventListener('scroll', () => requestAnimationFrame(() => draw()));
  scroller.addEventListener('keydown', (e) => onKey(e, scroller, cols, draw));
  scroller.addEventListener('click', (e) => {
    const td = (e.target as Element).closest('td[data-row]');
    if (td instanceof HTMLElement) {
      ui.active = { row: Number(td.dataset['row']), col: Number(td.dataset['col']) };
      void openCell(v, cols);
    }
  });
  // Drawn once the scroller is in the page (render appends it before microtasks run), so it has its height.
  queueMicrotask(() => draw(true));
  return scroller;
}

function spacer(rows: number, span: number): HTMLElement {
  const tr = el('tr', { className: 'spacer', attrs: { 'aria-hidden': 'true' } }, [el('td', { attrs: { colspan: String(span) } })]);
  tr.style.height = `${rows * ROW_HEIGHT}px`;
  return tr;
}

function rowOf(v: SweepTableView, cols: readonly Column[], k: number, position: number, headRows: number, flagged: ReadonlySet<number>): HTMLElement {
  const index = v.index[k]!;
  const tr = el('tr', { attrs: { 'aria-rowindex': String(position + headRows + 1) } });
  cols.forEach((c, ci) => {
    let text = '';
    let heat: number | null = null;
    if (c.cell === null) {
      if (c.key.kind === 'index') text = `#${index}${flagged.has(index) ? ' ⚑' : ''}`;
      else if (c.key.kind === 'group') text = v.group[k] ? String(v.group[k]) : '';
      else if (c.key.kind === 'copied') text = String(v.copiedBeforeSolved[k]);
      else text = num(v.meanPreMemorizationAccuracy[k], 3);
    } else {
      const cell = v.cells[c.run!]!;
      if (Number.isNaN(cell.trainAccuracy[k]!)) text = '';
      else if (c.cell === 'premem') {
        const p = cell.preMemorizationAccuracy[k]!;
        text = num(p, 2);
        heat = Number.isFinite(p) ? p : null;
      } else if (c.cell === 'step') text = Number.isNaN(cell.memorizationStep[k]!) ? '·' : String(cell.memorizationStep[k]);
      else text = num(cell.trainAccuracy[k], 2);
    }
    const active = ui.active.row === position && ui.active.col === ci;
    const td = el('td', {
      text,
      className: `${c.cell ?? c.key.kind}${c.cell === 'premem' ? ' run-start' : ''}${heat !== null ? ' heat' : ''}`,
      attrs: { 'data-row': String(position), 'data-col': String(ci), tabindex: active ? '0' : '-1', id: active ? 'table-active-cell' : `cell-${position}-${ci}` },
    });
    if (heat !== null) td.style.setProperty('--heat', `${Math.round(heat * 100)}%`);
    tr.append(td);
  });
  return tr;
}

function onKey(e: KeyboardEvent, scroller: HTMLElement, cols: readonly Column[], draw: (force?: boolean) => void): void {
  // The cells' keys only: Enter on a header's sort button is the button's.
  if (!(e.target instanceof HTMLElement) || e.target.tagName !== 'TD') return;
  const page = Math.max(1, Math.floor(scroller.clientHeight / ROW_HEIGHT) - 1);
  const moves: Record<string, () => void> = {
    ArrowDown: () => ui.active.row++,
    ArrowUp: () => ui.active.row--,
    ArrowRight: () => ui.active.col++,
    ArrowLeft: () => ui.active.col--,
    PageDown: () => (ui.active.row += page),
    PageUp: () => (ui.active.row -= page),
    Home: () => (e.ctrlKey ? (ui.active.row = 0) : (ui.active.col = 0)),
    End: () => (e.ctrlKey ? (ui.active.row = ui.rows.length - 1) : (ui.active.col = cols.length - 1)),
  };
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    void openCell(ui.view!, cols);
    return;
  }
  const move = moves[e.key];
  if (!move) return;
  e.preventDefault();
  move();
  ui.active.row = Math.max(0, Math.min(ui.rows.length - 1, ui.active.row));
  ui.active.col = Math.max(0, Math.min(cols.length - 1, ui.active.col));
  // Keep the active row in view, below the sticky header.
  const head = scroller.querySelector('thead')!.getBoundingClientRect().height;
  const y = ui.active.row * ROW_HEIGHT;
  if (y < scroller.scrollTop) scroller.scrollTop = y;
  else if (y + ROW_HEIGHT > scroller.scrollTop + scroller.clientHeight - head) scroller.scrollTop = y + ROW_HEIGHT - scroller.clientHeight + head;
  draw(true);
  document.getElementById('table-active-cell')?.focus();
}

/** The example of the active cell, at its run (the first run that analyses it, left of a run's columns). */
async function openCell(v: SweepTableView, cols: readonly Column[]): Promise<void> {
  const k = ui.rows[ui.active.row];
  if (k === undefined) return;
  const c = cols[ui.active.col]!;
  const run = c.run ?? runOrder(v).find((j) => !Number.isNaN(v.cells[j]!.trainAccuracy[k]!));
  if (run === undefined || Number.isNaN(v.cells[run]!.trainAccuracy[k]!)) {
    ui.status = `#${v.index[k]} is not analysed by ${run === undefined ? 'any run' : v.runs[run]!.name}.`;
    render();
    return;
  }
  try {
    await client.request('open', { runPath: v.runs[run]!.path, index: v.index[k]! });
    ui.status = `Opened #${v.index[k]} at ${v.runs[run]!.name}.`;
  } catch (err) {
    ui.status = (err as Error).message;
  }
  document.getElementById('table-status')!.textContent = ui.status;
}

mark('script');
void startPanel(app, () => client.request('ready', {}), show, 'No run of this sweep is indexed any more. Open it from the Runs view.');
