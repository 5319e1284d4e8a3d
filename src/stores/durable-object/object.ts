/**
 * The Durable Object that holds sessions: the application exports it from its Worker and
 * binds it, with SQLite storage, under the namespace it passes to `durableObjectStore`.
 *
 *   export { SessionDurableObject } from 'sessionkit/stores/durable-object';
 *
 * Each object keeps its sessions in a table of its SQLite storage, through the SQL
 * store's SQLite dialect: insert-if-absent and compare-and-set are single statements, and
 * an object runs one event at a time, so both are atomic. It answers the store's requests
 * (./protocol.ts) and removes its expired rows itself: the first write after a sweep sets
 * an alarm `sweepIntervalMs` later.
 */
import { SessionConfigError } from '../../core/errors.js';
import { KEYS_PAGE, SqlTableStore } from '../sql/table-store.js';
import { ABSENT_STATUS, EXPIRES_AT_HEADER, OPERATIONS, VERSION_HEADER, type KeysPage, type Operation } from './protocol.js';
import { sqlStorageConnection, type SqlStorageLike } from './sql-storage.js';

/** What is used of the object's `ctx` (a DurableObjectState). */
export interface DurableObjectStateLike {
  readonly storage: {
    readonly sql?: SqlStorageLike;
    getAlarm(): Promise<number | null>;
    setAlarm(scheduledTime: number): Promise<void>;
  };
}

const WRITES: ReadonlySet<Operation> = new Set(['set', 'create', 'setIf', 'touch']);

export class SessionDurableObject {
  /** How long after a write its object sweeps expired sessions. Override in a subclass to change it. */
  readonly sweepIntervalMs: number = 60 * 60 * 1000;
  readonly #ctx: DurableObjectStateLike;
  readonly #store: SqlTableStore;
  /** True while an alarm is known to be pending: the write path then skips asking. */
  #alarmPending = false;

  constructor(ctx: DurableObjectStateLike, _env?: unknown) {
    const sql = ctx.storage.sql;
    if (!sql) {
      throw new SessionConfigError(
        'SessionDurableObject needs SQLite storage: declare its class in new_sqlite_classes (not new_classes) of a migration in your wrangler configuration.',
      );
    }
    this.#ctx = ctx;
    // No timeout: the storage is inside the object and answers synchronously.
    this.#store = new SqlTableStore(sqlStorageConnection(sql), { timeout: 0 }, 'SessionDurableObject');
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const operation = url.pathname.slice(1) as Operation;
    if (!OPERATIONS.includes(operation)) return new Response(`unknown operation ${operation}`, { status: 404 });
    try {
      const response = await this.#answer(operation, url.searchParams, request);
      if (WRITES.has(operation)) await this.#scheduleSweep();
      return response;
    } catch (error) {
      return new Response(error instanceof Error ? error.message : String(error), { status: 500 });
    }
  }

  /** The alarm: expired sessions go, all of them (the table is this object's alone). */
  async alarm(): Promise<void> {
    this.#alarmPending = false;
    await this.#store.deleteExpired();
  }

  async #answer(operation: Operation, params: URLSearchParams, request: Request): Promise<Response> {
    const store = this.#store;
    const key = params.get('key') ?? '';
    const expiresAt = Number(params.get('expiresAt'));
    const record = async () => ({ data: new Uint8Array(await request.arrayBuffer()), expiresAt });
    switch (operation) {
      case 'get':
      case 'getExpired': {
        const found = await (operation === 'get' ? store.get(key) : store.getExpired(key));
        if (!found) return new Response(null, { status: ABSENT_STATUS });
        return new Response(found.data, { headers: { [EXPIRES_AT_HEADER]: String(found.expiresAt), [VERSION_HEADER]: found.version ?? '' } });
      }
      case 'set':
        return new Response(await store.set(key, await record()));
      case 'create':
        return new Response(String(await store.create(key, await record())));
      case 'setIf':
        return new Response(String(await store.setIf(key, await record(), params.get('expected') ?? '')));
      case 'touch':
        await store.touch(key, expiresAt);
        return new Response(null, { status: 204 });
      case 'delete':
        await store.delete(key);
        return new Response(null, { status: 204 });
      case 'deleteExpired': {
        const limit = params.get('limit');
        return new Response(String(await store.deleteExpired(limit === null ? undefined : { limit: Number(limit) })));
      }
      case 'countExpired':
        return new Response(String(await store.countExpired()));
      case 'keys': {
        const page: KeysPage = await store[KEYS_PAGE](params.get('prefix') ?? '', params.get('after') ?? undefined);
        return Response.json(page);
      }
    }
  }

  async #scheduleSweep(): Promise<void> {
    if (this.#alarmPending) return;
    if ((await this.#ctx.storage.getAlarm()) === null) await this.#ctx.storage.setAlarm(Date.now() + this.sweepIntervalMs);
    this.#alarmPending = true;
  }
}
