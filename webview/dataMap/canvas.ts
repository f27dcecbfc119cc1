/**
 * The data map's drawing: every point on one canvas (one SVG node per point stalls the page at
 * 150,000), binned by colour so the context switches fill style a dozen times, not per point; and
 * a grid of the drawn points by pixel cell, so hovering finds the nearest point without a scan.
 */
import type { DataMapColumns } from '../../src/protocol/dataMap';
import type { ChartTheme } from '../shared/theme';

export const MARGIN = { left: 52, right: 16, top: 14, bottom: 44 } as const;
/** Variability of values in [0, 1] is at most 0.5. */
export const MAX_VARIABILITY = 0.5;
const CELL = 6;
export const COLOUR_BINS = 10;

export interface Geometry {
  readonly width: number;
  readonly height: number;
  readonly plotWidth: number;
  readonly plotHeight: number;
}

export function geometry(width: number, height: number): Geometry {
  return { width, height, plotWidth: width - MARGIN.left - MARGIN.right, plotHeight: height - MARGIN.top - MARGIN.bottom };
}

export const xOf = (g: Geometry, variability: number): number => MARGIN.left + (variability / MAX_VARIABILITY) * g.plotWidth;
export const yOf = (g: Geometry, confidence: number): number => MARGIN.top + (1 - confidence) * g.plotHeight;
export const variabilityAt = (g: Geometry, x: number): number => Math.min(MAX_VARIABILITY, Math.max(0, ((x - MARGIN.left) / g.plotWidth) * MAX_VARIABILITY));
export const confidenceAt = (g: Geometry, y: number): number => Math.min(1, Math.max(0, 1 - (y - MARGIN.top) / g.plotHeight));

/** A CSS colour as [r, g, b], through the canvas's own parser (theme variables hold any CSS form). */
function rgb(ctx: CanvasRenderingContext2D, colour: string): [number, number, number] {
  ctx.fillStyle = '#000';
  ctx.fillStyle = colour;
  const c = ctx.fillStyle;
  if (c.startsWith('#')) return [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)];
  const m = /(\d+(?:\.\d+)?)\D+(\d+(?:\.\d+)?)\D+(\d+(?:\.\d+)?)/.exec(c);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [128, 128, 128];
}

/**
 * The colour ramp of pre-memorization accuracy, from the theme's own chart colours: orange (0,
 * copied before solved) through purple to blue (1). Two straight stops would pass through grey,
 * which reads as "unknown" (the colour of examples without a value).
 */
export function ramp(ctx: CanvasRenderingContext2D, theme: ChartTheme): string[] {
  const stops = [rgb(ctx, theme.series.orange), rgb(ctx, theme.series.purple), rgb(ctx, theme.series.blue)];
  return Array.from({ length: COLOUR_BINS + 1 }, (_, b) => {
    const t = (b / COLOUR_BINS) * (stops.length - 1);
    const i = Math.min(stops.length - 2, Math.floor(t));
    const [lo, hi] = [stops[i]!, stops[i + 1]!];
    return `rgb(${lo.map((v, c) => Math.round(v + (hi[c]! - v) * (t - i))).join(',')})`;
  });
}

export interface Drawn {
  /** Pixel position of every row (NaN where not drawn). */
  readonly x: Float32Array;
  readonly y: Float32Array;
  /** Rows by grid cell: `rows[start[c] .. start[c + 1])`. */
  readonly cells: { readonly columns: number; readonly start: Int32Array; readonly rows: Int32Array };
}

export interface DrawOptions {
  readonly shown: (row: number) => boolean;
  /** The fill of a row; called once per row. */
  readonly colour: (row: number) => string;
  readonly pointSize: number;
}

export function drawPoints(ctx: CanvasRenderingContext2D, g: Geometry, c: DataMapColumns, theme: ChartTheme, o: DrawOptions, ratio: number): Drawn {
  const n = c.index.length;
  const x = new Float32Array(n).fill(NaN);
  const y = new Float32Array(n).fill(NaN);
  // Pixels, not paths (see stampPoints): each point's square is blended into what the frame drew.
  const { width, height } = ctx.canvas;
  const img = ctx.getImageData(0, 0, width, height);
  const data = img.data;
  const s = Math.max(1, Math.round(o.pointSize * ratio));
  const fillAlpha = n > 20_000 ? 0.55 : 0.85;
  // Faint where points crowd, or the outlines would drown the colours they surround.
  const ringAlpha = n > 20_000 ? 0.2 : n > 2_000 ? 0.3 : 0.8;
  const colours = new Map<string, [number, number, number]>();
  const ring = rgb(ctx, theme.foreground);
  const blend = (px: number, py: number, col: readonly number[], a: number) => {
    if (px < 0 || py < 0 || px >= width || py >= height) return;
    const i = (py * width + px) * 4;
    const ad = data[i + 3]! / 255;
    const ao = a + ad * (1 - a);
    // Source-over on straight (not premultiplied) colours, as the canvas would composite them.
    for (let ch = 0; ch < 3; ch++) data[i + ch] = Math.round((col[ch]! * a + data[i + ch]! * ad * (1 - a)) / ao);
    data[i + 3] = Math.round(ao * 255);
  };
  for (let k = 0; k < n; k++) {
    const v = c.variability[k]!;
    const conf = c.confidence[k]!;
    if (!Number.isFinite(v) || !Number.isFinite(conf) || !o.shown(k)) continue;
    x[k] = xOf(g, v);
    y[k] = yOf(g, conf);
    const name = o.colour(k);
    let col = colours.get(name);
    if (!col) colours.set(name, (col = rgb(ctx, name)));
    const x0 = Math.round(x[k]! * ratio - s / 2);
    const y0 = Math.round(y[k]! * ratio - s / 2);
    for (let dy = 0; dy < s; dy++) for (let dx = 0; dx < s; dx++) blend(x0 + dx, y0 + dy, col, fillAlpha);
    if (!Number.isNaN(c.memorizationStep[k]!)) {
      // Memorized: outlined, a one-pixel ring around the square.
      for (let d = -1; d <= s; d++) {
        blend(x0 + d, y0 - 1, ring, ringAlpha);
        blend(x0 + d, y0 + s, ring, ringAlpha);
      }
      for (let d = 0; d < s; d++) {
        blend(x0 - 1, y0 + d, ring, ringAlpha);
        blend(x0 + s, y0 + d, ring, ringAlpha);
      }
    }
  }
  ctx.putImageData(img, 0, 0);
  return { x, y, cells: grid(g, x, y) };
}

function grid(g: Geometry, x: Float32Array, y: Float32Array) {
  const columns = Math.ceil(g.width / CELL) + 1;
  const count = columns * (Math.ceil(g.height / CELL) + 1);
  const cellOf = new Int32Array(x.length).fill(-1);
  const start = new Int32Array(count + 1);
  for (let k = 0; k < x.length; k++) {
    if (Number.isNaN(x[k]!)) continue;
    cellOf[k] = Math.floor(y[k]! / CELL) * columns + Math.floor(x[k]! / CELL);
    start[cellOf[k]! + 1]!++;
  }
  for (let c = 0; c < count; c++) start[c + 1]! += start[c]!;
  const fill = start.slice(0, count);
  const rows = new Int32Array(start[count]!);
  for (let k = 0; k < x.length; k++) if (cellOf[k]! >= 0) rows[fill[cellOf[k]!]!++] = k;
  return { columns, start, rows };
}

/** The drawn row nearest to (px, py) within `radius` pixels, or -1. */
export function nearest(d: Drawn, px: number, py: number, radius = 6): number {
  const { columns, start, rows } = d.cells;
  const cx = Math.floor(px / CELL);
  const cy = Math.floor(py / CELL);
  let best = -1;
  let bestD = radius * radius;
  for (let gy = cy - 1; gy <= cy + 1; gy++) {
    for (let gx = cx - 1; gx <= cx + 1; gx++) {
      if (gx < 0 || gy < 0 || gx >= columns) continue;
      const c = gy * columns + gx;
      if (c + 1 >= start.length) continue;
      for (let i = start[c]!; i < start[c + 1]!; i++) {
        const k = rows[i]!;
        const dd = (d.x[k]! - px) ** 2 + (d.y[k]! - py) ** 2;
        if (dd <= bestD) {
          bestD = dd;
          best = k;
        }
      }
    }
  }
  return best;
}

/** Axes, ticks, the region cuts (dashed) and the region names. */
export function drawFrame(ctx: CanvasRenderingContext2D, g: Geometry, theme: ChartTheme, cuts: { variability: number; confidence: number }): void {
  ctx.font = `${theme.fontSize} ${theme.fontFamily}`;
  ctx.strokeStyle = theme.grid;
  ctx.fillStyle = theme.muted;
  ctx.lineWidth = 1;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (let i = 0; i <= 5; i++) {
    const v = i / 10;
    const x = Math.round(xOf(g, v)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, MARGIN.top);
    ctx.lineTo(x, MARGIN.top + g.plotHeight);
    ctx.globalAlpha = 0.35;
    ctx.stroke();
    ctx.globalAlpha = 1;
    ctx.fillText(v.toFixed(1), x, MARGIN.top + g.plotHeight + 4);
  }
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let i = 0; i <= 4; i++) {
    const c = i / 4;
    const y = Math.round(yOf(g, c)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(MARGIN.left, y);
    ctx.lineTo(MARGIN.left + g.plotWidth, y);
    ctx.globalAlpha = 0.35;
    ctx.stroke();
    ctx.globalAlpha = 1;
    ctx.fillText(c.toFixed(2), MARGIN.left - 6, y);
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  ctx.fillText('variability (standard deviation of sample accuracy over checkpoints)', MARGIN.left + g.plotWidth / 2, g.height - 2);
  ctx.save();
  ctx.translate(12, MARGIN.top + g.plotHeight / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText('confidence (mean sample accuracy)', 0, 0);
  ctx.restore();
  // The regions: ambiguous right of the variability cut; left of it, easy above the confidence cut.
  ctx.strokeStyle = theme.foreground;
  ctx.setLineDash([5, 4]);
  ctx.globalAlpha = 0.6;
  const xc = xOf(g, cuts.variability);
  const yc = yOf(g, cuts.confidence);
  ctx.beginPath();
  ctx.moveTo(xc, MARGIN.top);
  ctx.lineTo(xc, MARGIN.top + g.plotHeight);
  ctx.moveTo(MARGIN.left, yc);
  ctx.lineTo(xc, yc);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.globalAlpha = 1;
}

/** Region names over the points, so they stay legible. */
export function drawRegionNames(ctx: CanvasRenderingContext2D, g: Geometry, theme: ChartTheme): void {
  ctx.font = `600 ${theme.fontSize} ${theme.fontFamily}`;
  const label = (text: string, x: number, y: number, align: 'left' | 'right', baseline: 'top' | 'bottom') => {
    ctx.textAlign = align;
    ctx.textBaseline = baseline;
    const w = ctx.measureText(text).width;
    const h = parseFloat(theme.fontSize) * 1.3;
    // On a plate of the background, so a name stays legible over dense points.
    ctx.globalAlpha = 0.8;
    ctx.fillStyle = theme.background;
    ctx.fillRect(align === 'left' ? x - 3 : x - w - 3, baseline === 'top' ? y - 2 : y - h + 2, w + 6, h);
    ctx.globalAlpha = 1;
    ctx.fillStyle = theme.foreground;
    ctx.fillText(text, x, y);
  };
  label('easy-to-learn', MARGIN.left + 6, MARGIN.top + 4, 'left', 'top');
  label('hard-to-learn', MARGIN.left + 6, MARGIN.top + g.plotHeight - 4, 'left', 'bottom');
  label('ambiguous', MARGIN.left + g.plotWidth - 6, MARGIN.top + 4, 'right', 'top');
}

/**
 * Marks many points at once by writing their pixels (an opaque square each) instead of building
 * a path: a path of 140,000 squares is recorded in milliseconds but rasterised at the next frame,
 * which took the browser over 100 ms; pixels written into an ImageData cost one pass. Replaces
 * the canvas's pixels, so it comes first; the transform does not apply (device pixels).
 */
export function stampPoints(ctx: CanvasRenderingContext2D, d: Drawn, rows: ArrayLike<number>, colour: string, size: number, ratio: number): void {
  const { width, height } = ctx.canvas;
  const img = ctx.createImageData(width, height);
  const [r, g, b] = rgb(ctx, colour);
  const data = img.data;
  const s = Math.max(1, Math.round(size * ratio));
  for (let q = 0; q < rows.length; q++) {
    const k = rows[q]!;
    const x0 = Math.round(d.x[k]! * ratio - s / 2);
    const y0 = Math.round(d.y[k]! * ratio - s / 2);
    for (let dy = 0; dy < s; dy++) {
      const y = y0 + dy;
      if (y < 0 || y >= height) continue;
      for (let dx = 0; dx < s; dx++) {
        const x = x0 + dx;
        if (x < 0 || x >= width) continue;
        const i = (y * width + x) * 4;
        data[i] = r;
        data[i + 1] = g;
        data[i + 2] = b;
        data[i + 3] = 255;
      }
    }
  }
  ctx.putImageData(img, 0, 0);
}
