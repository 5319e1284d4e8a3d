import type { CarriedRecord, Carrier } from './carrier.js';
import type { IdCodec } from './ids.js';
import type { Store } from './store.js';

/** The cookie carries a (signed) id; the session lives in a store under keyPrefix + id. */
export class StoreCarrier implements Carrier {
  readonly name: string;
  readonly store: Store;
  readonly opensSync: boolean;
  readonly maxCookieBytes = undefined;
  readonly #ids: IdCodec;
  readonly #keyPrefix: string;

  constructor(store: Store, ids: IdCodec, keyPrefix: string) {
    this.name = store.name;
    this.store = store;
    this.opensSync = typeof store.getSync === 'function';
    this.#ids = ids;
    this.#keyPrefix = keyPrefix;
  }

  async open(cookieValue: string): Promise<CarriedRecord | undefined> {
    const id = this.#ids.decode(cookieValue);
    if (id === undefined) return undefined;
    const record = await this.store.get(this.key(id));
    return record && { id, record };
  }

  openSync(cookieValue: string): CarriedRecord | undefined {
    const id = this.#ids.decode(cookieValue);
    if (id === undefined) return undefined;
    const record = this.store.getSync!(this.key(id));
    return record && { id, record };
  }

  cookieValue(id: string): string {
    return this.#ids.encode(id);
  }

  key(id: string): string {
    return this.#keyPrefix + id;
  }
}
