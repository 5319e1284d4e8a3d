import { createCipheriv, createDecipheriv, createHash, createHmac, createSecretKey, hkdfSync, randomBytes, randomFillSync } from 'node:crypto';
import type { CryptoPrimitives } from './primitives.js';

const NO_SALT = new Uint8Array(0);
const TAG_BYTES = 16;

/** The primitives on node:crypto (Node, Bun, Deno): native and synchronous. */
export const primitives: CryptoPrimitives = {
  name: 'node:crypto',
  synchronous: true,
  // A plain Uint8Array of its own: stores may keep it, and a Buffer can be a view of a shared pool.
  randomBytes: (length) => randomFillSync(new Uint8Array(length)),
  randomText: (length) => randomBytes(length).toString('base64url'),
  hmacSha256(key) {
    const secret = createSecretKey(key);
    return (text) => createHmac('sha256', secret).update(text).digest('base64url');
  },
  hkdfSha256: (material, info, length) => new Uint8Array(hkdfSync('sha256', material, NO_SALT, info, length)),
  aesGcm(key) {
    const secret = createSecretKey(key);
    return {
      seal(iv, additionalData, plaintext) {
        const cipher = createCipheriv('aes-256-gcm', secret, iv);
        cipher.setAAD(additionalData);
        const parts = plaintext.map((part) => cipher.update(part));
        return Buffer.concat([...parts, cipher.final(), cipher.getAuthTag()]);
      },
      open(iv, additionalData, sealed) {
        if (sealed.length < TAG_BYTES) return undefined;
        try {
          const decipher = createDecipheriv('aes-256-gcm', secret, iv);
          decipher.setAAD(additionalData);
          decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
          return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
        } catch {
          return undefined; // forged, truncated, or sealed with another key
        }
      },
    };
  },
  sha256: (data) => createHash('sha256').update(data).digest(),
  // memcmp: the session's encoding is compared with what was loaded on every request.
  equalBytes: (a, b) => a.length === b.length && Buffer.compare(a, b) === 0,
  toBase64url: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url'),
  fromBase64url: (text) => Buffer.from(text, 'base64url'),
};
