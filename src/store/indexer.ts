import { timed } from '../diagnostics/phaseTimes';
import { RunReader } from '../ingest/runReader';
import { alignSolutions } from '../core/steps';
import type { CheckpointData, RunHeader, TextRow } from '../ingest/runData';
import { discoverRuns, type CheckpointRef, type RunLayout } from '../ingest/runLayout';
import { InputError } from '../ingest/errors';
import type { IndexStore, StoredRun } from './indexStore';

export interface IndexOutcome {
  readonly name: string;
  readonly path: string;
  /** `unchanged`: nothing read; `indexed`: read whole; `updated`: only changed checkpoints read. */
  readonly action: 'unchanged' | 'indexed' | 'updated';
  readonly checkpointsRead: number;
  readonly checkpointsRemoved: number;
}

export interface IndexProgress {
  readonly run: string;
  readonly checkpoint: number;
  readonly of: number;
}

export interface IndexOptions {
  readonly onProgress?: (p: IndexProgress) => void;
  /** Checked between checkpoints; a cancelled run rolls back and keeps its previous index. */
  readonly isCancelled?: () => boolean;
  /**
   * Called between deciding (without the lock) that the run needs writing and taking the write
   * lock: where another process can index the same run. For tests of that interleaving.
   */
  readonly beforeLock?: () => Promise<void>;
}

/** Questions whose texts go to the index per statement while a set is streamed. */
const TEXT_BATCH = 400;

/** A checkpoint part of which is still to be read while it is stored: sample texts, perturbed sets. */
function streamsFromFiles(c: CheckpointData): boolean {
  return c.sampleSets.some((s) => s.texts !== null) || c.perturbedSets.length > 0;
}

/**
 * Stores a checkpoint whose sample texts are streamed from their file a batch of questions at a
 * time; each training sample's copy rate (the share of its reference's steps it reproduces: the
 * input of the text memorization criterion) is computed on the way, so memory holds one batch
 * of texts, not the checkpoint's.
 */
async function storeStreaming(store: IndexStore, runId: number, c: CheckpointData, header: RunHeader): Promise<void> {
  const checkpointId = await timed('write', () => store.insertCheckpoint(runId, c));
  const records = header.train.records;
  const references = header.train.order.map((i) => records?.[i]?.answer ?? null);
  const canAlign = references.every((r) => r !== null);
  for (const s of c.sampleSets) {
    let rates: Float64Array | undefined;
    if (s.texts) {
      const n = s.samplesPerQuestion;
      if (s.split === 'train' && canAlign) rates = new Float64Array(s.questions * n);
      let batch: TextRow[] = [];
      for (const row of s.texts.rows()) {
        if (rates) for (let k = 0; k < n; k++) rates[row.position * n + k] = alignSolutions(row.texts[k]!, references[row.position]!).copyRate;
        batch.push(row);
        if (batch.length === TEXT_BATCH) {
          await timed('write', () => store.insertSampleTexts(checkpointId, s, batch));
          batch = [];
        }
      }
      if (batch.length) await timed('write', () => store.insertSampleTexts(checkpointId, s, batch));
    }
    await timed('write', () => store.insertSampleSet(checkpointId, s, rates));
  }
  for (const p of c.perturbedSets) await timed('write', () => store.insertPerturbedSet(checkpointId, p));
}

export class IndexCancelled extends Error {
  constructor() {
    super('indexing cancelled');
    this.name = 'IndexCancelled';
  }
}

/**
 * Brings one run's index up to date. Unchanged run: a few stats, no reads. New or changed
 * checkpoints: only those are read. Run-level change (subsample, dataset, run.json): all of
 * it. Everything in one transaction, so a failure halfway leaves the previous index.
 */
export async function indexRun(store: IndexStore, layout: RunLayout, options: IndexOptions = {}): Promise<IndexOutcome> {
  const existing = await store.runByPath(layout.path);
  const base = { name: layout.name, path: layout.path };
  const reader = new RunReader(layout);
  const progress = (i: number, of: number) => {
    if (options.isCancelled?.()) throw new IndexCancelled();
    options.onProgress?.({ run: layout.name, checkpoint: i, of });
  };

  /**
   * Reads checkpoints into the run; one that cannot be read (a damaged file) is recorded as
   * skipped, with its file and reason, and costs only itself. All of them failing fails the run.
   */
  const addAll = async (runId: number, refs: readonly CheckpointRef[], header: RunHeader): Promise<number> => {
    let read = 0;
    let firstError: InputError | null = null;
    // The previous checkpoint's statements, still running on SQLite's thread while this one is
    // read: a cold index's reading and writing overlap. Awaited before anything else is written.
    // Settled to its error (or null) at once, so a failure is never an unhandled rejection.
    let writing: Promise<Error | null> = Promise.resolve(null);
    const written = async () => {
      const failed = await timed('write', () => writing);
      writing = Promise.resolve(null);
      if (failed) throw failed;
    };
    for (let i = 0; i < refs.length; i++) {
      progress(i, refs.length);
      const ref = refs[i]!;
      try {
        const c = timed('read', () => reader.readCheckpoint(ref));
        await written();
        if (streamsFromFiles(c)) {
          // Texts are read as they are stored: a damaged texts file fails halfway, so the
          // checkpoint's rows are undone to a savepoint and it is skipped like any other.
          await store.undoOnError(() => storeStreaming(store, runId, c, header));
        } else {
          // Read whole already, so nothing below can fail on the run's files.
          // Timed is the preparing of its rows only; the wait for SQLite is timed in written().
          writing = timed('write', () => ({ issued: store.writeCheckpoint(runId, c) })).issued.then(
            () => null,
            (e: unknown) => (e instanceof Error ? e : new Error(`writing a checkpoint failed: ${String(e)}`)),
          );
        }
        read++;
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        firstError ??= e;
        await store.insertSkipped(runId, { step: ref.step, fingerprint: ref.fingerprint, file: e.file, reason: e.line === undefined ? e.detail : `line ${e.line}: ${e.detail}` });
      }
    }
    await written();
    if (read === 0 && firstError !== null && (await store.checkpoints(runId)).length === 0) throw firstError;
    return read;
  };

  const readWhole = async (): Promise<IndexOutcome> => {
    const header = timed('read', () => reader.open());
    const runId = await timed('write', () => store.replaceRun(header));
    const read = await addAll(runId, layout.checkpoints, header);
    return { ...base, action: 'indexed', checkpointsRead: read, checkpointsRemoved: 0 };
  };

  const unchanged: IndexOutcome = { ...base, action: 'unchanged', checkpointsRead: 0, checkpointsRemoved: 0 };

  /** What bringing the run up to date takes, given what the index holds now: nothing, or a body to run in a transaction. */
  const decide = async (existing: StoredRun | undefined): Promise<'unchanged' | (() => Promise<IndexOutcome>)> => {
    if (!existing || existing.fingerprint !== layout.fingerprint) return readWhole;
    const stored = await store.checkpoints(existing.id);
    const onDisk = new Map(layout.checkpoints.map((c) => [c.step, c.fingerprint]));
    // A checkpoint skipped as unreadable counts as known until its files change.
    const skipped = await store.skippedCheckpoints(existing.id);
    const storedFp = new Map([...skipped.map((c) => [c.step, c.fingerprint] as const), ...stored.map((c) => [c.step, c.fingerprint] as const)]);
    // Changed on disk: read again. Gone from disk (a Trainer's save_total_limit deletes old
    // checkpoints while it trains): keep the figures, mark the checkpoint. Back again: unmark.
    const changed = stored.filter((c) => onDisk.has(c.step) && onDisk.get(c.step) !== c.fingerprint).map((c) => c.step);
    const gone = stored.filter((c) => !onDisk.has(c.step) && !c.deletedOnDisk).map((c) => c.step);
    const back = stored.filter((c) => c.deletedOnDisk && onDisk.get(c.step) === c.fingerprint).map((c) => c.step);
    const add = layout.checkpoints.filter((c) => storedFp.get(c.step) !== c.fingerprint);
    // Skipped checkpoints whose files changed (read again below) or are gone (forgotten).
    const staleSkipped = skipped.filter((s) => onDisk.get(s.step) !== s.fingerprint);
    if (changed.length === 0 && gone.length === 0 && back.length === 0 && add.length === 0 && staleSkipped.length === 0) return 'unchanged';
    return async () => {
      const header = reader.open();
      // The run's shape is read from its first checkpoint: if that changed, read it all again.
      if (header.trainQuestions !== existing.trainQuestions || header.testQuestions !== existing.testQuestions) return readWhole();
      for (const step of changed) await store.deleteCheckpoint(existing.id, step);
      for (const s of staleSkipped) await store.deleteCheckpoint(existing.id, s.step);
      for (const step of gone) await store.markDeletedOnDisk(existing.id, step, true);
      for (const step of back) await store.markDeletedOnDisk(existing.id, step, false);
      for (const ref of add) await store.deleteCheckpoint(existing.id, ref.step);
      const read = await addAll(existing.id, add, header);
      await store.touchRun(existing.id, layout.fingerprint);
      return { ...base, action: 'updated', checkpointsRead: read, checkpointsRemoved: gone.length };
    };
  };

  // Without the write lock first (an unchanged run costs a few reads); then, holding it, decided
  // again on what is committed now: another process may have indexed the run meanwhile, and
  // replacing it again would pull it from under that process's readers (a calibrate --apply saw
  // "needs three or more runs" so, while a report built a fresh index).
  if ((await decide(existing)) === 'unchanged') return unchanged;
  await options.beforeLock?.();
  return store.db.transaction(async () => {
    const body = await decide(await store.runByPath(layout.path));
    return body === 'unchanged' ? unchanged : body();
  });
}

/** Every run under the given folders (runs or sweeps), each in its own transaction. */
export async function indexPaths(store: IndexStore, dirs: readonly string[], options: IndexOptions = {}): Promise<IndexOutcome[]> {
  const attachments = await store.attachments();
  const layouts = dirs.flatMap((d) => discoverRuns(d, attachments));
  const out: IndexOutcome[] = [];
  for (const layout of layouts) out.push(await indexRun(store, layout, options));
  return out;
}
