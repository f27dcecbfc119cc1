/**
 * Charts, drawn with Observable Plot (bundled; no network). Colours come from the VS Code
 * theme; Plot's own style element gets the page's nonce so the strict CSP accepts it.
 */
import * as Plot from '@observablehq/plot';
import type { ChartTheme } from './theme';

const NONCE = document.querySelector<HTMLScriptElement>('script[nonce]')?.nonce ?? '';

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Plot's chart with its style element allowed by the Content-Security-Policy, made one image to
 * assistive technology: `role="img"` with a title (its label) and a description where one is
 * given, and Plot's mark groups (labelled "line", "dot", "rule"…) hidden from the accessibility
 * tree, where a name on a plain group is not allowed and says nothing to a listener.
 */
function adopt<T extends Element>(node: T, o: { readonly description?: string; readonly describedBy?: string } = {}): T {
  const { description, describedBy } = o;
  for (const s of node.querySelectorAll('style')) s.nonce = NONCE;
  if (node instanceof SVGSVGElement) {
    node.setAttribute('role', 'img');
    for (const g of node.querySelectorAll('g[aria-label], g[aria-description]')) g.setAttribute('aria-hidden', 'true');
    if (describedBy) node.setAttribute('aria-describedby', describedBy);
    const label = node.getAttribute('aria-label');
    if (description) {
      const desc = document.createElementNS(SVG_NS, 'desc');
      desc.textContent = description;
      node.prepend(desc);
    }
    if (label) {
      const title = document.createElementNS(SVG_NS, 'title');
      title.textContent = label;
      node.prepend(title);
    }
  }
  return node;
}

function baseOptions(theme: ChartTheme, width: number, height: number) {
  return {
    width,
    height,
    marginLeft: 48,
    marginBottom: 36,
    style: { color: theme.foreground, background: 'transparent', fontFamily: theme.fontFamily, fontSize: '11px' },
  };
}

export interface Series {
  readonly key: string;
  readonly label: string;
  readonly color: string;
  readonly dashed?: boolean;
}

export interface LinePoint {
  readonly x: number;
  readonly series: string;
  readonly y: number;
}

export interface LineChartOptions {
  readonly theme: ChartTheme;
  readonly width: number;
  readonly height: number;
  readonly series: readonly Series[];
  readonly points: readonly LinePoint[];
  readonly xLabel: string;
  readonly yLabel: string;
  readonly yDomain?: readonly [number, number];
  readonly yLog?: boolean;
  /** Vertical markers, e.g. the memorization step or the selected checkpoint. */
  readonly rules?: readonly { readonly x: number; readonly color: string; readonly label: string }[];
  readonly onPick?: (x: number) => void;
  readonly ariaLabel: string;
  /** One sentence of what it shows, for listeners (the chart's `desc`). */
  readonly description?: string;
  /** The id of the table holding its figures, linked with aria-describedby. */
  readonly describedBy?: string;
  /** Tick labels on x; default: whole numbers only (training steps). */
  readonly xTickFormat?: (x: number) => string;
}

export function lineChart(o: LineChartOptions): SVGSVGElement {
  const colors = o.series.map((s) => s.color);
  const keys = o.series.map((s) => s.key);
  const dashed = new Set(o.series.filter((s) => s.dashed).map((s) => s.key));
  const marks: Plot.Markish[] = [
    Plot.ruleY(o.yLog ? [] : [0], { stroke: o.theme.grid }),
    ...(o.rules ?? []).map((r) => Plot.ruleX([r.x], { stroke: r.color, strokeDasharray: '4,3', strokeWidth: 1.5 })),
    // Labels of neighbouring rules would overlap: each further rule's label sits a line lower.
    ...(o.rules ?? []).map((r, i) =>
      Plot.text([r.x], { x: (d: number) => d, frameAnchor: 'top', dy: -2 + 12 * i, text: () => r.label, fill: r.color, textAnchor: 'start', dx: 3 }),
    ),
    Plot.line(
      o.points.filter((p) => !dashed.has(p.series)),
      { x: 'x', y: 'y', z: 'series', stroke: 'series', strokeWidth: 2 },
    ),
    Plot.line(
      o.points.filter((p) => dashed.has(p.series)),
      { x: 'x', y: 'y', z: 'series', stroke: 'series', strokeWidth: 1.5, strokeDasharray: '5,4' },
    ),
    Plot.dot(o.points, { x: 'x', y: 'y', fill: 'series', r: 2.5 }),
    Plot.tip(
      o.points,
      Plot.pointerX({
        x: 'x',
        y: 'y',
        stroke: 'series',
        title: (p: LinePoint) => `${o.series.find((s) => s.key === p.series)?.label}: ${Number(p.y.toPrecision(4))}\n${o.xLabel} ${p.x}`,
      }),
    ),
  ];
  const svg = Plot.plot({
    ...baseOptions(o.theme, o.width, o.height),
    ariaLabel: o.ariaLabel,
    // Steps are whole numbers: no "1.000000" ticks when a run has a single checkpoint.
    x: { label: o.xLabel, grid: true, tickFormat: o.xTickFormat ?? ((d: number) => (Number.isInteger(d) ? String(d) : '')) },
    y: { label: o.yLabel, grid: true, ...(o.yLog ? { type: 'log' as const } : { domain: o.yDomain ? [...o.yDomain] : undefined }) },
    color: { domain: keys, range: colors },
    marks,
  }) as SVGSVGElement & { value?: LinePoint | null };
  if (o.onPick) {
    const pick = o.onPick;
    svg.classList.add('pickable');
    svg.addEventListener('click', () => svg.value && pick(svg.value.x));
  }
  return adopt(svg, o);
}

export interface ScatterPoint {
  readonly x: number;
  readonly y: number;
  readonly group: string;
  readonly step: number;
  readonly label: string;
  readonly selected: boolean;
}

export interface ScatterOptions {
  readonly theme: ChartTheme;
  readonly width: number;
  readonly height: number;
  readonly points: readonly ScatterPoint[];
  readonly groups: readonly { readonly key: string; readonly color: string; readonly symbol: string }[];
  readonly fit: { readonly slope: number; readonly intercept: number } | null;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly onPick?: (p: ScatterPoint) => void;
  readonly ariaLabel: string;
  /** One sentence of what it shows, for listeners (the chart's `desc`). */
  readonly description?: string;
  /** The id of the table holding its figures, linked with aria-describedby. */
  readonly describedBy?: string;
}

export function scatterChart(o: ScatterOptions): SVGSVGElement {
  const xs = o.points.map((p) => p.x);
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const fitLine = o.fit && Number.isFinite(lo) ? [lo, hi].map((x) => ({ x, y: o.fit!.slope * x + o.fit!.intercept })) : [];
  const svg = Plot.plot({
    ...baseOptions(o.theme, o.width, o.height),
    ariaLabel: o.ariaLabel,
    x: { label: o.xLabel, grid: true },
    y: { label: o.yLabel, grid: true },
    color: { domain: o.groups.map((g) => g.key), range: o.groups.map((g) => g.color) },
    symbol: { domain: o.groups.map((g) => g.key), range: o.groups.map((g) => g.symbol) },
    marks: [
      Plot.line(fitLine, { x: 'x', y: 'y', stroke: o.theme.muted, strokeWidth: 1.5, strokeDasharray: '6,4' }),
      Plot.dot(o.points, { x: 'x', y: 'y', stroke: 'group', symbol: 'group', r: 4, strokeWidth: 1.5 }),
      Plot.dot(
        o.points.filter((p) => p.selected),
        { x: 'x', y: 'y', r: 9, stroke: o.theme.foreground, strokeWidth: 2 },
      ),
      Plot.tip(o.points, Plot.pointer({ x: 'x', y: 'y', title: (p: ScatterPoint) => `${p.label}\nx ${p.x.toFixed(4)} · test ${p.y.toFixed(4)}` })),
    ],
  }) as SVGSVGElement & { value?: ScatterPoint | null };
  if (o.onPick) {
    const pick = o.onPick;
    svg.classList.add('pickable');
    svg.addEventListener('click', () => svg.value && pick(svg.value));
  }
  return adopt(svg, o);
}

export interface BarChartOptions {
  readonly theme: ChartTheme;
  readonly width: number;
  readonly height: number;
  readonly bars: readonly { readonly label: string; readonly value: number }[];
  readonly color: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly ariaLabel: string;
  /** One sentence of what it shows, for listeners (the chart's `desc`). */
  readonly description?: string;
  /** The id of the table holding its figures, linked with aria-describedby. */
  readonly describedBy?: string;
}

/** Bars over ordered categories (a histogram whose bins have labels), with the count on each bar. */
export function barChart(o: BarChartOptions): SVGSVGElement {
  const svg = Plot.plot({
    ...baseOptions(o.theme, o.width, o.height),
    ariaLabel: o.ariaLabel,
    x: { label: o.xLabel, domain: o.bars.map((b) => b.label), tickRotate: o.bars.length > 8 ? -30 : 0 },
    y: { label: o.yLabel, grid: true },
    marginBottom: 56,
    marks: [
      Plot.barY(o.bars, { x: 'label', y: 'value', fill: o.color }),
      Plot.text(o.bars, { x: 'label', y: 'value', text: (b: { value: number }) => String(b.value), dy: -6, fill: o.theme.foreground }),
      Plot.ruleY([0]),
    ],
  }) as SVGSVGElement;
  return adopt(svg, o);
}

export interface IntervalBarOptions {
  readonly theme: ChartTheme;
  readonly width: number;
  readonly height: number;
  /** A bar per category with its 95% interval; null values draw nothing (an empty bin). */
  readonly bars: readonly { readonly label: string; readonly value: number | null; readonly low: number | null; readonly high: number | null; readonly note: string }[];
  readonly color: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly ariaLabel: string;
  /** One sentence of what it shows, for listeners (the chart's `desc`). */
  readonly description?: string;
  /** The id of the table holding its figures, linked with aria-describedby. */
  readonly describedBy?: string;
}

/** Means over ordered categories with their intervals as whiskers, each bar labelled (e.g. "n=12"). */
export function intervalBarChart(o: IntervalBarOptions): SVGSVGElement {
  const shown = o.bars.filter((b) => b.value !== null);
  const whiskers = shown.filter((b) => b.low !== null && b.high !== null);
  const svg = Plot.plot({
    ...baseOptions(o.theme, o.width, o.height),
    ariaLabel: o.ariaLabel,
    x: { label: o.xLabel, domain: o.bars.map((b) => b.label) },
    y: { label: o.yLabel, grid: true, domain: [0, 1] },
    marks: [
      Plot.barY(shown, { x: 'label', y: 'value', fill: o.color, fillOpacity: 0.75 }),
      Plot.ruleX(whiskers, { x: 'label', y1: 'low', y2: 'high', stroke: o.theme.foreground, strokeWidth: 1.5 }),
      Plot.text(o.bars, { x: 'label', y: 0, text: 'note', dy: -8, fill: o.theme.foreground }),
      Plot.ruleY([0]),
    ],
  }) as SVGSVGElement;
  return adopt(svg, o);
}
