import { resolve } from 'node:path';
import { timed } from '../diagnostics/phaseTimes';
import { discoverRuns } from '../ingest/runLayout';
import { indexRun, type IndexOutcome } from '../store/indexer';
import { IndexStore, type StoredRun } from '../store/indexStore';
import { UsageError, type CommandIo } from './command';

/** The index a command works on (`--db`, else .premem/index.sqlite), closed when the body ends. */
export async function withStore<T>(db: string | undefined, io: CommandIo, body: (store: IndexStore) => Promise<T>): Promise<T> {
  const store = await IndexStore.open(resolve(db ?? '.premem/index.sqlite'));
  if (store.setAside) io.err(`premem: the index could not be read; moved it to ${store.setAside} and rebuilding (flags are kept in ${store.flagsFile})`);
  try {
    return await body(store);
  } finally {
    await timed('close', () => store.close());
  }
}

function describeOutcome(o: IndexOutcome, seconds: number): string {
  switch (o.action) {
    case 'unchanged':
      return `unchanged  ${o.name}`;
    case 'indexed':
      return `indexed    ${o.name}: ${o.checkpointsRead} checkpoints (${seconds.toFixed(2)} s)`;
    case 'updated':
      return `updated    ${o.name}: ${o.checkpointsRead} checkpoints read, ${o.checkpointsRemoved} removed (${seconds.toFixed(2)} s)`;
  }
}

/** Indexes (incrementally) and returns the stored runs for the given folders, in folder order. */
export async function ensureIndexed(store: IndexStore, dirs: readonly string[], io: CommandIo, verbose: boolean): Promise<StoredRun[]> {
  const runs: StoredRun[] = [];
  const attachments = await timed('discover', () => store.attachments());
  for (const dir of dirs) {
    for (const layout of timed('discover', () => discoverRuns(dir, attachments))) {
      const t0 = performance.now();
      const outcome = await timed('index', () => indexRun(store, layout));
      if (verbose || outcome.action !== 'unchanged') io.err(describeOutcome(outcome, (performance.now() - t0) / 1000));
      runs.push((await store.runByPath(layout.path))!);
    }
  }
  return runs;
}

/** The one run folder a command takes. */
export function oneRun(positionals: readonly string[], command: string): string {
  if (positionals.length !== 1) throw new UsageError(`${command} takes exactly one run folder`);
  return positionals[0]!;
}

/** At least one run or sweep folder. */
export function someFolders(positionals: readonly string[], command: string, what = 'at least one run or sweep folder'): readonly string[] {
  if (positionals.length === 0) throw new UsageError(`${command} needs ${what}`);
  return positionals;
}

/** Indexes a folder that must be a single run (not a sweep) and returns it. */
export async function singleRun(store: IndexStore, dir: string, io: CommandIo): Promise<StoredRun> {
  const runs = await ensureIndexed(store, [dir], io, false);
  if (runs.length !== 1) throw new UsageError(`${resolve(dir)} is a sweep of ${runs.length} runs; name one run`);
  return runs[0]!;
}
