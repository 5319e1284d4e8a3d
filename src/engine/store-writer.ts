import type { Carrier } from '../core/carrier.js';
import type { Codec } from '../codec/codec.js';
import { delay } from '../core/delay.js';
import type { EventSink } from '../core/events.js';
import { handleOf } from '../core/handle.js';
import { equalBytes, makePayload, type Payload } from './payload.js';
import { assignData, sessionData } from './session.js';
import type { SessionState } from './session-state.js';
import { StoreError, type RecordMemo, type Store, type StoreRecord } from '../core/store.js';
import { TAKES_TURNS, writeQueueOf, type WriteQueue } from './write-queue.js';

/** What a commit asks of the store. */
export type StoreAction = 'create' | 'update' | 'touch' | 'delete';

/** What a write left in the store: the bytes and their version (undefined: no version to compare with next time). */
export interface Written {
  bytes: Uint8Array | undefined;
  version: string | undefined;
}

/** One write of a session: what the commit decided for it. */
export interface StoreWrite {
  /** The session object: a merge after a lost compare-and-set re-applies the fields it changed. */
  readonly session: object;
  readonly state: SessionState;
  readonly action: StoreAction;
  /** The encoded session (undefined for a delete). */
  readonly bytes: Uint8Array | undefined;
  readonly expiresAt: number;
}

/** A create or an update to do at once (`writeAtOnce`); `memo`: for the record written, derived from `bytes` (StoreRecord.memo). */
export interface WriteAtOnce extends StoreWrite {
  readonly action: 'create' | 'update';
  readonly bytes: Uint8Array;
  readonly memo: RecordMemo | undefined;
}

/** How the writer writes: the serializer, how often a merge may lose before the write fails, and how it reads a record back. */
export interface WriterSettings {
  readonly codec: Codec;
  readonly maxConflictRetries: number;
  readonly decode: (record: StoreRecord) => Payload | undefined;
  /** Where a merge after a lost compare-and-set is reported (the `conflict` event), unless its request began unheard. */
  readonly events: EventSink;
}

/** A merge's compare-and-set lost to another write: read and merge again. */
const LOST = Symbol('lost');

/**
 * The engine's store writes: insert-if-absent for a new id, compare-and-set for a change
 * (with a per-key merge after a lost race), a cheap touch for a refresh, and the deletion
 * of retired ids. Knows nothing of cookies.
 *
 * Writes of one key from this process never race each other: on a store reached through
 * promises they wait in the store's write queue (./write-queue.ts); on a store that reads
 * and writes synchronously a merge reads and writes with no turn in between. So a merge
 * retries only when another process wrote the record in the meantime.
 */
export class StoreWriter {
  readonly #carrier: Carrier;
  readonly #store: Store;
  readonly #codec: Codec;
  readonly #maxConflictRetries: number;
  readonly #decode: (record: StoreRecord) => Payload | undefined;
  readonly #events: EventSink;
  /** The store creates and compare-and-sets synchronously: `writeAtOnce` can do those without a promise. */
  readonly writesAtOnce: boolean;
  /** The store also reads synchronously: a merge's read and write are one step, nothing of this process between them. */
  readonly #mergesAtOnce: boolean;
  /** Writes of one key one at a time, for a store whose merge takes turns (undefined where it merges at once). */
  readonly #queue: WriteQueue | undefined;

  constructor(carrier: Carrier, store: Store, settings: WriterSettings) {
    this.#carrier = carrier;
    this.#store = store;
    this.#codec = settings.codec;
    this.#maxConflictRetries = settings.maxConflictRetries;
    this.#decode = settings.decode;
    this.#events = settings.events;
    this.writesAtOnce = typeof store.createSync === 'function' && typeof store.setIfSync === 'function';
    this.#mergesAtOnce = typeof store.getSync === 'function' && typeof store.setIfSync === 'function';
    this.#queue = this.#mergesAtOnce || !TAKES_TURNS ? undefined : writeQueueOf(store);
  }

  /** Runs `write` in its key's turn (see the class comment); `queued`: a write of the key from this process came first. */
  #inTurn<R>(key: string, write: (queued: boolean) => Promise<R>): Promise<R> {
    return this.#queue ? this.#queue.run(key, write) : write(false);
  }

  /** Deletes the records of retired ids; on failure they stay retired, for the next commit to try again. */
  async retire(state: SessionState): Promise<void> {
    if (state.retiredIds.length === 0) return;
    const retired = state.retiredIds.splice(0);
    try {
      await Promise.all(
        retired.map((id) => {
          const key = this.#carrier.sessionKey(id);
          return this.#inTurn(key, () => this.#store.delete(key));
        }),
      );
    } catch (error) {
      state.retiredIds.unshift(...retired);
      throw error;
    }
  }

  /** Performs a commit's action; undefined when the record was gone and is not brought back. */
  write(work: StoreWrite): Promise<Written | undefined> {
    const key = this.#carrier.sessionKey(work.state.id);
    return this.#inTurn(key, (queued) => this.#perform(work, key, queued));
  }

  async #perform(work: StoreWrite, key: string, queued: boolean): Promise<Written | undefined> {
    const { bytes, expiresAt } = work;
    switch (work.action) {
      case 'delete':
        await this.#store.delete(key);
        return { bytes, version: undefined };
      case 'touch':
        await this.#touch(key, work.state, { data: bytes!, expiresAt });
        return { bytes, version: work.state.version };
      case 'create':
        await this.#create(key, { data: bytes!, expiresAt });
        return { bytes, version: undefined };
      case 'update':
        return this.#update(work, key, queued);
    }
  }

  /**
   * A create or an update done at once, on a store that `writesAtOnce`: what it wrote, or
   * undefined where the update must go through `write()` instead: a lost compare-and-set
   * (the merge reads and retries, with pauses), or no version to compare with. Throws
   * what the store throws.
   */
  writeAtOnce(work: WriteAtOnce): Written | undefined {
    const { state, action, bytes, expiresAt, memo } = work;
    const store = this.#store;
    const key = this.#carrier.sessionKey(state.id);
    const record: StoreRecord = memo ? { data: bytes, expiresAt, memo } : { data: bytes, expiresAt };
    if (action === 'create') {
      if (!store.createSync!(key, record)) throw collision(store);
      return { bytes, version: undefined };
    }
    if (state.version === undefined || !store.setIfSync!(key, record, state.version)) return undefined;
    return { bytes, version: undefined };
  }

  async #create(key: string, record: StoreRecord): Promise<void> {
    const store = this.#store;
    if (!store.create) {
      await store.set(key, record);
      return;
    }
    // 256 random bits never collide in practice; if they ever do, refuse rather than
    // overwrite another user's session.
    if (!(await store.create(key, record))) throw collision(store);
  }

  async #touch(key: string, state: SessionState, record: StoreRecord): Promise<void> {
    const store = this.#store;
    if (store.touch) await store.touch(key, record.expiresAt);
    // Without touch, rewrite the same bytes, but never over a newer concurrent write.
    else if (store.setIf && state.version) await store.setIf(key, record, state.version);
    else await store.set(key, record);
  }

  async #update(work: StoreWrite, key: string, queued: boolean): Promise<Written | undefined> {
    const { state, expiresAt } = work;
    const bytes = work.bytes!;
    const store = this.#store;
    if (!store.setIf) return { bytes, version: await store.set(key, { data: bytes, expiresAt }) };
    // No version: this request wrote the record already (create and compare-and-set report
    // none). Going through the merge reads the version first, so that a record destroyed or
    // revoked since that write is not brought back by a blind set. Queued: a write of this
    // process landed since this request read the record, so its version would only lose.
    if (state.version === undefined || queued) return this.#mergeAfterConflict(work, key, false);
    if (await store.setIf(key, { data: bytes, expiresAt }, state.version)) return { bytes, version: undefined };
    return this.#mergeAfterConflict(work, key, true);
  }

  /**
   * Another request wrote this session since we read it. Re-read it, re-apply only the
   * top-level keys this request set or deleted, and compare-and-set again. A key only
   * the other request changed keeps its value; a record that vanished (destroyed or
   * regenerated elsewhere) is never brought back. Two requests that change the same key:
   * the last writer wins. `lost`: a compare-and-set of this request lost already (else it
   * merges because it has no version to compare with).
   */
  async #mergeAfterConflict(work: StoreWrite, key: string, lost: boolean): Promise<Written | undefined> {
    const { session, state, expiresAt } = work;
    const attempted = work.bytes!;
    const store = this.#store;
    const mergedOnto = this.#merger(session, state, attempted);
    let roundTripMs = 1;
    for (let attempt = 0; attempt < this.#maxConflictRetries; attempt++) {
      // Random pauses that grow with each attempt and with the store's own latency spread
      // out requests that keep colliding (exponential backoff with full jitter).
      if (attempt > 0) await delay(Math.random() * Math.min(1000, roundTripMs * 2 ** attempt));
      const started = Date.now();
      const outcome = await this.#mergeOnce(key, mergedOnto, expiresAt);
      if (outcome !== LOST) {
        if (outcome && (lost || attempt > 0)) this.#reportConflict(state, attempt + (lost ? 1 : 0));
        return outcome;
      }
      roundTripMs = Math.max(1, Date.now() - started);
    }
    throw new StoreError(
      store.name,
      `the session changed under ${this.#maxConflictRetries} consecutive writes from other processes and could not be saved ` +
        "(this process's own writes of a session take turns). Raise maxConflictRetries if many processes write one session at once.",
    );
  }

  /** The `conflict` event: the session's fields were merged onto another process's write after `attempts` lost compare-and-sets. */
  #reportConflict(state: SessionState, attempts: number): void {
    if (!state.unheard && this.#events.wants('conflict')) this.#events.emit('conflict', { handle: handleOf(state.id), store: this.#store.name, attempts });
  }

  /**
   * What this request changed since it read the session (top-level fields set or deleted, the
   * permanent flag, its own lifetime and cookie settings, when its user authenticated), as a function that applies those
   * changes onto the latest stored payload and encodes the result.
   */
  #merger(session: object, state: SessionState, attempted: Uint8Array): (latest: Payload) => Uint8Array {
    const original = this.#decode({ data: state.loadedBytes!, expiresAt: Number.POSITIVE_INFINITY })!;
    const written = this.#decode({ data: attempted, expiresAt: Number.POSITIVE_INFINITY });
    // The user index coverage this commit wrote (../accounts/user-sessions.ts): the later of the two survives.
    const indexedUntil = written?.x;
    // When the user last authenticated (../freshness/freshness.ts), if this request changed it.
    const authenticatedChanged = original.u !== written?.u;
    const current = sessionData(session);
    const encode = (value: unknown) => this.#codec.encode(value);
    const changed = Object.keys(current).filter(
      (field) => !Object.hasOwn(original.d, field) || !equalBytes(encode(current[field]), encode(original.d[field])),
    );
    const removed = Object.keys(original.d).filter((field) => !Object.hasOwn(current, field));
    const permanentChanged = original.p !== state.permanent;
    const lifetimeChanged = original.l !== state.lifetimeMs;
    const cookieChanged = JSON.stringify(original.c) !== JSON.stringify(state.cookieSettings);
    return (latest) => {
      const merged: Record<string, unknown> = {};
      assignData(merged, latest.d);
      for (const field of changed) assignData(merged, { [field]: current[field] });
      for (const field of removed) delete merged[field];
      const payload = makePayload(permanentChanged ? state.permanent : latest.p, merged, {
        createdAt: latest.t ?? state.createdAt,
        lifetimeMs: lifetimeChanged ? state.lifetimeMs : latest.l,
        cookie: cookieChanged ? state.cookieSettings : latest.c,
        indexedUntil: later(indexedUntil, latest.x),
        authenticatedAt: authenticatedChanged ? written?.u : latest.u,
        bound: latest.b ?? state.bound,
      });
      return encode(payload);
    };
  }

  /**
   * Reads the record, merges onto it and compare-and-sets it: what was written, undefined
   * when the record is gone (destroyed or regenerated elsewhere, and never brought back),
   * LOST when another write came between. On a store that reads and writes synchronously
   * nothing waits in between, so nothing of this process can come between.
   */
  async #mergeOnce(key: string, mergedOnto: (latest: Payload) => Uint8Array, expiresAt: number): Promise<Written | undefined | typeof LOST> {
    const store = this.#store;
    const atOnce = this.#mergesAtOnce;
    const latest = atOnce ? store.getSync!(key) : await store.get(key);
    const latestPayload = latest && this.#decode(latest);
    if (!latest || !latestPayload) return undefined;
    const bytes = mergedOnto(latestPayload);
    const record = { data: bytes, expiresAt };
    const won = atOnce ? store.setIfSync!(key, record, latest.version!) : await store.setIf!(key, record, latest.version!);
    return won ? { bytes, version: undefined } : LOST;
  }
}

const collision = (store: Store) => new StoreError(store.name, 'a new session id collided with a live session; the write was refused.');
const later = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.max(a, b));
