/**
 * The dashboard's state and the actions every section shares: the host client, what is shown
 * (the figures, the selected run and checkpoint, the answers kept across re-renders), and how a
 * section asks for a re-render. Sections live one per module beside it; main.ts lays them out.
 */
import type {
  CalibrationView,
  DashboardData,
  DashboardMethods,
  DashboardNotifications,
  DashboardState,
  LowExample,
  SlicesView,
  TextCalibrationView,
} from '../../src/protocol/dashboard';
import { button } from '../components/controls';
import { pngFile, svgFile } from '../shared/chartExport';
import { el, refocusAfterDialog } from '../shared/dom';
import { markPainted } from '../shared/marks';
import { createClient, newestOnly } from '../shared/rpc';
import type { ChartTheme } from '../shared/theme';

export const client = createClient<DashboardMethods, DashboardNotifications, DashboardState>();
export const app = document.getElementById('app')!;

/** What the panel shows; sections read it and actions change it, then ask for a re-render. */
export const ui = {
  data: null as DashboardData | null,
  runPath: client.getState()?.runPath ?? null,
  step: null as number | null,
  lowest: [] as readonly LowExample[],
  lowestFor: null as string | null,
  /** The run's slices as last asked for, kept across re-renders of the same run. */
  slicesView: null as SlicesView | null,
  sliceBy: client.getState()?.sliceBy ?? null,
  /** The last calibration, kept across re-renders of the same sweep. */
  calibration: null as CalibrationView | null,
  /** The last calibration against the texts, kept across re-renders of the same run. */
  textCalibration: null as TextCalibrationView | null,
};

let renderer: ((d: DashboardData) => void) | null = null;

/** main.ts lays the sections out; a section that changed `ui` asks for it again here. */
export function onRender(f: (d: DashboardData) => void): void {
  renderer = f;
}

export function rerender(): void {
  if (ui.data && renderer) renderer(ui.data);
}

/** Charts currently shown, by name, for export. */
export const charts = new Map<string, SVGSVGElement>();

/** Keeps a drawn chart for its export buttons. */
export function keep(name: string, svg: SVGSVGElement): SVGSVGElement {
  charts.set(name, svg);
  return svg;
}

/** Late answers about a run the user has already left, or figures since replaced, are dropped. */
export const newestSelect = newestOnly();
export const newestSlices = newestOnly();
export const newestData = newestOnly();

export function show(d: DashboardData): void {
  ui.data = d;
  if (d.selected) {
    ui.runPath = d.selected.runPath;
    ui.step = d.selected.step;
  }
  if (!d.runs.some((r) => r.path === ui.runPath)) ui.runPath = d.runs.find((r) => r.checkpoints.length > 0)?.path ?? d.runs[0]?.path ?? null;
  client.setState({ runPath: ui.runPath, sliceBy: ui.sliceBy });
  rerender();
  if (ui.runPath && ui.lowestFor !== ui.runPath) void select(ui.runPath, ui.step);
}

export async function select(path: string, atStep: number | null): Promise<void> {
  ui.runPath = path;
  ui.step = atStep;
  client.setState({ runPath: ui.runPath, sliceBy: ui.sliceBy });
  try {
    const answer = await newestSelect(client.request('select', { runPath: path, step: atStep }));
    if (answer === undefined) return;
    ui.lowest = answer;
    ui.lowestFor = path;
    markPainted('complete');
  } catch (e) {
    ui.lowest = [];
    showError((e as Error).message);
  }
  rerender();
}

export const round = (x: number) => Number(x.toPrecision(6));

export async function setThreshold(form: 'loglog' | 'perplexity', text: string): Promise<void> {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || (form === 'perplexity' && value <= 1)) {
    showError(form === 'perplexity' ? 'A perplexity threshold is a number above 1, e.g. 1.1055.' : 'An ln ln threshold is a number such as -2.3.');
    return;
  }
  await act(() => client.request('setThreshold', { form, value }));
}

export async function act(request: () => Promise<DashboardData>): Promise<void> {
  try {
    const d = await newestData(request());
    if (d) show(d);
  } catch (e) {
    showError((e as Error).message);
  }
}

export function showError(message: string): void {
  document.getElementById('error')?.remove();
  app.prepend(el('p', { className: 'error', text: message, attrs: { id: 'error', role: 'alert' } }));
}

export function exportButtons(name: string, theme: ChartTheme): HTMLElement {
  const save = async (format: 'svg' | 'png') => {
    const svg = charts.get(name);
    if (!svg) return;
    try {
      const dataText = format === 'svg' ? svgFile(svg, theme) : await pngFile(svg, theme);
      await client.request('saveChart', { name, format, data: dataText });
    } catch (e) {
      showError((e as Error).message);
    }
    // The save dialog took the focus; bring it back to the button that asked (or its redrawn twin).
    refocusAfterDialog(() => document.getElementById(`export-${name}-${format}`));
  };
  const svgButton = button('SVG', () => void save('svg'), { appearance: 'icon', title: 'Save this chart as SVG', id: `export-${name}-svg` });
  const pngButton = button('PNG', () => void save('png'), { appearance: 'icon', title: 'Save this chart as PNG', id: `export-${name}-png` });
  return el('span', { className: 'export' }, [svgButton, pngButton]);
}
