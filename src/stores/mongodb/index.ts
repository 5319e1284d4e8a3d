/**
 * Sessions in MongoDB through the official `mongodb` driver: Flask-Session's MongoDB backend.
 *
 * Client: a `MongoClient` of yours (SESSION_MONGODB), borrowed: the store never closes it.
 * Recommended client settings: `serverSelectionTimeoutMS` below the store's `timeout`
 * (default 5 s; the driver's own default is 30 s), e.g.
 *
 *   new MongoClient('mongodb://127.0.0.1:27017', { serverSelectionTimeoutMS: 2000 })
 *
 * so that a server that is down fails with the driver's own reason within the budget
 * instead of the store's "did not answer" timeout.
 *
 * Options (./options.ts): `db` is SESSION_MONGODB_DB (default 'flask_session'),
 * `collection` SESSION_MONGODB_COLLECT (default 'sessions').
 *
 * Document layout (./document.ts): the session key as a string `_id`, `data` (Binary),
 * `expiresAt` (Date), `version` (string). A document under a session's key without that
 * layout reads as no session, with one warning per read, and is left alone.
 *
 * Operations, one round trip each unless noted:
 * - get: findOne by `_id`; the expiry is compared on every read, because MongoDB's TTL
 *   monitor removes expired documents only once a minute (or later, under load);
 * - getExpired: the same findOne, answering only an expired document not removed yet (why
 *   a session is gone, asked only when someone listens for `missed`);
 * - set: replaceOne with upsert;
 * - create: insertOne, where the duplicate-key error on `_id` means "taken" (resolves
 *   false); over an expired document not yet removed, a second replaceOne conditioned on
 *   the expiry takes its place;
 * - setIf: updateOne filtered on `_id`, the expected `version` and a live `expiresAt`;
 *   no match resolves false, and nothing is ever inserted;
 * - touch: updateOne of `expiresAt` alone on a live document (the version stays valid);
 * - delete: deleteOne;
 * - deleteExpired: in batches (./sweep.ts); countExpired: countDocuments on the expiry index.
 *
 * Indexes: the TTL index `{ expiresAt: 1 }` with `expireAfterSeconds: 0` is created once,
 * before the first write (`createIndexes: false` leaves that to you). A collection that
 * already has an index on `expiresAt` with other options keeps it, with one warning.
 *
 * Verified: NOT against a real MongoDB, which cannot be installed where sessionkit is
 * tested. Its only stand-in there (CongoDB) refuses string `_id`s, so no session has ever
 * been stored, read back, expired or raced through this store: only the reads, deletes,
 * touches and compare-and-sets of absent keys, the TTL index, the errors, the sweep and
 * the document layout are tested (docs/stores/mongodb.md says exactly what). The store
 * contract and HTTP suites run against a MongoDB named by SESSIONKIT_MONGODB_URI.
 */
import type { Collection } from 'mongodb';
import type { Logger } from '../../core/logger.js';
import { recordIf, sweepLimit, type Store, type StoreRecord, type SweepOptions } from '../../core/store.js';
import { bounded, storeCall, type Remedy } from '../shared/call.js';
import { foreignValue } from '../../core/foreign.js';
import { fieldsOf, fromDocument, isDuplicateIdError, newVersion, toDocument, TTL_INDEX, type SessionDocument } from './document.js';
import { resolveOptions, type MongoDBStoreOptions } from './options.js';
import { countExpired, sweepExpired, type SweepTarget } from './sweep.js';

export type { MongoDBStoreOptions };


/** MongoDB's maximum BSON document size. */
const DOCUMENT_LIMIT_BYTES = 16 * 1024 * 1024;

export class MongoDBStore implements Store {
  readonly name = 'mongodb';
  readonly db: string;
  readonly collectionName: string;
  readonly timeout: number;
  readonly #collection: Collection<SessionDocument>;
  readonly #logger: Pick<Logger, 'warn'>;
  /** Settled once the TTL index exists or cannot be made; undefined until tried (again). */
  #indexes: Promise<void> | undefined;

  constructor(options: MongoDBStoreOptions) {
    const resolved = resolveOptions(options);
    this.db = resolved.db;
    this.collectionName = resolved.collection;
    this.timeout = resolved.timeout;
    this.#logger = resolved.logger;
    this.#collection = resolved.client.db(this.db).collection<SessionDocument>(this.collectionName);
    if (!resolved.createIndexes) this.#indexes = Promise.resolve();
  }

  async get(key: string): Promise<StoreRecord | undefined> {
    return recordIf(await this.#read(key), 'live');
  }

  /** An expired record its TTL has not removed yet (`Store.getExpired`): read to tell why a session is gone. */
  async getExpired(key: string): Promise<StoreRecord | undefined> {
    return recordIf(await this.#read(key), 'expired');
  }

  /** The record under `key`, expired or not; a value not of our layout reads as none, with one warning. */
  async #read(key: string): Promise<StoreRecord | undefined> {
    const document = await this.#run('read', () => this.#collection.findOne({ _id: key }));
    if (!document) return undefined;
    const record = fromDocument(document);
    if (Array.isArray(record)) {
      foreignValue({ logger: this.#logger, storeName: this.name },
        key,
        `a document without ${record.join(', ')} of sessionkit's layout`,
        `Is another application writing to collection "${this.db}.${this.collectionName}"? Give sessions a collection of their own.`,
      );
      return undefined;
    }
    return record;
  }

  async set(key: string, record: StoreRecord): Promise<string> {
    await this.#ensureIndexes();
    const version = newVersion();
    await this.#run('write', () => this.#collection.replaceOne({ _id: key }, fieldsOf(record, version), { upsert: true }));
    return version;
  }

  async create(key: string, record: StoreRecord): Promise<boolean> {
    await this.#ensureIndexes();
    const document = toDocument(key, record, newVersion());
    const inserted = await this.#run('create', async () => {
      try {
        await this.#collection.insertOne(document);
        return true;
      } catch (error) {
        if (isDuplicateIdError(error)) return false;
        throw error;
      }
    });
    if (inserted) return true;
    // Taken, but perhaps only by an expired document the TTL monitor has not removed yet.
    const { matchedCount } = await this.#run('create', () =>
      this.#collection.replaceOne({ _id: key, expiresAt: { $lte: new Date() } }, fieldsOf(record, document.version)),
    );
    return matchedCount === 1;
  }

  async setIf(key: string, record: StoreRecord, expectedVersion: string): Promise<boolean> {
    const { matchedCount } = await this.#run('write', () =>
      this.#collection.updateOne(
        { _id: key, version: expectedVersion, expiresAt: { $gt: new Date() } },
        { $set: fieldsOf(record, newVersion()) },
      ),
    );
    return matchedCount === 1;
  }

  async touch(key: string, expiresAt: number): Promise<void> {
    // Only a live document of ours: an expired one is not revived, another application's not changed.
    await this.#run('touch', () =>
      this.#collection.updateOne(
        { _id: key, expiresAt: { $gt: new Date() }, version: { $type: 'string' } },
        { $set: { expiresAt: new Date(expiresAt) } },
      ),
    );
  }

  async delete(key: string): Promise<void> {
    await this.#run('delete', () => this.#collection.deleteOne({ _id: key }));
  }

  async deleteExpired(options?: SweepOptions): Promise<number> {
    return sweepExpired(this.#sweepTarget(), sweepLimit(this.name, options));
  }

  async countExpired(): Promise<number> {
    return countExpired(this.#sweepTarget());
  }

  #sweepTarget(): SweepTarget {
    return { collection: this.#collection, run: (action, operation) => this.#run(action, operation) };
  }

  #run<T>(action: string, operation: () => Promise<T>): Promise<T> {
    return storeCall(this, action, this.#remedy, operation);
  }

  readonly #remedy: Remedy = (cause) => {
    const message = cause instanceof Error ? cause.message : '';
    if (/too large|maximum size|BSONObjectTooLarge/i.test(message)) {
      return `The session is over MongoDB's document limit of ${DOCUMENT_LIMIT_BYTES} bytes (16 MB): keep large data out of the session, or use another store.`;
    }
    return `Is MongoDB reachable through the client you passed, and may its user read and write collection "${this.db}.${this.collectionName}"?`;
  };

  /**
   * The TTL index, once: awaited by writes, never failing them. A server that cannot be
   * reached is tried again on the next write; a refusal (no privilege, a conflicting index
   * of the user's) is said once, and sessions still expire on read.
   */
  #ensureIndexes(): Promise<void> {
    this.#indexes ??= bounded(this, 'create TTL index', () =>
      this.#collection.createIndex(TTL_INDEX.key, { name: TTL_INDEX.name, expireAfterSeconds: TTL_INDEX.expireAfterSeconds }, undefined),
    ).then(
      () => undefined,
      (error: unknown) => {
        const code = (error as { code?: unknown }).code;
        if (typeof code !== 'number') {
          this.#indexes = undefined; // unreachable or timed out: the write fails on its own, the next one retries
          return;
        }
        this.#logger.warn(
          `mongodb store: could not create the TTL index on "${this.db}.${this.collectionName}" (${(error as Error).message}). ` +
            `Expired sessions still read as absent, but MongoDB will not remove them: create { expiresAt: 1 } with expireAfterSeconds: 0 yourself, or call deleteExpired() regularly.`,
        );
      },
    );
    return this.#indexes;
  }
}

export function mongodbStore(options: MongoDBStoreOptions): MongoDBStore {
  return new MongoDBStore(options);
}
