import { createHash } from 'node:crypto';
import { asBuffer, randomBytes } from '../shared/random.js';
import { describeValue } from '../../core/errors.js';
import { consoleLogger, type Logger } from '../../core/logger.js';
import { isExpired, type Store, type StoreRecord } from '../../core/store.js';
import { DEFAULT_TIMEOUT_MS, storeCall } from '../shared/call.js';
import { foreignValue, SHARED_KEYSPACE_REMEDY } from '../../core/foreign.js';
import { loadOptional } from '../shared/load-optional.js';
import { callerFor, isCluster, mastersOf, warnWithoutErrorListener, type Arg, type Call, type ServerCall } from './clients.js';

/**
 * Sessions in Redis: Flask-Session's `redis` backend, for a single server, Redis Cluster or
 * Sentinel.
 *
 * Clients accepted (`client`, Flask-Session's SESSION_REDIS), told apart by their methods:
 * - node-redis: `createClient()` (connect it first) or `createCluster()`;
 * - ioredis: `new Redis()`, `new Redis.Cluster()`, or `new Redis({ sentinels, name })`.
 * A client you pass is borrowed and never closed. Without one, the store creates a
 * node-redis client for redis://127.0.0.1:6379 (Flask-Session's default), says so once in the
 * log, keeps reconnecting after outages, and closes it in `close()`.
 *
 * Each key (the engine's keyPrefix + id) holds one string: an 8-byte version, then the
 * session bytes. Commands per operation, each one round trip:
 * - get: 1 EVALSHA (GET and PTTL inside one script), so the expiry that `touch` moved is
 *   read along with the data;
 * - set: 1 SET … PX; create: 1 SET … PX NX; setIf: 1 EVALSHA (compare the version, then SET … PX);
 * - touch: 1 PEXPIRE, never a rewrite of the data; delete: 1 DEL;
 * - deleteExpired: nothing to do, Redis expires keys itself (resolves 0);
 * - keys(prefix) (tools only, never a request): SCAN … MATCH <prefix>* COUNT 1000 until the
 *   cursor is back at 0, on the one server, or on every master of a cluster one after the
 *   other (each holds the keys of its own slots): about one round trip per 1000 keys in the
 *   database (every key is visited, MATCH filters on the server), plus one per server.
 * Every command is bounded by `timeout`: a server that is down or stops answering fails
 * the request with a StoreError instead of hanging it.
 *
 * A key holding something else (a list, a hash, a string too short for our header:
 * another application using the same database and prefix) reads as no session, with one
 * warning per read, instead of failing every request that carries that cookie.
 *
 * node-redis ends the process on a connection error nobody listens to: a node-redis
 * client passed without an 'error' listener gets one warning at construction saying so.
 */
export interface RedisStoreOptions {
  /** Your node-redis or ioredis client (SESSION_REDIS). Default: node-redis on 127.0.0.1:6379. */
  client?: object;
  /** Milliseconds one command may take. Default DEFAULT_TIMEOUT_MS. */
  timeout?: number;
  /** Where the store's warnings and the default client's notices go. Default: console. */
  logger?: Pick<Logger, 'info' | 'warn'>;
}

const VERSION_BYTES = 8;
// Returns nil, { value, remaining milliseconds }, or, for a key of another type, that
// type's name. pcall: GET on a list is a WRONGTYPE error, which must not fail the request.
const READ_SCRIPT = `local v = redis.pcall('GET', KEYS[1])
if not v then return nil end
if type(v) == 'table' then return redis.call('TYPE', KEYS[1])['ok'] end
return { v, redis.call('PTTL', KEYS[1]) }`;
// Writes ARGV[2] with a TTL of ARGV[3] ms only if the stored version equals ARGV[1];
// a key of another type never matches (and is left as it is).
const SET_IF_SCRIPT = `local v = redis.pcall('GET', KEYS[1])
if type(v) == 'string' and string.sub(v, 1, ${VERSION_BYTES}) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;

/**
 * The default client's reconnect backoff: doubling from 50 ms up to 500 ms apart, where
 * node-redis's own goes up to 2 s plus jitter. Measured in test/stores/redis-recovery.test.ts:
 * after 3 s down, sessions work again about 0.2 s after Redis is back instead of up to 0.6 s.
 */
const reconnectStrategy = (retries: number) => Math.min(50 * 2 ** retries, 500);


export class RedisStore implements Store {
  readonly name = 'redis';
  readonly timeout: number;
  readonly #call: Call;
  readonly #owned: DefaultClient | undefined;
  readonly #where: string;
  readonly #logger: Pick<Logger, 'info' | 'warn'>;
  /** The servers that hold keys: the one server, or every master of a cluster. */
  readonly #servers: () => Promise<ServerCall[]>;

  constructor(options: RedisStoreOptions = {}) {
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    const logger = options.logger ?? consoleLogger;
    this.#logger = logger;
    if (options.client) {
      this.#call = callerFor(options.client);
      warnWithoutErrorListener(options.client, logger);
      this.#where = 'the Redis server of the client you passed';
      this.#owned = undefined;
    } else {
      const { createClient } = loadOptional<{ createClient: (options: object) => DefaultClient }>('redis', 'redis');
      const client = createClient({ url: 'redis://127.0.0.1:6379', socket: { reconnectStrategy } });
      let reported = false;
      // node-redis emits errors while it reconnects; one line per outage, not one per retry.
      client.on('error', (error: Error) => {
        if (!reported) logger.warn(`redis store: connection to 127.0.0.1:6379 failed (${error.message}); retrying.`);
        reported = true;
      });
      client.on('ready', () => (reported = false));
      logger.info('redis store: no client given, connecting to redis://127.0.0.1:6379 (pass `client` in production).');
      const connected = client.connect().catch(() => undefined); // failures surface per command, bounded by the timeout
      const call = callerFor(client);
      this.#call = async (key, readonly, args) => {
        await connected;
        return call(key, readonly, args);
      };
      this.#where = 'redis://127.0.0.1:6379';
      this.#owned = client;
    }
    const client = options.client;
    this.#servers = client && isCluster(client) ? () => mastersOf(client) : async () => [(args) => this.#call('', true, args)];
  }

  async get(key: string): Promise<StoreRecord | undefined> {
    const reply = await this.#run('read', this.#script(key, true, READ_SCRIPT, []));
    if (reply === null || reply === undefined) return undefined;
    if (!Array.isArray(reply)) {
      // The script answered the key's type instead ('list', 'hash', …), as a Buffer from clients that return bytes.
      const type = Buffer.isBuffer(reply) ? reply.toString() : describeValue(reply);
      foreignValue({ logger: this.#logger, storeName: this.name }, key, `a Redis ${type}`, SHARED_KEYSPACE_REMEDY);
      return undefined;
    }
    const [value, pttl] = reply as [unknown, number];
    if (!Buffer.isBuffer(value) || value.length < VERSION_BYTES) {
      foreignValue({ logger: this.#logger, storeName: this.name }, key, 'a string too short for the header', SHARED_KEYSPACE_REMEDY);
      return undefined;
    }
    // PTTL is -1 for a key without expiry (not ours) and the key is then kept a day at most.
    const remaining = Number(pttl) >= 0 ? Number(pttl) : 86_400_000;
    return {
      data: new Uint8Array(value.buffer, value.byteOffset + VERSION_BYTES, value.length - VERSION_BYTES),
      expiresAt: Date.now() + remaining,
      version: value.subarray(0, VERSION_BYTES).toString('base64url'),
    };
  }

  async set(key: string, record: StoreRecord): Promise<string> {
    const { value, version } = pack(record);
    // A record written already expired is no record: PX needs a positive number anyway.
    if (isExpired(record)) await this.delete(key);
    else await this.#run('write', this.#call(key, false, ['SET', key, value, 'PX', ttl(record)]));
    return version;
  }

  async create(key: string, record: StoreRecord): Promise<boolean> {
    const { value } = pack(record);
    return (await this.#run('create', this.#call(key, false, ['SET', key, value, 'PX', ttl(record), 'NX']))) !== null;
  }

  async setIf(key: string, record: StoreRecord, expectedVersion: string): Promise<boolean> {
    const expected = Buffer.from(expectedVersion, 'base64url');
    if (expected.length !== VERSION_BYTES) return false;
    const { value } = pack(record);
    return Number(await this.#run('write', this.#script(key, false, SET_IF_SCRIPT, [expected, value, ttl(record)]))) === 1;
  }

  async touch(key: string, expiresAt: number): Promise<void> {
    await this.#run('touch', this.#call(key, false, ['PEXPIRE', key, ttl({ expiresAt })]));
  }

  async delete(key: string): Promise<void> {
    await this.#run('delete', this.#call(key, false, ['DEL', key]));
  }

  /** Redis removes expired keys itself. */
  async deleteExpired(): Promise<number> {
    return 0;
  }

  /** Closes the client the store created (at once, even mid-reconnect); a client you passed stays open. */
  async close(): Promise<void> {
    this.#owned?.destroy();
  }

  /** The keys under `prefix`, by SCAN on each server that holds keys (see the module comment for the cost). */
  async *keys(prefix: string): AsyncIterable<string> {
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    // SCAN may return a key twice (when the keyspace is rehashed meanwhile), and a slot that
    // migrates during the listing may show its keys on two masters: each is listed once.
    const listed = new Set<string>();
    for (const server of await this.#run('list', this.#servers())) {
      let cursor = '0';
      do {
        const reply = (await this.#run('list', server(['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000']))) as [Arg, Arg[]];
        cursor = String(reply[0]);
        for (const key of reply[1].map(String)) {
          if (listed.has(key)) continue;
          listed.add(key);
          yield key;
        }
      } while (cursor !== '0');
    }
  }

  /** EVALSHA, loading the script with EVAL the first time a server does not know it. */
  async #script(key: string, readonly: boolean, script: string, args: Arg[]): Promise<unknown> {
    const sha = shaOf(script);
    try {
      return await this.#call(key, readonly, ['EVALSHA', sha, '1', key, ...args]);
    } catch (error) {
      if (!String((error as Error).message).includes('NOSCRIPT')) throw error;
      return this.#call(key, readonly, ['EVAL', script, '1', key, ...args]);
    }
  }

  #run<T>(action: string, operation: Promise<T>): Promise<T> {
    return storeCall(this, action, `Is ${this.#where} up and reachable?`, () => operation);
  }
}

interface DefaultClient {
  connect(): Promise<unknown>;
  destroy(): void;
  on(event: string, listener: (error: Error) => void): unknown;
}

function pack(record: StoreRecord): { value: Buffer; version: string } {
  const version = asBuffer(randomBytes(VERSION_BYTES));
  return { value: Buffer.concat([version, record.data]), version: version.toString('base64url') };
}

/** Milliseconds left, rounded up and at least 1: Redis never drops a session early. */
function ttl(record: { expiresAt: number }): string {
  return String(Math.max(1, Math.ceil(record.expiresAt - Date.now())));
}

const shas = new Map<string, string>();
/** A script's SHA-1 for EVALSHA, worked out once per script rather than on every call. */
function shaOf(script: string): string {
  let sha = shas.get(script);
  if (sha === undefined) {
    sha = createHash('sha1').update(script).digest('hex');
    shas.set(script, sha);
  }
  return sha;
}

export function redisStore(options?: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}
