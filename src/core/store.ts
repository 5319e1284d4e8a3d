/**
 * The store contract: how the session engine talks to a backend.
 *
 * A store moves opaque records keyed by an already-prefixed id. It knows nothing of
 * cookies, signing or serialization. Every store in `src/stores/` implements this
 * interface and passes the shared conformance suite in `test/conformance/`.
 *
 * Rules every store follows:
 * - An expired record reads as absent, always, even where the server has native TTL
 *   that has not run yet. `expiresAt` is compared with `Date.now()` on every read.
 * - Not found is never an error: `get` resolves `undefined`, deleting a missing key
 *   is a no-op. A store rejects only for system faults (server down, disk full), with
 *   a {@link StoreError} that names the store, says what to do and keeps the cause.
 * - A client the user passed in is borrowed: `close()` never closes it.
 * - `version` is opaque to the engine. A store that implements `setIf` must return a
 *   new version from every successful write, so that a writer holding an old version
 *   loses the compare-and-set.
 * - A capability the configuration needs but the store lacks fails when the engine is
 *   constructed, not in the middle of a request.
 */
import { SessionConfigError } from './errors.js';

export interface StoreRecord {
  /**
   * The serialized session, as produced by the engine's codec. The engine never changes
   * these bytes once it has handed them to a store or read them from one, so a store may
   * keep them as they are (the memory store does) and return them from every read.
   */
  readonly data: Uint8Array;
  /** Absolute expiry in epoch milliseconds. A record at or past it does not exist. */
  readonly expiresAt: number;
  /** Opaque version token; present on records read from stores that implement `setIf`. */
  readonly version?: string;
  /**
   * Offered by in-process stores (the memory store) on the records they read: a slot kept
   * with the stored record, where the engine leaves what it derived from `data` (the record
   * decoded) so as not to derive it again on the next read. Every write of the record
   * replaces it: with the `memo` of the record written, which the engine gives only with
   * data it derived it from (the session as written), else with nothing. A store that
   * offers no memos ignores it on writes; one that wraps another and changes `data` must
   * drop it, or keep in it what it derived itself beside the engine's value (the encrypting
   * store of `encrypt` keeps the opened bytes: encryption/encrypted-store.ts).
   */
  readonly memo?: RecordMemo;
}

/** See {@link StoreRecord.memo}: one value, the engine's, replaced by the store on every write of the record. */
export interface RecordMemo {
  derived: unknown;
}

export interface Store {
  /** Short name used in every log line and error, e.g. 'memory', 'sqlite', 'redis'. */
  readonly name: string;

  /** Reads a record; `undefined` when absent or expired. One round trip. */
  get(key: string): Promise<StoreRecord | undefined>;

  /**
   * The same read, synchronously, for stores whose backend lives in this process and
   * answers synchronously (memory, SQLite). Adapters then hand the session to the
   * application without waiting a promise turn, on every request.
   */
  getSync?(key: string): StoreRecord | undefined;

  /** Writes a record unconditionally, replacing any existing one; returns its new version. */
  set(key: string, record: StoreRecord): Promise<string | undefined>;

  /** Removes a record. Missing keys are ignored. */
  delete(key: string): Promise<void>;

  /**
   * Inserts only if no live record exists under `key`; resolves `false` if one does.
   * The engine uses it for brand-new ids so that a (astronomically unlikely) collision
   * can never overwrite somebody else's session.
   */
  create?(key: string, record: StoreRecord): Promise<boolean>;

  /**
   * Compare-and-set: writes only if the live record's version equals `expectedVersion`.
   * Resolves `false` when the record changed, expired or disappeared since it was read;
   * a missing record is never re-created by `setIf`.
   */
  setIf?(key: string, record: StoreRecord, expectedVersion: string): Promise<boolean>;

  /**
   * `create` and `setIf`, synchronously, for stores whose backend lives in this process and
   * answers synchronously (memory, SQLite on a synchronous driver): a request that writes
   * its session then finishes without waiting a promise turn. Same rules as the async forms;
   * a failure is thrown as a {@link StoreError}. A store has both or neither.
   */
  createSync?(key: string, record: StoreRecord): boolean;
  setIfSync?(key: string, record: StoreRecord, expectedVersion: string): boolean;

  /**
   * The record under `key` if it has expired and the backend still holds it (cleanup or
   * the backend's own expiry has not removed it yet); `undefined` when absent or live.
   * Only for telling why a session is gone (the `missed` event's `expired` and
   * `absolute-end`), asked only when someone listens: never on a request's path, and
   * `get` still reads an expired record as absent. Present where the backend keeps expired
   * records until a sweep (memory, SQL, …); not Redis or memcached, which drop them.
   */
  getExpired?(key: string): Promise<StoreRecord | undefined>;

  /** Moves the expiry of a live record without rewriting its data. Missing keys are ignored. */
  touch?(key: string, expiresAt: number): Promise<void>;

  /**
   * Removes expired records; resolves how many were removed (where the backend can tell).
   * With `limit`, removes at most that many, so that a caller can sweep in bounded batches
   * (repeat until a call resolves fewer than `limit`). Leftovers of the backend itself (a
   * killed writer's temporary files) go too and are reported through `onLeftovers`.
   */
  deleteExpired?(options?: SweepOptions): Promise<number>;

  /**
   * Counts the expired records `deleteExpired` would remove now, removing nothing: present
   * only where the backend can count them honestly (not Redis or memcached, which expire
   * records themselves and cannot list the ones they have not dropped yet). Leftovers a
   * sweep would remove are reported through `onLeftovers`.
   */
  countExpired?(options?: Pick<SweepOptions, 'onLeftovers'>): Promise<number>;

  /**
   * The keys of the live records that start with `prefix`, in no set order: for tools that
   * list or clear records (toConnectStore's `all`, `ids`, `length` and `clear`), never on a
   * request's path. Present only where the backend can list its records.
   */
  keys?(prefix: string): AsyncIterable<string>;

  /** Releases resources the store itself opened. Never closes a client the user passed in. */
  close?(): Promise<void>;
}

/** What a caller of `deleteExpired` / `countExpired` may ask for. */
export interface SweepOptions {
  /** At most this many expired records removed (a positive integer). Default: all of them. */
  readonly limit?: number;
  /**
   * Told of what the sweep removed (or, from `countExpired`, would remove) that is not a
   * session record, e.g. `('stale temporary files', 2)`. Called only for a count above 0.
   */
  readonly onLeftovers?: (what: string, count: number) => void;
}

/** Capabilities a store may have beyond get/set/delete, as the conformance suite names them. */
export type StoreCapability = 'create' | 'setIf' | 'touch' | 'deleteExpired' | 'countExpired' | 'getSync' | 'createSync' | 'setIfSync' | 'keys' | 'getExpired';

/** The `limit` of a sweep, checked: a positive integer, or Infinity when none was given. */
export function sweepLimit(storeName: string, options: SweepOptions | undefined): number {
  const limit = options?.limit;
  if (limit === undefined) return Infinity;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new SessionConfigError(`${storeName}: the limit of deleteExpired must be a positive integer, got ${String(limit)}.`);
  }
  return limit;
}

/** A failure of the backend itself (not "not found"), with the store's name and a remedy. */
export class StoreError extends Error {
  // A string, not the literal: subclasses (SessionLockTimeoutError) name themselves.
  override readonly name: string = 'StoreError';
  /** The store call that failed ('get', 'set', …), where the shared store call wrapper (stores/shared/call.ts) saw it. */
  action: string | undefined;
  /** How long that call ran before it failed, in milliseconds, where the wrapper measured it. */
  durationMs: number | undefined;
  constructor(
    readonly storeName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`[sessionkit:${storeName}] ${message}`, options);
  }
}

/** Wraps any thrown value from a backend call into a StoreError with a remedy. */
export function wrapStoreError(storeName: string, action: string, remedy: string, cause: unknown): StoreError {
  if (cause instanceof StoreError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new StoreError(storeName, `${action} failed: ${reason}. ${remedy}`, { cause });
}

/** True when a record is expired at `now`. Shared so every store applies the same rule. */
export function isExpired(record: { expiresAt: number }, now = Date.now()): boolean {
  return record.expiresAt <= now;
}

/**
 * What `get` answers of a record read expired or not (`live`), and what `getExpired` answers
 * (`expired`): for stores whose one read returns both, so the two methods share it.
 */
export function recordIf<R extends { expiresAt: number }>(record: R | undefined, wanted: 'live' | 'expired'): R | undefined {
  return record && isExpired(record) === (wanted === 'expired') ? record : undefined;
}
