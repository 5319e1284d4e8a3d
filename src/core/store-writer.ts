import type { Carrier } from './carrier.js';
import type { Codec } from './codec/codec.js';
import { delay } from './delay.js';
import { equalBytes, makePayload, type Payload } from './payload.js';
import { assignData, sessionData } from './session.js';
import type { SessionState } from './session-state.js';
import { StoreError, type RecordMemo, type Store, type StoreRecord } from './store.js';

/** What a commit asks of the store. */
export type StoreAction = 'create' | 'update' | 'touch' | 'delete';

/** What a write left in the store: the bytes and their version (undefined: no version to compare with next time). */
export interface Written {
  bytes: Uint8Array | undefined;
  version: string | undefined;
}

/**
 * The engine's store writes: insert-if-absent for a new id, compare-and-set for a change
 * (with a per-key merge after a lost race), a cheap touch for a refresh, and the deletion
 * of retired ids. Knows nothing of cookies.
 */
export class StoreWriter {
  readonly #carrier: Carrier;
  readonly #store: Store;
  readonly #codec: Codec;
  readonly #maxConflictRetries: number;
  readonly #decode: (record: StoreRecord) => Payload | undefined;
  /** The store creates and compare-and-sets synchronously: `writeNow` can do those without a promise. */
  readonly writesSync: boolean;

  constructor(carrier: Carrier, store: Store, codec: Codec, maxConflictRetries: number, decode: (record: StoreRecord) => Payload | undefined) {
    this.#carrier = carrier;
    this.#store = store;
    this.#codec = codec;
    this.#maxConflictRetries = maxConflictRetries;
    this.#decode = decode;
    this.writesSync = typeof store.createSync === 'function' && typeof store.setIfSync === 'function';
  }

  /** Deletes the records of retired ids; on failure they stay retired, for the next commit to try again. */
  async retire(state: SessionState): Promise<void> {
    if (state.retiredIds.length === 0) return;
    const retired = state.retiredIds.splice(0);
    try {
      await Promise.all(retired.map((id) => this.#store.delete(this.#carrier.key(id))));
    } catch (error) {
      state.retiredIds.unshift(...retired);
      throw error;
    }
  }

  /** Performs a commit's action; undefined when the record was gone and is not brought back. */
  async write(session: object, state: SessionState, action: StoreAction, bytes: Uint8Array | undefined, expiresAt: number): Promise<Written | undefined> {
    const key = this.#carrier.sessionKey(state.id);
    switch (action) {
      case 'delete':
        await this.#store.delete(key);
        return { bytes, version: undefined };
      case 'touch':
        await this.#touch(key, state, bytes!, expiresAt);
        return { bytes, version: state.version };
      case 'create':
        await this.#create(key, { data: bytes!, expiresAt });
        return { bytes, version: undefined };
      case 'update':
        return this.#update(session, key, state, bytes!, expiresAt);
    }
  }

  /**
   * A create or an update done at once, on a store that `writesSync`: what it wrote, or
   * undefined where the update must go through `write()` instead: a lost compare-and-set
   * (the merge reads and retries, with pauses), or no version to compare with. Throws
   * what the store throws. `memo`: for the record written, derived from `bytes` (StoreRecord.memo).
   */
  writeNow(state: SessionState, action: 'create' | 'update', bytes: Uint8Array, expiresAt: number, memo?: RecordMemo): Written | undefined {
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

  async #touch(key: string, state: SessionState, bytes: Uint8Array, expiresAt: number): Promise<void> {
    const store = this.#store;
    if (store.touch) await store.touch(key, expiresAt);
    // Without touch, rewrite the same bytes, but never over a newer concurrent write.
    else if (store.setIf && state.version) await store.setIf(key, { data: bytes, expiresAt }, state.version);
    else await store.set(key, { data: bytes, expiresAt });
  }

  async #update(session: object, key: string, state: SessionState, bytes: Uint8Array, expiresAt: number): Promise<Written | undefined> {
    const store = this.#store;
    if (!store.setIf) return { bytes, version: await store.set(key, { data: bytes, expiresAt }) };
    // No version: this request wrote the record already (create and compare-and-set report
    // none). Going through the merge reads the version first, so that a record destroyed or
    // revoked since that write is not brought back by a blind set.
    if (state.version === undefined) return this.#mergeAfterConflict(session, key, state, bytes, expiresAt);
    if (await store.setIf(key, { data: bytes, expiresAt }, state.version)) return { bytes, version: undefined };
    return this.#mergeAfterConflict(session, key, state, bytes, expiresAt);
  }

  /**
   * Another request wrote this session since we read it. Re-read it, re-apply only the
   * top-level keys this request set or deleted, and compare-and-set again. A key only
   * the other request changed keeps its value; a record that vanished (destroyed or
   * regenerated elsewhere) is never brought back. Two requests that change the same key:
   * the last writer wins.
   */
  async #mergeAfterConflict(session: object, key: string, state: SessionState, attempted: Uint8Array, expiresAt: number): Promise<Written | undefined> {
    const store = this.#store;
    const original = this.#decode({ data: state.loadedBytes!, expiresAt: Number.POSITIVE_INFINITY })!;
    // The user index coverage this commit wrote (./user-sessions.ts): the later of the two survives.
    const indexedUntil = this.#decode({ data: attempted, expiresAt: Number.POSITIVE_INFINITY })?.x;
    const current = sessionData(session);
    const encode = (value: unknown) => this.#codec.encode(value);
    const changed = Object.keys(current).filter(
      (field) => !Object.hasOwn(original.d, field) || !equalBytes(encode(current[field]), encode(original.d[field])),
    );
    const removed = Object.keys(original.d).filter((field) => !Object.hasOwn(current, field));
    const permanentChanged = original.p !== state.permanent;
    const lifetimeChanged = original.l !== state.lifetimeMs;
    const cookieChanged = JSON.stringify(original.c) !== JSON.stringify(state.cookieSettings);

    let roundTripMs = 1;
    for (let attempt = 0; attempt < this.#maxConflictRetries; attempt++) {
      // Random pauses that grow with each attempt and with the store's own latency spread
      // out requests that keep colliding (exponential backoff with full jitter).
      if (attempt > 0) await delay(Math.random() * Math.min(1000, roundTripMs * 2 ** attempt));
      const started = Date.now();
      const latest = await store.get(key);
      const latestPayload = latest && this.#decode(latest);
      // Gone: destroyed or regenerated by another request, and never brought back.
      if (!latest || !latestPayload) return undefined;
      const merged: Record<string, unknown> = {};
      assignData(merged, latestPayload.d);
      for (const field of changed) assignData(merged, { [field]: current[field] });
      for (const field of removed) delete merged[field];
      const payload = makePayload(permanentChanged ? state.permanent : latestPayload.p, merged, {
        t: latestPayload.t ?? state.createdAt,
        l: lifetimeChanged ? state.lifetimeMs : latestPayload.l,
        c: cookieChanged ? state.cookieSettings : latestPayload.c,
        x: later(indexedUntil, latestPayload.x),
      });
      const bytes = encode(payload);
      if (await store.setIf!(key, { data: bytes, expiresAt }, latest.version!)) return { bytes, version: undefined };
      roundTripMs = Math.max(1, Date.now() - started);
    }
    throw new StoreError(
      store.name,
      `the session changed under ${this.#maxConflictRetries} consecutive concurrent writes and could not be saved. ` +
        'Raise maxConflictRetries if many requests of one session write at once.',
    );
  }
}

const collision = (store: Store) => new StoreError(store.name, 'a new session id collided with a live session; the write was refused.');
const later = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.max(a, b));
