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
  private constructor(private readonly db: sqlite3.Database) {}

  static open(file: string, options: { readonly?: boolean } = {}): Promise<Database> {
    const mode = options.readonly ? sqlite3.OPEN_READONLY : sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE;
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(file, mode, (err) => (err ? reject(err) : resolve(new Database(db))));
    });
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number; lastID: number }> {
    return new Promise((resolve, reject) => {
      this.db.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastID: this.lastID });
      });
    });
  }

  all<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.db.all(sql, params, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows)));
    });
  }

  get<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.db.get(sql, params, (err: Error | null, row: T | undefined) => (err ? reject(err) : resolve(row)));
    });
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.db.exec(sql, (err) => (err ? reject(err) : resolve())));
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
    return new Promise((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve())));
  }
}
