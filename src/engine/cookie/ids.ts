import { primitives } from '#crypto';
import { setBounded } from '../../core/bounded-map.js';
import type { MaybePromise } from '../../crypto/primitives.js';
import { equalText } from '../../crypto/equal.js';

/** Length in characters of `bytes` random bytes written as unpadded base64url. */
export function encodedIdLength(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}

/** A new session id: `bytes` bytes from the crypto RNG, base64url without padding. */
export function generateId(bytes: number): string {
  return primitives.randomText(bytes);
}

const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{43}$/; // HMAC-SHA256 output, base64url
/** Verified cookie values remembered, so a returning client costs a map lookup, not an HMAC. */
const VERIFIED_CACHE_SIZE = 10_000;
const encoder = new TextEncoder();

type Signer = (id: string) => MaybePromise<string>;

/**
 * Reads and writes the cookie value that carries a session id: the bare id, or with
 * secrets, `id.signature` where the signature is HMAC-SHA256 of the id. The first
 * secret signs; every secret verifies, so keys can be rotated without logging anyone out.
 * With node:crypto every answer is synchronous; with Web Crypto a value not seen before
 * is answered with a promise (`synchronous` says which).
 */
export class IdCodec {
  /** Every answer comes without a promise: with node:crypto, or without secrets (nothing to verify). */
  readonly synchronous: boolean;
  readonly #signers: Signer[];
  readonly #idPattern: RegExp;
  // Only values whose signature verified get in: a hit means this exact value was
  // checked before with these keys, so nothing an attacker sends can be trusted by it.
  readonly #verifiedValues = new Map<string, string>();
  // The reverse, for values signed with the first secret: re-sending a returning client's
  // cookie (every refresh or change) costs a lookup, not an HMAC.
  readonly #signedById = new Map<string, string>();

  constructor(idBytes: number, secrets: readonly string[]) {
    this.#signers = secrets.map((secret) => primitives.hmacSha256(encoder.encode(secret)));
    this.#idPattern = new RegExp(`^[A-Za-z0-9_-]{${encodedIdLength(idBytes)}}$`);
    this.synchronous = primitives.synchronous || secrets.length === 0;
  }

  get signed(): boolean {
    return this.#signers.length > 0;
  }

  /** The cookie value for an id. */
  encode(id: string): MaybePromise<string> {
    const signer = this.#signers[0];
    if (!signer) return id;
    const known = this.#signedById.get(id);
    if (known !== undefined) return known;
    const signature = signer(id);
    return typeof signature === 'string' ? this.#signedValue(id, signature) : signature.then((text) => this.#signedValue(id, text));
  }

  /**
   * The id carried by a cookie value, or undefined when the value is malformed, has the
   * wrong length, is unsigned where a signature is required, or its signature matches
   * no secret. Never throws (nor rejects): a bad cookie is simply no session.
   */
  decode(value: string | undefined): MaybePromise<string | undefined> {
    if (!value) return undefined;
    if (!this.signed) return this.#idPattern.test(value) ? value : undefined;
    const known = this.#verifiedValues.get(value);
    if (known !== undefined) return known;
    const dot = value.indexOf('.');
    if (dot < 0) return undefined;
    const id = value.slice(0, dot);
    const signature = value.slice(dot + 1);
    if (!this.#idPattern.test(id) || !SIGNATURE_PATTERN.test(signature)) return undefined;
    return this.#verify(value, id, signature, 0);
  }

  /**
   * Why `decode` refuses a value, or undefined when it does not: `malformed` when it is not
   * an id (with its signature) in shape, `forged` when its signature matches no secret.
   * Asked only to explain a miss (the `missed` event), never on a request's own path.
   */
  refusal(value: string): MaybePromise<'malformed' | 'forged' | undefined> {
    const dot = value.indexOf('.');
    const shaped = this.signed ? dot >= 0 && this.#idPattern.test(value.slice(0, dot)) && SIGNATURE_PATTERN.test(value.slice(dot + 1)) : this.#idPattern.test(value);
    if (!shaped) return 'malformed';
    const id = this.decode(value);
    if (typeof id === 'object') return id.then((verified) => (verified === undefined ? 'forged' : undefined));
    return id === undefined ? 'forged' : undefined;
  }

  // Compares the text, not decoded bytes: base64 decoders ignore the spare bits of the
  // last character, so several spellings decode alike and only the canonical one is ours.
  #verify(value: string, id: string, given: string, from: number): MaybePromise<string | undefined> {
    for (let index = from; index < this.#signers.length; index++) {
      const expected = this.#signers[index]!(id);
      if (typeof expected !== 'string') {
        return expected.then((text) => (equalText(given, text) ? this.#verified(value, id, index) : this.#verify(value, id, given, index + 1)));
      }
      if (equalText(given, expected)) return this.#verified(value, id, index);
    }
    return undefined;
  }

  /** A cookie value whose signature matched the key at `index`: remembered, so that its next request checks nothing. */
  #verified(value: string, id: string, index: number): string {
    setBounded(this.#verifiedValues, value, id, VERIFIED_CACHE_SIZE);
    if (index === 0) setBounded(this.#signedById, id, value, VERIFIED_CACHE_SIZE);
    return id;
  }

  #signedValue(id: string, signature: string): string {
    const value = `${id}.${signature}`;
    setBounded(this.#verifiedValues, value, id, VERIFIED_CACHE_SIZE);
    setBounded(this.#signedById, id, value, VERIFIED_CACHE_SIZE);
    return value;
  }
}
