import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { setBounded } from './bounded-map.js';

/** Length in characters of `bytes` random bytes written as unpadded base64url. */
export function encodedIdLength(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}

/** A new session id: `bytes` bytes from the crypto RNG, base64url without padding. */
export function generateId(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{43}$/; // HMAC-SHA256 output, base64url
/** Verified cookie values remembered, so a returning client costs a map lookup, not an HMAC. */
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * Reads and writes the cookie value that carries a session id: the bare id, or with
 * secrets, `id.signature` where the signature is HMAC-SHA256 of the id. The first
 * secret signs; every secret verifies, so keys can be rotated without logging anyone out.
 */
export class IdCodec {
  readonly #keys: KeyObject[];
  readonly #idPattern: RegExp;
  // Only values whose signature verified get in: a hit means this exact value was
  // checked before with these keys, so nothing an attacker sends can be trusted by it.
  readonly #verified = new Map<string, string>();
  // The reverse, for values signed with the first secret: re-sending a returning client's
  // cookie (every refresh or change) costs a lookup, not an HMAC.
  readonly #signedById = new Map<string, string>();

  constructor(idBytes: number, secrets: readonly string[]) {
    this.#keys = secrets.map((secret) => createSecretKey(Buffer.from(secret, 'utf8')));
    this.#idPattern = new RegExp(`^[A-Za-z0-9_-]{${encodedIdLength(idBytes)}}$`);
  }

  get signed(): boolean {
    return this.#keys.length > 0;
  }

  /** The cookie value for an id. */
  encode(id: string): string {
    const key = this.#keys[0];
    if (!key) return id;
    const known = this.#signedById.get(id);
    if (known !== undefined) return known;
    const value = `${id}.${sign(key, id)}`;
    this.#remember(value, id, true);
    return value;
  }

  /**
   * The id carried by a cookie value, or undefined when the value is malformed, has the
   * wrong length, is unsigned where a signature is required, or its signature matches
   * no secret. Never throws: a bad cookie is simply no session.
   */
  decode(value: string | undefined): string | undefined {
    if (!value) return undefined;
    if (!this.signed) return this.#idPattern.test(value) ? value : undefined;
    const known = this.#verified.get(value);
    if (known !== undefined) return known;
    const dot = value.indexOf('.');
    if (dot < 0) return undefined;
    const id = value.slice(0, dot);
    const signature = value.slice(dot + 1);
    if (!this.#idPattern.test(id) || !SIGNATURE_PATTERN.test(signature)) return undefined;
    // Compare the text, not decoded bytes: base64 decoders ignore the spare bits of the
    // last character, so several spellings decode alike and only the canonical one is ours.
    const given = Buffer.from(signature);
    for (const [index, key] of this.#keys.entries()) {
      if (timingSafeEqual(given, Buffer.from(sign(key, id)))) {
        this.#remember(value, id, index === 0);
        return id;
      }
    }
    return undefined;
  }

  #remember(value: string, id: string, signedWithFirstKey: boolean): void {
    setBounded(this.#verified, value, id, VERIFIED_CACHE_SIZE);
    if (signedWithFirstKey) setBounded(this.#signedById, id, value, VERIFIED_CACHE_SIZE);
  }
}

function sign(key: KeyObject, id: string): string {
  return createHmac('sha256', key).update(id).digest('base64url');
}
