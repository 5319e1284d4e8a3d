/**
 * Strongly consistent sessions in Durable Objects, from a Worker. The application exports
 * the object class and binds it with SQLite storage:
 *
 *   // worker.ts
 *   export { SessionDurableObject } from 'sessionkit/stores/durable-object';
 *   const store = (env) => durableObjectStore({ namespace: env.SESSIONS });
 *
 *   // wrangler.jsonc
 *   "durable_objects": { "bindings": [{ "name": "SESSIONS", "class_name": "SessionDurableObject" }] },
 *   "migrations": [{ "tag": "v1", "new_sqlite_classes": ["SessionDurableObject"] }]
 *
 * Every operation is one request to one object (./object.ts), which runs it as one
 * statement of its own SQLite: insert-if-absent, compare-and-set, touch and the sweep of
 * expired rows, all atomic, every read seeing every earlier write wherever it comes from.
 * That makes it the store for a user's sessions ("log out other devices") and the lock
 * on Workers. The object removes its expired rows itself, on an alarm.
 *
 * One object (the default) serializes every session operation of the application: a
 * Durable Object handles on the order of a thousand simple requests a second. `shards`
 * spreads keys over that many objects by a hash of the key; every operation touches one
 * key, so the guarantees hold. Changing `shards` moves keys to other objects: sessions
 * already issued are then not found (users sign in again), so choose it once.
 *
 * keys(prefix) (toConnectStore's all/ids/length/clear; tools, never a request) asks every
 * shard in turn for pages of up to 1000 keys: one request per page per shard, each one
 * SELECT on a range of the object's primary key (the SQL store's listing).
 */
import { SessionConfigError } from '../../core/errors.js';
import { StoreError, sweepLimit, type Store, type StoreRecord, type SweepOptions } from '../../core/store.js';
import { DEFAULT_TIMEOUT_MS, storeCall } from '../shared/call.js';
import { ABSENT_STATUS, EXPIRES_AT_HEADER, operationUrl, VERSION_HEADER, type KeysPage, type Operation, type OperationParams } from './protocol.js';

export { SessionDurableObject, type DurableObjectStateLike } from './object.js';
export type { SqlStorageLike } from './sql-storage.js';

/** What the store reads of a response from its object. */
export interface DurableObjectResponseLike {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
}

/** What is called on a stub of the object. */
export interface DurableObjectStubLike {
  fetch(url: string, init: { method: string; body?: Uint8Array }): Promise<DurableObjectResponseLike>;
}

/** What is called on the namespace binding (`env.SESSIONS`, a DurableObjectNamespace). */
export interface DurableObjectNamespaceLike<Id = unknown> {
  idFromName(name: string): Id;
  get(id: Id): DurableObjectStubLike;
}

export interface DurableObjectStoreOptions<Id = unknown> {
  /** The binding of SessionDurableObject (or a subclass of it). */
  namespace: DurableObjectNamespaceLike<Id>;
  /** Name of the object, or prefix of the shards' names (`<name>:<n>`). Default 'sessions'. */
  name?: string;
  /** Objects the keys are spread over; see the module comment before changing it. Default 1. */
  shards?: number;
  /** Milliseconds one operation may take before it fails. Default DEFAULT_TIMEOUT_MS. */
  timeout?: number;
}

/** FNV-1a over the key's UTF-16 code units: cheap, stable across runtimes, spread enough for a modulo. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const REMEDY =
  'Is SessionDurableObject exported from the Worker and bound under `namespace` (durable_objects in its wrangler configuration), ' +
  'with SQLite storage (new_sqlite_classes in a migration)?';

export class DurableObjectStore<Id = unknown> implements Store {
  readonly name = 'durable-object';
  readonly timeout: number;
  readonly shards: number;
  readonly #namespace: DurableObjectNamespaceLike<Id>;
  readonly #objectName: string;

  constructor(options: DurableObjectStoreOptions<Id>) {
    const namespace = options.namespace as Partial<DurableObjectNamespaceLike<Id>> | undefined;
    if (typeof namespace?.idFromName !== 'function' || typeof namespace.get !== 'function') {
      throw new SessionConfigError('durableObjectStore: `namespace` must be the Durable Object namespace binding of SessionDurableObject (env.SESSIONS).');
    }
    const shards = options.shards ?? 1;
    if (!Number.isSafeInteger(shards) || shards < 1) throw new SessionConfigError(`durableObjectStore: shards must be a positive integer, got ${String(shards)}.`);
    this.#namespace = options.namespace;
    this.#objectName = options.name ?? 'sessions';
    this.shards = shards;
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  }

  async get(key: string): Promise<StoreRecord | undefined> {
    return this.#read('get', key);
  }

  /** An expired record the object's alarm has not swept yet (`Store.getExpired`): read to tell why a session is gone. */
  async getExpired(key: string): Promise<StoreRecord | undefined> {
    return this.#read('getExpired', key);
  }

  #read(operation: 'get' | 'getExpired', key: string): Promise<StoreRecord | undefined> {
    return this.#call('read', this.#shardOf(key), { operation, params: { key } }, async (response) => {
      if (response.status === ABSENT_STATUS) return undefined;
      const expiresAt = Number(response.headers.get(EXPIRES_AT_HEADER));
      const version = response.headers.get(VERSION_HEADER) ?? undefined;
      return { data: new Uint8Array(await response.arrayBuffer()), expiresAt, version };
    });
  }

  async set(key: string, record: StoreRecord): Promise<string> {
    return this.#call('write', this.#shardOf(key), { operation: 'set', params: { key, expiresAt: record.expiresAt }, body: record.data }, (r) => r.text());
  }

  async create(key: string, record: StoreRecord): Promise<boolean> {
    return this.#call('create', this.#shardOf(key), { operation: 'create', params: { key, expiresAt: record.expiresAt }, body: record.data }, isTrue);
  }

  async setIf(key: string, record: StoreRecord, expectedVersion: string): Promise<boolean> {
    const params = { key, expiresAt: record.expiresAt, expected: expectedVersion };
    return this.#call('write', this.#shardOf(key), { operation: 'setIf', params, body: record.data }, isTrue);
  }

  async touch(key: string, expiresAt: number): Promise<void> {
    await this.#call('touch', this.#shardOf(key), { operation: 'touch', params: { key, expiresAt } }, nothing);
  }

  async delete(key: string): Promise<void> {
    await this.#call('delete', this.#shardOf(key), { operation: 'delete', params: { key } }, nothing);
  }

  /** Asks each shard in turn, with what is left of `limit`; resolves the total. */
  async deleteExpired(options?: SweepOptions): Promise<number> {
    const limit = sweepLimit(this.name, options);
    let total = 0;
    for (let shard = 0; shard < this.shards && total < limit; shard++) {
      const left = limit === Infinity ? undefined : limit - total;
      total += await this.#call('deleting expired sessions', shard, { operation: 'deleteExpired', params: { limit: left } }, count);
    }
    return total;
  }

  async countExpired(): Promise<number> {
    let total = 0;
    for (let shard = 0; shard < this.shards; shard++) total += await this.#call('counting expired sessions', shard, { operation: 'countExpired', params: {} }, count);
    return total;
  }

  /** The live keys under `prefix`: each shard in turn, one request per page of up to 1000 keys. */
  async *keys(prefix: string): AsyncIterable<string> {
    for (let shard = 0; shard < this.shards; shard++) {
      let after: string | undefined;
      do {
        const page = await this.#call('listing sessions', shard, { operation: 'keys', params: { prefix, after } }, keysPage);
        yield* page.keys;
        after = page.next;
      } while (after !== undefined);
    }
  }

  #shardOf(key: string): number {
    return this.shards === 1 ? 0 : hash(key) % this.shards;
  }

  /** One request to one shard's object, within the timeout; a status of 500 carries the object's error. */
  #call<T>(action: string, shard: number, { operation, params, body }: ObjectRequest, read: (response: DurableObjectResponseLike) => Promise<T>): Promise<T> {
    return storeCall(this, action, REMEDY, async () => {
      // A stub per call: cheap (the id is a hash of the name), and never shared between requests of a Worker.
      const name = this.shards === 1 ? this.#objectName : `${this.#objectName}:${shard}`;
      const stub = this.#namespace.get(this.#namespace.idFromName(name));
      const response = await stub.fetch(operationUrl(operation, params), { method: body ? 'PUT' : 'POST', ...(body && { body }) });
      if (response.status >= 400) throw new StoreError(this.name, `${action} failed in the Durable Object: ${await response.text()}. ${REMEDY}`);
      return read(response);
    });
  }
}

/** One operation for a shard's object: its name, its parameters, and the record's bytes when it writes one. */
interface ObjectRequest {
  readonly operation: Operation;
  readonly params: OperationParams;
  readonly body?: Uint8Array;
}

const isTrue = async (response: DurableObjectResponseLike) => (await response.text()) === 'true';
const count = async (response: DurableObjectResponseLike) => Number(await response.text());
const nothing = async () => undefined;
const keysPage = async (response: DurableObjectResponseLike) => JSON.parse(await response.text()) as KeysPage;

/** A store over the namespace binding of SessionDurableObject; see the module comment. */
export function durableObjectStore<Id>(options: DurableObjectStoreOptions<Id>): DurableObjectStore<Id> {
  return new DurableObjectStore(options);
}
