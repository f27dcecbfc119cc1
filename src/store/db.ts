import * as sqlite3 from 'sqlite3';

/** Values SQLite takes as parameters; blobs travel as Buffers. */
export type SqlValue = string | number | bigint | Buffer | null;
export type Row = Record<string, SqlValue>;

/**
 * The only place `sqlite3` is touched: a promise API over one connection. node-sqlite3 runs
 * each statement on its thread pool, so callers batch rows (json_each, multi-row VALUES)
 * rather than issuing a statement per row.
 */
export class Database {
  private constructor(
    private readonly db: sqlite3.Database,
    /** What errors name: the database file (SQLITE_BUSY alone does not say which). */
    readonly label: string,
  ) {}

  static open(file: string, options: { readonly?: boolean; label?: string } = {}): Promise<Database> {
    const mode = options.readonly ? sqlite3.OPEN_READONLY : sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE;
    const label = options.label ?? file;
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(file, mode, (err) => {
        if (err) return reject(named(err, label));
        // Statements run one at a time in the order they were issued (runInOrder relies on it).
        // One connection serializes them inside SQLite anyway; this only fixes their order.
        db.serialize();
        resolve(new Database(db, label));
      });
    });
  }

  /** An error of this connection, with the database it concerns in its message (code kept). */
  private named = (err: Error): Error => named(err, this.label);

  run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number; lastID: number }> {
    return new Promise((resolve, reject) => {
      const fail = this.named;
      this.db.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(fail(err));
        else resolve({ changes: this.changes, lastID: this.lastID });
      });
    });
  }

  /**
   * Issues the statements at once; they run in this order (the connection is serialized)
   * while the caller goes on. Resolves when the last is done, rejects with the first error.
   */
  runInOrder(statements: readonly { readonly sql: string; readonly params: readonly SqlValue[] }[]): Promise<void> {
    return Promise.all(statements.map((s) => this.run(s.sql, s.params))).then(() => undefined);
  }

  all<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.db.all(sql, params, (err: Error | null, rows: T[]) => (err ? reject(this.named(err)) : resolve(rows)));
    });
  }

  get<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.db.get(sql, params, (err: Error | null, row: T | undefined) => (err ? reject(this.named(err)) : resolve(row)));
    });
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.db.exec(sql, (err) => (err ? reject(this.named(err)) : resolve())));
  }

  /**
   * Runs `body` inside one IMMEDIATE transaction: all of it lands or none of it does. Callers
   * must not interleave other statements on this connection meanwhile (one writer at a time).
   */
  async transaction<T>(body: () => Promise<T>): Promise<T> {
    await this.exec('BEGIN IMMEDIATE');
    try {
      const result = await body();
      await this.exec('COMMIT');
      return result;
    } catch (e) {
      await this.exec('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.db.close((err) => (err ? reject(this.named(err)) : resolve())));
  }
}

function named(err: Error, label: string): Error {
  if (err.message.includes(label)) return err;
  const code = (err as { code?: unknown }).code;
  return Object.assign(new Error(`${label}: ${err.message}`), { code });
}
