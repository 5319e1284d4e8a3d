// The application side of bench/store-size.mjs (issue 13, parts 4 and 5): one process per
// variant, started by that script; `node bench/store-size-server.mjs <variant>` prints
// "PORT <n>" when ready. Variants:
//   none                       Express without sessions (the baseline of the PostgreSQL comparison)
//   sessionkit-<store>         Express + sessionkit on memory, sqlite, redis, postgres, filesystem
//   express-session-postgres   Express + express-session + connect-pg-simple
// Besides /login, /read and /write (as bench/server.mjs), every variant serves /_admin/served (requests
// served so far, admin routes left out) and sessionkit variants these admin routes:
//   /_admin/grow?to=N&expired=0|1   memory only: store.set() of bench sessions up to N (the
//                                   store's own write, in the record layout of BENCH_RECORD_HEX)
//   /_admin/sweep?batch=B           starts cleanupSessions(store, { batchSize: B }) in this process
//   /_admin/sweep-status            its summary once done ({ running: true } before)
// Two more modes print one JSON line and exit, for measurements that are not HTTP:
//   memory-bytes    (run with --expose-gc) heap/RSS/ArrayBuffer growth of a MemoryStore per session,
//                   and the cost of a new session's write once the store is at maxEntries
//   fs-writes       the filesystem store's cost per write with a directory of N files
// Session ids of loaded sessions are `bench` + a zero-padded number (43 characters, the length
// of a 32-byte id): the parent computes their signed cookies with the same secret.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sessionRoutes } from './express-routes.mjs';

export const SECRET = 'bench-secret-0123456789abcdefghij';
export const KEY_PREFIX = 'session:';
/** The id of loaded session number i (live ones from 0, expired ones under another letter). */
export const benchId = (i, expired = false) => `${expired ? 'xpird' : 'bench'}${String(i).padStart(38, '0')}`;

const DIST = process.env.BENCH_DIST ?? fileURLToPath(new URL('../dist', import.meta.url));
const sessionkitModule = (entry) => import(pathToFileURL(join(DIST, `${entry}.js`)).href);
const payload = () => ({ userId: 4711, name: 'ada', cart: ['apple', 'bread', 'cheese', 'dates', 'eggs'], counter: 0 });
const shared = payload();
const recordData = () => new Uint8Array(Buffer.from(process.env.BENCH_RECORD_HEX ?? '', 'hex'));
/** Expiry of a loaded live session: a lifetime and an hour from now, so no refresh (touch) is due during the run. */
const liveExpiry = () => Date.now() + Number(process.env.BENCH_LIFETIME_MS) + 3_600_000;

async function sessionkitStore(name) {
  if (name === 'memory') return new (await sessionkitModule('stores/memory')).MemoryStore({ maxEntries: Number(process.env.BENCH_MAX_ENTRIES ?? 2_000_000) });
  if (name === 'sqlite') {
    const { SqliteStore } = await sessionkitModule('stores/sqlite');
    // BENCH_SQLITE_SWEEP_EVERY=0 in the sweep phase: the store's own background sweep would start the same work.
    const sweepEvery = process.env.BENCH_SQLITE_SWEEP_EVERY === undefined ? undefined : Number(process.env.BENCH_SQLITE_SWEEP_EVERY);
    return new SqliteStore({ path: process.env.BENCH_SQLITE_PATH, sweepEvery });
  }
  if (name === 'redis') {
    const { createClient } = await import('redis');
    const client = createClient({ url: process.env.BENCH_REDIS_URL });
    client.on('error', (error) => console.error('redis:', error.message));
    await client.connect();
    return new (await sessionkitModule('stores/redis')).RedisStore({ client });
  }
  if (name === 'postgres') {
    const { SqlStore } = await sessionkitModule('stores/sql');
    return new SqlStore({ client: await pgPool(), table: process.env.BENCH_PG_TABLE ?? 'sessions' });
  }
  if (name === 'filesystem') {
    const { FileSystemStore } = await sessionkitModule('stores/filesystem');
    return new FileSystemStore({ dir: process.env.BENCH_FS_DIR, threshold: Number(process.env.BENCH_FS_THRESHOLD ?? 500) });
  }
  throw new Error(`unknown store ${name}`);
}

async function pgPool() {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: process.env.BENCH_POSTGRES_URL, max: 10 });
  pool.on('error', (error) => console.error('pg:', error.message));
  return pool;
}

async function server(variant) {
  const { default: createApp } = await import('express');
  const app = createApp();
  // Requests served (admin routes left out): the divisor of statements per request.
  let served = 0;
  app.get('/_admin/served', (_req, res) => res.json({ served }));
  app.use((req, _res, next) => {
    if (!req.path.startsWith('/_admin/')) served++;
    next();
  });
  if (variant === 'none') {
    app.get('/login', (_req, res) => res.send('ok'));
    app.get('/read', (_req, res) => res.send(`hello ${shared.name}`));
    app.get('/write', (_req, res) => res.send(`count ${++shared.counter}`));
  } else {
    if (variant.startsWith('sessionkit-')) {
      const store = await sessionkitStore(variant.slice('sessionkit-'.length));
      const { cleanupSessions } = await sessionkitModule('index');
      let sweep;
      app.get('/_admin/grow', (req, res) => {
        const to = Number(req.query.to);
        const expired = req.query.expired === '1';
        const data = recordData();
        const expiresAt = expired ? Date.now() - 3_600_000 : liveExpiry();
        const from = Number(req.query.from ?? 0);
        const started = performance.now();
        // Each session its own bytes, as the engine hands them over (the store keeps them as given).
        for (let i = from; i < to; i++) void store.set(KEY_PREFIX + benchId(i, expired), { data: data.slice(), expiresAt });
        res.json({ ms: performance.now() - started, size: store.size });
      });
      app.get('/_admin/sweep', (req, res) => {
        const started = performance.now();
        sweep = { running: true };
        cleanupSessions(store, { batchSize: Number(req.query.batch ?? 1000) }).then(
          (summary) => (sweep = { ...summary, wallMs: performance.now() - started }),
          (error) => (sweep = { error: String(error) }),
        );
        res.send('started');
      });
      app.get('/_admin/sweep-status', (_req, res) => res.json(sweep ?? {}));
      const { sessionkit } = await sessionkitModule('express');
      app.use(sessionkit({ store, secret: SECRET, keyPrefix: KEY_PREFIX }));
    } else if (variant === 'express-session-postgres') {
      const { default: session } = await import('express-session');
      const { default: connectPgSimple } = await import('connect-pg-simple');
      const PgStore = connectPgSimple(session);
      // pruneSessionInterval: false, so that its timer's DELETE is not counted as a request's statement.
      const store = new PgStore({ pool: await pgPool(), createTableIfMissing: true, pruneSessionInterval: false });
      app.use(session({ store, secret: SECRET, resave: false, saveUninitialized: false }));
    } else throw new Error(`unknown variant ${variant}`);
    sessionRoutes(app, payload);
  }
  return new Promise((resolve) => {
    const listener = app.listen(0, '127.0.0.1', () => resolve(listener.address().port));
  });
}

/** Bytes per session of a MemoryStore: heap, ArrayBuffers and RSS before and after N store.set() calls. */
async function memoryBytes() {
  const count = Number(process.env.BENCH_MEMORY_COUNT ?? 1_000_000);
  const { MemoryStore } = await sessionkitModule('stores/memory');
  const store = new MemoryStore({ maxEntries: count });
  const data = recordData();
  const settle = () => {
    for (let i = 0; i < 4; i++) globalThis.gc();
    return process.memoryUsage();
  };
  const before = settle();
  const expiresAt = liveExpiry();
  // Each session its own bytes, as the engine hands them over (the store keeps them as given).
  for (let i = 0; i < count; i++) void store.set(KEY_PREFIX + benchId(i), { data: data.slice(), expiresAt });
  const after = settle();
  const per = (field) => (after[field] - before[field]) / count;
  // The store is full: every new session's write makes room first (a bounded check for
  // expired entries, then an eviction). 20,000 of them, so that the Map's holes and its
  // compactions (one long write now and then) are in the mean and the worst.
  const writes = 20_000;
  let fullWriteWorstMs = 0;
  const started = performance.now();
  for (let i = 0; i < writes; i++) {
    const writeStarted = performance.now();
    await store.set(KEY_PREFIX + benchId(count + i), { data: data.slice(), expiresAt });
    fullWriteWorstMs = Math.max(fullWriteWorstMs, performance.now() - writeStarted);
  }
  const fullWriteUs = ((performance.now() - started) / writes) * 1000;
  // The same write with room left: an update of an existing key (deleted, then set again).
  const updates = 100_000;
  const updateStarted = performance.now();
  for (let i = 0; i < updates; i++) await store.set(KEY_PREFIX + benchId(100 + (i % (count - 100))), { data: data.slice(), expiresAt });
  const roomWriteUs = ((performance.now() - updateStarted) / updates) * 1000;
  return {
    count,
    recordBytes: data.byteLength,
    keyChars: (KEY_PREFIX + benchId(0)).length,
    heapPerSession: per('heapUsed'),
    arrayBuffersPerSession: per('arrayBuffers'),
    externalPerSession: per('external'),
    rssPerSession: per('rss'),
    fullWriteUs,
    fullWriteWorstMs,
    roomWriteUs,
  };
}

/**
 * The filesystem store's cost per write with `files` session files in its directory: updates
 * of existing sessions, and writes of new sessions (which, past the threshold, prune).
 */
async function fsWrites() {
  const files = Number(process.env.BENCH_FS_FILES);
  const threshold = Number(process.env.BENCH_FS_THRESHOLD ?? 500);
  const { FileSystemStore } = await sessionkitModule('stores/filesystem');
  const dir = mkdtempSync(join(tmpdir(), 'bench-fs-'));
  try {
    const data = recordData();
    const expiresAt = liveExpiry();
    // The first file through the store, the others copies of its bytes under their own names.
    const first = new FileSystemStore({ dir, threshold: Math.max(threshold, files + 1000) });
    await first.set(KEY_PREFIX + benchId(0), { data, expiresAt });
    const [name] = readdirSync(dir);
    const bytes = readFileSync(join(dir, name));
    const loadStarted = performance.now();
    for (let i = 1; i < files; i++) writeFileSync(join(dir, createHash('sha256').update(KEY_PREFIX + benchId(i)).digest('hex')), bytes, { mode: 0o600 });
    const loadMs = performance.now() - loadStarted;
    const store = new FileSystemStore({ dir, threshold });
    // The first write of a process lists the directory to count its files: timed on its own.
    let started = performance.now();
    await store.set(KEY_PREFIX + benchId(0), { data, expiresAt });
    const firstWriteMs = performance.now() - started;
    const timed = async (count, key) => {
      const cpu = process.cpuUsage();
      const wall = performance.now();
      for (let i = 0; i < count; i++) await store.set(key(i), { data, expiresAt });
      const used = process.cpuUsage(cpu);
      return { wallUs: ((performance.now() - wall) / count) * 1000, cpuUs: (used.user + used.system) / count };
    };
    const update = await timed(2000, (i) => KEY_PREFIX + benchId(1 + ((i * 7919) % (files - 1))));
    // New sessions: each adds a file; past the threshold each one prunes (lists every file, reads each header).
    const create = await timed(files > threshold ? 200 : 2000, (i) => KEY_PREFIX + benchId(files + 10 + i, true));
    return { files, threshold, loadMs, firstWriteMs, update, create, filesAfter: readdirSync(dir).length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mode = import.meta.url === pathToFileURL(process.argv[1] ?? '').href ? process.argv[2] : undefined;
if (mode === 'memory-bytes') console.log(JSON.stringify(await memoryBytes()));
else if (mode === 'fs-writes') console.log(JSON.stringify(await fsWrites()));
else if (mode) {
  console.log(`PORT ${await server(mode)}`);
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
}
