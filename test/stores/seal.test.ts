import { createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSealKeys, seal, sealedLength, unseal, type SealKeys } from '../../src/stores/cookie/seal.js';

/**
 * What src/seal.ts promises, byte by byte. Its layout (then base64url, no padding):
 *   version (1) | key id (4) | IV (12) | AES-256-GCM ciphertext of [expiry (8) | plaintext] | tag (16)
 * so a sealed value is exactly 41 bytes longer than its plaintext before encoding.
 */
const OVERHEAD_BYTES = 1 + 4 + 12 + 8 + 16;
const KEY_ID = { from: 1, to: 5 };
const A = 'seal-test-secret-A-0123456789abcdef';
const B = 'seal-test-secret-B-0123456789abcdef';
const C = 'seal-test-secret-C-0123456789abcdef';
const NOW = Date.UTC(2030, 0, 1);
const LATER = NOW + 60_000;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const keysA = await createSealKeys([A]);
const text = (value: string) => new TextEncoder().encode(value);
const opens = async (keys: SealKeys, value: string, now = NOW) => (await unseal(keys, value, now)) !== undefined;
const raw = (value: string) => Buffer.from(value, 'base64url');
const encode = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

describe('seal / unseal', () => {
  it('round-trips the plaintext and the expiry', async () => {
    for (const plaintext of [new Uint8Array(0), text('{"user":42}'), randomBytes(1), randomBytes(1000)]) {
      const sealed = await seal(keysA, plaintext, LATER);
      const opened = await unseal(keysA, sealed, NOW);
      expect(opened).toBeDefined();
      expect(Buffer.from(opened!.plaintext).equals(Buffer.from(plaintext))).toBe(true);
      expect(opened!.expiresAt).toBe(LATER);
    }
  });

  it('is canonical base64url without padding, and hides the plaintext', async () => {
    const sealed = await seal(keysA, text('secret-user-data'), LATER);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(encode(raw(sealed))).toBe(sealed);
    expect(raw(sealed).includes(Buffer.from('secret-user-data'))).toBe(false);
  });

  it('uses a fresh IV each time: the same plaintext seals differently, both open', async () => {
    const plaintext = text('same');
    const first = await seal(keysA, plaintext, LATER);
    const second = await seal(keysA, plaintext, LATER);
    expect(first).not.toBe(second);
    expect(raw(first).subarray(5, 17).equals(raw(second).subarray(5, 17))).toBe(false);
    expect(await opens(keysA, first) && await opens(keysA, second)).toBe(true);
  });

  it('every single-byte change of the sealed bytes makes it fail to open', async () => {
    const bytes = raw(await seal(keysA, text('flip me, every byte'), LATER));
    let tried = 0;
    for (let index = 0; index < bytes.length; index++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const flipped = Buffer.from(bytes);
        flipped[index]! ^= mask;
        expect(await opens(keysA, encode(flipped)), `byte ${index} ^ ${mask}`).toBe(false);
        tried++;
      }
    }
    expect(tried).toBe(bytes.length * 3);
  });

  it('every single-character change of the sealed text makes it fail to open', async () => {
    const sealed = await seal(keysA, text('flip me, every character'), LATER);
    for (let index = 0; index < sealed.length; index++) {
      const replacement = ALPHABET[(ALPHABET.indexOf(sealed[index]!) + 1) % ALPHABET.length]!;
      const changed = sealed.slice(0, index) + replacement + sealed.slice(index + 1);
      expect(await opens(keysA, changed), `character ${index}`).toBe(false);
    }
  });

  it('truncation fails, whether of the text or of the bytes, at every length', async () => {
    const sealed = await seal(keysA, text('cut me short'), LATER);
    const bytes = raw(sealed);
    for (let length = 0; length < sealed.length; length++) {
      expect(await opens(keysA, sealed.slice(0, length)), `first ${length} characters`).toBe(false);
      expect(await opens(keysA, sealed.slice(sealed.length - length)), `last ${length} characters`).toBe(false);
    }
    for (let length = 0; length < bytes.length; length++) {
      expect(await opens(keysA, encode(bytes.subarray(0, length))), `first ${length} bytes`).toBe(false);
    }
    // Dropping one byte from the middle (the ciphertext) also fails.
    const middle = Math.floor(bytes.length / 2);
    expect(await opens(keysA, encode(Buffer.concat([bytes.subarray(0, middle), bytes.subarray(middle + 1)])))).toBe(false);
    // Appending bytes fails too: the tag is read from the end.
    expect(await opens(keysA, encode(Buffer.concat([bytes, Buffer.from([0])])))).toBe(false);
  });

  it('a value sealed with another key does not open, even under that key id', async () => {
    const keysB = await createSealKeys([B]);
    const sealedByB = await seal(keysB, text('from B'), LATER);
    expect(await opens(keysB, sealedByB)).toBe(true);
    expect(await opens(keysA, sealedByB)).toBe(false);
    // Relabel B's seal with A's key id: the header is authenticated and A's key differs.
    const relabelled = raw(sealedByB);
    raw(await seal(keysA, text('x'), LATER)).copy(relabelled, KEY_ID.from, KEY_ID.from, KEY_ID.to);
    expect(await opens(keysA, encode(relabelled))).toBe(false);
    expect(await opens(await createSealKeys([A, B]), encode(relabelled))).toBe(false);
  });

  it('rotates keys: the first key seals, every listed key opens', async () => {
    const onlyB = await createSealKeys([B]);
    const rotated = await createSealKeys([A, B]);
    const old = await seal(onlyB, text('sealed before rotation'), LATER);
    const opened = await unseal(rotated, old, NOW);
    expect(Buffer.from(opened!.plaintext).toString()).toBe('sealed before rotation');

    const fresh = await seal(rotated, text('sealed after rotation'), LATER);
    expect(raw(fresh).subarray(KEY_ID.from, KEY_ID.to).equals(raw(await seal(keysA, text('x'), LATER)).subarray(KEY_ID.from, KEY_ID.to))).toBe(true);
    expect(await opens(keysA, fresh)).toBe(true);
    expect(await opens(onlyB, fresh)).toBe(false);
    // Once B is dropped, what B sealed stops opening; a key never listed opens nothing.
    expect(await opens(await createSealKeys([C, A]), old)).toBe(false);
    expect(await opens(await createSealKeys([C]), fresh)).toBe(false);
  });

  it('string and byte secrets with the same content are the same key', async () => {
    const sealed = await seal(keysA, text('interop'), LATER);
    expect(await opens(await createSealKeys([Buffer.from(A, 'utf8')]), sealed)).toBe(true);
    expect(await opens(await createSealKeys([new Uint8Array(Buffer.from(A, 'utf8'))]), sealed)).toBe(true);
  });

  it('the expiry is sealed inside: intact bytes stop opening at the expiry', async () => {
    const sealed = await seal(keysA, text('short-lived'), NOW + 1000);
    expect(await opens(keysA, sealed, NOW)).toBe(true);
    expect(await opens(keysA, sealed, NOW + 999)).toBe(true);
    expect(await opens(keysA, sealed, NOW + 1000)).toBe(false); // at the expiry it is gone
    expect(await opens(keysA, sealed, NOW + 1001)).toBe(false);
    expect(await opens(keysA, sealed, NOW + 365 * 86_400_000)).toBe(false);
    // The default `now` is the clock: a seal that expired a moment ago is refused.
    expect(await unseal(keysA, await seal(keysA, text('gone'), Date.now() - 1))).toBeUndefined();
    expect(await unseal(keysA, await seal(keysA, text('fine'), Date.now() + 60_000))).toBeDefined();
  });

  it('an expiry that is not a number in the future never opens', async () => {
    for (const expiresAt of [Number.NaN, Number.NEGATIVE_INFINITY, 0, -1]) {
      expect(await opens(keysA, await seal(keysA, text('x'), expiresAt)), String(expiresAt)).toBe(false);
    }
    expect(await opens(keysA, await seal(keysA, text('x'), Number.POSITIVE_INFINITY))).toBe(true);
  });

  it('rejects non-canonical spellings of a valid seal', async () => {
    // 2 + 41 = 43 bytes sealed, not a multiple of 3: 58 characters, the last of which carries
    // 2 bits of data and 4 spare bits. Seal until the value also has a '-' or '_' in it.
    const plaintext = text('ab');
    let sealed = await seal(keysA, plaintext, LATER);
    for (let attempt = 0; attempt < 200 && !/[-_]/.test(sealed); attempt++) sealed = await seal(keysA, plaintext, LATER);
    expect((plaintext.length + OVERHEAD_BYTES) % 3).not.toBe(0);
    expect(await opens(keysA, sealed)).toBe(true);

    const last = ALPHABET.indexOf(sealed.at(-1)!);
    const spareBits = (plaintext.length + OVERHEAD_BYTES) % 3 === 1 ? 0b1111 : 0b11;
    expect(last & spareBits).toBe(0); // canonical: the spare bits are zero
    const lookAlike = sealed.slice(0, -1) + ALPHABET[last | 1]!;
    // The decoder ignores the spare bits, so the look-alike decodes to the very same bytes ...
    expect(raw(lookAlike).equals(raw(sealed))).toBe(true);
    // ... and unseal still refuses it: one seal has one spelling.
    expect(await opens(keysA, lookAlike)).toBe(false);

    const standard = sealed.replaceAll('-', '+').replaceAll('_', '/');
    expect(standard).not.toBe(sealed);
    expect(raw(standard).equals(raw(sealed))).toBe(true); // Node's decoder accepts both alphabets
    const padded = `${sealed}${'='.repeat((4 - (sealed.length % 4)) % 4)}`;
    expect(padded).not.toBe(sealed);
    for (const variant of [standard, padded, `${sealed}=`, `${sealed}A`, ` ${sealed}`, `${sealed}\n`, `${sealed.slice(0, 10)}.${sealed.slice(10)}`]) {
      expect(await opens(keysA, variant), JSON.stringify(variant.slice(-3))).toBe(false);
    }
  });

  it('empty input, garbage and foreign values are refused without throwing', async () => {
    const bytes = raw(await seal(keysA, text('x'), LATER));
    const sameHeaderRandomRest = Buffer.concat([bytes.subarray(0, KEY_ID.to), randomBytes(bytes.length - KEY_ID.to)]);
    const otherVersion = Buffer.from(bytes);
    otherVersion[0] = 0x02;
    const inputs = [
      '',
      'garbage',
      'A',
      'AA',
      '====',
      '%%%',
      'ключ',
      '\u0000'.repeat(60),
      'A'.repeat(60),
      'A'.repeat(10_000),
      randomBytes(200).toString('base64url'),
      encode(sameHeaderRandomRest),
      encode(otherVersion),
      encode(Buffer.alloc(OVERHEAD_BYTES)),
    ];
    for (const input of inputs) {
      await expect(Promise.resolve().then(() => unseal(keysA, input, NOW))).resolves.toBeUndefined();
      expect(await unseal(keysA, input, NOW), JSON.stringify(input.slice(0, 20))).toBeUndefined();
    }
  });

  it('is compact: exactly 41 bytes over the plaintext, base64url without padding', async () => {
    for (const size of [0, 1, 2, 3, 10, 100, 1000, 3000]) {
      const sealed = await seal(keysA, randomBytes(size), LATER);
      expect(raw(sealed).length - size).toBe(OVERHEAD_BYTES);
      // base64url of n bytes is ceil(4n/3) characters: no padding, no separators.
      expect(sealed.length).toBe(Math.ceil(((size + OVERHEAD_BYTES) * 4) / 3));
      expect(sealedLength(size)).toBe(sealed.length);
      // So the cookie value is at most 4/3 of the plaintext plus 55 characters.
      expect(sealed.length).toBeLessThanOrEqual((size * 4) / 3 + 55.67);
    }
  });

  it('refuses values longer than any cookie (over 8192 characters) without decoding them', async () => {
    // ceil(4 (n + 41) / 3) <= 8192 for n <= 6103.
    const largest = await seal(keysA, randomBytes(6103), LATER);
    expect(largest.length).toBe(8192);
    expect(await opens(keysA, largest)).toBe(true);
    const tooLong = await seal(keysA, randomBytes(6104), LATER);
    expect(tooLong.length).toBeGreaterThan(8192);
    expect(await opens(keysA, tooLong)).toBe(false);
  });
});

describe('createSealKeys', () => {
  it('needs at least one secret of at least 32 bytes, and names the short one', async () => {
    expect(() => createSealKeys([])).toThrow(/at least one secret/);
    expect(() => createSealKeys([A, 'short'])).toThrow(/secret 2 is 5 bytes; use at least 32/);
    expect(() => createSealKeys(['x'.repeat(31)])).toThrow(/secret 1 is 31 bytes/);
    expect(() => createSealKeys(['x'.repeat(32)])).not.toThrow();
  });

  it('refuses the same secret listed twice', async () => {
    expect(() => createSealKeys([A, B, A])).toThrow(/listed twice/);
    expect(() => createSealKeys([A, Buffer.from(A)])).toThrow(/listed twice/);
  });

  it('derives the AES key: the raw secret as an AES-256-GCM key opens nothing', async () => {
    // A 32-byte secret could be used as the AES key directly; HKDF means it is not.
    const secret = 'k'.repeat(32);
    const keys = await createSealKeys([secret]);
    const bytes = raw(await seal(keys, text('derived'), LATER));
    const decipher = createDecipheriv('aes-256-gcm', Buffer.from(secret), bytes.subarray(5, 17));
    decipher.setAAD(bytes.subarray(0, 5));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    decipher.update(bytes.subarray(17, bytes.length - 16));
    expect(() => decipher.final()).toThrow();
  });
});
