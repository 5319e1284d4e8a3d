import type { MaybePromise } from '../crypto/primitives.js';
import type { Store, StoreRecord } from './store.js';

/** The most cookies a session may be split over (`maxChunks`); the engine looks for no chunk past it. */
export const MOST_COOKIE_CHUNKS = 16;

/** What a cookie value opened to: the record it points to or holds, and the id if the cookie carries it. */
export interface CarriedRecord {
  /** The session id, when the cookie carries it beside the record (ids in a store). */
  readonly id: string | undefined;
  readonly record: StoreRecord;
  /** `hashIds`: this open moved the record from its raw-id key to its hashed key (records about it still name the old key). */
  readonly moved?: boolean;
}

/** What `Carrier.refusal` answers (see core/events.ts `MissReason`). */
export type CarrierRefusal = 'malformed' | 'forged' | 'unknown' | 'expired' | 'absolute-end' | 'revoked';

/**
 * The seam between the engine and where a session lives. The cookie carries either an id
 * that points into a store (`storeCarrier`, the default) or the sealed session itself
 * (`cookieStore()`); every other decision — fresh or loaded, changed or not, refresh due,
 * ids to retire, the cookie's attributes — is the engine's, written once.
 */
export interface Carrier {
  /** The name used in warnings and errors: the store's name, or 'cookie'. */
  readonly name: string;
  /**
   * The store that holds the records; undefined when the cookie holds the whole session,
   * so that sending the cookie IS the write and nothing is persisted.
   */
  readonly store: Store | undefined;
  /** `openSync` works: the record can be read without a promise (in-process store, or a seal). */
  readonly opensSync: boolean;
  /** Largest Set-Cookie header the carrier accepts (a sealed session must fit a browser's cookie). */
  readonly maxCookieBytes: number | undefined;
  /**
   * The cookie value may be split over this many cookies at most, `name.0`, `name.1`, …, each
   * within `maxCookieBytes` (`cookieStore({ chunk: true })`); undefined: one cookie.
   */
  readonly maxChunks?: number | undefined;
  /** The record a cookie value points to or holds; undefined when the value is not ours or the record is gone. */
  open(cookieValue: string): Promise<CarriedRecord | undefined>;
  openSync(cookieValue: string): CarriedRecord | undefined;
  /**
   * Why `open` found nothing for a cookie value, asked only when someone listens for the
   * `missed` event: a value not ours in shape, one whose signature or seal does not verify,
   * a verified id with no record, or (a seal, which holds its expiry) an expired session. A
   * verified id with no record says why where the store can tell: revoked (the marker a
   * revocation left, core/ended-marker.ts), expired or past its absolute end (the expired
   * record, where the store still holds it: `Store.getExpired`), else unknown.
   */
  refusal(cookieValue: string): MaybePromise<CarrierRefusal>;
  /**
   * The cookie value for a session that has been (or is being) written with these bytes:
   * synchronous with node:crypto, a promise with Web Crypto (see crypto/primitives.ts).
   */
  cookieValue(id: string, data: Uint8Array, expiresAt: number): MaybePromise<string>;
  /** The store key of a name (prefix + name: a session id, a lock's or a user index's name); only carriers with a store are asked. */
  key(name: string): string;
  /** The key of a session's record, remembered for returning clients (their requests build and hash no new key). */
  sessionKey(id: string): string;
  /**
   * The name a session goes by in the store, which its record's key (`key(name)`) and the
   * records about it (its lock, its user index entry) use: the id, or with `hashIds` its hash.
   */
  storedName(id: string): string;
}

/**
 * Made by `cookieStore()`: something that is not a store but a carrier of sealed sessions,
 * given the engine's secrets once it is configured.
 */
export interface CarrierSource {
  readonly name: string;
  createCarrier(engineSecrets: readonly string[]): Carrier;
}

export function isCarrierSource(value: unknown): value is CarrierSource {
  return typeof value === 'object' && value !== null && typeof (value as Partial<CarrierSource>).createCarrier === 'function';
}
