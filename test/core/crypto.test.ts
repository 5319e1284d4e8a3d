/**
 * The core's two crypto implementations (src/crypto/): node:crypto for Node, Bun and
 * Deno, Web Crypto (with our own SHA-256 and base64url) for every other runtime. Each must
 * give what the other gives, byte for byte, so that a session signed or sealed on one
 * runtime opens on another; node:crypto's own functions are the reference.
 */
import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { primitives as node } from '../../src/crypto/node.js';
import type { CryptoPrimitives } from '../../src/crypto/primitives.js';
import { primitives as web } from '../../src/crypto/web.js';

const both: [string, CryptoPrimitives][] = [
  ['node:crypto', node],
  ['Web Crypto', web],
];
/** Lengths around SHA-256's 64-byte blocks and its 9 bytes of padding, and base64's groups of 3. */
const LENGTHS = [0, 1, 2, 3, 4, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096];

describe('crypto primitives: node:crypto and Web Crypto agree', () => {
  it('SHA-256 of bytes and of text, at every length around the block boundaries', () => {
    for (const length of LENGTHS) {
      const bytes = randomBytes(length);
      const expected = createHash('sha256').update(bytes).digest('hex');
      for (const [name, crypto] of both) expect(Buffer.from(crypto.sha256(new Uint8Array(bytes))).toString('hex'), `${name}, ${length} bytes`).toBe(expected);
    }
    for (const text of ['', 'abc', 'ключ сессии', '🙂'.repeat(40), 'x'.repeat(1000)]) {
      const expected = createHash('sha256').update(text).digest('hex');
      for (const [name, crypto] of both) expect(Buffer.from(crypto.sha256(text)).toString('hex'), `${name}, ${JSON.stringify(text.slice(0, 8))}`).toBe(expected);
    }
  });

  it('base64url both ways, unpadded, at every length', () => {
    for (const length of LENGTHS) {
      const bytes = new Uint8Array(randomBytes(length));
      const expected = Buffer.from(bytes).toString('base64url');
      for (const [name, crypto] of both) {
        expect(crypto.toBase64url(bytes), `${name}, ${length} bytes`).toBe(expected);
        expect(Buffer.from(crypto.fromBase64url(expected)).equals(Buffer.from(bytes)), `${name} decodes ${length} bytes`).toBe(true);
      }
    }
    // Like Buffer, decoding stops at a character outside the alphabet (callers check patterns first).
    expect(Buffer.from(web.fromBase64url('AAEC.AwQ')).toString('hex')).toBe(Buffer.from('AAEC', 'base64url').toString('hex'));
  });

  it('HMAC-SHA256 as base64url, for keys and texts of several lengths', async () => {
    for (const keyLength of [1, 32, 64, 65, 200]) {
      const key = new Uint8Array(randomBytes(keyLength));
      for (const text of ['', 'a-session-id', 'ключ', 'x'.repeat(500)]) {
        const expected = createHmac('sha256', key).update(text).digest('base64url');
        for (const [name, crypto] of both) expect(await crypto.hmacSha256(key)(text), `${name}, key ${keyLength}`).toBe(expected);
      }
    }
  });

  it('HKDF-SHA256 with an empty salt', async () => {
    for (const length of [32, 1, 64]) {
      const material = new Uint8Array(randomBytes(40));
      const expected = Buffer.from(hkdfSync('sha256', material, new Uint8Array(0), 'sessionkit test', length)).toString('hex');
      for (const [name, crypto] of both) expect(Buffer.from(await crypto.hkdfSha256(material, 'sessionkit test', length)).toString('hex'), name).toBe(expected);
    }
  });

  it('AES-256-GCM: what one seals the other opens; any change, another key or other data opens nothing', async () => {
    const key = new Uint8Array(randomBytes(32));
    const iv = new Uint8Array(randomBytes(12));
    const additional = new Uint8Array([1, 2, 3, 4, 5]);
    const parts = [new Uint8Array(randomBytes(8)), new Uint8Array(randomBytes(300))];
    const whole = Buffer.concat(parts);
    for (const [sealer, from] of both) {
      const sealed = await from.aesGcm(key).seal(iv, additional, parts);
      expect(sealed.length, sealer).toBe(whole.length + 16);
      for (const [opener, to] of both) {
        const cipher = to.aesGcm(key);
        const opened = await cipher.open(iv, additional, sealed);
        expect(Buffer.from(opened!).equals(whole), `${sealer} → ${opener}`).toBe(true);
        const flipped = new Uint8Array(sealed);
        flipped[10]! ^= 1;
        expect(await cipher.open(iv, additional, flipped), `${opener}: a flipped bit`).toBeUndefined();
        expect(await cipher.open(iv, new Uint8Array([1, 2, 3, 4, 6]), sealed), `${opener}: other additional data`).toBeUndefined();
        expect(await cipher.open(iv, additional, sealed.subarray(0, 15)), `${opener}: shorter than a tag`).toBeUndefined();
        expect(await to.aesGcm(new Uint8Array(randomBytes(32))).open(iv, additional, sealed), `${opener}: another key`).toBeUndefined();
      }
    }
  });

  it('random bytes are plain Uint8Arrays of the asked length, and differ', () => {
    for (const [name, crypto] of both) {
      const a = crypto.randomBytes(32);
      expect(a.constructor, name).toBe(Uint8Array);
      expect(a.length).toBe(32);
      expect(Buffer.from(a).equals(Buffer.from(crypto.randomBytes(32))), name).toBe(false);
      expect(crypto.randomText(32), name).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(crypto.equalBytes(a, new Uint8Array(a)), name).toBe(true);
      expect(crypto.equalBytes(a, a.subarray(1)), name).toBe(false);
    }
  });

  it('node:crypto answers synchronously, Web Crypto with promises (which the engine must await)', () => {
    expect(node.synchronous).toBe(true);
    expect(typeof node.hmacSha256(new Uint8Array(32))('x')).toBe('string');
    expect(web.synchronous).toBe(false);
    expect(web.hmacSha256(new Uint8Array(32))('x')).toBeInstanceOf(Promise);
  });
});
