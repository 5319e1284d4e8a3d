import { fromBase64url, toBase64url } from './base64url.js';
import type { CryptoPrimitives } from './primitives.js';
import { sha256 } from './sha256.js';

type WebCrypto = typeof globalThis.crypto;
type WebCryptoKey = Awaited<ReturnType<WebCrypto['subtle']['importKey']>>;

const TAG_BITS = 128;
const encoder = new TextEncoder();

/** The global Web Crypto; every runtime sessionkit supports has it. */
function webCrypto(): WebCrypto {
  const crypto = globalThis.crypto as WebCrypto | undefined;
  if (!crypto?.subtle) throw new Error('sessionkit: this runtime has no Web Crypto (globalThis.crypto.subtle), which sessions need for ids and signatures.');
  return crypto;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const whole = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.length;
  }
  return whole;
}

/**
 * The primitives on Web Crypto (Cloudflare Workers and any runtime without node:crypto).
 * Keys are imported once, on first use; every keyed operation answers with a promise.
 */
export const primitives: CryptoPrimitives = {
  name: 'Web Crypto',
  synchronous: false,
  randomBytes: (length) => webCrypto().getRandomValues(new Uint8Array(length)),
  randomText: (length) => toBase64url(webCrypto().getRandomValues(new Uint8Array(length))),
  hmacSha256(key) {
    let imported: Promise<WebCryptoKey> | undefined;
    return async (text) => {
      imported ??= webCrypto().subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      return toBase64url(new Uint8Array(await webCrypto().subtle.sign('HMAC', await imported, encoder.encode(text))));
    };
  },
  async hkdfSha256(material, info, length) {
    const base = await webCrypto().subtle.importKey('raw', material, 'HKDF', false, ['deriveBits']);
    const bits = await webCrypto().subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: encoder.encode(info) }, base, length * 8);
    return new Uint8Array(bits);
  },
  aesGcm(key) {
    let imported: Promise<WebCryptoKey> | undefined;
    const cryptoKey = () => (imported ??= webCrypto().subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']));
    return {
      async seal(iv, additionalData, plaintext) {
        const sealed = await webCrypto().subtle.encrypt({ name: 'AES-GCM', iv, additionalData, tagLength: TAG_BITS }, await cryptoKey(), concat(plaintext));
        return new Uint8Array(sealed);
      },
      async open(iv, additionalData, sealed) {
        const key = await cryptoKey();
        try {
          return new Uint8Array(await webCrypto().subtle.decrypt({ name: 'AES-GCM', iv, additionalData, tagLength: TAG_BITS }, key, sealed));
        } catch {
          return undefined; // forged, truncated, or sealed with another key
        }
      },
    };
  },
  sha256,
  equalBytes(a, b) {
    if (a.length !== b.length) return false;
    for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
    return true;
  },
  toBase64url,
  fromBase64url,
};
