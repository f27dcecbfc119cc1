/** Plain-text tables for the terminal: right-aligned numbers, fixed decimals, "-" for unknown. */
export function fmt(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);
}

export function table(header: readonly string[], rows: readonly (readonly string[])[], leftAligned: ReadonlySet<number> = new Set()): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (leftAligned.has(c) ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** First line of a question, cut to fit a table cell. */
export function snippet(text: string | null, width = 60): string {
  if (text === null) return '';
  const first = text.split('\n')[0]!.replace(/\s+/g, ' ').trim();
  return first.length > width ? `${first.slice(0, width - 1)}…` : first;
}
