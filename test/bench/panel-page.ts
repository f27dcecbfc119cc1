/**
 * A panel's bundle in a plain Chromium page with a stand-in for VS Code's webview API: what the
 * bench uses to time the data map and the sweep table on figures too large for a quick trip
 * through the real editor. The page loads the very files the .vsix ships (dist/webview); the
 * stand-in answers `ready` with the figures the real queries computed, passed as typed arrays.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { REPO } from '../helpers/paths';

const ORIGIN = 'https://premem.bench';

/**
 * Typed arrays travel as one binary body beside a JSON skeleton that names each one's kind and
 * place (8-byte aligned), and are rebuilt in the page as views of that body: 70 MB of columns
 * would not survive base64 in a JSON string.
 */
function encode(value: unknown, parts: Buffer[], at: { bytes: number }): unknown {
  if (ArrayBuffer.isView(value)) {
    const v = value as unknown as { constructor: { name: string }; buffer: ArrayBuffer; byteOffset: number; byteLength: number; length: number };
    const offset = at.bytes;
    const pad = (8 - (v.byteLength % 8)) % 8;
    parts.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength), Buffer.alloc(pad));
    at.bytes += v.byteLength + pad;
    return { __typed: v.constructor.name, offset, length: v.length };
  }
  if (Array.isArray(value)) return value.map((x) => encode(x, parts, at));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, encode(x, parts, at)]));
  return value;
}

const STUB = `
(() => {
  const decode = (v, body) => {
    if (Array.isArray(v)) return v.map((x) => decode(x, body));
    if (v && typeof v === 'object') {
      if (v.__typed) return new self[v.__typed](body, v.offset, v.length);
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x, body)]));
    }
    return v;
  };
  const view = Promise.all([fetch('${ORIGIN}/view.json').then((r) => r.json()), fetch('${ORIGIN}/view.bin').then((r) => r.arrayBuffer())]).then(([skeleton, body]) => decode(skeleton, body));
  window.acquireVsCodeApi = () => ({
    postMessage(m) {
      view.then((v) => {
        const result = m.method === 'ready' ? v : m.method === 'search' ? new Int32Array(0) : null;
        if (m.method === 'ready') window.__answeredAt = performance.timeOrigin + performance.now();
        window.postMessage({ kind: 'response', id: m.id, ok: true, result }, '*');
      });
    },
    getState() { return undefined; },
    setState() {},
  });
})();`;

export async function openPanelPage(browser: Browser, entry: 'dataMap' | 'sweepTable', view: unknown, size = { width: 1280, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport: size });
  page.on('pageerror', (e) => console.error(`${entry} page: ${e.message}`));
  page.on('crash', () => console.error(`${entry} page crashed`));
  page.on('console', (m) => m.type() === 'error' && console.error(`${entry} console: ${m.text()}`));
  const parts: Buffer[] = [];
  const json = JSON.stringify(encode(view, parts, { bytes: 0 }));
  const body = Buffer.concat(parts);
  await page.route(`${ORIGIN}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/view.json') return route.fulfill({ body: json, contentType: 'application/json' });
    if (path === '/view.bin') return route.fulfill({ body, contentType: 'application/octet-stream' });
    if (path === '/') {
      return route.fulfill({
        contentType: 'text/html',
        body: `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/${entry}.css"><script>${STUB}</script></head><body class="vscode-dark"><main id="app" aria-busy="true"></main><script type="module" src="/${entry}.js"></script></body></html>`,
      });
    }
    return route.fulfill({ body: readFileSync(join(REPO, 'dist', 'webview', path.slice(1))), contentType: path.endsWith('.css') ? 'text/css' : 'text/javascript' });
  });
  await page.goto(`${ORIGIN}/`);
  await awaitTiming(page, 'paintMs');
  return page;
}

/** From the stand-in's answer to the panel's first paint, in ms. */
export async function firstPaintMs(page: Page): Promise<number> {
  await page.waitForFunction(() => (globalThis as unknown as { prememMarks?: { painted?: number } }).prememMarks?.painted !== undefined);
  return page.evaluate(() => {
    const w = globalThis as unknown as { prememMarks: { painted?: number }; __answeredAt: number };
    return (w.prememMarks.painted ?? NaN) - w.__answeredAt;
  });
}

type TimingKey = 'paintMs' | 'brushMs' | 'sortMs';

/** Forgets a timing the panel recorded (webview/shared/marks.ts), before the action that records it again. */
export async function resetTiming(page: Page, key: TimingKey): Promise<void> {
  await page.evaluate((k) => {
    const t = (globalThis as unknown as { prememTimings?: Record<string, number> }).prememTimings;
    if (t) delete t[k];
  }, key);
}

/** Waits for the panel to record a timing, and returns it (ms). */
export async function awaitTiming(page: Page, key: TimingKey, timeout = 120_000): Promise<number> {
  const handle = await page.waitForFunction((k) => (globalThis as unknown as { prememTimings?: Record<string, number> }).prememTimings?.[k], key, { timeout });
  return (await handle.jsonValue()) as number;
}
