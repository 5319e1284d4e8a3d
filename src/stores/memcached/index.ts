import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from '../../core/logger.js';
import { setBounded } from '../../core/bounded-map.js';
import { StoreError, wrapStoreError, type Store, type StoreRecord } from '../../core/store.js';
import { DEFAULT_TIMEOUT_MS, loadOptional, withTimeout } from '../shared.js';

/**
 * Sessions in Memcached through `memcache-client`: the seeds' `memcached` backend.
 *
 * Client (`client`, the seeds' SESSION_MEMCACHED): a `MemcacheClient` of yours for ONE
 * server, borrowed and never shut down. Or `servers` ('host:port', several as an array or
 * comma-separated): the store makes one client per server, spreads keys over them by
 * rendezvous hashing (a key always lives on the same server, as with pymemcache's
 * HashClient) and shuts them down in `close()`. Without either it connects to
 * 127.0.0.1:11211 (the seeds' default) and says so once in the log.
 * (A single MemcacheClient given several servers is refused: memcache-client treats them
 * as redundant copies and sends each command to a random one, so a session written to
 * one would read as missing from another.)
 *
 * Each key holds one value: a 16-byte header, then the session bytes.
 *   bytes 0-7   expiresAt, epoch milliseconds (float64, big-endian): checked on every read
 *   bytes 8-15  random nonce, new on every write: the record's version
 * Memcached keeps time in whole seconds and may drop an item up to a second before the
 * exptime it was given, so items get the expiry rounded up plus one second, and the
 * header decides, to the millisecond, when a session stops existing. Memcached reads an
 * exptime above 30 days (2,592,000 s) as an absolute Unix time: longer lifetimes (the
 * default is 31 days) are sent as absolute seconds, which the server compares with its
 * own clock.
 *
 * Commands per operation, each one round trip bounded by `timeout`:
 * - get: 1 `gets`;
 * - set: 1 `set`; create: 1 `add` (only when a live key is in the way, or a dead one the
 *   server still keeps: + `gets` and `cas` over the dead one);
 * - setIf: `gets` (is the nonce still the one the caller read?) then `cas` with that gets'
 *   unique, so nothing can slip in between; NOT_FOUND or a different nonce: false.
 *   The version cannot be the cas unique itself: it must be known when `set` returns,
 *   and memcached's `set` reply carries no cas unique;
 * - touch: `gets` then `cas` of the same data and nonce under the new expiry (see touch());
 * - delete: 1 `delete`; deleteExpired: nothing to do, memcached expires items itself.
 * Per request, through the engine: an unchanged session is 1 `gets`; a changed one is
 * 2 `gets` + 1 `cas`; a due refresh (touchAfter) is 2 `gets` + 1 `cas`; a new one is 1 `add`.
 *
 * Keys: memcached takes 1-250 printable ASCII characters without spaces. Any other key
 * (unicode ids, a long keyPrefix) and any key containing '#' is stored as its readable
 * leading part + '#' + base64url SHA-256 of the whole key, so two keys never share an item.
 *
 * Size: memcached refuses items over its item size limit (`-I`, default 1 MiB, which
 * includes the key and ~60 bytes of its own bookkeeping). Sessions larger than
 * `maxValueBytes` are refused with a StoreError before anything is sent; a server with a
 * lower `-I` answers "object too large", also reported as a StoreError naming the size.
 */
export interface MemcachedStoreOptions {
  /** Your `MemcacheClient` for one server (SESSION_MEMCACHED). Borrowed: never shut down. */
  client?: object;
  /**
   * 'host:port', or several (an array or a comma-separated string), when the store makes
   * its own clients (SESSION_MEMCACHED as a string). Default '127.0.0.1:11211'.
   */
  servers?: string | readonly string[];
  /** Milliseconds one command may take. Default DEFAULT_TIMEOUT_MS (5000). */
  timeout?: number;
  /**
   * Largest session in bytes (the serialized data, without the store's 16-byte header).
   * Default 1,048,240: memcached's default 1 MiB item limit minus the header and the
   * server's own overhead for the longest key. Raise it with the server's `-I`.
   */
  maxValueBytes?: number;
  /** Where the notice about the default server goes. Default: console. */
  logger?: Pick<Logger, 'info' | 'warn'>;
}

/** The part of memcache-client's MemcacheClient this store uses. */
interface Client {
  gets(key: string): Promise<{ value: unknown; casUniq?: string | number } | undefined>;
  set(key: string, value: Buffer, options: { lifetime: number }): Promise<unknown>;
  add(key: string, value: Buffer, options: { lifetime: number }): Promise<unknown>;
  cas(key: string, value: Buffer, options: { lifetime: number; casUniq: string | number }): Promise<unknown>;
  delete(key: string): Promise<unknown>;
  shutdown(): void;
}

interface Node {
  client: Client;
  /** 'memcached at host:port', for messages. */
  where: string;
  /** Rendezvous hashing seed. */
  server: string;
}

/** A live or dead item as read with `gets`. */
interface Item {
  expiresAt: number;
  nonce: Buffer;
  data: Uint8Array;
  casUniq: string | number;
}

const HEADER_BYTES = 16;
const NONCE_BYTES = 8;
/** memcached's default item size limit (-I 1m). */
const ITEM_LIMIT_BYTES = 1024 * 1024;
/** What memcached 1.6 adds to an item with a 250-byte key (measured: 313), rounded up. */
const ITEM_OVERHEAD_BYTES = 320;
export const DEFAULT_MAX_VALUE_BYTES = ITEM_LIMIT_BYTES - ITEM_OVERHEAD_BYTES - HEADER_BYTES;
/** Exptimes above this many seconds are absolute Unix times to memcached. */
const RELATIVE_EXPTIME_LIMIT_S = 30 * 24 * 3600;
const DEFAULT_SERVER = '127.0.0.1:11211';
const MAX_KEY_LENGTH = 250;
const PLAIN_KEY = /^[\x21-\x22\x24-\x7e]{1,250}$/; // printable ASCII, no space, no '#'
const READABLE_PREFIX = /^[\x21-\x22\x24-\x7e]*/;
/** How often setIf/create look again after losing a race to a touch or an expiring item. */
const RACE_ATTEMPTS = 3;
/** Items whose cas unique is remembered from the last read, so a write needs no second gets. */
const SEEN_CACHE_SIZE = 10_000;

const consoleLogger: Pick<Logger, 'info' | 'warn'> = {
  info: (message) => console.info(`[sessionkit] ${message}`),
  warn: (message) => console.warn(`[sessionkit] ${message}`),
};

export class MemcachedStore implements Store {
  readonly name = 'memcached';
  readonly timeout: number;
  readonly maxValueBytes: number;
  readonly #nodes: Node[];
  readonly #owned: boolean;
  // What the last `gets` of each key returned: the request that read a session and then
  // changes it can `cas` straight away. The cas itself proves the item is unchanged
  // since; a stale entry only costs the usual gets.
  // Only the small fields are kept, not the data, so the cache stays small.
  readonly #seen = new Map<string, Pick<Item, 'expiresAt' | 'nonce' | 'casUniq'>>();

  constructor(options: MemcachedStoreOptions = {}) {
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    this.maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    if (!(this.maxValueBytes > 0)) throw new TypeError('memcachedStore: `maxValueBytes` must be a positive number of bytes.');
    if (options.client && options.servers !== undefined) {
      throw new TypeError('memcachedStore: pass either `client` or `servers`, not both.');
    }
    if (options.client) {
      this.#nodes = [borrowed(options.client)];
      this.#owned = false;
      return;
    }
    const servers = serverList(options.servers ?? DEFAULT_SERVER);
    if (options.servers === undefined) {
      (options.logger ?? consoleLogger).info(
        `memcached store: no client given, connecting to ${DEFAULT_SERVER} (pass \`client\` or \`servers\` in production).`,
      );
    }
    const { MemcacheClient } = loadOptional<{ MemcacheClient: new (options: object) => Client }>('memcache-client', 'memcached');
    // The client's own bounds follow the store's: a command left unanswered a little
    // longer than `timeout` (memcache-client checks every 250 ms) also drops the
    // connection, and the next command reconnects, so a frozen server does not keep later
    // commands queued behind the stuck one. The store's own timer fires first and names
    // the timeout in its error.
    const bound = this.timeout > 0 && Number.isFinite(this.timeout) ? this.timeout + 250 : 2_147_483_647;
    this.#nodes = servers.map((server) => ({
      client: new MemcacheClient({ server, cmdTimeout: bound, connectTimeout: bound, noDelay: true }),
      where: `memcached at ${server}`,
      server,
    }));
    this.#owned = true;
  }

  async get(key: string): Promise<StoreRecord | undefined> {
    const item = await this.#read(key, 'read');
    if (!item || item.expiresAt <= Date.now()) return undefined;
    return { data: item.data, expiresAt: item.expiresAt, version: item.nonce.toString('base64url') };
  }

  async set(key: string, record: StoreRecord): Promise<string> {
    const { value, nonce } = this.#pack(key, record);
    // A record written already expired is no record.
    if (record.expiresAt <= Date.now()) await this.delete(key);
    else await this.#command(key, 'write', (client, k) => client.set(k, value, { lifetime: exptime(record.expiresAt) }), value.length);
    return nonce.toString('base64url');
  }

  async create(key: string, record: StoreRecord): Promise<boolean> {
    const { value } = this.#pack(key, record);
    const lifetime = exptime(record.expiresAt);
    for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
      if ((await this.#store(key, 'create', (client, k) => client.add(k, value, { lifetime }), value.length)) === 'stored') return true;
      // Something is there. The server may still keep an item whose header says it has
      // expired (it is given a second more): that one is replaced, atomically.
      const current = await this.#read(key, 'create');
      if (!current) continue; // it went away meanwhile: add again
      if (current.expiresAt > Date.now()) return false;
      const casUniq = current.casUniq;
      const outcome = await this.#store(key, 'create', (client, k) => client.cas(k, value, { lifetime, casUniq }), value.length);
      if (outcome === 'stored') return true;
    }
    return false;
  }

  async setIf(key: string, record: StoreRecord, expectedVersion: string): Promise<boolean> {
    const expected = Buffer.from(expectedVersion, 'base64url');
    if (expected.length !== NONCE_BYTES) return false;
    const { value } = this.#pack(key, record);
    const lifetime = exptime(record.expiresAt);
    const seen = this.#seen.get(key);
    for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
      const current = attempt === 0 && seen?.nonce.equals(expected) ? seen : await this.#read(key, 'write');
      if (!current || current.expiresAt <= Date.now() || !current.nonce.equals(expected)) return false;
      const casUniq = current.casUniq;
      const outcome = await this.#store(key, 'write', (client, k) => client.cas(k, value, { lifetime, casUniq }), value.length);
      if (outcome === 'stored') return true;
      if (outcome === 'missing') return false;
      // EXISTS: the item changed between our gets and cas. If only a touch rewrote it,
      // the nonce is still the expected one and the next round succeeds.
    }
    return false;
  }

  /**
   * The expiry lives in the header (memcache-client speaks memcached's classic protocol,
   * whose get/gets do not tell how long an item has left), so moving it means rewriting the item: `gets`, then `cas` of the same
   * data and the same nonce under the new expiry. The nonce is kept on purpose: a refresh
   * is not a change, and a request that read the session before it still wins its
   * setIf. (Memcached's own `touch` command would move only the server's exptime and
   * leave the header's expiry behind, so the session would read as expired anyway.)
   * If the cas loses (EXISTS, NOT_FOUND), someone wrote or deleted the session in
   * between; that write carries its own expiry and nothing is left to do.
   */
  async touch(key: string, expiresAt: number): Promise<void> {
    const current = await this.#read(key, 'touch');
    if (!current || current.expiresAt <= Date.now()) return;
    const value = Buffer.concat([header(expiresAt, current.nonce), current.data]);
    const casUniq = current.casUniq;
    await this.#store(key, 'touch', (client, k) => client.cas(k, value, { lifetime: exptime(expiresAt), casUniq }), value.length);
  }

  async delete(key: string): Promise<void> {
    await this.#store(key, 'delete', (client, k) => client.delete(k));
  }

  /** Memcached drops expired items itself. */
  async deleteExpired(): Promise<number> {
    return 0;
  }

  /** Shuts down the clients the store made; a client you passed stays open. */
  async close(): Promise<void> {
    if (this.#owned) for (const node of this.#nodes) node.client.shutdown();
  }

  #pack(key: string, record: StoreRecord): { value: Buffer; nonce: Buffer } {
    if (record.data.length > this.maxValueBytes) {
      throw new StoreError(
        this.name,
        `the session under ${key} is ${record.data.length} bytes, more than maxValueBytes (${this.maxValueBytes} bytes); it was not saved. ` +
          'Keep less in the session, or raise maxValueBytes together with the server\'s item size limit (memcached -I).',
      );
    }
    const nonce = randomBytes(NONCE_BYTES);
    return { value: Buffer.concat([header(record.expiresAt, nonce), record.data]), nonce };
  }

  async #read(key: string, action: string): Promise<Item | undefined> {
    const reply = await this.#command(key, action, (client, k) => client.gets(k));
    if (!reply) return undefined;
    const { value, casUniq } = reply;
    const expiresAt = Buffer.isBuffer(value) && value.length >= HEADER_BYTES ? value.readDoubleBE(0) : Number.NaN;
    if (!Buffer.isBuffer(value) || Number.isNaN(expiresAt)) {
      throw new StoreError(this.name, `key ${key} does not hold a sessionkit session; is another application using the same keyPrefix?`);
    }
    if (casUniq === undefined) {
      throw new StoreError(this.name, `the server sent no cas unique for ${key}; this store needs gets and cas (is a proxy in between without them?).`);
    }
    const item = {
      expiresAt,
      nonce: value.subarray(8, HEADER_BYTES),
      data: new Uint8Array(value.buffer, value.byteOffset + HEADER_BYTES, value.length - HEADER_BYTES),
      casUniq,
    };
    // The nonce is copied: a view would keep the whole value alive in the cache.
    setBounded(this.#seen, key, { expiresAt, nonce: Buffer.from(item.nonce), casUniq }, SEEN_CACHE_SIZE);
    return item;
  }

  /** A storage or delete command: memcached's "it did not happen" replies are answers, not faults. */
  async #store(key: string, action: string, run: (client: Client, key: string) => Promise<unknown>, bytes?: number) {
    const node = this.#nodeFor(key);
    try {
      await this.#bounded(node, key, action, run);
      return 'stored' as const;
    } catch (error) {
      const reply = error instanceof Error ? error.message : '';
      if (reply === 'NOT_STORED' || reply === 'EXISTS') return 'taken' as const;
      if (reply === 'NOT_FOUND') return 'missing' as const;
      throw this.#failure(node, key, action, error, bytes);
    }
  }

  /** One command on the key's server, bounded by the timeout; failures become StoreErrors. */
  async #command<T>(key: string, action: string, run: (client: Client, key: string) => Promise<T>, bytes?: number): Promise<T> {
    const node = this.#nodeFor(key);
    try {
      return await this.#bounded(node, key, action, run);
    } catch (error) {
      throw this.#failure(node, key, action, error, bytes);
    }
  }

  #bounded<T>(node: Node, key: string, action: string, run: (client: Client, key: string) => Promise<T>): Promise<T> {
    // async: memcache-client throws some failures synchronously (no server left).
    return withTimeout((async () => run(node.client, memcachedKey(key)))(), this.timeout, this.name, action);
  }

  #failure(node: Node, key: string, action: string, error: unknown, bytes?: number): StoreError {
    const message = error instanceof Error ? error.message : '';
    if (message.startsWith('SERVER_ERROR object too large')) {
      return new StoreError(
        this.name,
        `${action} failed: ${node.where} refused the session under ${key} (${bytes ?? '?'} bytes with the store's header) ` +
          `as larger than its item size limit ("${message}"). ` +
          "Keep less in the session, or raise the server's limit (memcached -I) and maxValueBytes.",
        { cause: error },
      );
    }
    return wrapStoreError(this.name, action, `Is ${node.where} up and reachable?`, error);
  }

  #nodeFor(key: string): Node {
    if (this.#nodes.length === 1) return this.#nodes[0]!;
    let best = this.#nodes[0]!;
    let bestScore = -1;
    for (const node of this.#nodes) {
      const score = createHash('sha256').update(node.server).update('\0').update(key).digest().readUInt32BE(0);
      if (score > bestScore) [best, bestScore] = [node, score];
    }
    return best;
  }
}

/** The memcached key for a store key: itself if memcached takes it, else a readable prefix + its SHA-256. */
export function memcachedKey(key: string): string {
  if (PLAIN_KEY.test(key)) return key;
  const digest = createHash('sha256').update(key, 'utf8').digest('base64url');
  const readable = READABLE_PREFIX.exec(key)![0].slice(0, MAX_KEY_LENGTH - digest.length - 1);
  return `${readable}#${digest}`;
}

function header(expiresAt: number, nonce: Buffer): Buffer {
  const bytes = Buffer.allocUnsafe(HEADER_BYTES);
  bytes.writeDoubleBE(expiresAt, 0);
  nonce.copy(bytes, 8);
  return bytes;
}

/**
 * Memcached's exptime for an absolute expiry: seconds rounded up plus one (memcached may
 * drop an item up to a second early; the header keeps the exact expiry), at least 1, and
 * as an absolute Unix time past 30 days, where memcached would misread a relative one.
 */
export function exptime(expiresAt: number, now = Date.now()): number {
  const seconds = Math.max(1, Math.ceil((expiresAt - now) / 1000) + 1);
  return seconds > RELATIVE_EXPTIME_LIMIT_S ? Math.ceil(expiresAt / 1000) + 1 : seconds;
}

function serverList(servers: string | readonly string[]): string[] {
  const list = (typeof servers === 'string' ? servers.split(',') : [...servers]).map((server) => server.trim()).filter(Boolean);
  if (list.length === 0) throw new TypeError('memcachedStore: `servers` is empty; give at least one "host:port".');
  for (const server of list) {
    if (!/^[^\s:]+:\d{1,5}$/.test(server)) throw new TypeError(`memcachedStore: server "${server}" is not "host:port".`);
  }
  return [...new Set(list)];
}

function borrowed(client: object): Node {
  const c = client as Record<string, unknown> & { options?: { server?: unknown } };
  for (const method of ['gets', 'set', 'add', 'cas', 'delete']) {
    if (typeof c[method] !== 'function') {
      throw new TypeError('memcachedStore: `client` must be a MemcacheClient from memcache-client (it has no ' + method + ' method).');
    }
  }
  const server = c.options?.server;
  const several = typeof server === 'object' && server !== null && !('server' in server) && Array.isArray((server as { servers?: unknown }).servers)
    ? ((server as { servers: { server: string }[] }).servers)
    : undefined;
  if (several && several.length > 1) {
    throw new TypeError(
      'memcachedStore: this MemcacheClient has several servers, and memcache-client sends each command to a random one of them, ' +
        'so sessions would go missing. Pass `servers: [...]` instead: the store then keeps each key on one server.',
    );
  }
  const name = typeof server === 'string' ? server : several?.[0]?.server ?? (server as { server?: string } | undefined)?.server;
  return { client: client as Client, where: name ? `memcached at ${name}` : 'the memcached server of the client you passed', server: name ?? '' };
}

export function memcachedStore(options?: MemcachedStoreOptions): MemcachedStore {
  return new MemcachedStore(options);
}
