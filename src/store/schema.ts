import type { Database } from './db';

/**
 * The index schema. Everything except `flags` is derived from run folders and may be dropped
 * and rebuilt; `flags` is what users create and is keyed by (run path, dataset index) so no
 * rebuild, re-index or row-id change can detach a flag from its example.
 */
export const SCHEMA_VERSION = 3;

/** Derived tables, dropped and rebuilt on a schema change; `flags` is migrated, never dropped. */
const DERIVED_TABLES = ['sample_texts', 'sample_sets', 'checkpoints', 'test_examples', 'examples', 'runs'];

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
  indexed_at      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS examples (
  run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,  -- place in the analysis (subsample_idxs) order; arrays follow it
  idx      INTEGER NOT NULL,  -- index in the training set
  question TEXT,
  answer   TEXT,
  record   TEXT,              -- the dataset line as written
  PRIMARY KEY (run_id, idx)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS examples_by_position ON examples(run_id, position);
CREATE TABLE IF NOT EXISTS test_examples (
  run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  idx      INTEGER NOT NULL,
  question TEXT,
  answer   TEXT,
  PRIMARY KEY (run_id, position)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step        INTEGER NOT NULL,
  dir         TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  epoch       REAL,            -- as trainer_state.json says; else derived from runs.epochs
  train_loss  REAL,
  perplexity  BLOB NOT NULL,   -- float64 LE, one per example in position order
  num_tokens  BLOB,            -- float64 LE
  UNIQUE (run_id, step)
);
CREATE TABLE IF NOT EXISTS sample_sets (
  checkpoint_id        INTEGER NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
  split                TEXT NOT NULL CHECK (split IN ('train', 'test')),
  name                 TEXT NOT NULL,
  samples_per_question INTEGER NOT NULL,
  questions            INTEGER NOT NULL,
  correct              BLOB NOT NULL,  -- uint32 LE correct-sample count per question
  correct_total        INTEGER NOT NULL,
  codes                BLOB NOT NULL,  -- uint8 per sample, questions x samples, row-major
  has_texts            INTEGER NOT NULL,
  copy_rates           BLOB,           -- float64 per sample: share of reference steps copied (train, with texts and dataset)
  source               TEXT NOT NULL,
  PRIMARY KEY (checkpoint_id, split, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sample_texts (
  checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
  split         TEXT NOT NULL,
  name          TEXT NOT NULL,
  position      INTEGER NOT NULL,
  texts         BLOB NOT NULL,   -- deflate(JSON array of the question's sample texts)
  PRIMARY KEY (checkpoint_id, split, name, position)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS flags (
  run_path   TEXT NOT NULL,
  idx        INTEGER NOT NULL,
  note       TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (run_path, idx)
) WITHOUT ROWID;
`;

export async function ensureSchema(db: Database): Promise<void> {
  await db.exec('PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;');
  // WAL lets a reader (the editor) and a writer (the CLI) share the file without blocking.
  await db.get('PRAGMA journal_mode = WAL');
  await db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  const row = await db.get<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'");
  const found = row ? Number(row.value) : null;
  if (found !== null && found > SCHEMA_VERSION) {
    throw new Error(`the index was written by a newer Premem Lens (schema ${found}; this one reads ${SCHEMA_VERSION})`);
  }
  if (found !== null && found < SCHEMA_VERSION) {
    // The index is a cache: rebuild what derives from run folders, keep what users made.
    await db.transaction(async () => {
      for (const t of DERIVED_TABLES) await db.exec(`DROP TABLE IF EXISTS ${t}`);
    });
  }
  await db.exec(DDL);
  await db.run("INSERT INTO meta(key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [String(SCHEMA_VERSION)]);
}
