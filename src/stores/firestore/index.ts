/**
 * Sessions in Google Cloud Firestore (native mode) through `@google-cloud/firestore`: the
 * Flask-Session family's Firestore backend (Flask-Session2's SESSION_FIRESTORE, flask-session-plus's
 * `session_type: 'firestore'`).
 *
 * Client: a `Firestore` of yours (SESSION_FIRESTORE / `client`), borrowed: the store never
 * terminates it. Project, database and credentials are its settings. Options
 * (./options.ts): `collection` is SESSION_FIRESTORE_COLLECT (default 'sessions').
 *
 * Document layout (one document per session): see ./document.ts. A document under a
 * session's id without that layout (another application's, in a shared collection) reads
 * as no session, with one warning per read, and is never overwritten.
 *
 * Expiry is enforced on every read. In production, add a TTL policy on the field
 * `expiresAt` of the collection (gcloud firestore fields ttls update expiresAt
 * --collection-group=<collection> --enable-ttl): Firestore then deletes expired documents
 * itself, typically within a day. The emulator has no TTL; deleteExpired() removes them there.
 *
 * Writes: set is an unconditional set; create is Firestore's create (ALREADY_EXISTS: false,
 * unless the document there is expired, which is then replaced with a precondition on its
 * updateTime); setIf is an update with a `lastUpdateTime` precondition, so a writer holding
 * an old version loses; touch is an update of `expiresAt` alone (never creates, keeps the
 * version valid). Every operation is bounded by `timeout` (default 5 s): the SDK retries an
 * unreachable server for much longer, so the store gives up first and rejects (the SDK's
 * request may still complete later).
 */
import type * as FirestoreLib from '@google-cloud/firestore';
import type { Logger } from '../../core/logger.js';
import { isExpired, sweepLimit, type Store, type StoreRecord, type SweepOptions } from '../../core/store.js';
import { storeCall } from '../shared/call.js';
import { foreignValue } from '../../core/foreign.js';
import { loadOptional } from '../shared/load-optional.js';
import { documentId, formatVersion, fromFields, newToken, parseVersion, toFields } from './document.js';
import { Code, errorCode, remedyFor, type ErrorContext } from './errors.js';
import { resolveOptions, type FirestoreStoreOptions } from './options.js';
import { countExpired, sweepExpired } from './sweep.js';

export type { FirestoreStoreOptions };

type Library = typeof FirestoreLib;

/** Attempts of a setIf or create whose precondition lost to a touch or a concurrent replacement. */
const PRECONDITION_ATTEMPTS = 3;

/** A document read: the record in it, 'foreign' for one that is not ours, undefined for none. */
type Read = { record: StoreRecord & { version: string }; token: string; updateTime: FirestoreLib.Timestamp } | 'foreign' | undefined;

export class FirestoreStore implements Store {
  readonly name = 'firestore';
  /** The collection's path. */
  readonly collection: string;
  readonly timeout: number;
  readonly #client: FirestoreLib.Firestore;
  readonly #collection: FirestoreLib.CollectionReference;
  readonly #lib: Library;
  readonly #logger: Pick<Logger, 'warn'>;
  readonly #sweepBatchSize: number;

  constructor(options: FirestoreStoreOptions) {
    // Timestamp for preconditions comes from the library of the user's client; loaded here,
    // not imported, because the SDK is an optional peer dependency.
    this.#lib = loadOptional<Library>('@google-cloud/firestore', this.name);
    const resolved = resolveOptions(options, this.#lib);
    this.#client = resolved.client;
    this.#collection = resolved.collection;
    this.collection = resolved.collection.path;
    this.timeout = resolved.timeout;
    this.#logger = resolved.logger;
    this.#sweepBatchSize = resolved.sweepBatchSize;
  }

  /** The document a key lives in (see ./document.ts for ids of keys that cannot be one). */
  documentFor(key: string): FirestoreLib.DocumentReference {
    return this.#collection.doc(documentId(key));
  }

  async get(key: string): Promise<StoreRecord | undefined> {
    const read = await this.#run('read', () => this.#read(key));
    return read === 'foreign' ? undefined : read?.record;
  }

  /** An expired document its TTL policy has not removed yet (`Store.getExpired`): read to tell why a session is gone. */
  async getExpired(key: string): Promise<StoreRecord | undefined> {
    const read = await this.#run('read', () => this.#read(key, true));
    return read === 'foreign' ? undefined : read?.record;
  }

  async set(key: string, record: StoreRecord): Promise<string> {
    const token = newToken();
    return this.#run('write', async () => {
      const result = await this.documentFor(key).set(toFields(key, record, token));
      return formatVersion(token, result.writeTime, record.expiresAt);
    }, record.data.byteLength);
  }

  async create(key: string, record: StoreRecord): Promise<boolean> {
    const token = newToken();
    const ref = this.documentFor(key);
    return this.#run('create', async () => {
      for (let attempt = 1; attempt <= PRECONDITION_ATTEMPTS; attempt++) {
        try {
          await ref.create(toFields(key, record, token));
          return true;
        } catch (error) {
          if (errorCode(error) !== Code.ALREADY_EXISTS) throw error;
        }
        // Something is there: replace it only if it is an expired session of ours.
        const snapshot = await ref.get();
        if (!snapshot.exists) continue; // deleted meanwhile: create again
        const stored = fromFields(snapshot.data());
        if (Array.isArray(stored) || !isExpired(stored)) return false;
        const replaced = await this.#updateIf(ref, toFields(key, record, token), snapshot.updateTime!);
        return replaced !== undefined;
      }
      return false;
    }, record.data.byteLength);
  }

  async setIf(key: string, record: StoreRecord, expectedVersion: string): Promise<boolean> {
    const expected = parseVersion(expectedVersion);
    if (!expected) return false;
    const token = newToken();
    const ref = this.documentFor(key);
    const fields = toFields(key, record, token);
    return this.#run('write', async () => {
      // One write when nothing happened since the read: the version's updateTime still holds.
      if (expected.expiresAt > Date.now()) {
        const written = await this.#updateIf(ref, fields, new this.#lib.Timestamp(expected.seconds, expected.nanoseconds));
        if (written === 'missing') return false;
        if (written !== undefined) return true;
      }
      // The document changed since: a touch keeps the token (the write goes ahead), any other write changes it.
      for (let attempt = 1; attempt <= PRECONDITION_ATTEMPTS; attempt++) {
        const read = await this.#read(key);
        if (read === undefined || read === 'foreign' || read.token !== expected.token) return false;
        const written = await this.#updateIf(ref, fields, read.updateTime);
        if (written === 'missing') return false;
        if (written !== undefined) return true;
      }
      return false;
    }, record.data.byteLength);
  }

  async touch(key: string, expiresAt: number): Promise<void> {
    await this.#run('touch', async () => {
      try {
        // update() needs the document to exist: a missing session is never created. The
        // token stays, so the version a concurrent writer holds remains good for setIf.
        await this.documentFor(key).update({ expiresAt: new Date(expiresAt) });
      } catch (error) {
        if (errorCode(error) !== Code.NOT_FOUND) throw error;
      }
    });
  }

  async delete(key: string): Promise<void> {
    await this.#run('delete', () => this.documentFor(key).delete());
  }

  /** Removes expired documents (at most `limit`) in rounds of `sweepBatchSize`; see ./sweep.ts. */
  async deleteExpired(options?: SweepOptions): Promise<number> {
    const limit = sweepLimit(this.name, options);
    return sweepExpired(
      { client: this.#client, collection: this.#collection, batchSize: this.#sweepBatchSize, run: (action, operation) => this.#run(action, operation) },
      limit,
    );
  }

  /** Counts expired documents with one aggregation query (billed as one read per 1000 documents). */
  countExpired(): Promise<number> {
    return countExpired({ collection: this.#collection, run: (action, operation) => this.#run(action, operation) });
  }

  /**
   * Reads the document of `key`. A live session of ours comes back with its version; an
   * expired one as undefined (with `expired`, the other way round: for getExpired); one that
   * is not ours as 'foreign', with one warning.
   */
  async #read(key: string, expired = false): Promise<Read> {
    const snapshot = await this.documentFor(key).get();
    if (!snapshot.exists) return undefined;
    const stored = fromFields(snapshot.data());
    if (Array.isArray(stored)) {
      foreignValue({ logger: this.#logger, storeName: this.name },
        key,
        `a document without ${stored.join(', ')}`,
        `Is another application writing to collection "${this.collection}"? Give sessions a collection of their own.`,
      );
      return 'foreign';
    }
    if (isExpired(stored) !== expired) return undefined;
    const updateTime = snapshot.updateTime!;
    const version = formatVersion(stored.token, updateTime, stored.expiresAt);
    return { record: { data: stored.data, expiresAt: stored.expiresAt, version }, token: stored.token, updateTime };
  }

  /**
   * update() with a precondition on the document's updateTime: its write time when applied,
   * undefined when the document changed since, 'missing' when it is gone.
   */
  async #updateIf(
    ref: FirestoreLib.DocumentReference,
    fields: Record<string, unknown>,
    lastUpdateTime: FirestoreLib.Timestamp,
  ): Promise<FirestoreLib.Timestamp | 'missing' | undefined> {
    try {
      return (await ref.update(fields, { lastUpdateTime })).writeTime;
    } catch (error) {
      const code = errorCode(error);
      if (code === Code.FAILED_PRECONDITION) return undefined;
      if (code === Code.NOT_FOUND) return 'missing';
      throw error;
    }
  }

  /** One store operation within `timeout`; failures become a StoreError with a remedy. */
  #run<T>(action: string, operation: () => Promise<T>, bytes?: number): Promise<T> {
    return storeCall(this, action, (error) => remedyFor(this.#errorContext(), action, error, bytes), operation);
  }

  #errorContext(): ErrorContext {
    return { storeName: this.name, client: this.#client, collection: this.collection };
  }
}

export function firestoreStore(options: FirestoreStoreOptions): FirestoreStore {
  return new FirestoreStore(options);
}
