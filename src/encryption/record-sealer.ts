import { createKeyRing, hasRingHeader, hasSealShape, openSealed, sealParts, type KeyRing } from '../crypto/key-ring.js';
import type { MaybePromise } from '../crypto/primitives.js';
import { primitives } from '#crypto';

/** Not the sealed cookie's: a secret given to both derives two unrelated keys. */
const HKDF_INFO = 'sessionkit record at rest v1';
const MIN_SECRET_BYTES = 32;
const encoder = new TextEncoder();

/** Why a record did not open, in the words of the warning (after "holds"). */
export type Unopened = string;

/**
 * Record bytes sealed at rest with AES-256-GCM (the key ring of crypto/key-ring.ts: the
 * first secret seals, all open), each bound to its store key as additional data: a record
 * copied or moved under another session's key does not open there. The expiry stays outside
 * the seal, where the store reads it, so `touch` and the stores' sweeps work as before.
 */
export class RecordSealer {
  /** Sealing and opening answer without a promise (node:crypto), once the keys are derived. */
  readonly synchronous = primitives.synchronous;
  readonly #readsPlaintext: boolean;
  #ring: MaybePromise<KeyRing>;

  /** Throws a TypeError naming the secret that cannot be used (the caller says which option it came from). */
  constructor(secrets: readonly string[], readsPlaintext: boolean) {
    this.#readsPlaintext = readsPlaintext;
    const ring = createKeyRing(secrets, HKDF_INFO, MIN_SECRET_BYTES);
    this.#ring = ring;
    if (ring instanceof Promise) {
      // Derived once (Web Crypto); from then on used directly.
      void ring.then(
        (derived) => (this.#ring = derived),
        () => {}, // reported by the first seal or open, which awaits the same promise
      );
    }
  }

  /** `data` sealed with the first secret's key, bound to `key`. */
  seal(key: string, data: Uint8Array): MaybePromise<Uint8Array> {
    const ring = this.#ring;
    if (ring instanceof Promise) return ring.then((derived) => sealParts(derived, [data], encoder.encode(key)));
    return sealParts(ring, [data], encoder.encode(key));
  }

  /** The plaintext of a record stored under `key`, or why it cannot be read. */
  open(key: string, data: Uint8Array): MaybePromise<Uint8Array | Unopened> {
    const ring = this.#ring;
    if (ring instanceof Promise) return ring.then((derived) => this.#openWith(derived, key, data));
    return this.#openWith(ring, key, data);
  }

  #openWith(ring: KeyRing, key: string, data: Uint8Array): MaybePromise<Uint8Array | Unopened> {
    if (!hasRingHeader(ring, data)) return this.#unsealed(data);
    const opened = openSealed(ring, data, encoder.encode(key));
    return opened instanceof Promise ? opened.then(orWhyNot) : orWhyNot(opened);
  }

  /** A record that does not start as a seal of one of our keys. */
  #unsealed(data: Uint8Array): Uint8Array | Unopened {
    // Read as it is during a switch-over (`readPlaintext`), and sealed on its next write.
    if (this.#readsPlaintext) return data;
    return hasSealShape(data)
      ? 'a record sealed with a key that is not among encrypt\'s secrets (a secret removed too early?)'
      : 'a record that is not sealed (written before encrypt was turned on, or by another program)';
  }
}

function orWhyNot(opened: Uint8Array | undefined): Uint8Array | Unopened {
  return opened ?? 'a sealed record that does not open under its key (changed, truncated, or moved from another session\'s key)';
}
