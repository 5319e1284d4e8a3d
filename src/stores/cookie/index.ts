import { MOST_COOKIE_CHUNKS, type Carrier, type CarrierSource } from '../../core/carrier.js';
import { SessionConfigError } from '../../core/errors.js';
import { SealedCarrier } from './sealed-carrier.js';
import { createSealKeys } from './seal.js';

export interface CookieStoreOptions {
  /**
   * Secrets the session is sealed with (at least 32 characters each): the first seals,
   * all open, so keys rotate without logging anyone out.
   * @default the engine's `secret`
   */
  secret?: string | readonly string[];
  /**
   * Largest Set-Cookie header allowed. Browsers keep about 4096 bytes per cookie and drop
   * larger ones silently; sessionkit refuses to send one instead, with an error naming the
   * size.
   * @default 4096
   */
  maxCookieBytes?: number;
  /**
   * A session too big for one cookie is split over `name.0`, `name.1`, … cookies, each within
   * `maxCookieBytes`; one that fits stays a single `name` cookie. Chunks a smaller session no
   * longer needs are deleted. Off by default.
   * @default false
   */
  chunk?: boolean;
  /**
   * With `chunk`: the most cookies one session may take (2 to 16). Every request carries them
   * all, and servers limit request headers (Node: 16 KiB for all of them, nginx and Apache:
   * 8 KiB a header), so a session needing more is refused with an error naming this option.
   * @default 3 (about 12 KB of cookies)
   */
  maxChunks?: number;
}

const DEFAULT_MAX_CHUNKS = 3;

/**
 * The whole session in the cookie, encrypted and authenticated (AES-256-GCM, see
 * ../seal.ts), with its expiry sealed inside so an old stolen cookie stops working:
 * flask-session-plus's `secure_cookie`. No server-side storage at all.
 *
 *     app.use(sessionkit({ store: cookieStore({ secret: process.env.SESSION_SECRET }) }));
 *
 * What it cannot do, by its nature: a copy of a cookie stays valid until it expires even
 * after logout, destroy() or regenerate() (the server keeps no record to delete), unless
 * the engine has `userField` and `revocations`, which refuse a signed-in cookie left behind;
 * and the session must fit in about 4 KB (with `chunk: true`, in `maxChunks` cookies of about
 * 4 KB). Keep large or sensitive data server-side.
 *
 * It is not a {@link Store}: nothing is stored anywhere. It is a carrier source — it tells
 * the engine how the cookie itself carries the session (see core/carrier.ts) — and is
 * accepted wherever a store is.
 */
export class CookieStore implements CarrierSource {
  readonly name = 'cookie';
  readonly maxCookieBytes: number;
  /** With `chunk`: the most cookies a session is split over; undefined: one cookie. */
  readonly maxChunks: number | undefined;
  readonly #secrets: readonly string[] | undefined;

  constructor(options: CookieStoreOptions = {}) {
    this.#secrets = options.secret === undefined ? undefined : typeof options.secret === 'string' ? [options.secret] : [...options.secret];
    const max = options.maxCookieBytes ?? 4096;
    if (!Number.isInteger(max) || max < 256) {
      throw new SessionConfigError(`cookieStore: maxCookieBytes must be an integer of at least 256, got ${String(options.maxCookieBytes)}.`);
    }
    this.maxCookieBytes = max;
    this.maxChunks = chunksOf(options);
  }

  /** The carrier, sealing with this store's secrets, or else the engine's. */
  createCarrier(engineSecrets: readonly string[]): Carrier {
    const secrets = this.#secrets ?? engineSecrets;
    if (secrets.length === 0) {
      throw new SessionConfigError('the cookie store needs a secret to seal sessions: pass cookieStore({ secret }) or the engine\'s `secret`.');
    }
    try {
      return new SealedCarrier(createSealKeys(secrets), { maxCookieBytes: this.maxCookieBytes, maxChunks: this.maxChunks });
    } catch (error) {
      throw new SessionConfigError(`cookieStore: ${(error as Error).message}`);
    }
  }
}

/** `maxChunks` checked against `chunk`: undefined without chunking. */
function chunksOf(options: CookieStoreOptions): number | undefined {
  if (options.chunk !== true) {
    if (options.maxChunks !== undefined) throw new SessionConfigError('cookieStore: maxChunks needs chunk: true; add it, or remove maxChunks.');
    return undefined;
  }
  const chunks = options.maxChunks ?? DEFAULT_MAX_CHUNKS;
  if (!Number.isInteger(chunks) || chunks < 2 || chunks > MOST_COOKIE_CHUNKS) {
    throw new SessionConfigError(`cookieStore: maxChunks must be an integer from 2 to ${MOST_COOKIE_CHUNKS}, got ${String(options.maxChunks)}.`);
  }
  return chunks;
}

export function cookieStore(options?: CookieStoreOptions): CookieStore {
  return new CookieStore(options);
}
