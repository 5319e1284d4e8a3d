/**
 * The table and its index, created on first use (CREATE … IF NOT EXISTS), once per store:
 * asynchronously for every driver, synchronously as well for better-sqlite3's getSync.
 */
import type { SqlConnection } from './connection.js';

export class TableCreator {
  #ready: Promise<void> | undefined;
  #readySync = false;

  /** `ddl` undefined: createTable is false, the table is the user's to create. */
  constructor(
    private readonly connection: SqlConnection,
    private readonly ddl: readonly string[] | undefined,
  ) {}

  ensure(): Promise<void> {
    if (!this.ddl) return Promise.resolve();
    // A failure (server down at start-up) is tried again by the next operation.
    this.#ready ??= this.#create(this.ddl).catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  ensureSync(runSync: NonNullable<SqlConnection['runSync']>): void {
    if (!this.ddl || this.#readySync) return;
    for (const statement of this.ddl) runSync(statement, []);
    this.#readySync = true;
  }

  async #create(ddl: readonly string[]): Promise<void> {
    if (this.connection.runBatch) return this.connection.runBatch(ddl);
    for (const statement of ddl) {
      try {
        await this.connection.run(statement, []);
      } catch (error) {
        // Another process created it at the same moment; now IF NOT EXISTS sees it.
        if (!this.connection.dialect.isCreateRace(error)) throw error;
        await this.connection.run(statement, []);
      }
    }
  }
}
