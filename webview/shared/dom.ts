/**
 * The only way the panels build DOM. Text goes in as text (`textContent`), never as HTML:
 * samples, questions and run names are untrusted, and `<script>` in a sample must show as
 * the nine characters it is.
 */

import { showControls } from '../../src/present/format';

type Child = Node | string | null | undefined | false;

export interface ElementOptions {
  readonly className?: string;
  readonly text?: string;
  readonly title?: string;
  readonly attrs?: Readonly<Record<string, string>>;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, options: ElementOptions = {}, children: readonly Child[] = []): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = visible(options.text);
  if (options.title !== undefined) node.title = options.title;
  for (const [k, v] of Object.entries(options.attrs ?? {})) {
    // Attribute names are ours; refuse event handlers and URLs so a slip cannot become code.
    if (/^on/i.test(k) || k === 'href' || k === 'src' || k === 'style') throw new Error(`el: attribute ${k} is not allowed`);
    node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(typeof c === 'string' ? visible(c) : c);
  return node;
}

/**
 * Control characters (but tab and newline) and the characters that reorder text (bidi
 * overrides, isolates, marks) shown, not obeyed: nothing in a sample can hide or reverse text.
 */
export function visible(text: string): string {
  return showControls(text);
}

/** Texts longer than this are shown folded, with a button to show them whole. */
export const FOLD_CHARS = 1200;

/**
 * A text that may be very long (a 20,000-character sample line): folded to a few lines with a
 * "Show all" button when it is over FOLD_CHARS, so the page stays one screen per sample.
 */
export function foldable(node: HTMLElement, length: number): HTMLElement {
  if (length <= FOLD_CHARS) return node;
  node.classList.add('folded');
  const toggle = document.createElement('button');
  toggle.className = 'fold-toggle';
  toggle.type = 'button';
  const label = () => (node.classList.contains('folded') ? `Show all ${length.toLocaleString('en')} characters` : 'Fold');
  toggle.textContent = label();
  toggle.addEventListener('click', () => {
    node.classList.toggle('folded');
    toggle.textContent = label();
  });
  const wrap = document.createElement('div');
  wrap.className = 'foldable';
  wrap.append(node, toggle);
  return wrap;
}

export function clear(node: Element): void {
  while (node.firstChild) node.firstChild.remove();
}

export function section(title: string, children: readonly Child[], className = ''): HTMLElement {
  return el('section', { className: `panel-section ${className}`.trim() }, [el('h2', { text: title }), ...children]);
}

/** Resolves once the browser has painted what is in the DOM now: the frame after, then a task. */
export function afterPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}
