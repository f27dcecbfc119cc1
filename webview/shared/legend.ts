import { el } from './dom';

/** An HTML legend: colour swatch (and symbol name) with a label per series, as text. */
export function legend(items: readonly { readonly color: string; readonly label: string; readonly dashed?: boolean; readonly glyph?: string }[]): HTMLElement {
  return el(
    'div',
    { className: 'legend' },
    items.map((i) => {
      const swatch = i.glyph ? el('span', { className: 'glyph', text: i.glyph }) : el('span', { className: `swatch${i.dashed ? ' dashed' : ''}` });
      swatch.style.setProperty('--swatch', i.color);
      return el('span', { className: 'legend-item' }, [swatch, i.label]);
    }),
  );
}
