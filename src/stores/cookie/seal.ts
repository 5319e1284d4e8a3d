import { primitives } from '#crypto';
import { createKeyRing, hasSealShape, openSealed, SEAL_OVERHEAD, sealParts, type KeyRing } from '../../crypto/key-ring.js';
import type { MaybePromise } from '../../crypto/primitives.js';

/**
 * Sealing: a whole session in a cookie, encrypted and authenticated with AES-256-GCM by
 * the key ring of crypto/key-ring.ts (its layout, key ids and rotation), then written as
 * base64url without padding.
 *
 * The plaintext is the expiry (8 bytes, float64 epoch ms) followed by the session bytes,
 * so an old cookie stops opening once it expires, whatever the browser does with it.
 */
const EXPIRY_BYTES = 8;
const MIN_SECRET_LENGTH = 32;
/** Anything longer cannot be a cookie a browser sent (a chunked value is allowed what its chunks hold). */
const MAX_VALUE_LENGTH = 8192;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** The cookie's own HKDF info: a secret that also encrypts records at rest derives another key here. */
const HKDF_INFO = 'sessionkit sealed cookie v1';

export type SealKeys = KeyRing;

/** Checks the secrets now (a misconfiguration fails at start-up) and derives their keys. */
export function createSealKeys(secrets: readonly (string | Uint8Array)[]): MaybePromise<SealKeys> {
  return createKeyRing(secrets, HKDF_INFO, MIN_SECRET_LENGTH);
}

export function seal(keys: SealKeys, plaintext: Uint8Array, expiresAt: number): MaybePromise<string> {
  const expiry = new Uint8Array(EXPIRY_BYTES);
  new DataView(expiry.buffer).setFloat64(0, expiresAt);
  const sealed = sealParts(keys, [expiry, plaintext]);
  return sealed instanceof Promise ? sealed.then((bytes) => primitives.toBase64url(bytes)) : primitives.toBase64url(sealed);
}

export interface Unsealed {
  plaintext: Uint8Array;
  expiresAt: number;
}

/** The bytes of a value in canonical base64url within the size limit, or undefined. */
function valueBytes(value: string, maxLength = MAX_VALUE_LENGTH): Uint8Array | undefined {
  if (value.length > maxLength || !BASE64URL.test(value)) return undefined;
  const bytes = primitives.fromBase64url(value);
  // Only the canonical spelling: the decoder ignores spare bits, so look-alikes decode alike.
  return primitives.toBase64url(bytes) === value ? bytes : undefined;
}

/** Whether a cookie value is shaped as a seal (whatever its key and content): a `malformed` miss when not. */
export function sealShaped(value: string): boolean {
  const bytes = valueBytes(value);
  return bytes !== undefined && hasSealShape(bytes);
}

export function unseal(keys: SealKeys, value: string, now = Date.now(), maxLength = MAX_VALUE_LENGTH): MaybePromise<Unsealed | undefined> {
  const bytes = valueBytes(value, maxLength);
  if (!bytes) return undefined;
  const opened = openSealed(keys, bytes);
  return opened instanceof Promise ? opened.then((plain) => unsealed(plain, now)) : unsealed(opened, now);
}

function unsealed(plaintext: Uint8Array | undefined, now: number): Unsealed | undefined {
  // Wrong key, tampered or truncated (the tag does not verify), or expired.
  if (!plaintext || plaintext.length < EXPIRY_BYTES) return undefined;
  const expiresAt = new DataView(plaintext.buffer, plaintext.byteOffset, EXPIRY_BYTES).getFloat64(0);
  if (!(expiresAt > now)) return undefined;
  return { plaintext: plaintext.subarray(EXPIRY_BYTES), expiresAt };
}

/** Characters of the value `seal` makes from `plaintextBytes` bytes. */
export function sealedLength(plaintextBytes: number): number {
  return Math.ceil(((plaintextBytes + SEAL_OVERHEAD + EXPIRY_BYTES) * 4) / 3);
}
