/**
 * What the core needs of cryptography. Two implementations answer to it, chosen by the
 * package's `#crypto` import conditions (package.json `imports`): `node.ts` on runtimes
 * with node:crypto (Node, Bun, Deno), whose operations answer synchronously, and `web.ts`
 * on every other runtime (Cloudflare Workers, browsers' workers), on Web Crypto, whose
 * keyed operations answer with promises. Callers handle both through `MaybePromise`, so
 * that Node's request path takes no promise turn it did not take before.
 */
export type MaybePromise<T> = T | Promise<T>;

/** AES-256-GCM with one key. */
export interface AesGcmKey {
  /** The ciphertext of the parts, in order, followed by the 16-byte tag. */
  seal(iv: Uint8Array, additionalData: Uint8Array, plaintext: readonly Uint8Array[]): MaybePromise<Uint8Array>;
  /** The plaintext of `sealed` (ciphertext + tag), or undefined when it does not authenticate. */
  open(iv: Uint8Array, additionalData: Uint8Array, sealed: Uint8Array): MaybePromise<Uint8Array | undefined>;
}

export interface CryptoPrimitives {
  /** The runtime's name for these, in messages: 'node:crypto' or 'Web Crypto'. */
  readonly name: string;
  /** Every keyed operation (HMAC, HKDF, AES-GCM) answers without a promise. */
  readonly synchronous: boolean;
  /** Bytes from the cryptographically secure generator. */
  randomBytes(length: number): Uint8Array;
  /** `length` random bytes written as unpadded base64url: a session id, a lock token. */
  randomText(length: number): string;
  /** A signer with one key: HMAC-SHA256 of the text's UTF-8 bytes, as unpadded base64url. */
  hmacSha256(key: Uint8Array): (text: string) => MaybePromise<string>;
  /** HKDF-SHA256 with an empty salt. */
  hkdfSha256(material: Uint8Array, info: string, length: number): MaybePromise<Uint8Array>;
  aesGcm(key: Uint8Array): AesGcmKey;
  /**
   * SHA-256, synchronous everywhere: it names records (a user's index key, a session's
   * handle) in code that decides synchronously, and hashes no secret.
   */
  sha256(data: string | Uint8Array): Uint8Array;
  /** Byte-for-byte equality of encodings (not secrets: it may stop at the first difference). */
  equalBytes(a: Uint8Array, b: Uint8Array): boolean;
  toBase64url(bytes: Uint8Array): string;
  /** Decodes base64url; callers check the canonical spelling themselves. */
  fromBase64url(text: string): Uint8Array;
}
