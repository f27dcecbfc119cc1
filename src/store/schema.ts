import { Database } from './db';

/**
 * Two files. The index (`index.sqlite`) is a cache derived from run folders: any of it may be
 * dropped and rebuilt, and a corrupt or deleted index is simply rebuilt. The user's flags and
 * notes live in a small database of their own beside it (`index.flags.sqlite`), attached to
 * the same connection as `user`: nothing that rebuilds, upgrades or deletes the index touches
 * that file. Flags are keyed by (run path, dataset index) so no re-index or row-id change can
 * detach a flag from its example.
 */
export const SCHEMA_VERSION = 13;

/** Version of the flags database; its own, since it outlives many index versions. */
export const FLAGS_VERSION = 2;

/** Derived tables, dropped and rebuilt on a schema change. */
const DERIVED_TABLES = [
  'perturbed_samples',
  'sample_texts',
  'sample_sets',
  'skipped_checkpoints',
  'checkpoints',
  'run_examples',
  'dataset_records',
  'datasets',
  // Up to schema 10: a row per example per run.
  'test_examples',
  'examples',
  'runs',
];

/** The flags file that goes with an index file: `x.sqlite` → `x.flags.sqlite`. */
export function flagsFileFor(indexFile: string): string {
  if (indexFile === ':memory:') return ':memory:';
  return indexFile.replace(/(\.sqlite3?|\.db)?$/, '.flags.sqlite');
}

const DDL = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: a stale id finds nothing
  path            TEXT NOT NULL UNIQUE,
  name            TEXT NOT NULL,
  sweep_path      TEXT NOT NULL,
  fingerprint     TEXT NOT NULL,
  epochs          REAL,
  epochs_source   TEXT,
  train_questions INTEGER NOT NULL,
  test_questions  INTEGER,
  has_dataset     INTEGER NOT NULL,
  train_dataset_file TEXT,        -- the GSM8K-form file the examples' texts came from
  sampled_from    TEXT,           -- run.json's sampled_from: the training run a folder of samples came from
  hyperparameters TEXT NOT NULL DEFAULT '{}', -- JSON: ingest/hyperparameters.ts, for the sweep table
  indexed_at      TEXT NOT NULL
);
-- A dataset's records, stored once however many runs use it: a sweep's runs mostly share one
-- dataset, and a row per example per run was most of a cold index's time (13 x 7,473 rows).
CREATE TABLE IF NOT EXISTS datasets (
  id     INTEGER PRIMARY KEY AUTOINCREMENT,
  digest TEXT NOT NULL UNIQUE   -- sha256 of its records: the same content is the same dataset
);
CREATE TABLE IF NOT EXISTS dataset_records (
  dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  idx        INTEGER NOT NULL,  -- index in the dataset
  question   TEXT NOT NULL,
  answer     TEXT NOT NULL,
  record     TEXT,              -- the line as written
  line       INTEGER,           -- its 1-based line in the file (Show in Dataset File)
  PRIMARY KEY (dataset_id, idx)
) WITHOUT ROWID;
-- Which questions a run analyses, in analysis (subsample_idxs) order: one array, not a row
-- per example. Per-checkpoint arrays follow this order.
CREATE TABLE IF NOT EXISTS run_examples (
  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  split      TEXT NOT NULL CHECK (split IN ('train', 'test')),
  dataset_id INTEGER REFERENCES datasets(id),  -- null: the run has no texts for this split
  idx        BLOB NOT NULL,                    -- int32 LE dataset index per position
  UNIQUE (run_id, split)
);
CREATE INDEX IF NOT EXISTS run_examples_by_dataset ON run_examples(dataset_id);
-- A dataset goes when its last run does (also when the run goes by cascade).
CREATE TRIGGER IF NOT EXISTS datasets_unused AFTER DELETE ON run_examples WHEN old.dataset_id IS NOT NULL
BEGIN
  DELETE FROM datasets WHERE id = old.dataset_id AND NOT EXISTS (SELECT 1 FROM run_examples WHERE dataset_id = old.dataset_id);
END;
CREATE TABLE IF NOT EXISTS skipped_checkpoints (
  run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step        INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,    -- of its files when it failed: changed files are tried again
  file        TEXT NOT NULL,
  reason      TEXT NOT NULL,
  PRIMARY KEY (run_id, step)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step        INTEGER NOT NULL,
  dir         TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  epoch       REAL,            -- as trainer_state.json says; else derived from runs.epochs
  train_loss  REAL,
  deleted_on_disk INTEGER NOT NULL DEFAULT 0,  -- its folder is gone (e.g. save_total_limit): figures kept
  scored      TEXT,            -- JSON {model, tokenizer, templates} when perplexities were scored locally (premem score)
  notes       TEXT,            -- JSON array: what the readers chose (e.g. the newest of several harness logs)
  perplexity  BLOB NOT NULL,   -- float64 LE, one per example in position order
  num_tokens  BLOB,            -- float64 LE
  UNIQUE (run_id, step)
);
CREATE TABLE IF NOT EXISTS sample_sets (
  -- A rowid table (not WITHOUT ROWID): its rows carry megabytes at scale, and a WITHOUT ROWID
  -- b-tree compares whole rows as keys (a lookup by checkpoint took 60 ms at 150k examples,
  -- 1 ms now). Small columns first, BLOBs last: SQLite walks overflow pages to reach a column.
  checkpoint_id        INTEGER NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
  split                TEXT NOT NULL CHECK (split IN ('train', 'test')),
  name                 TEXT NOT NULL,
  samples_per_question INTEGER NOT NULL,
  questions            INTEGER NOT NULL,
  correct_total        INTEGER NOT NULL,
  has_texts            INTEGER NOT NULL,
  source               TEXT NOT NULL,
  copy_rates           BLOB,           -- float64 per sample: share of reference steps copied (train, with texts and dataset)
  codes                BLOB NOT NULL,  -- 2 bits per sample (4 a byte, low bits first), questions x samples, row-major
  correct              BLOB NOT NULL,  -- correct-sample count per question: uint8, or uint16/uint32 LE past 255/65535 samples
  UNIQUE (checkpoint_id, split, name)
);
CREATE TABLE IF NOT EXISTS sample_texts (
  checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
  split         TEXT NOT NULL,
  name          TEXT NOT NULL,
  position      INTEGER NOT NULL,
  texts         BLOB NOT NULL,   -- deflate(JSON array of the question's sample texts)
  PRIMARY KEY (checkpoint_id, split, name, position)
) WITHOUT ROWID;
`;

const PERTURBED_DDL = `
CREATE TABLE IF NOT EXISTS perturbed_samples (
  -- Samples on perturbed variants of training questions (premem sample --dataset, or the
  -- user's pipeline), a row per variant: the variant's own text travels with its samples.
  checkpoint_id    INTEGER NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
  name             TEXT NOT NULL,     -- the sample set
  variant          TEXT NOT NULL,     -- its id in the file
  idx              INTEGER NOT NULL,  -- the original example's index in the training set
  kind             TEXT NOT NULL,
  preserves_answer INTEGER NOT NULL,
  question         TEXT NOT NULL,
  answer           TEXT NOT NULL,
  changes          TEXT NOT NULL,     -- JSON [{from, to}]
  codes            TEXT NOT NULL,     -- JSON array of answer codes, one per sample
  texts            BLOB,              -- deflate(JSON array of sample texts), when kept
  PRIMARY KEY (checkpoint_id, name, variant)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS perturbed_by_example ON perturbed_samples(idx);
`;

const FLAGS_DDL = `
CREATE TABLE IF NOT EXISTS user.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS user.flags (
  run_path   TEXT NOT NULL,
  idx        INTEGER NOT NULL,
  note       TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (run_path, idx)
) WITHOUT ROWID;
-- A sweep's (or a lone run's) own memorization threshold, chosen by the user or by calibration.
CREATE TABLE IF NOT EXISTS user.thresholds (
  path        TEXT PRIMARY KEY,   -- the sweep folder, or the run folder of a lone run
  kind        TEXT NOT NULL,      -- 'loglog' or 'perplexity'
  value       REAL NOT NULL,
  calibration TEXT,               -- JSON: how it was chosen (method, runs, held-out error), or null
  updated_at  TEXT NOT NULL
) WITHOUT ROWID;
-- A dataset file attached to runs that have none (never written into run folders).
CREATE TABLE IF NOT EXISTS user.datasets (
  path        TEXT PRIMARY KEY,   -- a run or a sweep folder
  train_file  TEXT NOT NULL,
  test_file   TEXT,
  updated_at  TEXT NOT NULL
) WITHOUT ROWID;
`;

async function versionOf(db: Database, schema: 'main' | 'user', key: string): Promise<number | null> {
  const row = await db.get<{ value: string }>(`SELECT value FROM ${schema}.meta WHERE key = ?`, [key]);
  return row ? Number(row.value) : null;
}

/** The flags database, attached as `user`: created when new, refused when newer than this code. */
/**
 * Switches a database to WAL. On a file that other processes are creating at the same moment the
 * switch can answer SQLITE_BUSY at once, without waiting for the busy timeout (it needs the file
 * to itself): six processes opening a new index together saw "database is locked" so. Retried
 * for up to 10 s, as the busy timeout would wait for any other lock.
 */
async function walMode(db: Database, schema: 'main' | 'user'): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (let attempt = 0; ; attempt++) {
    try {
      await db.get(`PRAGMA ${schema}.journal_mode = WAL`);
      return;
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, Math.min(200, 10 * 2 ** attempt)));
    }
  }
}

async function ensureFlagsSchema(db: Database, flagsFile: string): Promise<void> {
  try {
    await attachFlags(db, flagsFile);
  } catch (e) {
    // Say which file: "file is not a database" alone would send the user to the index.
    throw Object.assign(new Error(`flags database ${flagsFile}: ${(e as Error).message}`), { code: (e as { code?: unknown }).code });
  }
}

async function attachFlags(db: Database, flagsFile: string): Promise<void> {
  await db.run('ATTACH DATABASE ? AS user', [flagsFile]);
  await walMode(db, 'user');
  await db.exec('CREATE TABLE IF NOT EXISTS user.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  const found = await versionOf(db, 'user', 'flags_version');
  if (found !== null && found > FLAGS_VERSION) {
    throw new Error(`${flagsFile} was written by a newer Premem Lens (flags version ${found}; this one reads ${FLAGS_VERSION})`);
  }
  // Opening an up-to-date file writes nothing: readers never queue behind writers here.
  if (found === FLAGS_VERSION) return;
  await db.exec(FLAGS_DDL);
  await db.run("INSERT INTO user.meta(key, value) VALUES ('flags_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [String(FLAGS_VERSION)]);
}

/**
 * Brings the index (and its flags file) to this code's schema. The flags file is attached only
 * for this (creating it, copying flags out of an old index) and detached again: indexing
 * transactions on this connection must never lock it (see openFlags).
 */
export async function ensureSchema(db: Database, flagsFile: string): Promise<void> {
  await db.exec('PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;');
  // Before anything writes (even the journal mode is written to the file's header).
  await refuseForeignDatabase(db);
  // WAL lets a reader (the editor) and a writer (the CLI) share the file without blocking.
  await walMode(db, 'main');
  await ensureFlagsSchema(db, flagsFile);
  try {
    await ensureIndexSchema(db);
  } finally {
    await db.run('DETACH DATABASE user');
  }
}

/**
 * The flags' own connection: an in-memory main database with the flags file attached as
 * `user`, so a transaction here locks only the flags file, and an index being written by any
 * process never makes a flag wait (BEGIN IMMEDIATE locks every database attached to its connection).
 */
export async function openFlags(flagsFile: string): Promise<Database> {
  const db = await Database.open(':memory:', { label: flagsFile });
  try {
    await db.exec('PRAGMA busy_timeout = 10000;');
    await ensureFlagsSchema(db, flagsFile);
    return db;
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
}

/**
 * A SQLite database that holds tables but no Premem schema is someone else's: refused, never
 * written to (`--db` pointed at the wrong file must not gain our tables).
 */
async function refuseForeignDatabase(db: Database): Promise<void> {
  // One statement, one snapshot: another process creating the schema at this moment must not
  // be seen half-way (its meta table not yet there, another one already) as someone else's.
  const found = await db.get<{ ours: number; other: string | null }>(
    "SELECT EXISTS (SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = 'meta') AS ours, (SELECT name FROM main.sqlite_master WHERE type = 'table' AND name <> 'meta' LIMIT 1) AS other",
  );
  if (!found || found.ours || found.other === null) return;
  throw Object.assign(new Error(`${db.label} is a SQLite database of something else (it has a table "${found.other}" and no Premem schema): refusing to use it as the index`), {
    code: 'PREMEM_FOREIGN_DATABASE',
  });
}

async function ensureIndexSchema(db: Database): Promise<void> {
  await db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  const found = await versionOf(db, 'main', 'schema_version');
  if (found !== null && found > SCHEMA_VERSION) {
    throw new Error(`the index was written by a newer Premem Lens (schema ${found}; this one reads ${SCHEMA_VERSION})`);
  }
  if (found !== null && found < SCHEMA_VERSION) {
    // Up to version 3 flags lived in the index. Copy them out first (its own commit, and
    // idempotent), then drop the table: a kill between the two steps loses nothing.
    const legacy = await db.get("SELECT 1 AS yes FROM main.sqlite_master WHERE type = 'table' AND name = 'flags'");
    if (legacy) {
      await db.transaction(() =>
        db.run('INSERT OR IGNORE INTO user.flags(run_path, idx, note, created_at, updated_at) SELECT run_path, idx, note, created_at, updated_at FROM main.flags'),
      );
      await db.exec('DROP TABLE main.flags');
    }
    // The index is a cache: rebuild what derives from run folders.
    await db.transaction(async () => {
      for (const t of DERIVED_TABLES) await db.exec(`DROP TABLE IF EXISTS main.${t}`);
    });
  }
  if (found === SCHEMA_VERSION) return;
  await db.exec(DDL);
  await db.exec(PERTURBED_DDL);
  await db.run("INSERT INTO meta(key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [String(SCHEMA_VERSION)]);
}
