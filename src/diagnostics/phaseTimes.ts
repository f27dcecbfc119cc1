/**
 * Where a command's wall time goes, summed by phase: `PREMEM_TIMINGS=1 premem report …` prints
 * it to standard error, and `npm run bench` prints a cold report's breakdown from it. Off unless
 * enabled, and then it only observes: a module-level recorder instead of a parameter threaded
 * through every layer, because it must never change what runs.
 */
export type Phase = 'discover' | 'read' | 'write' | 'index' | 'analysis' | 'output' | 'close';

const totals = new Map<Phase, number>();
let enabled = false;

export function enablePhaseTimes(): void {
  enabled = true;
}

export function phaseTimesEnabled(): boolean {
  return enabled;
}

/** Adds the time `body` takes (synchronous or not) to `phase`. */
export function timed<T>(phase: Phase, body: () => T): T {
  if (!enabled) return body();
  const t0 = performance.now();
  const result = body();
  if (result instanceof Promise) {
    // Only a real promise is awaited: anything else was synchronous and is done.
    return result.finally(() => add(phase, performance.now() - t0)) as T;
  }
  add(phase, performance.now() - t0);
  return result;
}

function add(phase: Phase, ms: number): void {
  totals.set(phase, (totals.get(phase) ?? 0) + ms);
}

/** Milliseconds per phase so far. */
export function phaseTimes(): ReadonlyMap<Phase, number> {
  return totals;
}
