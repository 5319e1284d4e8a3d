import { asBuffer, randomBytes } from '../shared/random.js';
import { setBounded } from '../../core/bounded-map.js';
import { SessionConfigError } from '../../core/errors.js';
import { consoleLogger, type Logger } from '../../core/logger.js';
import { StoreError, isExpired, type Store, type StoreRecord } from '../../core/store.js';
import { DEFAULT_TIMEOUT_MS, storeCall } from '../shared/call.js';
import { foreignValue, SHARED_KEYSPACE_REMEDY } from '../../core/foreign.js';
import { keyForMessages } from '../../core/key-name.js';
import { loadOptional } from '../shared/load-optional.js';
import type { MemcachedStoreOptions } from './options.js';
import { borrowedNode, nodeFor, ownNodes, serverList, type Client, type ClientClass, type Node } from './placement.js';
import { DEFAULT_MAX_VALUE_BYTES, NONCE_BYTES, exptime, header, memcachedKey, parseValue, type Parsed } from './value.js';

export type { MemcachedStoreOptions };

/**
 * Sessions in Memcached through `memcache-client`: Flask-Session's `memcached` backend.
 *
 * Client (`client`, Flask-Session's SESSION_MEMCACHED): a `MemcacheClient` of yours for ONE
 * server, borrowed and never shut down. Or `servers` ('host:port', several as an array or
 * comma-separated): the store makes one client per server, spreads keys over them by
 * rendezvous hashing (a key always lives on the same server, as with pymemcache's
 * HashClient) and shuts them down in `close()`. Without either it connects to
 * 127.0.0.1:11211 (Flask-Session's default) and says so once in the log.
 * (A single MemcacheClient given several servers is refused: memcache-client treats them
 * as redundant copies and sends each command to a random one, so a session written to
 * one would read as missing from another.)
 *
 * Each key holds one value: a 16-byte header (expiry, version nonce), then the session
 * bytes; see ./value.ts. The header decides, to the millisecond, when a session stops
 * existing. Memcached reads an exptime above 30 days as an absolute Unix time: longer
 * lifetimes (the default is 31 days) are sent as absolute seconds.
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
 * Keys memcached does not take (unicode, over 250 characters, containing '#') are stored
 * under a readable prefix + their SHA-256 (memcachedKey in ./value.ts).
 *
 * A value under a session's key that is not ours (no header: another application sharing
 * the server and prefix) reads as no session, with one warning per read.
 *
 * Size: memcached refuses items over its item size limit (`-I`, default 1 MiB, which
 * includes the key and ~60 bytes of its own bookkeeping). Sessions larger than
 * `maxValueBytes` are refused with a StoreError before anything is sent; a server with a
 * lower `-I` answers "object too large", also reported as a StoreError naming the size.
 */
/** A live or dead item as read with `gets`. */
interface Item extends Parsed {
  casUniq: string | number;
}

const DEFAULT_SERVER = '127.0.0.1:11211';
/** How often setIf/create look again after losing a race to a touch or an expiring item. */
const RACE_ATTEMPTS = 3;
/** Items whose cas unique is remembered from the last read, so a write needs no second gets. */
const SEEN_CACHE_SIZE = 10_000;

export class MemcachedStore implements Store {
  readonly name = 'memcached';
  readonly timeout: number;
  readonly maxValueBytes: number;
  readonly #nodes: Node[];
  readonly #owned: boolean;
  readonly #logger: Pick<Logger, 'info' | 'warn'>;
  // What the last `gets` of each key returned: the request that read a session and then
  // changes it can `cas` straight away. The cas itself proves the item is unchanged
  // since; a stale entry only costs the usual gets.
  // Only the small fields are kept, not the data, so the cache stays small.
  readonly #seen = new Map<string, Pick<Item, 'expiresAt' | 'nonce' | 'casUniq'>>();

  constructor(options: MemcachedStoreOptions = {}) {
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    this.maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    this.#logger = options.logger ?? consoleLogger;
    if (!(this.maxValueBytes > 0)) throw new SessionConfigError('memcachedStore: `maxValueBytes` must be a positive number of bytes.');
    if (options.client && options.servers !== undefined) {
      throw new SessionConfigError('memcachedStore: pass either `client` or `servers`, not both.');
    }
    if (options.client) {
      this.#nodes = [borrowedNode(options.client)];
      this.#owned = false;
      return;
    }
    const servers = serverList(options.servers ?? DEFAULT_SERVER);
    if (options.servers === undefined) {
      this.#logger.info(
        `memcached store: no client given, connecting to ${DEFAULT_SERVER} (pass \`client\` or \`servers\` in production).`,
      );
    }
    const { MemcacheClient } = loadOptional<{ MemcacheClient: ClientClass }>('memcache-client', 'memcached');
    this.#nodes = ownNodes(MemcacheClient, servers, this.timeout);
    this.#owned = true;
  }

  async get(key: string): Promise<StoreRecord | undefined> {
    const item = await this.#read(key, 'read');
    if (!item || isExpired(item)) return undefined;
    return { data: item.data, expiresAt: item.expiresAt, version: item.nonce.toString('base64url') };
  }

  async set(key: string, record: StoreRecord): Promise<string> {
    const { value, nonce } = this.#pack(key, record);
    // A record written already expired is no record.
    if (isExpired(record)) await this.delete(key);
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
      if (!isExpired(current)) return false;
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
      if (!current || isExpired(current) || !current.nonce.equals(expected)) return false;
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
    if (!current || isExpired(current)) return;
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
        `the session under ${keyForMessages(key)} is ${record.data.length} bytes, more than maxValueBytes (${this.maxValueBytes} bytes); it was not saved. ` +
          'Keep less in the session, or raise maxValueBytes together with the server\'s item size limit (memcached -I).',
      );
    }
    const nonce = asBuffer(randomBytes(NONCE_BYTES));
    return { value: Buffer.concat([header(record.expiresAt, nonce), record.data]), nonce };
  }

  /** The item under `key`; undefined when there is none, or none of ours (with a warning). */
  async #read(key: string, action: string): Promise<Item | undefined> {
    const reply = await this.#command(key, action, (client, k) => client.gets(k));
    if (!reply) return undefined;
    const parsed = parseValue(reply.value);
    if (typeof parsed === 'string') {
      foreignValue({ logger: this.#logger, storeName: this.name }, key, parsed, SHARED_KEYSPACE_REMEDY);
      return undefined;
    }
    const { casUniq } = reply;
    if (casUniq === undefined) {
      throw new StoreError(this.name, `the server sent no cas unique for ${keyForMessages(key)}; this store needs gets and cas (is a proxy in between without them?).`);
    }
    // The nonce is copied: a view would keep the whole value alive in the cache.
    setBounded(this.#seen, key, { expiresAt: parsed.expiresAt, nonce: Buffer.from(parsed.nonce), casUniq }, SEEN_CACHE_SIZE);
    return { ...parsed, casUniq };
  }

  /** A storage or delete command: memcached's "it did not happen" replies are answers, not faults. */
  #store(key: string, action: string, run: (client: Client, key: string) => Promise<unknown>, bytes?: number) {
    return this.#command(
      key,
      action,
      async (client, k) => {
        try {
          await run(client, k);
          return 'stored' as const;
        } catch (error) {
          const reply = error instanceof Error ? error.message : '';
          if (reply === 'NOT_STORED' || reply === 'EXISTS') return 'taken' as const;
          if (reply === 'NOT_FOUND') return 'missing' as const;
          throw error;
        }
      },
      bytes,
    );
  }

  /** One command on the key's server, bounded by the timeout; failures become StoreErrors. */
  #command<T>(key: string, action: string, run: (client: Client, key: string) => Promise<T>, bytes?: number): Promise<T> {
    const node = nodeFor(this.#nodes, key);
    return storeCall(this, action, (error) => this.#failure({ node, key, action, bytes }, error), () => run(node.client, memcachedKey(key)));
  }

  /** The remedy for a failed command: the item size limit when the server names it, else its address. */
  #failure({ node, key, action, bytes }: { node: Node; key: string; action: string; bytes: number | undefined }, error: unknown): StoreError | string {
    const message = error instanceof Error ? error.message : '';
    if (!message.startsWith('SERVER_ERROR object too large')) return `Is ${node.where} up and reachable?`;
    return new StoreError(
      this.name,
      `${action} failed: ${node.where} refused the session under ${keyForMessages(key)} (${bytes ?? '?'} bytes with the store's header) ` +
        `as larger than its item size limit ("${message}"). ` +
        "Keep less in the session, or raise the server's limit (memcached -I) and maxValueBytes.",
      { cause: error },
    );
  }
}

export function memcachedStore(options?: MemcachedStoreOptions): MemcachedStore {
  return new MemcachedStore(options);
}
