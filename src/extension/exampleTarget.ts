/** An example as commands and panels receive it: from a tree item, a hover link, a panel. */
export interface ExampleTarget {
  readonly runPath: string;
  readonly index: number;
}

/** The example a command argument names (an example node, a flag node, or a plain target), if any. */
export function asTarget(arg: unknown): ExampleTarget | undefined {
  const a = arg as { runPath?: unknown; index?: unknown; flag?: { runPath?: unknown; index?: unknown } } | undefined;
  const src = a?.flag ?? a;
  return typeof src?.runPath === 'string' && typeof src.index === 'number' && Number.isInteger(src.index) ? { runPath: src.runPath, index: src.index } : undefined;
}
