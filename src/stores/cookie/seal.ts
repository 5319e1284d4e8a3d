import { createCipheriv, createDecipheriv, createHash, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

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

interface SealKey {
  id: Buffer;
  key: KeyObject;
}

export interface SealKeys {
  readonly sealing: SealKey;
  readonly byId: ReadonlyMap<string, SealKey>;
}

export function createSealKeys(secrets: readonly (string | Uint8Array)[]): SealKeys {
  if (secrets.length === 0) throw new TypeError('sealing needs at least one secret.');
  const keys = secrets.map((secret, index) => {
    const material = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
    if (material.length < MIN_SECRET_LENGTH) {
      throw new TypeError(`sealing secret ${index + 1} is ${material.length} bytes; use at least ${MIN_SECRET_LENGTH} random characters.`);
    }
    const derived = Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), 'sessionkit sealed cookie v1', 32));
    return { id: createHash('sha256').update(derived).digest().subarray(0, KEY_ID_BYTES), key: createSecretKey(derived) };
  });
  const byId = new Map<string, SealKey>();
  for (const key of keys) {
    const id = key.id.toString('hex');
    if (byId.has(id)) throw new TypeError('sealing secrets must differ from each other; one is listed twice.');
    byId.set(id, key);
  }
  return { sealing: keys[0]!, byId };
}

export function seal(keys: SealKeys, plaintext: Uint8Array, expiresAt: number): string {
  const header = Buffer.concat([Buffer.from([VERSION]), keys.sealing.id]);
  const iv = randomBytes(IV_BYTES);
  const expiry = Buffer.alloc(EXPIRY_BYTES);
  expiry.writeDoubleBE(expiresAt);
  const cipher = createCipheriv('aes-256-gcm', keys.sealing.key, iv);
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(expiry), cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, iv, body, cipher.getAuthTag()]).toString('base64url');
}

export function unseal(keys: SealKeys, value: string, now = Date.now()): { plaintext: Uint8Array; expiresAt: number } | undefined {
  if (value.length > MAX_VALUE_LENGTH || !BASE64URL.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64url');
  // Only the canonical spelling: the decoder ignores spare bits, so look-alikes decode alike.
  if (bytes.length < OVERHEAD || bytes.toString('base64url') !== value || bytes[0] !== VERSION) return undefined;
  const sealKey = keys.byId.get(bytes.subarray(1, HEADER_BYTES).toString('hex'));
  if (!sealKey) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealKey.key, bytes.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES));
    decipher.setAAD(bytes.subarray(0, HEADER_BYTES));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const opened = Buffer.concat([decipher.update(bytes.subarray(HEADER_BYTES + IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
    const expiresAt = opened.readDoubleBE(0);
    if (!(expiresAt > now)) return undefined;
    return { plaintext: new Uint8Array(opened.buffer, opened.byteOffset + EXPIRY_BYTES, opened.length - EXPIRY_BYTES), expiresAt };
  } catch {
    return undefined; // wrong key, tampered or truncated: the tag does not verify
  }
}

/** Characters of the value `seal` makes from `plaintextBytes` bytes. */
export function sealedLength(plaintextBytes: number): number {
  return Math.ceil(((plaintextBytes + OVERHEAD) * 4) / 3);
}
