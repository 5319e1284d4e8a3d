import { primitives } from '#crypto';
import type { CarriedRecord, Carrier, CarrierRefusal } from '../../core/carrier.js';
import type { MaybePromise } from '../../crypto/primitives.js';
import { seal, sealShaped, unseal, type SealKeys, type Unsealed } from './seal.js';

const carried = (opened: Unsealed | undefined): CarriedRecord | undefined =>
  opened && { id: undefined, record: { data: opened.plaintext, expiresAt: opened.expiresAt } };

/** How big a sealed session's cookies may be: each, and (chunked) how many. */
export interface SealedCookieLimits {
  readonly maxCookieBytes: number;
  /** With `chunk: true`: the most cookies one session is split over; undefined: one cookie. */
  readonly maxChunks: number | undefined;
}

/** Carries the whole session in the cookie, sealed with AES-256-GCM, its expiry inside the seal. */
export class SealedCarrier implements Carrier {
  readonly name = 'cookie';
  readonly store = undefined;
  // Web Crypto opens a seal only with a promise.
  readonly opensSync = primitives.synchronous;
  readonly maxCookieBytes: number;
  readonly maxChunks: number | undefined;
  /** The longest value that may open: what one cookie, or `maxChunks` of them, can hold. */
  readonly #maxValueLength: number | undefined;
  #keys: MaybePromise<SealKeys>;

  constructor(keys: MaybePromise<SealKeys>, limits: SealedCookieLimits) {
    this.#keys = keys;
    if (keys instanceof Promise) {
      // Derived once; from then on the keys are used directly.
      void keys.then(
        (derived) => (this.#keys = derived),
        () => {}, // reported by the first open or seal, which awaits the same promise
      );
    }
    this.maxCookieBytes = limits.maxCookieBytes;
    this.maxChunks = limits.maxChunks;
    this.#maxValueLength = limits.maxChunks === undefined ? undefined : limits.maxChunks * limits.maxCookieBytes;
  }

  async open(cookieValue: string): Promise<CarriedRecord | undefined> {
    return carried(await unseal(await this.#keys, cookieValue, Date.now(), this.#maxValueLength));
  }

  /** The id is inside the sealed payload; the engine reads it from there. Only asked when `opensSync`. */
  openSync(cookieValue: string): CarriedRecord | undefined {
    return carried(unseal(this.#keys as SealKeys, cookieValue, Date.now(), this.#maxValueLength) as Unsealed | undefined);
  }

  async refusal(cookieValue: string): Promise<CarrierRefusal> {
    if (!sealShaped(cookieValue)) return 'malformed';
    // Opened as if it were the dawn of time: a seal that opens then was real and has expired since.
    return (await unseal(await this.#keys, cookieValue, 0)) ? 'expired' : 'forged';
  }

  cookieValue(_id: string, data: Uint8Array, expiresAt: number): MaybePromise<string> {
    const keys = this.#keys;
    return keys instanceof Promise ? keys.then((derived) => seal(derived, data, expiresAt)) : seal(keys, data, expiresAt);
  }

  key(name: string): string {
    return name;
  }

  sessionKey(id: string): string {
    return id;
  }

  storedName(id: string): string {
    return id;
  }
}
