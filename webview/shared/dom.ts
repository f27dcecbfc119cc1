/**
 * The only way the panels build DOM. Text goes in as text (`textContent`), never as HTML:
 * samples, questions and run names are untrusted, and `<script>` in a sample must show as
 * the nine characters it is.
 */

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

/** Control characters (other than tab and newline) shown as their Unicode pictures, so nothing is hidden. */
export function visible(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => String.fromCharCode(c === '\u007f' ? 0x2421 : 0x2400 + c.charCodeAt(0)));
}

export function clear(node: Element): void {
  while (node.firstChild) node.firstChild.remove();
}

export function section(title: string, children: readonly Child[], className = ''): HTMLElement {
  return el('section', { className: `panel-section ${className}`.trim() }, [el('h2', { text: title }), ...children]);
}
