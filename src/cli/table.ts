import { oneLine } from '../present/format';

/**
 * A plain-text table for the terminal: numbers right-aligned, the given columns left-aligned.
 * Cells are shown on one line with control characters made visible (they may hold users' text).
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[], leftAligned: ReadonlySet<number> = new Set()): string {
  const safe = rows.map((r) => r.map(oneLine));
  const widths = header.map((h, c) => Math.max(h.length, ...safe.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (leftAligned.has(c) ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...safe.map(line)].join('\n');
}
