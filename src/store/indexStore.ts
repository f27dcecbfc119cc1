import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { DatasetRecord } from '../ingest/dataset';
import type { CheckpointData, PerturbedSetData, RunFacts, RunHeader, SampleSetData, Split, TextRow } from '../ingest/runData';
import { InputError } from '../ingest/errors';
import type { Hyperparameters } from '../core/hyperparameters';
import { correctCounts } from '../ingest/runData';
import { blobCounts, blobFloat64, blobInt32, countsBlob, float64Blob, int32Blob, packCodes, packedRange, unpackCodes } from './blobs';
import { Database, type Row, type SqlValue } from './db';
import { ensureSchema, flagsFileFor, openFlags } from './schema';

/** A run as the index holds it: the reader's facts plus its row id and when it was indexed. */
export interface StoredRun extends RunFacts {
  readonly id: number;
  readonly hasDataset: boolean;
  readonly indexedAt: string;
}

/** A perturbed variant of an example, with the samples drawn on it at one checkpoint. */
export interface StoredPerturbed {
  readonly step: number;
  readonly name: string;
  readonly variant: string;
  readonly kind: string;
  readonly preservesAnswer: boolean;
  readonly question: string;
  readonly answer: string;
  readonly changes: readonly { readonly from: string; readonly to: string }[];
  readonly codes: readonly number[];
  readonly texts: readonly string[] | null;
}

export interface StoredSampleSet {
  readonly split: Split;
  readonly name: string;
  readonly samplesPerQuestion: number;
  readonly questions: number;
  readonly correctTotal: number;
  readonly hasTexts: boolean;
}

export interface StoredCheckpoint {
  readonly id: number;
  readonly step: number;
  readonly dir: string;
  readonly fingerprint: string;
  readonly epoch: number | null;
  readonly trainLoss: number | null;
  /** Its folder is gone from disk; the figures indexed before are kept. */
  readonly deletedOnDisk: boolean;
  /** How its perplexities were scored locally (JSON), or null when they come from the run's files. */
  readonly scored: string | null;
  /** What the readers chose that the user should know (e.g. the newest of several harness logs read). */
  readonly notes: readonly string[];
  readonly sampleSets: readonly StoredSampleSet[];
}

export interface StoredExample {
  readonly position: number;
  readonly index: number;
  readonly question: string | null;
  readonly answer: string | null;
  readonly record: string | null;
  /** Its 1-based line in the dataset file, when the run has one. */
  readonly line: number | null;
}

/** A threshold kept for a sweep or a lone run: user state, like flags. */
export interface StoredThreshold {
  readonly path: string;
  readonly kind: 'loglog' | 'perplexity';
  readonly value: number;
  /** JSON: how it was chosen (by calibration), or null when set by hand. */
  readonly calibration: string | null;
  readonly updatedAt: string;
}

/** A checkpoint left out of a run's figures because a file of it could not be read. */
export interface SkippedCheckpoint {
  readonly step: number;
  readonly file: string;
  readonly reason: string;
}

export interface Flag {
  readonly runPath: string;
  readonly index: number;
  readonly note: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

const BATCH_ROWS = 400;

/** SQLite's answer for a file that is not a database or is damaged. */
function isUnreadableDatabase(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT';
}

/** The first 16 bytes of every SQLite database file. */
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * A file that exists, is not empty and does not start with SQLite's header is not an index:
 * refused with its name, never opened (SQLite would fail) nor moved aside (it is the user's:
 * `--db train.jsonl` must not rename their dataset).
 */
function refuseNonSqlite(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return; // not there yet: it will be created
  }
  try {
    if (!fstatSync(fd).isFile()) throw new InputError(file, 'is not a regular file, so not a Premem index');
    const head = Buffer.alloc(16);
    const n = readSync(fd, head, 0, 16, 0);
    if (n > 0 && !(n === 16 && head.equals(SQLITE_MAGIC))) {
      throw new InputError(file, 'is not a SQLite database, so not a Premem index: refusing to use or move it (choose another --db or premem.databasePath)');
    }
  } finally {
    closeSync(fd);
  }
}

/** Device and inode of a file, or null when it is gone. */
function identity(file: string): string | null {
  try {
    const st = statSync(file);
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}

/** Whether the flags file itself is what cannot be read (then nothing may be moved). */
async function flagsUnreadable(flagsFile: string): Promise<boolean> {
  if (!existsSync(flagsFile)) return false;
  try {
    const db = await Database.open(flagsFile, { readonly: true });
    try {
      const r = await db.get<{ quick_check: string }>('PRAGMA quick_check');
      return r?.quick_check !== 'ok';
    } finally {
      await db.close();
    }
  } catch {
    return true;
  }
}

/**
 * The SQLite index: every SQL statement of the product lives in this class. Writes are one
 * transaction per run, so a failed ingest leaves the previous state; flags are never touched
 * by anything but the flag methods.
 */
export class IndexStore {
  /** The flags file as this store opened it (device and inode): a deletion or replacement shows here. */
  private flagsIdentity: string | null;

  private constructor(
    readonly db: Database,
    /** The flags' own connection (see schema.openFlags): indexing never locks it. */
    private flagsDb: Database,
    readonly file: string,
    readonly flagsFile: string,
    /** Where an unreadable index was moved before a fresh one was made; null normally. */
    readonly setAside: string | null,
  ) {
    this.flagsIdentity = identity(flagsFile);
  }

  /**
   * Opens (or creates) the index and its flags database. An index SQLite cannot read (not a
   * database, malformed) is moved aside as `<file>.corrupt-<time>` and rebuilt from scratch:
   * it is only a cache. The flags file is never moved or rewritten: if it is unreadable the
   * open fails with its name, and nothing is lost.
   */
  static async open(file: string, flagsFile = flagsFileFor(file)): Promise<IndexStore> {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    let db: Database;
    let setAside: string | null = null;
    try {
      db = await IndexStore.connect(file, flagsFile);
    } catch (e) {
      if (file === ':memory:' || !isUnreadableDatabase(e)) throw e;
      // Only a file that is SQLite's (its header says so) and damaged may be moved: anything
      // else is refused, untouched. (Read only now, when SQLite has failed on it: opening and
      // closing a database file beside a live connection in this process would drop that
      // connection's POSIX locks, and the editor's worker thread shares the process.)
      refuseNonSqlite(file);
      if (await flagsUnreadable(flagsFile)) throw e;
      setAside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      for (const suffix of ['', '-wal', '-shm']) if (existsSync(file + suffix)) renameSync(file + suffix, setAside + suffix);
      db = await IndexStore.connect(file, flagsFile);
    }
    try {
      return new IndexStore(db, await openFlags(flagsFile), file, flagsFile, setAside);
    } catch (e) {
      await db.close().catch(() => undefined);
      throw e;
    }
  }

  private static async connect(file: string, flagsFile: string): Promise<Database> {
    const db = await Database.open(file);
    try {
      await ensureSchema(db, flagsFile);
      return db;
    } catch (e) {
      await db.close().catch(() => undefined);
      throw e;
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.db.close(), this.flagsDb.close()]);
  }

  /**
   * Before a flag is written: if the flags file was deleted (or replaced) since it was opened,
   * SQLite would write into the unlinked file and the flag would be lost while acknowledged.
   * Open the file anew instead (created empty, as on first use) so the flag lands on disk.
   */
  private async flagsConnection(): Promise<Database> {
    if (identity(this.flagsFile) !== this.flagsIdentity) {
      const old = this.flagsDb;
      this.flagsDb = await openFlags(this.flagsFile);
      this.flagsIdentity = identity(this.flagsFile);
      await old.close().catch(() => undefined);
    }
    return this.flagsDb;
  }

  /** SQLite's integrity check of the index and of the flags file: "ok" each when whole. */
  async integrityCheck(): Promise<{ index: string; flags: string }> {
    const check = async (db: Database, schema: string) => (await db.get<{ integrity_check: string }>(`PRAGMA ${schema}.integrity_check`))?.integrity_check ?? 'no answer';
    return { index: await check(this.db, 'main'), flags: await check(this.flagsDb, 'user') };
  }

  /** After a flag write: the file written must still be the one on disk, or the write is not acknowledged. */
  private confirmFlagsOnDisk(): void {
    if (identity(this.flagsFile) !== this.flagsIdentity) {
      throw new Error(`${this.flagsFile} was deleted or replaced while a flag was written: the flag is not kept; flag it again`);
    }
  }

  // ---- runs -------------------------------------------------------------------------------

  private static toRun(r: Record<string, SqlValue>): StoredRun {
    return {
      id: r['id'] as number,
      path: r['path'] as string,
      name: r['name'] as string,
      sweepPath: r['sweep_path'] as string,
      fingerprint: r['fingerprint'] as string,
      epochs: r['epochs'] as number | null,
      epochsSource: r['epochs_source'] as string | null,
      trainQuestions: r['train_questions'] as number,
      testQuestions: r['test_questions'] as number | null,
      hasDataset: r['has_dataset'] === 1,
      trainDatasetFile: r['train_dataset_file'] as string | null,
      sampledFrom: r['sampled_from'] as string | null,
      hyperparameters: parseHyperparameters(r['hyperparameters'] as string | null),
      indexedAt: r['indexed_at'] as string,
    };
  }

  async runs(): Promise<StoredRun[]> {
    return (await this.db.all('SELECT * FROM runs ORDER BY sweep_path, name')).map((r) => IndexStore.toRun(r));
  }

  async runsUsingDataset(file: string): Promise<StoredRun[]> {
    return (await this.db.all('SELECT * FROM runs WHERE train_dataset_file = ? ORDER BY sweep_path, name', [file])).map((r) => IndexStore.toRun(r));
  }

  async runByPath(path: string): Promise<StoredRun | undefined> {
    const r = await this.db.get('SELECT * FROM runs WHERE path = ?', [path]);
    return r && IndexStore.toRun(r);
  }

  async checkpoints(runId: number): Promise<StoredCheckpoint[]> {
    const rows = await this.db.all('SELECT id, step, dir, fingerprint, epoch, train_loss, deleted_on_disk, scored, notes FROM checkpoints WHERE run_id = ? ORDER BY step', [runId]);
    const sets = await this.db.all(
      `SELECT s.checkpoint_id, s.split, s.name, s.samples_per_question, s.questions, s.correct_total, s.has_texts
         FROM sample_sets s JOIN checkpoints c ON c.id = s.checkpoint_id WHERE c.run_id = ? ORDER BY s.name`,
      [runId],
    );
    return rows.map((r) => ({
      id: r['id'] as number,
      step: r['step'] as number,
      dir: r['dir'] as string,
      fingerprint: r['fingerprint'] as string,
      epoch: r['epoch'] as number | null,
      trainLoss: r['train_loss'] as number | null,
      deletedOnDisk: r['deleted_on_disk'] === 1,
      scored: r['scored'] as string | null,
      notes: r['notes'] ? (JSON.parse(r['notes'] as string) as string[]) : [],
      sampleSets: sets
        .filter((s) => s['checkpoint_id'] === r['id'])
        .map((s) => ({
          split: s['split'] as Split,
          name: s['name'] as string,
          samplesPerQuestion: s['samples_per_question'] as number,
          questions: s['questions'] as number,
          correctTotal: s['correct_total'] as number,
          hasTexts: s['has_texts'] === 1,
        })),
    }));
  }

  async perplexities(checkpointIds: readonly number[]): Promise<Map<number, Float64Array>> {
    const rows = await this.db.all(`SELECT id, perplexity FROM checkpoints WHERE id IN (${checkpointIds.map(() => '?').join(',')})`, checkpointIds);
    return new Map(rows.map((r) => [r['id'] as number, blobFloat64(r['perplexity'] as Buffer)]));
  }

  /** Correct-sample counts per question for the chosen (checkpoint, split, set) triples. */
  async correctCounts(keys: readonly { checkpointId: number; split: Split; name: string }[]): Promise<Map<string, Uint32Array>> {
    const out = new Map<string, Uint32Array>();
    if (keys.length === 0) return out;
    const rows = await this.db.all(
      `SELECT s.checkpoint_id, s.split, s.name, s.questions, s.correct FROM sample_sets s
         JOIN json_each(?) k ON s.checkpoint_id = k.value->>0 AND s.split = k.value->>1 AND s.name = k.value->>2`,
      [JSON.stringify(keys.map((k) => [k.checkpointId, k.split, k.name]))],
    );
    for (const r of rows) out.set(`${Number(r['checkpoint_id'])}/${String(r['split'])}/${String(r['name'])}`, blobCounts(r['correct'] as Buffer, r['questions'] as number));
    return out;
  }

  /** Per-sample copy rates for the chosen (checkpoint, train set) pairs; absent where not recorded. */
  async copyRates(keys: readonly { checkpointId: number; name: string }[]): Promise<Map<string, Float64Array>> {
    const out = new Map<string, Float64Array>();
    if (keys.length === 0) return out;
    const rows = await this.db.all(
      `SELECT s.checkpoint_id, s.name, s.copy_rates FROM sample_sets s
         JOIN json_each(?) k ON s.checkpoint_id = k.value->>0 AND s.split = 'train' AND s.name = k.value->>1
        WHERE s.copy_rates IS NOT NULL`,
      [JSON.stringify(keys.map((k) => [k.checkpointId, k.name]))],
    );
    for (const r of rows) out.set(`${Number(r['checkpoint_id'])}/${String(r['name'])}`, blobFloat64(r['copy_rates'] as Buffer));
    return out;
  }

  /** One question's per-sample copy rates at each chosen (checkpoint, train set), sliced inside SQLite. */
  async exampleCopyRates(keys: readonly { checkpointId: number; name: string }[], position: number): Promise<Map<string, Float64Array>> {
    const out = new Map<string, Float64Array>();
    if (keys.length === 0) return out;
    const rows = await this.db.all(
      `SELECT s.checkpoint_id, s.name, substr(s.copy_rates, ? * s.samples_per_question * 8 + 1, s.samples_per_question * 8) AS row FROM sample_sets s
         JOIN json_each(?) k ON s.checkpoint_id = k.value->>0 AND s.split = 'train' AND s.name = k.value->>1
        WHERE s.copy_rates IS NOT NULL`,
      [position, JSON.stringify(keys.map((k) => [k.checkpointId, k.name]))],
    );
    for (const r of rows) out.set(`${Number(r['checkpoint_id'])}/${String(r['name'])}`, blobFloat64(r['row'] as Buffer));
    return out;
  }

  /** One question's sample codes, sliced inside SQLite so the whole array never crosses over. */
  async sampleCodes(checkpointId: number, split: Split, name: string, position: number): Promise<number[] | null> {
    const set = await this.db.get<{ n: number }>('SELECT samples_per_question AS n FROM sample_sets WHERE checkpoint_id = ? AND split = ? AND name = ?', [
      checkpointId,
      split,
      name,
    ]);
    if (!set) return null;
    const range = packedRange(position * set.n, set.n);
    const r = await this.db.get<{ row: Buffer }>('SELECT substr(codes, ?, ?) AS row FROM sample_sets WHERE checkpoint_id = ? AND split = ? AND name = ?', [
      range.start,
      range.length,
      checkpointId,
      split,
      name,
    ]);
    return r ? unpackCodes(r.row, range.first, set.n) : null;
  }

  /**
   * The training positions of a run with a sample text containing `query` (case-insensitive)
   * at any checkpoint: each question's texts are inflated one at a time, never all at once.
   */
  async positionsWithSampleText(runId: number, query: string): Promise<Set<number>> {
    const q = query.toLowerCase();
    const found = new Set<number>();
    const checkpoints = await this.db.all<{ id: number }>('SELECT id FROM checkpoints WHERE run_id = ?', [runId]);
    for (const c of checkpoints) {
      const rows = await this.db.all<{ position: number; texts: Buffer }>("SELECT position, texts FROM sample_texts WHERE checkpoint_id = ? AND split = 'train'", [c.id]);
      for (const r of rows) {
        if (found.has(r.position)) continue;
        const texts = JSON.parse(inflateRawSync(r.texts).toString('utf8')) as string[];
        if (texts.some((t) => t.toLowerCase().includes(q))) found.add(r.position);
      }
    }
    return found;
  }

  async sampleTexts(checkpointId: number, split: Split, name: string, position: number): Promise<string[] | null> {
    const r = await this.db.get('SELECT texts FROM sample_texts WHERE checkpoint_id = ? AND split = ? AND name = ? AND position = ?', [checkpointId, split, name, position]);
    return r ? (JSON.parse(inflateRawSync(r['texts'] as Buffer).toString('utf8')) as string[]) : null;
  }

  /** The run's test questions, in index order (texts null when no test dataset was found). */
  async testExamples(runId: number): Promise<{ position: number; index: number; question: string | null; answer: string | null }[]> {
    return (await this.splitExamples(runId, 'test')).map(({ position, index, question, answer }) => ({ position, index, question, answer }));
  }

  async examples(runId: number): Promise<StoredExample[]> {
    return this.splitExamples(runId, 'train');
  }

  /** A split's analysed questions in position order, joined in memory with its dataset's records. */
  private async splitExamples(runId: number, split: Split): Promise<StoredExample[]> {
    const row = await this.db.get<{ dataset_id: number | null; idx: Buffer }>('SELECT dataset_id, idx FROM run_examples WHERE run_id = ? AND split = ?', [runId, split]);
    if (!row) return [];
    const records = new Map<number, Row>();
    if (row.dataset_id !== null) {
      for (const r of await this.db.all('SELECT idx, question, answer, record, line FROM dataset_records WHERE dataset_id = ?', [row.dataset_id]))
        records.set(r['idx'] as number, r);
    }
    return Array.from(blobInt32(row.idx), (index, position) => {
      const r = records.get(index);
      return {
        position,
        index,
        question: (r?.['question'] as string | undefined) ?? null,
        answer: (r?.['answer'] as string | undefined) ?? null,
        record: (r?.['record'] as string | null | undefined) ?? null,
        line: (r?.['line'] as number | null | undefined) ?? null,
      };
    });
  }

  // ---- writes -----------------------------------------------------------------------------

  /** Replaces a run's row and examples; its checkpoints go with it (cascade). Inside a transaction. */
  async replaceRun(header: RunHeader): Promise<number> {
    // First: a dataset only this run used goes with it, and is stored again below if unchanged.
    await this.db.run('DELETE FROM runs WHERE path = ?', [header.path]);
    const { train } = header;
    const { lastID } = await this.db.run(
      `INSERT INTO runs(path, name, sweep_path, fingerprint, epochs, epochs_source, train_questions, test_questions, has_dataset, train_dataset_file, sampled_from, hyperparameters, indexed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        header.path,
        header.name,
        header.sweepPath,
        header.fingerprint,
        header.epochs,
        header.epochsSource,
        header.trainQuestions,
        header.testQuestions,
        train.records !== null && train.order.some((i) => train.records![i] !== undefined) ? 1 : 0,
        header.trainDatasetFile,
        header.sampledFrom,
        JSON.stringify(header.hyperparameters),
        new Date().toISOString(),
      ],
    );
    for (const [split, examples] of [
      ['train', train],
      ['test', header.test],
    ] as const) {
      if (!examples) continue;
      const datasetId = examples.records ? await this.datasetId(examples.records) : null;
      await this.db.run('INSERT INTO run_examples(run_id, split, dataset_id, idx) VALUES (?, ?, ?, ?)', [lastID, split, datasetId, int32Blob(examples.order)]);
    }
    return lastID;
  }

  /** The stored copy of a dataset with these records, stored now if there is none. */
  private async datasetId(records: readonly DatasetRecord[]): Promise<number> {
    const hash = createHash('sha256');
    for (const r of records) hash.update(JSON.stringify([r.question, r.answer, r.raw, r.line]));
    const digest = hash.digest('hex');
    const found = await this.db.get<{ id: number }>('SELECT id FROM datasets WHERE digest = ?', [digest]);
    if (found) return found.id;
    const { lastID } = await this.db.run('INSERT INTO datasets(digest) VALUES (?)', [digest]);
    // Bound parameters, many rows a statement: texts go in whole. (Through json_each, SQLite's
    // ->> cuts a text at its first NUL.) 4,000 rows x 6 values stays under SQLite's 32,766.
    const CHUNK = 4000;
    for (let start = 0; start < records.length; start += CHUNK) {
      const chunk = records.slice(start, start + CHUNK);
      const params: SqlValue[] = [];
      chunk.forEach((r, k) => params.push(lastID, start + k, r.question, r.answer, r.raw, r.line));
      await this.db.run(`INSERT INTO dataset_records(dataset_id, idx, question, answer, record, line) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`, params);
    }
    return lastID;
  }

  /**
   * Removes the run at `dir`, or every run of the sweep at `dir`, from the index (their
   * figures only: flags are user data and stay). Resolves with the paths removed.
   */
  async forget(dir: string): Promise<string[]> {
    const rows = await this.db.all<{ path: string }>('SELECT path FROM runs WHERE path = ? OR sweep_path = ? ORDER BY path', [dir, dir]);
    await this.db.run('DELETE FROM runs WHERE path = ? OR sweep_path = ?', [dir, dir]);
    return rows.map((r) => r.path);
  }

  async touchRun(runId: number, fingerprint: string): Promise<void> {
    await this.db.run('UPDATE runs SET fingerprint = ?, indexed_at = ? WHERE id = ?', [fingerprint, new Date().toISOString(), runId]);
  }

  async deleteCheckpoint(runId: number, step: number): Promise<void> {
    await this.db.run('DELETE FROM checkpoints WHERE run_id = ? AND step = ?', [runId, step]);
    await this.db.run('DELETE FROM skipped_checkpoints WHERE run_id = ? AND step = ?', [runId, step]);
  }

  /** A checkpoint that could not be read: the run keeps the others, and says which and why. */
  async insertSkipped(runId: number, s: SkippedCheckpoint & { readonly fingerprint: string }): Promise<void> {
    await this.db.run(
      `INSERT INTO skipped_checkpoints(run_id, step, fingerprint, file, reason) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(run_id, step) DO UPDATE SET fingerprint = excluded.fingerprint, file = excluded.file, reason = excluded.reason`,
      [runId, s.step, s.fingerprint, s.file, s.reason],
    );
  }

  async skippedCheckpoints(runId: number): Promise<(SkippedCheckpoint & { readonly fingerprint: string })[]> {
    const rows = await this.db.all('SELECT step, fingerprint, file, reason FROM skipped_checkpoints WHERE run_id = ? ORDER BY step', [runId]);
    return rows.map((r) => ({ step: r['step'] as number, fingerprint: r['fingerprint'] as string, file: r['file'] as string, reason: r['reason'] as string }));
  }

  /**
   * Runs `body` so that, if it throws, what it wrote is undone but the enclosing transaction
   * goes on (a savepoint): one unreadable checkpoint leaves no half-stored rows behind.
   */
  async undoOnError<T>(body: () => Promise<T>): Promise<T> {
    await this.db.exec('SAVEPOINT checkpoint_read');
    try {
      const result = await body();
      await this.db.exec('RELEASE checkpoint_read');
      return result;
    } catch (e) {
      await this.db.exec('ROLLBACK TO checkpoint_read; RELEASE checkpoint_read');
      throw e;
    }
  }

  /**
   * Reference perplexities scored locally (`premem score`) replace the checkpoint's: they are
   * its memorization evidence from now on, marked with how they were computed. Reading the
   * checkpoint again from disk (its files changed) replaces them in turn.
   */
  async updateReferenceScores(checkpointId: number, perplexity: Float64Array, numTokens: Float64Array, scored: string): Promise<void> {
    await this.db.run('UPDATE checkpoints SET perplexity = ?, num_tokens = ?, scored = ? WHERE id = ?', [float64Blob(perplexity), float64Blob(numTokens), scored, checkpointId]);
  }

  /** A checkpoint whose folder went away (or came back): its figures stay either way. */
  async markDeletedOnDisk(runId: number, step: number, deleted: boolean): Promise<void> {
    await this.db.run('UPDATE checkpoints SET deleted_on_disk = ? WHERE run_id = ? AND step = ?', [deleted ? 1 : 0, runId, step]);
  }

  /** The checkpoint's own row (perplexities, token counts); its sample sets follow. Returns its id. */
  async insertCheckpoint(runId: number, c: CheckpointData): Promise<number> {
    const { lastID } = await this.db.run(CHECKPOINT_INSERT, checkpointRow(runId, c));
    return lastID;
  }

  async insertSampleSet(checkpointId: number, s: SampleSetData, copyRates: Float64Array | undefined): Promise<void> {
    await this.db.run(sampleSetInsert('?'), [checkpointId, ...sampleSetRow(s, copyRates)]);
  }

  /**
   * Stores a checkpoint read whole (no texts streamed from its files) with its sample sets. The
   * statements are issued together and run in order on SQLite's thread, so the caller can read
   * the next checkpoint meanwhile (a cold index's reading and writing overlap); resolves when
   * all are done. Inside a transaction.
   */
  writeCheckpoint(runId: number, c: CheckpointData): Promise<void> {
    const checkpointId = '(SELECT id FROM checkpoints WHERE run_id = ? AND step = ?)';
    return this.db.runInOrder([
      { sql: CHECKPOINT_INSERT, params: checkpointRow(runId, c) },
      ...c.sampleSets.map((set) => ({ sql: sampleSetInsert(checkpointId), params: [runId, c.step, ...sampleSetRow(set, undefined)] })),
    ]);
  }

  /** Up to BATCH_ROWS questions' texts in one statement, each deflated on its own (read one at a time). */
  async insertSampleTexts(checkpointId: number, s: Pick<SampleSetData, 'split' | 'name'>, rows: readonly TextRow[]): Promise<void> {
    for (let start = 0; start < rows.length; start += BATCH_ROWS) {
      const batch = rows.slice(start, start + BATCH_ROWS);
      const params: SqlValue[] = [];
      for (const r of batch) params.push(checkpointId, s.split, s.name, r.position, deflateRawSync(Buffer.from(JSON.stringify(r.texts), 'utf8')));
      await this.db.run(`INSERT INTO sample_texts(checkpoint_id, split, name, position, texts) VALUES ${batch.map(() => '(?, ?, ?, ?, ?)').join(', ')}`, params);
    }
  }

  /** A checkpoint's samples on perturbed variants, a row per variant. */
  async insertPerturbedSet(checkpointId: number, set: PerturbedSetData): Promise<void> {
    const CHUNK = 500;
    for (let start = 0; start < set.rows.length; start += CHUNK) {
      const batch = set.rows.slice(start, start + CHUNK);
      const params: SqlValue[] = [];
      for (const r of batch) {
        const v = r.variant;
        params.push(
          checkpointId,
          set.name,
          v.id,
          v.index,
          v.kind,
          v.preserves_answer ? 1 : 0,
          v.question,
          v.answer,
          JSON.stringify(v.changes),
          JSON.stringify(r.codes),
          r.texts ? deflateRawSync(Buffer.from(JSON.stringify(r.texts), 'utf8')) : null,
        );
      }
      await this.db.run(
        `INSERT INTO perturbed_samples(checkpoint_id, name, variant, idx, kind, preserves_answer, question, answer, changes, codes, texts) VALUES ${batch.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        params,
      );
    }
  }

  /** Which checkpoints of a run have samples on perturbed variants, per set. */
  async perturbedSets(runId: number): Promise<{ checkpointId: number; step: number; name: string; variants: number; examples: number }[]> {
    const rows = await this.db.all(
      `SELECT c.id, c.step, p.name, count(*) AS variants, count(DISTINCT p.idx) AS examples
         FROM perturbed_samples p JOIN checkpoints c ON c.id = p.checkpoint_id
        WHERE c.run_id = ? GROUP BY c.id, p.name ORDER BY c.step, p.name`,
      [runId],
    );
    return rows.map((r) => ({
      checkpointId: r['id'] as number,
      step: r['step'] as number,
      name: r['name'] as string,
      variants: r['variants'] as number,
      examples: r['examples'] as number,
    }));
  }

  /** Every variant's codes in one set at one checkpoint (no texts): the robustness figures' input. */
  async perturbedCodes(checkpointId: number, name: string): Promise<{ index: number; variant: string; kind: string; preservesAnswer: boolean; codes: number[] }[]> {
    const rows = await this.db.all('SELECT idx, variant, kind, preserves_answer, codes FROM perturbed_samples WHERE checkpoint_id = ? AND name = ? ORDER BY idx, variant', [
      checkpointId,
      name,
    ]);
    return rows.map((r) => ({
      index: r['idx'] as number,
      variant: r['variant'] as string,
      kind: r['kind'] as string,
      preservesAnswer: r['preserves_answer'] === 1,
      codes: JSON.parse(r['codes'] as string) as number[],
    }));
  }

  /** One example's variants with their samples, at every checkpoint of the run that has some. */
  async perturbedForExample(runId: number, index: number): Promise<StoredPerturbed[]> {
    const rows = await this.db.all(
      `SELECT c.step, p.name, p.variant, p.kind, p.preserves_answer, p.question, p.answer, p.changes, p.codes, p.texts
         FROM perturbed_samples p JOIN checkpoints c ON c.id = p.checkpoint_id
        WHERE c.run_id = ? AND p.idx = ? ORDER BY c.step, p.name, p.variant`,
      [runId, index],
    );
    return rows.map((r) => ({
      step: r['step'] as number,
      name: r['name'] as string,
      variant: r['variant'] as string,
      kind: r['kind'] as string,
      preservesAnswer: r['preserves_answer'] === 1,
      question: r['question'] as string,
      answer: r['answer'] as string,
      changes: JSON.parse(r['changes'] as string) as { from: string; to: string }[],
      codes: JSON.parse(r['codes'] as string) as number[],
      texts: r['texts'] ? (JSON.parse(inflateRawSync(r['texts'] as Buffer).toString('utf8')) as string[]) : null,
    }));
  }

  // ---- flags (user data) ------------------------------------------------------------------

  async setFlag(runPath: string, index: number, note: string): Promise<void> {
    const now = new Date().toISOString();
    const db = await this.flagsConnection();
    await db.run(
      `INSERT INTO user.flags(run_path, idx, note, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(run_path, idx) DO UPDATE SET note = excluded.note, updated_at = excluded.updated_at`,
      [runPath, index, note, now, now],
    );
    this.confirmFlagsOnDisk();
  }

  /** Flags many examples of a run with one note, all or none (one transaction): a brushed selection. */
  async setFlags(runPath: string, indices: readonly number[], note: string): Promise<void> {
    const now = new Date().toISOString();
    const db = await this.flagsConnection();
    await db.transaction(async () => {
      for (const index of indices)
        await db.run(
          `INSERT INTO user.flags(run_path, idx, note, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(run_path, idx) DO UPDATE SET note = excluded.note, updated_at = excluded.updated_at`,
          [runPath, index, note, now, now],
        );
    });
    this.confirmFlagsOnDisk();
  }

  async removeFlag(runPath: string, index: number): Promise<boolean> {
    const db = await this.flagsConnection();
    const removed = (await db.run('DELETE FROM user.flags WHERE run_path = ? AND idx = ?', [runPath, index])).changes > 0;
    this.confirmFlagsOnDisk();
    return removed;
  }

  // ---- user state: thresholds and attached datasets (in the flags file, beside the flags) ----

  /** The stored threshold of the first of `paths` that has one (a run's own, then its sweep's). */
  /** Every stored threshold of these paths, read in one statement (one snapshot), by path. */
  async storedThresholds(paths: readonly string[]): Promise<Map<string, StoredThreshold>> {
    const db = await this.flagsConnection();
    const unique = [...new Set(paths)];
    const out = new Map<string, StoredThreshold>();
    if (unique.length === 0) return out;
    const rows = await db.all(`SELECT path, kind, value, calibration, updated_at FROM user.thresholds WHERE path IN (${unique.map(() => '?').join(',')})`, unique);
    for (const r of rows)
      out.set(r['path'] as string, {
        path: r['path'] as string,
        kind: r['kind'] === 'perplexity' ? 'perplexity' : 'loglog',
        value: r['value'] as number,
        calibration: (r['calibration'] as string | null) ?? null,
        updatedAt: r['updated_at'] as string,
      });
    return out;
  }

  async storedThreshold(paths: readonly string[]): Promise<StoredThreshold | null> {
    const db = await this.flagsConnection();
    for (const path of paths) {
      const r = await db.get('SELECT path, kind, value, calibration, updated_at FROM user.thresholds WHERE path = ?', [path]);
      if (r)
        return {
          path,
          kind: r['kind'] === 'perplexity' ? 'perplexity' : 'loglog',
          value: r['value'] as number,
          calibration: (r['calibration'] as string | null) ?? null,
          updatedAt: r['updated_at'] as string,
        };
    }
    return null;
  }

  async setStoredThreshold(path: string, kind: 'loglog' | 'perplexity', value: number, calibration: string | null): Promise<void> {
    const db = await this.flagsConnection();
    await db.run(
      `INSERT INTO user.thresholds(path, kind, value, calibration, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(path) DO UPDATE SET kind = excluded.kind, value = excluded.value, calibration = excluded.calibration, updated_at = excluded.updated_at`,
      [path, kind, value, calibration, new Date().toISOString()],
    );
    this.confirmFlagsOnDisk();
  }

  async clearStoredThreshold(path: string): Promise<boolean> {
    const db = await this.flagsConnection();
    const removed = (await db.run('DELETE FROM user.thresholds WHERE path = ?', [path])).changes > 0;
    this.confirmFlagsOnDisk();
    return removed;
  }

  /** The dataset attached to the first of `paths` that has one (a run's own, then its sweep's). */
  async attachedDataset(paths: readonly string[]): Promise<{ path: string; trainFile: string; testFile: string | null } | null> {
    const db = await this.flagsConnection();
    for (const path of paths) {
      const r = await db.get('SELECT train_file, test_file FROM user.datasets WHERE path = ?', [path]);
      if (r) return { path, trainFile: r['train_file'] as string, testFile: (r['test_file'] as string | null) ?? null };
    }
    return null;
  }

  async setAttachedDataset(path: string, trainFile: string, testFile: string | null): Promise<void> {
    const db = await this.flagsConnection();
    await db.run(
      `INSERT INTO user.datasets(path, train_file, test_file, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(path) DO UPDATE SET train_file = excluded.train_file, test_file = excluded.test_file, updated_at = excluded.updated_at`,
      [path, trainFile, testFile, new Date().toISOString()],
    );
    this.confirmFlagsOnDisk();
  }

  /** Every attached dataset, by the folder it was attached to (what run discovery needs). */
  async attachments(): Promise<Map<string, { trainFile: string; testFile: string | null }>> {
    const db = await this.flagsConnection();
    const rows = await db.all('SELECT path, train_file, test_file FROM user.datasets');
    return new Map(rows.map((r) => [r['path'] as string, { trainFile: r['train_file'] as string, testFile: (r['test_file'] as string | null) ?? null }]));
  }

  async clearAttachedDataset(path: string): Promise<boolean> {
    const db = await this.flagsConnection();
    const removed = (await db.run('DELETE FROM user.datasets WHERE path = ?', [path])).changes > 0;
    this.confirmFlagsOnDisk();
    return removed;
  }

  async flags(runPath?: string): Promise<Flag[]> {
    const rows = await (
      await this.flagsConnection()
    ).all(
      `SELECT run_path, idx, note, created_at, updated_at FROM user.flags ${runPath === undefined ? '' : 'WHERE run_path = ?'} ORDER BY run_path, idx`,
      runPath === undefined ? [] : [runPath],
    );
    return rows.map((r) => ({
      runPath: r['run_path'] as string,
      index: r['idx'] as number,
      note: r['note'] as string,
      createdAt: r['created_at'] as string,
      updatedAt: r['updated_at'] as string,
    }));
  }
}

const CHECKPOINT_INSERT = 'INSERT INTO checkpoints(run_id, step, dir, fingerprint, epoch, train_loss, perplexity, num_tokens, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)';

function checkpointRow(runId: number, c: CheckpointData): SqlValue[] {
  return [
    runId,
    c.step,
    c.dir,
    c.fingerprint,
    c.epoch,
    c.trainLoss,
    float64Blob(c.perplexity),
    c.numTokens ? float64Blob(c.numTokens) : null,
    c.notes.length ? JSON.stringify(c.notes) : null,
  ];
}

/** The sample-set insert, its checkpoint given by `checkpointId` (a parameter or a subquery). */
const sampleSetInsert = (checkpointId: string): string =>
  `INSERT INTO sample_sets(checkpoint_id, split, name, samples_per_question, questions, correct, correct_total, codes, has_texts, copy_rates, source)
   VALUES (${checkpointId}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** A sample set's values after its checkpoint id. */
function sampleSetRow(s: SampleSetData, copyRates: Float64Array | undefined): SqlValue[] {
  const counts = correctCounts(s);
  let total = 0;
  for (const c of counts) total += c;
  return [
    s.split,
    s.name,
    s.samplesPerQuestion,
    s.questions,
    countsBlob(counts, s.samplesPerQuestion),
    total,
    packCodes(s.codes),
    s.texts ? 1 : 0,
    copyRates ? float64Blob(copyRates) : null,
    s.source,
  ];
}

/** A run's stored hyperparameters; an index row written by hand or damaged reads as none. */
function parseHyperparameters(text: string | null): Hyperparameters {
  if (!text) return {};
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Hyperparameters) : {};
  } catch {
    return {};
  }
}
