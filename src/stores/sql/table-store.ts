/**
 * The session logic of every SQL-backed store, written once over a {@link SqlConnection}:
 * the SQL store on Node drivers (./index.ts), D1 (../d1/) and a Durable Object's SQLite
 * (../durable-object/). It imports no driver and nothing of Node, so that it runs in
 * workerd; each subclass brings its connection. The statements each operation costs are
 * listed in ./index.ts.
 */
import { consoleLogger, type Logger } from '../../core/logger.js';
import { StoreError, sweepLimit, wrapStoreError, type Store, type StoreRecord, type SweepOptions } from '../../core/store.js';
import { DEFAULT_TIMEOUT_MS, storeCall } from '../shared/call.js';
import { foreignValue } from '../../core/foreign.js';
import { compile, type CompiledStatement, type DialectName, type SqlConnection, type SqlResult } from './connection.js';
import { nextTurn } from './next-turn.js';
import { prefixEnd } from './prefix-end.js';
import { epochMs, newVersion, recordFrom } from './row.js';
import { integerOption, tableName, type SqlTableOptions } from './settings.js';
import { TableCreator } from './table.js';

/** A compiled statement run synchronously with named arguments (a synchronous driver's `runSync`). */
type SyncRunner = (statement: CompiledStatement, args: Record<string, unknown>) => SqlResult;

/** A token that no write of ours produced cannot match a row: no need to ask. */
const isOurVersion = (version: string) => /^\d{1,15}$/.test(version);

/** The id column is VARCHAR(255). */
const MAX_KEY_CHARACTERS = 255;

/** The method that lists one page of keys (`SqlTableStore[KEYS_PAGE]`), for the Durable Object that answers its store page by page. */
export const KEYS_PAGE: unique symbol = Symbol('sessionkit.keysPage');

/** The characters a VARCHAR counts: code points (a surrogate pair is one). */
function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

export class SqlTableStore implements Store {
  readonly name: string;
  readonly dialect: DialectName;
  readonly table: string;
  readonly schema: string | undefined;
  readonly timeout: number;
  readonly batchSize: number;
  readonly sweepEveryNRequests: number;
  /**
   * The read without a promise, present for a synchronous driver (better-sqlite3): adapters
   * use it to skip a promise turn on every request.
   */
  readonly getSync: ((key: string) => StoreRecord | undefined) | undefined = undefined;
  /** `create` and `setIf` without a promise, for the same drivers: a request that writes its session needs no promise turn either. */
  readonly createSync: ((key: string, record: StoreRecord) => boolean) | undefined = undefined;
  readonly setIfSync: ((key: string, record: StoreRecord, expectedVersion: string) => boolean) | undefined = undefined;
  readonly #connection: SqlConnection;
  readonly #statements: Record<'get' | 'getExpired' | 'set' | 'create' | 'setIf' | 'touch' | 'delete' | 'deleteExpiredBatch' | 'countExpired', CompiledStatement>;
  /** DELETEs of fewer rows than `batchSize`, for the last batch of a `limit`, by size. */
  readonly #smallerBatches = new Map<number, CompiledStatement>();
  readonly #smallerBatch: (size: number) => CompiledStatement;
  readonly #replaceExpired: CompiledStatement | undefined;
  /** The pages of `keys`: `bounded` for a prefix with an end, `open` for one without (see prefixEnd). */
  readonly #keysPages: Record<'bounded' | 'open', { first: CompiledStatement; next: CompiledStatement }>;
  readonly #tableCreator: TableCreator;
  readonly #remedy: string;
  readonly #logger: Pick<Logger, 'warn'>;
  #requests = 0;
  #sweep: Promise<void> | undefined;

  /**
   * `factory` is the function the user called ('sqlStore', 'd1Store'), named in messages:
   * in bad options, and in the remedy of a missing table (its `ddl()` prints the DDL).
   */
  constructor(connection: SqlConnection, options: SqlTableOptions, factory: string) {
    const name = tableName(factory, options.table, options.schema);
    this.batchSize = integerOption(factory, 'batchSize', options.batchSize, { fallback: 1000, min: 1 });
    this.sweepEveryNRequests = integerOption(factory, 'sweepEveryNRequests', options.sweepEveryNRequests, { fallback: 0, min: 0 });
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    this.#connection = connection;
    const dialect = this.#connection.dialect;
    this.dialect = dialect.name;
    this.name = `sql:${dialect.name}`;
    this.table = name.table;
    this.schema = name.schema;
    this.#logger = options.logger ?? consoleLogger;

    const sql = dialect.statements(name, this.batchSize);
    const prepare = (text: string) => compile(text, dialect.placeholders);
    this.#statements = {
      get: prepare(sql.get),
      getExpired: prepare(sql.getExpired),
      set: prepare(sql.set),
      create: prepare(sql.create),
      setIf: prepare(sql.setIf),
      touch: prepare(sql.touch),
      delete: prepare(sql.delete),
      deleteExpiredBatch: prepare(sql.deleteExpiredBatch),
      countExpired: prepare(sql.countExpired),
    };
    this.#smallerBatch = (size) => prepare(dialect.statements(name, size).deleteExpiredBatch);
    this.#replaceExpired = sql.replaceExpired === undefined ? undefined : prepare(sql.replaceExpired);
    const keysPages = (bounded: boolean) => ({
      first: prepare(sql.keysPage({ resume: false, bounded })),
      next: prepare(sql.keysPage({ resume: true, bounded })),
    });
    this.#keysPages = { bounded: keysPages(true), open: keysPages(false) };
    const createTable = options.createTable ?? true;
    this.#tableCreator = new TableCreator(this.#connection, createTable ? dialect.ddl(name) : undefined);
    const qualified = name.schema ? `${name.schema}.${name.table}` : name.table;
    this.#remedy = createTable
      ? this.#connection.remedy
      : `${this.#connection.remedy} Does table ${qualified} exist? createTable is false: ` +
        `create it with the statements of ${factory}.ddl(${factory === 'sqlStore' ? `{ dialect: '${dialect.name}' }` : ''}).`;
    const runSync = this.#connection.runSync?.bind(this.#connection);
    if (runSync) {
      const run: SyncRunner = (statement, args) => runSync(statement.sql, statement.names.map((name) => args[name]));
      // The table is made on the first call, as the async operations make it.
      const ready = () => this.#tableCreator.ensureSync(runSync);
      this.getSync = (key) => this.#sync('read', ready, () => this.#record(key, run(this.#statements.get, this.#getArgs(key)).rows[0]));
      this.createSync = (key, record) => this.#sync('create', ready, () => this.#createSync(run, key, record));
      this.setIfSync = (key, record, version) => this.#sync('write', ready, () => this.#setIfSync(run, key, record, version));
    }
  }

  async get(key: string): Promise<StoreRecord | undefined> {
    this.#countRequest();
    return this.#operation('read', async () => this.#record(key, (await this.#run(this.#statements.get, this.#getArgs(key))).rows[0]));
  }

  /** The expired row not swept yet (`Store.getExpired`): one SELECT, asked only to tell why a session is gone. */
  async getExpired(key: string): Promise<StoreRecord | undefined> {
    return this.#operation('read', async () => this.#record(key, (await this.#run(this.#statements.getExpired, this.#getArgs(key))).rows[0]));
  }

  /** A synchronous operation (a read counts towards the background sweep), its failures as StoreError. */
  #sync<T>(action: string, ready: () => void, body: () => T): T {
    if (action === 'read') this.#countRequest();
    try {
      ready();
      return body();
    } catch (error) {
      throw wrapStoreError(this.name, action, this.#remedy, error);
    }
  }

  #record(key: string, row: Record<string, unknown> | undefined): StoreRecord | undefined {
    if (!row) return undefined;
    const record = recordFrom(row);
    if (typeof record !== 'string') return record;
    foreignValue({ logger: this.#logger, storeName: this.name }, key, record, `Is another program writing to table ${this.table}? Give sessions a table of their own.`);
    return undefined;
  }

  #getArgs(key: string) {
    return { id: key, now: Date.now() };
  }

  #countRequest(): void {
    if (this.sweepEveryNRequests > 0 && ++this.#requests >= this.sweepEveryNRequests) {
      this.#requests = 0;
      this.#sweepInBackground();
    }
  }

  async set(key: string, record: StoreRecord): Promise<string> {
    return this.#operation('write', async () => {
      const version = newVersion();
      await this.#run(this.#statements.set, { ...this.#row(key, record), version });
      return String(version);
    });
  }

  async create(key: string, record: StoreRecord): Promise<boolean> {
    return this.#operation('create', async () => {
      const args = this.#createArgs(key, record);
      if ((await this.#run(this.#statements.create, args)).affected === 1) return true;
      return this.#replaceExpired !== undefined && (await this.#run(this.#replaceExpired, args)).affected === 1;
    });
  }

  #createSync(run: SyncRunner, key: string, record: StoreRecord): boolean {
    const args = this.#createArgs(key, record);
    return run(this.#statements.create, args).affected === 1 || (this.#replaceExpired !== undefined && run(this.#replaceExpired, args).affected === 1);
  }

  #createArgs(key: string, record: StoreRecord) {
    return { ...this.#row(key, record), version: newVersion(), now: Date.now() };
  }

  async setIf(key: string, record: StoreRecord, expectedVersion: string): Promise<boolean> {
    if (!isOurVersion(expectedVersion)) return false;
    return this.#operation('write', async () => (await this.#run(this.#statements.setIf, this.#setIfArgs(key, record, expectedVersion))).affected === 1);
  }

  #setIfSync(run: SyncRunner, key: string, record: StoreRecord, expectedVersion: string): boolean {
    return isOurVersion(expectedVersion) && run(this.#statements.setIf, this.#setIfArgs(key, record, expectedVersion)).affected === 1;
  }

  #setIfArgs(key: string, record: StoreRecord, expectedVersion: string) {
    return { ...this.#row(key, record), version: newVersion(expectedVersion), expected: expectedVersion, now: Date.now() };
  }

  async touch(key: string, expiresAt: number): Promise<void> {
    await this.#operation('touch', () => this.#run(this.#statements.touch, { id: key, expiresAt: epochMs(expiresAt), now: Date.now() }));
  }

  async delete(key: string): Promise<void> {
    await this.#operation('delete', () => this.#run(this.#statements.delete, { id: key }));
  }

  /** Deletes expired rows, `batchSize` at a time (at most `limit`), each batch its own statement; resolves the total. */
  async deleteExpired(options?: SweepOptions): Promise<number> {
    const limit = sweepLimit(this.name, options);
    const now = Date.now();
    let total = 0;
    for (;;) {
      const size = Math.min(this.batchSize, limit - total);
      const statement = size === this.batchSize ? this.#statements.deleteExpiredBatch : this.#batchOf(size);
      const { affected } = await this.#operation('deleting expired sessions', () => this.#run(statement, { now }));
      total += affected;
      if (affected < size || total >= limit) return total;
      await nextTurn();
    }
  }

  /** The rows deleteExpired would remove now: one COUNT on the expiry index. */
  async countExpired(): Promise<number> {
    const { rows } = await this.#operation('counting expired sessions', () => this.#run(this.#statements.countExpired, { now: Date.now() }));
    return Number(rows[0]?.expired ?? 0);
  }

  /**
   * The live ids that start with `prefix`, read `batchSize` at a time: one SELECT per page,
   * a range on the primary key that resumes after the last id listed (see keysPage).
   */
  async *keys(prefix: string): AsyncIterable<string> {
    let after: string | undefined;
    do {
      const page = await this[KEYS_PAGE](prefix, after);
      yield* page.keys;
      after = page.next;
    } while (after !== undefined);
  }

  /**
   * One page of {@link keys}: the live ids after `after` (from the start without it), and
   * `next`, the `after` of the following page (undefined on the last). For a caller that
   * lists over several requests: a Durable Object answering its store, one page each. Under
   * a symbol that the package does not export: not part of the SQL stores' public API.
   */
  async [KEYS_PAGE](prefix: string, after?: string): Promise<{ keys: string[]; next: string | undefined }> {
    const end = prefixEnd(prefix);
    const pages = end === undefined ? this.#keysPages.open : this.#keysPages.bounded;
    const statement = after === undefined ? pages.first : pages.next;
    const { rows } = await this.#operation('listing sessions', () => this.#run(statement, { prefix, after, end, now: Date.now() }));
    const ids = rows.map(({ id }) => String(id));
    // MySQL's collations compare as if the shorter id were padded with spaces (PAD SPACE):
    // for a prefix that ends in spaces, the range also holds the id without them.
    const keys = ids.filter((id) => id.startsWith(prefix));
    return { keys, next: ids.length < this.batchSize ? undefined : ids[ids.length - 1] };
  }

  /** The DELETE of at most `size` rows; a few sizes are kept (a caller's limits are few). */
  #batchOf(size: number): CompiledStatement {
    let statement = this.#smallerBatches.get(size);
    if (!statement) {
      if (this.#smallerBatches.size >= 8) this.#smallerBatches.clear();
      statement = this.#smallerBatch(size);
      this.#smallerBatches.set(size, statement);
    }
    return statement;
  }

  /** Waits for a background sweep in progress. The client is borrowed and stays open. */
  async close(): Promise<void> {
    await this.#sweep;
  }

  #row(key: string, record: StoreRecord) {
    if (key.length > MAX_KEY_CHARACTERS && codePoints(key) > MAX_KEY_CHARACTERS) {
      throw new StoreError(this.name, `key is longer than ${MAX_KEY_CHARACTERS} characters, the size of the id column.`);
    }
    // The bytes as they are: each connection binds a Uint8Array the way its driver needs.
    return { id: key, data: record.data, expiresAt: epochMs(record.expiresAt) };
  }

  /** Runs `body` after the table exists, bounded by the timeout, failures as StoreError. */
  #operation<T>(action: string, body: () => Promise<T>): Promise<T> {
    return storeCall(this, action, this.#remedy, () => this.#tableCreator.ensure().then(body));
  }

  #run(statement: CompiledStatement, args: Record<string, unknown>) {
    return this.#connection.run(statement.sql, statement.names.map((name) => args[name]));
  }

  #sweepInBackground(): void {
    if (this.#sweep) return; // one sweep at a time
    // Started on the next turn of the event loop, so the read that triggered it never waits.
    this.#sweep = nextTurn()
      .then(() => this.deleteExpired())
      .then(
        () => undefined,
        (error: unknown) => {
          const reason = error instanceof Error ? error.message : String(error);
          this.#logger.warn(`${this.name}: background deletion of expired sessions failed: ${reason}`);
        },
      )
      .finally(() => {
        this.#sweep = undefined;
      });
  }
}
