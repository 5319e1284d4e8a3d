import { primitives } from '#crypto';
import type { AesGcmKey, MaybePromise } from '../../crypto/primitives.js';

/**
 * Sealing: a whole session in a cookie, encrypted and authenticated with AES-256-GCM.
 *
 * Layout of a sealed value (then base64url without padding):
 *   version (1 byte, 0x01) | key id (4) | IV (12, random) | ciphertext | GCM tag (16)
 * The plaintext is the expiry (8 bytes, float64 epoch ms) followed by the session bytes,
 * so an old cookie stops opening once it expires, whatever the browser does with it. The
 * version byte and key id are authenticated as additional data.
 *
 * Keys are derived from each secret with HKDF-SHA256, so a secret that also signs ids
 * elsewhere never serves as a raw AES key. Random 96-bit IVs keep collisions negligible
 * far beyond any cookie traffic before 2^32 seals per key (NIST's bound); rotating the
 * secret resets the count.
 *
 * With node:crypto everything here answers synchronously; with Web Crypto, sealing,
 * opening and deriving the keys answer with promises (`MaybePromise`).
 */
const VERSION = 0x01;
const KEY_ID_BYTES = 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const EXPIRY_BYTES = 8;
const HEADER_BYTES = 1 + KEY_ID_BYTES;
const OVERHEAD = HEADER_BYTES + IV_BYTES + TAG_BYTES + EXPIRY_BYTES;
const MIN_SECRET_LENGTH = 32;
/** Anything longer cannot be a cookie a browser sent. */
const MAX_VALUE_LENGTH = 8192;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const HKDF_INFO = 'sessionkit sealed cookie v1';
const encoder = new TextEncoder();

interface SealKey {
  /** version byte and key id: the additional data of every seal with this key. */
  header: Uint8Array;
  cipher: AesGcmKey;
}

export interface SealKeys {
  readonly sealing: SealKey;
  /** By key id in hex. */
  readonly byId: ReadonlyMap<string, SealKey>;
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');

/** Checks the secrets now (a misconfiguration fails at start-up) and derives their keys. */
export function createSealKeys(secrets: readonly (string | Uint8Array)[]): MaybePromise<SealKeys> {
  if (secrets.length === 0) throw new TypeError('sealing needs at least one secret.');
  const materials = secrets.map((secret, index) => {
    const material = typeof secret === 'string' ? encoder.encode(secret) : new Uint8Array(secret);
    if (material.length < MIN_SECRET_LENGTH) {
      throw new TypeError(`sealing secret ${index + 1} is ${material.length} bytes; use at least ${MIN_SECRET_LENGTH} random characters.`);
    }
    return material;
  });
  if (new Set(materials.map(hex)).size !== materials.length) throw new TypeError('sealing secrets must differ from each other; one is listed twice.');
  const derived = materials.map((material) => primitives.hkdfSha256(material, HKDF_INFO, 32));
  // node:crypto derives synchronously, Web Crypto with promises: never a mix.
  return primitives.synchronous ? keysFrom(derived as Uint8Array[]) : Promise.all(derived as Promise<Uint8Array>[]).then(keysFrom);
}

function keysFrom(derived: readonly Uint8Array[]): SealKeys {
  const byId = new Map<string, SealKey>();
  const keys = derived.map((key) => {
    const header = new Uint8Array(HEADER_BYTES);
    header[0] = VERSION;
    header.set(primitives.sha256(key).subarray(0, KEY_ID_BYTES), 1);
    const sealKey = { header, cipher: primitives.aesGcm(key) };
    // Two secrets whose keys share a 4-byte id: one could not be told from the other.
    const id = hex(header.subarray(1));
    if (byId.has(id)) throw new TypeError('two sealing secrets derive keys with the same id; replace one of them.');
    byId.set(id, sealKey);
    return sealKey;
  });
  return { sealing: keys[0]!, byId };
}

export function seal(keys: SealKeys, plaintext: Uint8Array, expiresAt: number): MaybePromise<string> {
  const { header, cipher } = keys.sealing;
  const iv = primitives.randomBytes(IV_BYTES);
  const expiry = new Uint8Array(EXPIRY_BYTES);
  new DataView(expiry.buffer).setFloat64(0, expiresAt);
  const body = cipher.seal(iv, header, [expiry, plaintext]);
  return body instanceof Promise ? body.then((sealed) => sealedValue(header, iv, sealed)) : sealedValue(header, iv, body);
}

function sealedValue(header: Uint8Array, iv: Uint8Array, sealed: Uint8Array): string {
  const value = new Uint8Array(HEADER_BYTES + IV_BYTES + sealed.length);
  value.set(header);
  value.set(iv, HEADER_BYTES);
  value.set(sealed, HEADER_BYTES + IV_BYTES);
  return primitives.toBase64url(value);
}

export interface Unsealed {
  plaintext: Uint8Array;
  expiresAt: number;
}

/** The bytes of a value shaped as a seal of ours (canonical base64url, long enough, our version), or undefined. */
function sealBytes(value: string): Uint8Array | undefined {
  if (value.length > MAX_VALUE_LENGTH || !BASE64URL.test(value)) return undefined;
  const bytes = primitives.fromBase64url(value);
  // Only the canonical spelling: the decoder ignores spare bits, so look-alikes decode alike.
  return bytes.length < OVERHEAD || primitives.toBase64url(bytes) !== value || bytes[0] !== VERSION ? undefined : bytes;
}

/** Whether a cookie value is shaped as a seal (whatever its key and content): a `malformed` miss when not. */
export function sealShaped(value: string): boolean {
  return sealBytes(value) !== undefined;
}

export function unseal(keys: SealKeys, value: string, now = Date.now()): MaybePromise<Unsealed | undefined> {
  const bytes = sealBytes(value);
  if (!bytes) return undefined;
  const sealKey = keys.byId.get(hex(bytes.subarray(1, HEADER_BYTES)));
  if (!sealKey) return undefined;
  const opened = sealKey.cipher.open(bytes.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES), bytes.subarray(0, HEADER_BYTES), bytes.subarray(HEADER_BYTES + IV_BYTES));
  return opened instanceof Promise ? opened.then((plain) => unsealed(plain, now)) : unsealed(opened, now);
}

function unsealed(opened: Uint8Array | undefined, now: number): Unsealed | undefined {
  // Wrong key, tampered or truncated (the tag does not verify), or expired.
  if (!opened || opened.length < EXPIRY_BYTES) return undefined;
  const expiresAt = new DataView(opened.buffer, opened.byteOffset, EXPIRY_BYTES).getFloat64(0);
  if (!(expiresAt > now)) return undefined;
  return { plaintext: opened.subarray(EXPIRY_BYTES), expiresAt };
}

/** Characters of the value `seal` makes from `plaintextBytes` bytes. */
export function sealedLength(plaintextBytes: number): number {
  return Math.ceil(((plaintextBytes + OVERHEAD) * 4) / 3);
}
