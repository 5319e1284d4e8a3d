import type { CarriedRecord, Carrier, CarrierRefusal } from '../core/carrier.js';
import type { MaybePromise } from '../crypto/primitives.js';
import { setBounded } from '../core/bounded-map.js';
import type { IdCodec } from './cookie/ids.js';
import type { Store } from '../core/store.js';
import { EndedSessions } from './ended-session.js';
import type { ResolvedOptions } from './options.js';

/** What a carrier of ids in a store is built from: the key prefix, and what telling why a session is gone needs. */
export type StoreCarrierOptions = Pick<ResolvedOptions, 'keyPrefix' | 'codec' | 'maxSessionBytes' | 'absoluteLifetimeMs' | 'logger'>;

/** Store keys remembered per id: as many as the id codec remembers verified cookies. */
const KEY_CACHE_SIZE = 10_000;

/** The cookie carries a (signed) id; the session lives in a store under keyPrefix + id. */
export class StoreCarrier implements Carrier {
  readonly name: string;
  readonly store: Store;
  readonly opensSync: boolean;
  readonly maxCookieBytes = undefined;
  protected readonly keyPrefix: string;
  readonly #ids: IdCodec;
  /** Why a verified id has no record, asked only by `refusal` (someone listens for `missed`). */
  readonly #ended: EndedSessions;
  // id → keyPrefix + id. A returning client's id is the string the id codec's cache holds,
  // whose hash V8 keeps; a key built anew by concatenation would be flattened and hashed
  // again by the store's own lookup on every request.
  readonly #keys = new Map<string, string>();

  constructor(store: Store, ids: IdCodec, options: StoreCarrierOptions) {
    this.name = store.name;
    this.store = store;
    // A signature checked by Web Crypto answers with a promise, whatever the store does.
    this.opensSync = typeof store.getSync === 'function' && ids.synchronous;
    this.#ids = ids;
    this.keyPrefix = options.keyPrefix;
    this.#ended = new EndedSessions(options);
  }

  async open(cookieValue: string): Promise<CarriedRecord | undefined> {
    const decoded = this.#ids.decode(cookieValue);
    const id = typeof decoded === 'object' ? await decoded : decoded;
    if (id === undefined) return undefined;
    const record = await this.store.get(this.sessionKey(id));
    return record && { id, record };
  }

  openSync(cookieValue: string): CarriedRecord | undefined {
    // Only asked when `opensSync`: the codec answers synchronously.
    const id = this.#ids.decode(cookieValue) as string | undefined;
    if (id === undefined) return undefined;
    const record = this.store.getSync!(this.sessionKey(id));
    return record && { id, record };
  }

  refusal(cookieValue: string): MaybePromise<CarrierRefusal> {
    const refused = this.#ids.refusal(cookieValue);
    if (typeof refused === 'object') return refused.then((reason) => reason ?? this.#whyGone(cookieValue));
    return refused ?? this.#whyGone(cookieValue);
  }

  /** A verified id with no record: revoked, expired, past its absolute end, or unknown (./ended-session.ts). */
  async #whyGone(cookieValue: string): Promise<CarrierRefusal> {
    // Verified a moment ago: the id codec answers from what it remembers.
    const id = await this.#ids.decode(cookieValue);
    return id === undefined ? 'unknown' : this.#ended.reason(this, this.store, id);
  }

  cookieValue(id: string): MaybePromise<string> {
    return this.#ids.encode(id);
  }

  key(name: string): string {
    return this.keyPrefix + name;
  }

  sessionKey(id: string): string {
    let key = this.#keys.get(id);
    if (key === undefined) setBounded(this.#keys, id, (key = this.key(this.nameOf(id))), KEY_CACHE_SIZE);
    return key;
  }

  storedName(id: string): string {
    return id;
  }

  /** The id a cookie value carries (see IdCodec.decode). */
  protected idOf(cookieValue: string): MaybePromise<string | undefined> {
    return this.#ids.decode(cookieValue);
  }

  /** The name part of a session's key, computed once per id (`sessionKey` remembers the key). */
  protected nameOf(id: string): string {
    return id;
  }
}
