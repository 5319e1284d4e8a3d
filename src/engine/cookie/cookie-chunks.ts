import { parse } from 'cookie';
import { MOST_COOKIE_CHUNKS } from '../../core/carrier.js';
import type { Logger } from '../../core/logger.js';
import type { ResolvedCookieOptions } from '../options.js';
import { CookieWriter, utf8Length, type CookieLifetime, type CookieSettings } from './cookie-header.js';

/**
 * Sealed sessions past one cookie (`cookieStore({ chunk: true })`): the sealed value split
 * over `name.0`, `name.1`, …, each Set-Cookie (name, value and attributes) within
 * `maxCookieBytes`. Browsers count less against their 4096-byte limit (Chromium and Firefox
 * the name and value only, RFC 6265bis likewise), so a chunk within it is kept everywhere.
 * A session that fits one cookie stays the single `name` cookie: turning `chunk` on costs a
 * small session nothing and logs nobody out.
 *
 * The chunks are joined before the seal is opened, and AES-GCM authenticates the whole:
 * a chunk missing, extra, reordered or altered makes the seal fail, a fresh session.
 * Each commit deletes the cookies the browser no longer needs, known from the request's
 * Cookie header (and the commits earlier in the same request).
 */

/** What a session's state keeps of the cookies its browser holds (the engine's SessionState extends it). */
export interface HeldCookies {
  /** The browser holds (or this request set) the single `name` cookie: writing chunks deletes it. */
  cookieReceived: boolean;
  /** Chunk cookies `name.0` to `name.(heldChunks - 1)` the browser may hold: those a write no longer uses are deleted. */
  heldChunks: number;
}

/** What a request's Cookie header holds of a chunked session. */
export interface ReceivedCookies {
  /** The value to open: the single cookie's, else the chunks' from `name.0` on, joined; undefined when neither came. */
  readonly value: string | undefined;
  readonly plain: boolean;
  /** One more than the highest chunk index sent (gaps included: their neighbours must go too). */
  readonly chunks: number;
}

/** A chunked commit's Set-Cookie values, or why it is refused (more cookies than `maxChunks`). */
export interface ChunkedCookies {
  readonly setCookies: readonly string[];
  readonly refusal: string | undefined;
}

/** The attributes of one commit's cookies. */
export interface ChunkAttributes {
  readonly secure: boolean;
  readonly settings: CookieSettings | undefined;
  readonly lifetime: CookieLifetime | undefined;
}

export interface ChunkLimits {
  readonly maxCookieBytes: number;
  readonly maxChunks: number;
}

export class CookieChunks {
  readonly #name: string;
  readonly #single: CookieWriter;
  readonly #options: ResolvedCookieOptions;
  readonly #limits: ChunkLimits;
  readonly #logger: Logger;
  /** `name.0` … `name.15`: every index a request is searched for, so that chunks left by a larger `maxChunks` are deleted too. */
  readonly #chunkNames: readonly string[];
  readonly #writers: CookieWriter[] = [];

  /** `single` is the engine's writer of the `name` cookie. */
  constructor(options: ResolvedCookieOptions, single: CookieWriter, limits: ChunkLimits, logger: Logger) {
    this.#name = options.name;
    this.#single = single;
    this.#options = options;
    this.#limits = limits;
    this.#logger = logger;
    this.#chunkNames = Array.from({ length: MOST_COOKIE_CHUNKS }, (_, index) => `${options.name}.${index}`);
  }

  /** The session's cookies in a Cookie header; undefined when it holds none. */
  read(header: string | undefined): ReceivedCookies | undefined {
    if (!header) return undefined;
    // Every cookie by name (the first of a name wins, as readCookie's); only chunked engines pay for it.
    const cookies = parse(header);
    const plain = cookies[this.#name];
    let chunks = 0;
    for (let index = 0; index < MOST_COOKIE_CHUNKS; index++) if (cookies[this.#chunkNames[index]!] !== undefined) chunks = index + 1;
    if (plain === undefined && chunks === 0) return undefined;
    return { value: plain ?? this.#joined(cookies), plain: plain !== undefined, chunks };
  }

  #joined(cookies: Record<string, string | undefined>): string | undefined {
    let value = '';
    for (const name of this.#chunkNames) {
      const part = cookies[name];
      if (part === undefined) break;
      value += part;
    }
    return value === '' ? undefined : value;
  }

  /**
   * Records in the loaded session's state what its browser holds; `opened`: whether the value
   * opened. Chunks that do not open together are a fresh session with one warning.
   */
  received(state: HeldCookies, received: ReceivedCookies, opened: boolean): void {
    state.cookieReceived = received.plain;
    state.heldChunks = received.chunks;
    if (opened || received.plain) return;
    const last = received.chunks - 1;
    this.#logger.warn(
      `the session cookies ${this.#name}.0 to ${this.#name}.${last} do not open as one sealed session (a chunk missing, extra or altered, ` +
        'a changed secret, or an expired session); starting a fresh session.',
    );
  }

  /** The cookies carrying `value`: one if it fits, else chunks; either way the browser's other cookies of the session deleted. */
  set(state: HeldCookies, value: string, attributes: ChunkAttributes): ChunkedCookies {
    const { secure, settings, lifetime } = attributes;
    const single = this.#single.set(value, secure, settings, lifetime);
    if (utf8Length(single) <= this.#limits.maxCookieBytes) {
      const setCookies = [single, ...this.#clears(0, state.heldChunks, attributes)];
      state.cookieReceived = true;
      return { setCookies, refusal: undefined };
    }
    const chunks = this.#split(value, attributes);
    if (typeof chunks === 'string') return { setCookies: [], refusal: chunks };
    const setCookies = [...chunks, ...this.#clears(chunks.length, state.heldChunks, attributes)];
    if (state.cookieReceived) setCookies.push(this.#single.clear(secure, settings));
    // Never lowered within a request: an earlier save's chunks are still among the response's Set-Cookie values.
    state.heldChunks = Math.max(state.heldChunks, chunks.length);
    return { setCookies, refusal: undefined };
  }

  /** Deletes every cookie of the session the browser holds; undefined when it holds none. */
  clear(state: HeldCookies, secure: boolean, settings: CookieSettings | undefined): ChunkedCookies | undefined {
    const setCookies = this.#clears(0, state.heldChunks, { secure, settings, lifetime: undefined });
    if (state.cookieReceived) setCookies.unshift(this.#single.clear(secure, settings));
    return setCookies.length === 0 ? undefined : { setCookies, refusal: undefined };
  }

  /** `value` in chunks whose Set-Cookie values each fit `maxCookieBytes`, or why it cannot be. */
  #split(value: string, { secure, settings, lifetime }: ChunkAttributes): string[] | string {
    const { maxCookieBytes, maxChunks } = this.#limits;
    const chunks: string[] = [];
    let start = 0;
    let room = 0;
    for (let index = 0; start < value.length; index++) {
      if (index === maxChunks) {
        return (
          `the sealed session is ${value.length} characters, more than cookieStore's maxChunks (${maxChunks}) cookies of at most ` +
          `${maxCookieBytes} bytes hold (about ${maxChunks * room}); it was not saved. Keep large data in a server-side store, ` +
          "or raise maxChunks (every request then carries more: check your server's request header limit)."
        );
      }
      const writer = this.#writer(index);
      // The value is base64url: a character is a byte. What is left after the name and attributes.
      room = maxCookieBytes - utf8Length(writer.set('', secure, settings, lifetime));
      chunks.push(writer.set(value.slice(start, start + room), secure, settings, lifetime));
      start += Math.max(room, 0);
    }
    return chunks;
  }

  /** Set-Cookie values deleting chunks `from` to `to - 1`. */
  #clears(from: number, to: number, { secure, settings }: ChunkAttributes): string[] {
    const clears: string[] = [];
    for (let index = from; index < to; index++) clears.push(this.#writer(index).clear(secure, settings));
    return clears;
  }

  #writer(index: number): CookieWriter {
    return (this.#writers[index] ??= new CookieWriter({ ...this.#options, name: this.#chunkNames[index]! }));
  }
}
