import { primitives } from '#crypto';
import type { AesGcmKey, MaybePromise } from './primitives.js';

/**
 * Keys derived from a list of secrets for AES-256-GCM, and the framing both users of them
 * share: the sealed cookie store (stores/cookie/seal.ts) and encryption at rest
 * (encryption/record-sealer.ts). The first secret's key seals, every secret's key opens, so
 * keys rotate without losing what the old ones sealed.
 *
 * Layout of a sealed value:
 *   version (1 byte, 0x01) | key id (4) | IV (12, random) | ciphertext | GCM tag (16)
 * The version byte and key id (the header) are authenticated as additional data, followed
 * by whatever the caller binds the value to (encryption at rest: the record's store key).
 *
 * Each user derives its keys with HKDF-SHA256 under its own `info` string, so a secret that
 * also signs ids, or seals cookies, never serves as a raw AES key and never gives the same
 * key to two purposes. The key id is the first 4 bytes of the SHA-256 of the derived key.
 * Random 96-bit IVs keep collisions negligible below 2^32 seals per key (NIST's bound);
 * rotating the secret resets the count.
 *
 * With node:crypto everything here answers synchronously; with Web Crypto, deriving,
 * sealing and opening answer with promises (`MaybePromise`).
 */
const VERSION = 0x01;
const KEY_ID_BYTES = 4;
export const HEADER_BYTES = 1 + KEY_ID_BYTES;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** What sealing adds to the plaintext. */
export const SEAL_OVERHEAD = HEADER_BYTES + IV_BYTES + TAG_BYTES;
const encoder = new TextEncoder();

interface RingKey {
  /** The version byte and key id: the start of every value this key seals. */
  readonly header: Uint8Array;
  readonly cipher: AesGcmKey;
}

export interface KeyRing {
  readonly sealing: RingKey;
  /** By key id in hex. */
  readonly byId: ReadonlyMap<string, RingKey>;
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');

/**
 * Checks the secrets now (a misconfiguration fails at start-up: a TypeError whose message
 * the caller prefixes with its option's name) and derives their keys under `info`.
 */
export function createKeyRing(secrets: readonly (string | Uint8Array)[], info: string, minSecretBytes: number): MaybePromise<KeyRing> {
  if (secrets.length === 0) throw new TypeError('sealing needs at least one secret.');
  const materials = secrets.map((secret, index) => {
    const material = typeof secret === 'string' ? encoder.encode(secret) : new Uint8Array(secret);
    if (material.length < minSecretBytes) {
      throw new TypeError(`sealing secret ${index + 1} is ${material.length} bytes; use at least ${minSecretBytes} random characters.`);
    }
    return material;
  });
  if (new Set(materials.map(hex)).size !== materials.length) throw new TypeError('sealing secrets must differ from each other; one is listed twice.');
  const derived = materials.map((material) => primitives.hkdfSha256(material, info, 32));
  // node:crypto derives synchronously, Web Crypto with promises: never a mix.
  return primitives.synchronous ? ringOf(derived as Uint8Array[]) : Promise.all(derived as Promise<Uint8Array>[]).then(ringOf);
}

function ringOf(derived: readonly Uint8Array[]): KeyRing {
  const byId = new Map<string, RingKey>();
  const keys = derived.map((key) => {
    const header = new Uint8Array(HEADER_BYTES);
    header[0] = VERSION;
    header.set(primitives.sha256(key).subarray(0, KEY_ID_BYTES), 1);
    const ringKey = { header, cipher: primitives.aesGcm(key) };
    // Two secrets whose keys share a 4-byte id: one could not be told from the other.
    const id = hex(header.subarray(1));
    if (byId.has(id)) throw new TypeError('two sealing secrets derive keys with the same id; replace one of them.');
    byId.set(id, ringKey);
    return ringKey;
  });
  return { sealing: keys[0]!, byId };
}

/** The header, and `boundTo` after it: the additional data of a seal. */
function associatedData(header: Uint8Array, boundTo: Uint8Array | undefined): Uint8Array {
  if (boundTo === undefined) return header;
  const data = new Uint8Array(HEADER_BYTES + boundTo.length);
  data.set(header);
  data.set(boundTo, HEADER_BYTES);
  return data;
}

/** The parts sealed in order with the ring's sealing key, bound to `boundTo` (which is not stored: the opener must give it again). */
export function sealParts(ring: KeyRing, parts: readonly Uint8Array[], boundTo?: Uint8Array): MaybePromise<Uint8Array> {
  const { header, cipher } = ring.sealing;
  const iv = primitives.randomBytes(IV_BYTES);
  const body = cipher.seal(iv, associatedData(header, boundTo), parts);
  return body instanceof Promise ? body.then((sealed) => framed(header, iv, sealed)) : framed(header, iv, body);
}

function framed(header: Uint8Array, iv: Uint8Array, sealed: Uint8Array): Uint8Array {
  const value = new Uint8Array(HEADER_BYTES + IV_BYTES + sealed.length);
  value.set(header);
  value.set(iv, HEADER_BYTES);
  value.set(sealed, HEADER_BYTES + IV_BYTES);
  return value;
}

/** Whether `bytes` could be a sealed value, of whichever key: the version byte, and room for the header, IV and tag. */
export function hasSealShape(bytes: Uint8Array): boolean {
  return bytes.length >= SEAL_OVERHEAD && bytes[0] === VERSION;
}

/** Whether `bytes` start as a value sealed by a key of the ring: the version byte and a known key id. */
export function hasRingHeader(ring: KeyRing, bytes: Uint8Array): boolean {
  return bytes.length >= HEADER_BYTES && bytes[0] === VERSION && ring.byId.has(hex(bytes.subarray(1, HEADER_BYTES)));
}

/**
 * The plaintext of a value sealed by a key of the ring and bound to `boundTo`; undefined
 * when it does not open: another key, another binding, tampered or truncated.
 */
export function openSealed(ring: KeyRing, bytes: Uint8Array, boundTo?: Uint8Array): MaybePromise<Uint8Array | undefined> {
  if (!hasSealShape(bytes)) return undefined;
  const ringKey = ring.byId.get(hex(bytes.subarray(1, HEADER_BYTES)));
  if (!ringKey) return undefined;
  const iv = bytes.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES);
  return ringKey.cipher.open(iv, associatedData(ringKey.header, boundTo), bytes.subarray(HEADER_BYTES + IV_BYTES));
}
