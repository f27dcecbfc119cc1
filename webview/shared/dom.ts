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

/** The element that takes the focus and the `disabled` state: a text field's input (its wrapper carries the id), else the element itself. */
export function controlOf(element: Element | null): Element | null {
  return element?.classList.contains('text-field') ? element.querySelector('input') : element;
}

/**
 * Which control has the focus, by the id of it or its nearest ancestor with one: a panel that
 * redraws (after Apply, Previous, Flag…) puts the focus back on the control that acted, instead of
 * dropping it on the page body, where the next Tab would start from the top.
 */
export function focusedId(): string | null {
  const active = document.activeElement;
  if (!active || active === document.body) return null;
  return active.closest('[id]')?.id ?? null;
}

/**
 * Puts the focus back on the control with this id (a text field's input). Where that control is
 * now disabled (End Trial, once the trial has ended), on the nearest enabled control before it in
 * the same group, so the focus never falls back to the page body.
 */
export function restoreFocus(id: string | null): void {
  if (id === null) return;
  const target = controlOf(document.getElementById(id));
  if (!(target instanceof HTMLElement)) return;
  if (!target.hasAttribute('disabled')) return target.focus();
  for (let s = target.previousElementSibling; s; s = s.previousElementSibling) {
    const candidate = controlOf(s);
    if (candidate instanceof HTMLElement && candidate.matches('vscode-button, vscode-dropdown, button, input, select, [tabindex]') && !candidate.hasAttribute('disabled')) {
      return candidate.focus();
    }
  }
}

/**
 * After one of VS Code's own dialogs (a save dialog) closes, the workbench often gives the focus
 * back to the panel's page, not to the control that opened the dialog, and a keyboard user starts
 * again from the top (on a fresh machine every time; on a warm one it sometimes lands right, which
 * once misled us into removing this). Refocusing at once is too early (the panel does not have the
 * focus back yet), so this watches for up to 5 s: once the page has the focus and it sits on the
 * body, it goes back to the control (looked up each time: a redraw may have replaced it). Nothing
 * happens if the user has put the focus anywhere else meanwhile.
 */
export function refocusAfterDialog(control: () => HTMLElement | null): void {
  const until = performance.now() + 5000;
  const tick = () => {
    if (performance.now() > until) return;
    const active = document.activeElement;
    if (document.hasFocus() && (active === null || active === document.body)) {
      control()?.focus();
      return;
    }
    if (document.hasFocus() && active !== null && active !== document.body) return;
    setTimeout(tick, 50);
  };
  tick();
}

/**
 * A table row that acts on Enter or Space as on a click, reachable with Tab: the keyboard's way to
 * what a click on a chart does (select a checkpoint, try a threshold).
 */
export function pickableRow<T extends HTMLTableRowElement>(row: T, act: () => void): T {
  row.tabIndex = 0;
  row.classList.add('pickable-row');
  row.addEventListener('click', act);
  row.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      act();
    }
  });
  return row;
}

/** A table's header row. */
export function tableHead(headers: readonly string[]): HTMLElement {
  return el('thead', {}, [
    el(
      'tr',
      {},
      headers.map((h) => el('th', { text: h })),
    ),
  ]);
}

/** A table of figures, as text cells. */
export function numbersTable(id: string, headers: readonly string[], rows: readonly (readonly string[])[]): HTMLElement {
  return el('table', { className: 'numbers', attrs: { id } }, [
    tableHead(headers),
    el(
      'tbody',
      {},
      rows.map((r) =>
        el(
          'tr',
          {},
          r.map((c) => el('td', { text: c })),
        ),
      ),
    ),
  ]);
}

/** A chart's figures as a table behind a disclosure: what a listener reads instead of the picture (the chart points to it with aria-describedby). */
export function dataTable(id: string, headers: readonly string[], rows: readonly (readonly string[])[], summary = 'As a table'): HTMLElement {
  return el('details', { className: 'data-table' }, [el('summary', { text: summary }), numbersTable(id, headers, rows)]);
}
