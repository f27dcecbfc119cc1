/**
 * A drawn chart as a file the user keeps: SVG with the theme baked in, or PNG. Apart from the
 * charting module so that a panel's first script does not carry Plot (see lazyCharts.ts).
 */
import type { ChartTheme } from './theme';

/** A standalone SVG file of a chart: theme colours and background baked in. */
export function svgFile(svg: SVGSVGElement, theme: ChartTheme): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  for (const s of copy.querySelectorAll('style')) s.removeAttribute('nonce');
  const bg = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  bg.setAttribute('fill', theme.background);
  copy.insertBefore(bg, copy.firstChild);
  copy.style.background = theme.background;
  return new XMLSerializer().serializeToString(copy);
}

/** The same chart as a PNG data URL, at twice the screen size. */
export async function pngFile(svg: SVGSVGElement, theme: ChartTheme): Promise<string> {
  const text = svgFile(svg, theme);
  const img = new Image();
  const loaded = new Promise<void>((resolve, reject) => {
    img.onload = () => resolve();
    img.onerror = () => reject(new Error('the chart could not be rasterised'));
  });
  img.src = `data:image/svg+xml;base64,${btoa(unescape(encodeURIComponent(text)))}`;
  await loaded;
  const w = svg.width.baseVal.value;
  const h = svg.height.baseVal.value;
  const canvas = document.createElement('canvas');
  canvas.width = w * 2;
  canvas.height = h * 2;
  const ctx = canvas.getContext('2d')!;
  ctx.scale(2, 2);
  ctx.drawImage(img, 0, 0, w, h);
  return canvas.toDataURL('image/png');
}
