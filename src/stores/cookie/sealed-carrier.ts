import { primitives } from '#crypto';
import type { CarriedRecord, Carrier, CarrierRefusal } from '../../core/carrier.js';
import type { MaybePromise } from '../../crypto/primitives.js';
import { seal, sealShaped, unseal, type SealKeys, type Unsealed } from './seal.js';

const carried = (opened: Unsealed | undefined): CarriedRecord | undefined =>
  opened && { id: undefined, record: { data: opened.plaintext, expiresAt: opened.expiresAt } };

/** Carries the whole session in the cookie, sealed with AES-256-GCM, its expiry inside the seal. */
export class SealedCarrier implements Carrier {
  readonly name = 'cookie';
  readonly store = undefined;
  // Web Crypto opens a seal only with a promise.
  readonly opensSync = primitives.synchronous;
  readonly maxCookieBytes: number;
  #keys: MaybePromise<SealKeys>;

  constructor(keys: MaybePromise<SealKeys>, maxCookieBytes: number) {
    this.#keys = keys;
    if (keys instanceof Promise) {
      // Derived once; from then on the keys are used directly.
      void keys.then(
        (derived) => (this.#keys = derived),
        () => {}, // reported by the first open or seal, which awaits the same promise
      );
    }
    this.maxCookieBytes = maxCookieBytes;
  }

  async open(cookieValue: string): Promise<CarriedRecord | undefined> {
    return carried(await unseal(await this.#keys, cookieValue));
  }

  /** The id is inside the sealed payload; the engine reads it from there. Only asked when `opensSync`. */
  openSync(cookieValue: string): CarriedRecord | undefined {
    return carried(unseal(this.#keys as SealKeys, cookieValue) as Unsealed | undefined);
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
}
