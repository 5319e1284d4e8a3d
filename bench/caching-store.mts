// Issue 28 item 1: cachingStore({ cache, store }) beside its durable store alone, on one
// throwaway PostgreSQL (test/servers/postgres.ts, pg_stat_statements on) and, when
// redis-server is installed, a throwaway Redis. Runs from the sources under tsx:
//   npx tsx bench/caching-store.mts
// The engine alone, no HTTP (as bench/engine-read.mjs): a request is load(cookie) then
// commit, with the session unchanged (a read) or with one field changed (a write, persisted).
// Per variant, in rounds interleaved with the other variants (CACHE_ROUNDS, default 5; medians):
//   statements  PostgreSQL statements per request, from pg_stat_statements
//   durable     calls of the durable store per request (get, set, create, setIf, touch, delete)
//   app µs      this process's CPU (user + system, process.cpuUsage) per request: the
//               application's share; the servers' CPU is not in it
// Reads go round CACHE_SESSIONS sessions (default 100), CACHE_READS per round (default 3000);
// writes CACHE_WRITES per round (default 500), each followed by a read of the same session.
import pg from 'pg';
import { createClient } from 'redis';
import { SessionEngine } from '../src/engine/engine.js';
import type { Store } from '../src/core/store.js';
import { cachingStore } from '../src/stores/caching/index.js';
import { MemoryStore } from '../src/stores/memory.js';
import { RedisStore } from '../src/stores/redis/index.js';
import { sqlStore } from '../src/stores/sql/index.js';
import { startPostgres } from '../test/servers/postgres.js';
import { REDIS_REQUIRES, startRedis } from '../test/servers/redis.js';
import { checkRequirements } from '../test/servers/require-binary.js';

const ROUNDS = Number(process.env.CACHE_ROUNDS ?? 5);
const SESSIONS = Number(process.env.CACHE_SESSIONS ?? 100);
const READS = Number(process.env.CACHE_READS ?? 3000);
const WRITES = Number(process.env.CACHE_WRITES ?? 500);
const SECRET = 'caching-bench-secret-0123456789abcdef';

/** The durable store's calls, counted on their way through (every call does its real work). */
function counted(store: Store): { store: Store; calls: () => number } {
  let calls = 0;
  const count = <A extends unknown[], R>(method: ((...args: A) => R) | undefined) =>
    method && ((...args: A) => {
      calls++;
      return method.apply(store, args);
    });
  const wrapped: Store = {
    name: store.name,
    get: count(store.get)!,
    set: count(store.set)!,
    delete: count(store.delete)!,
    create: count(store.create),
    setIf: count(store.setIf),
    touch: count(store.touch),
  };
  return { store: wrapped, calls: () => calls };
}

interface Variant {
  label: string;
  engine: SessionEngine<Record<string, unknown>>;
  calls: () => number;
  cookies: string[];
}

async function variant(label: string, durable: Store, cache?: Store): Promise<Variant> {
  const { store, calls } = counted(durable);
  const engine = new SessionEngine<Record<string, unknown>>({ store: cache ? cachingStore({ cache, store }) : store, secret: SECRET, touchAfter: '1h' });
  const cookies: string[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const session = await engine.load(undefined);
    session.user = `user-${i}`;
    session.cart = { items: [1, 2, 3], total: 42 };
    const pending = engine.commit(session);
    await pending.persist();
    cookies.push(pending.setCookies[0]!.split(';')[0]!);
  }
  return { label, engine, calls, cookies };
}

async function request(engine: Variant['engine'], cookie: string, change?: number): Promise<void> {
  const session = await engine.load(cookie);
  if (session.isNew) throw new Error('a session was lost');
  if (change !== undefined) session.counter = change;
  const pending = engine.commit(session);
  if (change === undefined && pending.needsPersist) throw new Error('the read path wrote');
  await pending.persist();
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const postgres = await startPostgres();
if (!postgres.statementStats) throw new Error('pg_stat_statements is not installed: apt-get install -y postgresql-contrib');
const redisAvailable = checkRequirements('bench', REDIS_REQUIRES).available;
const redis = redisAvailable ? await startRedis() : undefined;
const pool = new pg.Pool({ connectionString: postgres.connectionString, max: 10 });
const redisClient = redis ? createClient({ url: redis.url }) : undefined;
redisClient?.on('error', (error: Error) => console.warn('redis:', error.message));
await redisClient?.connect();
try {
  const durable = (table: string) => sqlStore({ client: pool, table });
  const variants = [
    await variant('PostgreSQL alone (sqlStore)', durable('alone')),
    await variant('cachingStore: memory over PostgreSQL', durable('memory_cached'), new MemoryStore()),
    ...(redisClient ? [await variant('cachingStore: Redis over PostgreSQL', durable('redis_cached'), new RedisStore({ client: redisClient }))] : []),
  ];
  const results = new Map<string, Record<string, number[]>>();
  const measure = async (v: Variant, kind: string, requests: number, body: (i: number) => Promise<void>) => {
    await postgres.resetStatementCounts();
    const calls = v.calls();
    const cpu = process.cpuUsage();
    for (let i = 0; i < requests; i++) await body(i);
    const used = process.cpuUsage(cpu);
    const statements = Object.values(await postgres.statementCounts()).reduce((a, b) => a + b, 0);
    const row = results.get(v.label) ?? {};
    const add = (name: string, value: number) => (row[`${kind} ${name}`] ??= []).push(value);
    add('statements', statements / requests);
    add('durable', (v.calls() - calls) / requests);
    add('app µs', (used.user + used.system) / requests);
    results.set(v.label, row);
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of variants) {
      await measure(v, 'read', READS, (i) => request(v.engine, v.cookies[i % SESSIONS]!));
      // A write, then the next request of that session: what a change costs, the cache's refill included.
      await measure(v, 'write+read', WRITES, async (i) => {
        const cookie = v.cookies[i % SESSIONS]!;
        await request(v.engine, cookie, round * WRITES + i);
        await request(v.engine, cookie);
      });
    }
  }
  const columns = ['read statements', 'read durable', 'read app µs', 'write+read statements', 'write+read durable', 'write+read app µs'];
  console.log(`${ROUNDS} rounds, ${SESSIONS} sessions, ${READS} reads and ${WRITES} write+read pairs per round; medians\n`);
  console.log(`| variant | ${columns.join(' | ')} |\n| --- | ${columns.map(() => '---:').join(' | ')} |`);
  const base = results.get(variants[0]!.label)!;
  for (const [label, row] of results) {
    const cells = columns.map((column) => {
      const value = median(row[column]!);
      const ratio = column.endsWith('µs') && row !== base ? ` (×${(value / median(base[column]!)).toFixed(2)})` : '';
      return `${value.toFixed(column.endsWith('µs') ? 1 : 2)}${ratio}`;
    });
    console.log(`| ${label} | ${cells.join(' | ')} |`);
  }
} finally {
  await redisClient?.close();
  await pool.end();
  await redis?.stop();
  await postgres.stop();
}
