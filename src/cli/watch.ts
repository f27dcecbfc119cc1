import { watch, type FSWatcher } from 'node:fs';
import { describeNewCheckpoint, followOnce } from '../queries/follow';
import type { AnalysisOptions } from '../queries/runAnalysis';
import type { IndexStore } from '../store/indexStore';

export interface WatchTiming {
  /** Writing must pause this long before the folders are looked at. */
  readonly quietMs: number;
  /** After a read error (a file still being written), wait attempt × this before trying again. */
  readonly retryMs: number;
  /** Give up on one burst of changes after this many failed attempts; the next change starts afresh. */
  readonly maxAttempts: number;
}

export const WATCH_TIMING: WatchTiming = { quietMs: 1000, retryMs: 2000, maxAttempts: 6 };

/**
 * `premem watch`: follows run and sweep folders while training writes them. The file system
 * reports changes (no polling loop: idle costs nothing); once writing pauses, every run is
 * brought up to date and each new checkpoint is announced. Files still being written fail to
 * read and are retried a bounded number of times; they are never indexed half.
 */
export async function watchRuns(
  store: IndexStore,
  folders: readonly string[],
  options: AnalysisOptions,
  io: { out(t: string): void; err(t: string): void },
  signal: AbortSignal,
  timing: WatchTiming = WATCH_TIMING,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempts = 0;
  let running: Promise<void> = Promise.resolve();
  const schedule = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => (running = running.then(pass)), ms);
  };
  const pass = async (): Promise<void> => {
    if (signal.aborted) return;
    try {
      const result = await followOnce(store, folders, options);
      for (const c of result.added) io.out(describeNewCheckpoint(c));
      if (result.pending.length === 0) {
        attempts = 0;
        return;
      }
      if (++attempts < timing.maxAttempts) {
        schedule(timing.retryMs * attempts);
      } else {
        for (const e of result.pending) io.err(`premem watch: still cannot read ${e.message}; waiting for the next change`);
        attempts = 0;
      }
    } catch (e) {
      io.err(`premem watch: ${(e as Error).message}`);
    }
  };

  const watchers: FSWatcher[] = folders.map((f) =>
    watch(f, { recursive: true }, () => {
      // A fresh change: the files are being written again, so the retry budget starts over.
      attempts = 0;
      schedule(timing.quietMs);
    }),
  );
  io.err(`premem watch: following ${folders.join(', ')} (Ctrl-C stops)`);
  await (running = running.then(pass));
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  clearTimeout(timer);
  for (const w of watchers) w.close();
  await running;
}
