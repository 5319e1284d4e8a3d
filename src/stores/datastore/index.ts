/**
 * Sessions in Google Cloud Datastore, or Firestore in Datastore mode, through
 * `@google-cloud/datastore`: the Flask-Session family's Datastore backend (Flask-Session2's
 * SESSION_TYPE = 'datastore').
 *
 * Client: a `Datastore` of yours (GCLOUD_APP_PROJECT_ID is its `projectId`). It is borrowed:
 * the store never closes it. Against an emulator, give it the emulator's address and a
 * project id (`new Datastore({ projectId, apiEndpoint: 'http://127.0.0.1:8081' })`, or
 * DATASTORE_EMULATOR_HOST), and set METADATA_SERVER_DETECTION=none so that the SDK does not
 * look for a cloud metadata server.
 *
 * Options (./options.ts): `kind` (default 'session', Flask-Session2's), `namespace`, `timeout`.
 * Entity layout: ./entity.ts (one entity per session, keyed by name = the session key). An
 * entity under a session's key without that layout (another application's, or a
 * Flask-Session2 session) reads as no session, with one warning per read, and is left alone.
 *
 * Expiry is enforced on every read: Datastore has no TTL of its own, and Firestore in
 * Datastore mode removes expired entities only eventually (within a day or so) once a TTL
 * policy on `expiresAt` is set up, which is recommended in production; the emulators have
 * none. `deleteExpired` removes them itself.
 *
 * Compare-and-set (`setIf`), insert-if-absent over an expired entity (`create`) and `touch`
 * are transactions: begin, read the entity, compare, write and commit — or roll back at once,
 * which releases Firestore's locks. A transaction that loses to a concurrent one fails with
 * ABORTED (Datastore: at commit; Firestore in Datastore mode, which locks pessimistically:
 * after waiting about 2 s for the lock): that is a lost compare-and-set, `false`, and the
 * engine re-reads and merges. Within one process the transactions on one key run one after
 * another, so that a process's own concurrent requests never wait for each other's locks.
 * Lookups are strongly consistent, so a session reads its own writes.
 *
 * Every operation is bounded by `timeout` (default 5 s): each SDK call gets what is left of
 * it as its deadline, which also bounds the SDK's retries (./deadline.ts). UNAVAILABLE is
 * retried within it. Recommended client settings: gRPC waits 1 s before its first
 * reconnect after an outage and backs off up to 120 s; with
 *
 *   new Datastore({ projectId, 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 1000 })
 *
 * the store works again within about a second of Datastore's return.
 */
import type { Datastore, Key, Transaction } from '@google-cloud/datastore';
import type { Logger } from '../../core/logger.js';
import { isExpired, sweepLimit, type Store, type StoreRecord, type SweepOptions } from '../../core/store.js';
import { storeCall } from '../shared/call.js';
import { foreignValue } from '../../core/foreign.js';
import { deadlineFrom, type Deadline } from './deadline.js';
import { fromProperties, newVersion, toProperties, UNINDEXED } from './entity.js';
import { Code, grpcCode, remedyFor } from './errors.js';
import { resolveOptions, type DatastoreStoreOptions } from './options.js';
import { expiredQuery, SWEEP_BATCH } from './sweep.js';

/** Entities one transaction may touch on the legacy Datastore (25 entity groups). */
const TRANSACTION_KEYS = 25;

export type { DatastoreStoreOptions };

interface EntityToSave {
  key: Key;
  data: ReturnType<typeof toProperties>;
  excludeFromIndexes: string[];
}

/** What a transaction found under the key. */
type Found = StoreRecord | 'absent' | 'expired' | 'foreign';

/**
 * Sessions as Datastore entities, shared by every process that uses the project. See the
 * module comment for the client, the layout and how concurrent writes are decided.
 */
export class DatastoreStore implements Store {
  readonly name = 'datastore';
  readonly kind: string;
  readonly namespace: string | undefined;
  readonly timeout: number;
  readonly #client: Datastore;
  readonly #logger: Pick<Logger, 'warn'>;
  /** The tail of each key's queue of transactions (see #transaction). */
  readonly #queues = new Map<string, Promise<void>>();

  constructor(options: DatastoreStoreOptions) {
    const resolved = resolveOptions(options);
    this.#client = resolved.client;
    this.kind = resolved.kind;
    this.namespace = resolved.namespace;
    this.timeout = resolved.timeout;
    this.#logger = resolved.logger;
  }

  async get(key: string): Promise<StoreRecord | undefined> {
    const entity = await this.#lookup(key);
    const found = this.#found(entity);
    if (found === 'foreign') {
      const lacks = fromProperties(entity as Record<string, unknown>) as string[];
      foreignValue({ logger: this.#logger, storeName: this.name },
        key,
        `an entity without ${lacks.join(', ')} of the expected types`,
        `Is another application writing entities of kind "${this.kind}"${this.namespace ? ` in namespace "${this.namespace}"` : ''}? Give sessions a kind or namespace of their own.`,
      );
    }
    return typeof found === 'object' ? found : undefined;
  }

  /** An expired entity not removed yet (`Store.getExpired`): read to tell why a session is gone; one not of ours is none (get warned of it). */
  async getExpired(key: string): Promise<StoreRecord | undefined> {
    const entity = await this.#lookup(key);
    if (entity === undefined || entity === null) return undefined;
    const record = fromProperties(entity as Record<string, unknown>);
    return !Array.isArray(record) && isExpired(record) ? record : undefined;
  }

  /** The entity under `key` (a lookup: one round trip), or nothing. */
  async #lookup(key: string): Promise<unknown> {
    return (await this.#run('read', (deadline) => this.#client.get(this.#key(key), { gaxOptions: deadline() })))[0];
  }

  async set(key: string, record: StoreRecord): Promise<string> {
    const version = newVersion();
    await this.#run('write', (deadline) => this.#client.save(this.#entity(key, record, version), deadline()));
    return version;
  }

  async create(key: string, record: StoreRecord): Promise<boolean> {
    const entity = this.#entity(key, record, newVersion());
    return this.#run('create', async (deadline) => {
      try {
        await this.#client.save({ ...entity, method: 'insert' }, deadline());
        return true;
      } catch (error) {
        if (grpcCode(error) !== Code.ALREADY_EXISTS) throw error;
      }
      // Something is there. Only an expired session of ours (no TTL has removed it yet) gives way.
      return this.#transaction(key, deadline, (found) => (found === 'expired' ? entity : undefined));
    });
  }

  setIf(key: string, record: StoreRecord, expectedVersion: string): Promise<boolean> {
    // A missing, expired or foreign entity has no matching version: nothing is re-created.
    return this.#run('write', (deadline) =>
      this.#transaction(key, deadline, (found) =>
        typeof found === 'object' && found.version === expectedVersion ? this.#entity(key, record, newVersion()) : undefined,
      ),
    );
  }

  async touch(key: string, expiresAt: number): Promise<void> {
    // The data and the version stay: a concurrent setIf holding that version still wins.
    // An expired entity is not revived. A touch that loses to a concurrent write (ABORTED)
    // is dropped: that write set an expiry of its own.
    await this.#run('touch', (deadline) =>
      this.#transaction(key, deadline, (found) =>
        typeof found === 'object' ? this.#entity(key, { data: found.data, expiresAt }, found.version!) : undefined,
      ),
    );
  }

  async delete(key: string): Promise<void> {
    await this.#run('delete', (deadline) => this.#client.delete(this.#key(key), deadline()));
  }

  /**
   * Removes expired entities (at most `limit`): a keys-only query `expiresAt < now`, page by
   * page (cursors), each page of up to 500 keys deleted in one commit, each step within the
   * timeout. Each page is deleted in a transaction that reads it again: records that are
   * written again over their expired selves (locks, user indexes) must not go.
   */
  async deleteExpired(options?: SweepOptions): Promise<number> {
    const limit = sweepLimit(this.name, options);
    const now = new Date();
    let removed = 0;
    let cursor: string | undefined;
    for (;;) {
      const size = Math.min(SWEEP_BATCH, limit - removed);
      const page = await this.#expiredPage(now, cursor, size);
      if (page.keys.length > 0) removed += await this.#run('sweep (delete)', (deadline) => this.#deleteStillExpired(page.keys, deadline));
      if (page.keys.length < size || !page.next || removed >= limit) return removed;
      cursor = page.next;
    }
  }

  /** Counts the entities deleteExpired would remove: the same keys-only query, page by page. */
  async countExpired(): Promise<number> {
    const now = new Date();
    let expired = 0;
    let cursor: string | undefined;
    for (;;) {
      const page = await this.#expiredPage(now, cursor, SWEEP_BATCH, 'count (query)');
      expired += page.keys.length;
      if (page.keys.length < SWEEP_BATCH || !page.next) return expired;
      cursor = page.next;
    }
  }

  /**
   * Deletes those of `keys` that are still expired, each group of TRANSACTION_KEYS in one
   * transaction that reads them again: a record written again over its expired self since
   * the query (a lock or a user index is; a session id never) is read live there and stays.
   * A concurrent write to one of them aborts the transaction, and the group is read again.
   * Resolves how many went.
   */
  async #deleteStillExpired(keys: Key[], deadline: Deadline): Promise<number> {
    let removed = 0;
    for (let i = 0; i < keys.length; i += TRANSACTION_KEYS) removed += await this.#deleteGroupStillExpired(keys.slice(i, i + TRANSACTION_KEYS), deadline);
    return removed;
  }

  async #deleteGroupStillExpired(keys: Key[], deadline: Deadline): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const transaction = this.#client.transaction();
      try {
        await transaction.run({ gaxOptions: deadline() });
        const entities = (await transaction.get(keys, { gaxOptions: deadline() }))[0] as unknown as Record<string | symbol, unknown>[];
        const expired = entities.filter((entity) => this.#found(entity) === 'expired').map((entity) => entity[this.#client.KEY] as Key);
        transaction.delete(expired);
        await transaction.commit(deadline());
        return expired.length;
      } catch (error) {
        rollbackQuietly(transaction, deadline);
        if (grpcCode(error) !== Code.ABORTED || attempt === 3) throw error;
      }
    }
  }

  /** One page of the keys of the entities expired at `now`, and the cursor after it. */
  #expiredPage(now: Date, cursor: string | undefined, size: number, action = 'sweep (query)'): Promise<{ keys: Key[]; next: string | undefined }> {
    return this.#run(action, async (deadline) => {
      const query = expiredQuery(this.#client, { storeName: this.name, kind: this.kind, namespace: this.namespace }, { now, cursor, size });
      const [entities, info] = await this.#client.runQuery(query, { gaxOptions: deadline() });
      return { keys: entities.map((entity) => (entity as Record<symbol, Key>)[this.#client.KEY]!), next: info.endCursor };
    });
  }

  #key(key: string): Key {
    return this.#client.key({ namespace: this.namespace, path: [this.kind, key] });
  }

  #entity(key: string, record: StoreRecord, version: string): EntityToSave {
    return { key: this.#key(key), data: toProperties(record, version), excludeFromIndexes: UNINDEXED };
  }

  #found(entity: unknown): Found {
    if (entity === undefined || entity === null) return 'absent';
    const record = fromProperties(entity as Record<string, unknown>);
    if (Array.isArray(record)) return 'foreign';
    return isExpired(record) ? 'expired' : record;
  }

  /**
   * Read, decide, write: `decide` returns the entity to write, or undefined to change nothing.
   * True when the write was committed; false when nothing was to be written, or when a
   * concurrent transaction won (ABORTED). Queued behind this process's other transactions
   * on the same key; the wait counts against the operation's timeout.
   */
  #transaction(key: string, deadline: Deadline, decide: (found: Found) => EntityToSave | undefined): Promise<boolean> {
    // One at a time per key within this process: concurrent transactions on one entity only
    // wait for each other's locks (Firestore in Datastore mode) or abort each other (Datastore).
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const run = previous.then(() => this.#transactionNow(key, deadline, decide));
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(key, settled);
    void settled.then(() => {
      if (this.#queues.get(key) === settled) this.#queues.delete(key);
    });
    return run;
  }

  async #transactionNow(key: string, deadline: Deadline, decide: (found: Found) => EntityToSave | undefined): Promise<boolean> {
    const transaction = this.#client.transaction();
    let began = false;
    try {
      // Begun explicitly. (Begun by the lookup instead, one round trip fewer, the Firestore
      // emulator in Datastore mode holds the read's lock outside the transaction that commits:
      // every such commit waited 2 s and was ABORTED.)
      await transaction.run({ gaxOptions: deadline() });
      began = true;
      const entity: unknown = (await transaction.get(this.#key(key), { gaxOptions: deadline() }))[0];
      const write = decide(this.#found(entity));
      if (!write) {
        // At once, not at its expiry: Firestore in Datastore mode holds the read's lock until then.
        began = false;
        await transaction.rollback(deadline()).catch(() => undefined);
        return false;
      }
      transaction.save(write);
      began = false; // a commit that fails ends the transaction on the server
      await transaction.commit(deadline());
      return true;
    } catch (error) {
      if (began) rollbackQuietly(transaction, deadline);
      if (grpcCode(error) === Code.ABORTED) return false;
      throw error;
    }
  }

  /** One store operation within `timeout`, its SDK calls given the time left; failures wrapped with a remedy. */
  #run<T>(action: string, operation: (deadline: Deadline) => Promise<T>): Promise<T> {
    const deadline = deadlineFrom(this.timeout);
    return storeCall(this, action, (error) => remedyFor({ kind: this.kind, namespace: this.namespace, client: this.#client }, error), () =>
      operation(deadline),
    );
  }
}

function rollbackQuietly(transaction: Transaction, deadline: Deadline): void {
  try {
    transaction.rollback(deadline()).catch(() => undefined);
  } catch {
    // not started, or already ended: nothing to release
  }
}

export function datastoreStore(options: DatastoreStoreOptions): DatastoreStore {
  return new DatastoreStore(options);
}
