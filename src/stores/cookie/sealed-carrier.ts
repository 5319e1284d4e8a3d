import type { CarriedRecord, Carrier } from '../../core/carrier.js';
import { seal, unseal, type SealKeys } from './seal.js';

/** Carries the whole session in the cookie, sealed with AES-256-GCM, its expiry inside the seal. */
export class SealedCarrier implements Carrier {
  readonly name = 'cookie';
  readonly store = undefined;
  readonly opensSync = true;
  readonly maxCookieBytes: number;
  readonly #keys: SealKeys;

  constructor(keys: SealKeys, maxCookieBytes: number) {
    this.#keys = keys;
    this.maxCookieBytes = maxCookieBytes;
  }

  open(cookieValue: string): Promise<CarriedRecord | undefined> {
    return Promise.resolve(this.openSync(cookieValue));
  }

  /** The id is inside the sealed payload; the engine reads it from there. */
  openSync(cookieValue: string): CarriedRecord | undefined {
    const opened = unseal(this.#keys, cookieValue);
    return opened && { id: undefined, record: { data: opened.plaintext, expiresAt: opened.expiresAt } };
  }

  cookieValue(_id: string, data: Uint8Array, expiresAt: number): string {
    return seal(this.#keys, data, expiresAt);
  }

  key(id: string): string {
    return id;
  }
}
