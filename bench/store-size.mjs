// Issue 13 parts 4 and 5: big stores, and PostgreSQL beside connect-pg-simple. Runs under tsx
// (it starts throwaway redis-server and PostgreSQL through test/servers/), like bench/run.mjs:
//   npx tsx bench/store-size.mjs
// The application is bench/store-size-server.mjs, one process per variant; autocannon runs here
// and sends every request the signed cookie of a random one of the live sessions.
// Phases (SIZE_PHASES, comma-separated, default all):
//   read    p99 and app CPU per /read with SIZE_SIZES live sessions (default 10000,100000,1000000)
//           in each of SIZE_STORES (default memory,sqlite,redis,postgres); sessions are loaded in
//           bulk with the backend's own client in the layout of a first record written through
//           the store (memory: the store's own set()); a memory store held at the smallest size
//           is measured at every step as the control for drift of the machine
//   memory  bytes per session of the memory store (heap, ArrayBuffers, RSS; --expose-gc), and a
//           new session's write once the store is full
//   sweep   cleanupSessions (deleteExpired({ limit: 1000 }) until a batch removes fewer, as
//           `sessionkit cleanup` does) inside the application over SIZE_SWEEP expired records
//           (default 1000000; the filesystem SIZE_FS_SWEEP, default 5000), with 10,000 live
//           sessions (filesystem: 1,000) read meanwhile: p99 with and without the sweep
//   fs      the filesystem store's cost per write with 500 and 50,000 files (SIZE_FS_FILES)
//   pg      express-session + connect-pg-simple beside sessionkit's SQL store on one PostgreSQL,
//           /read and /write, interleaved rounds (SIZE_ROUNDS, default 3), statements per request
//           from pg_stat_statements
// SIZE_DURATION (seconds per measurement, default 4), SIZE_CONNECTIONS (default 10).
// BENCH_DIST / BENCH_BUILD as in run.mjs. Tables go to stdout and .tmp/store-size-latest.md, the
// chart to bench/store-size.svg.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { startPostgres } from '../test/servers/postgres.ts';
import { startRedis } from '../test/servers/redis.ts';
import { KEY_PREFIX, SECRET, benchId } from './store-size-server.mjs';

const root = new URL('..', import.meta.url).pathname;
const list = (name, fallback) => (process.env[name] ?? fallback).split(',').filter(Boolean);
const PHASES = list('SIZE_PHASES', 'read,memory,sweep,fs,pg');
const SIZES = list('SIZE_SIZES', '10000,100000,1000000').map(Number);
const STORES = list('SIZE_STORES', 'memory,sqlite,redis,postgres');
const DURATION = Number(process.env.SIZE_DURATION ?? 4);
const CONNECTIONS = Number(process.env.SIZE_CONNECTIONS ?? 10);
const ROUNDS = Number(process.env.SIZE_ROUNDS ?? 3);
const SWEEP = Number(process.env.SIZE_SWEEP ?? 1_000_000);
const FS_SWEEP = Number(process.env.SIZE_FS_SWEEP ?? 5_000);
const FS_FILES = list('SIZE_FS_FILES', '500,50000').map(Number);
const SWEEP_LIVE = 10_000;
/** Live sessions beside the filesystem's expired files (every batch of its sweep lists the whole directory). */
const FS_SWEEP_LIVE = 1_000;
const DIST = process.env.BENCH_DIST ?? `${root}dist`;
if (!process.env.BENCH_DIST && process.env.BENCH_BUILD !== '0') {
  execFileSync('npm', ['run', '--silent', 'build', '--', '--silent'], { cwd: root, stdio: 'inherit' });
}
const dist = (entry) => import(pathToFileURL(join(DIST, `${entry}.js`)).href);
const work = mkdtempSync(join(tmpdir(), 'bench-size-'));
const report = [];
const say = (line = '') => {
  console.log(line);
  report.push(line);
};
const fmt = (n, digits = 1) => (n === undefined || Number.isNaN(n) ? '' : n.toFixed(digits));
const thousands = (n) => Math.round(n).toLocaleString('en-US');

/** One session written through the engine (Express + sessionkit on a memory store): its bytes, lifetime and cookie name. */
async function captureRecord() {
  const { default: createApp } = await import('express');
  const { sessionkit } = await dist('express');
  const { MemoryStore } = await dist('stores/memory');
  const store = new MemoryStore();
  const app = createApp();
  app.use(sessionkit({ store, secret: SECRET, keyPrefix: KEY_PREFIX }));
  app.get('/login', (req, res) => {
    Object.assign(req.session, { userId: 4711, name: 'ada', cart: ['apple', 'bread', 'cheese', 'dates', 'eggs'], counter: 0 });
    res.send('ok');
  });
  const listener = await new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
  });
  try {
    const response = await fetch(`http://127.0.0.1:${listener.address().port}/login`);
    const [pair] = response.headers.getSetCookie()[0].split(';');
    const [name, value] = pair.split('=');
    const [id, signature] = decodeURIComponent(value).split('.');
    if (sign(id) !== signature) throw new Error('the cookie signature is not HMAC-SHA256(secret, id) in base64url');
    const record = store.getSync(KEY_PREFIX + id);
    // The lifetime: the expiry a fresh write gives, to the day.
    const lifetimeMs = Math.round((record.expiresAt - Date.now()) / 86_400_000) * 86_400_000;
    return { cookieName: name, data: Buffer.from(record.data), lifetimeMs };
  } finally {
    listener.close();
  }
}
const sign = (id) => createHmac('sha256', SECRET).update(id).digest('base64url');

const captured = await captureRecord();
const liveExpiry = () => Date.now() + captured.lifetimeMs + 3_600_000;
const appEnv = { ...process.env, BENCH_DIST: DIST, BENCH_RECORD_HEX: captured.data.toString('hex'), BENCH_LIFETIME_MS: String(captured.lifetimeMs) };
const cookieOf = (i) => `${captured.cookieName}=${benchId(i)}.${sign(benchId(i))}`;
/** Cookies of up to 50,000 random live sessions out of `size`; every request picks one at random. */
function cookiePool(size) {
  const count = Math.min(size, 50_000);
  return Array.from({ length: count }, (_, k) => cookieOf(count === size ? k : Math.floor(Math.random() * size)));
}

function startApp(variant, env = {}, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, 'bench/store-size-server.mjs', variant], {
    cwd: root,
    env: { ...appEnv, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      const match = /PORT (\d+)/.exec(chunk.toString());
      if (match) resolve({ variant, child, url: `http://127.0.0.1:${match[1]}` });
    });
    child.once('exit', (code) => reject(new Error(`${variant} exited with ${code}`)));
  });
}
const stopApp = (app) => app && (app.child.removeAllListeners('exit'), app.child.kill());

/** A mode of store-size-server.mjs that prints one JSON line. */
function runJson(mode, env, nodeArgs = []) {
  const out = execFileSync(process.execPath, [...nodeArgs, 'bench/store-size-server.mjs', mode], { cwd: root, env: { ...appEnv, ...env }, encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').pop());
}

const TICKS = 100; // USER_HZ
function cpuOfPid(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / TICKS };
  } catch {
    return { ppid: -1, cpu: 0 };
  }
}
/** CPU seconds of a process and, for PostgreSQL, of each of its backends (its children), by pid. */
function cpuTree(pid) {
  const tree = new Map([[pid, cpuOfPid(pid).cpu]]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const { ppid, cpu } = cpuOfPid(entry);
    if (ppid === pid) tree.set(Number(entry), cpu);
  }
  return tree;
}
/** CPU seconds used since `before` by the processes alive now (a backend that exited meanwhile is left out, never counted negative). */
function cpuSince(before, pid) {
  let total = 0;
  for (const [id, cpu] of cpuTree(pid)) total += cpu - (before.get(id) ?? 0);
  return total;
}

/** autocannon on `route`, each request with a random cookie of `cookies`; `until` (a promise) ends it early. */
function load(url, route, cookies, duration, until) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${url}/${route}`,
        connections: CONNECTIONS,
        duration,
        requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, headers: { ...request.headers, cookie: cookies[Math.floor(Math.random() * cookies.length)] } }) }],
      },
      (error, result) => {
        if (error) return reject(error);
        if (result.non2xx > 0 || result.errors > 0) return reject(new Error(`${url}/${route}: ${result.non2xx} non-2xx, ${result.errors} errors`));
        resolve({ rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max, requests: result.requests.total, seconds: result.duration });
      },
    );
    until?.then(() => instance.stop());
  });
}

/** A measured run: warm-up, then `duration` s, with the app's (and a database's) CPU per request. */
async function measure(app, route, cookies, { dbPid, warmup = 1 } = {}) {
  if (warmup) await load(app.url, route, cookies, warmup);
  const app0 = cpuTree(app.child.pid);
  const db0 = dbPid ? cpuTree(dbPid) : undefined;
  const sample = await load(app.url, route, cookies, DURATION);
  sample.appCpuUs = (cpuSince(app0, app.child.pid) / sample.requests) * 1e6;
  if (dbPid) sample.dbCpuUs = (cpuSince(db0, dbPid) / sample.requests) * 1e6;
  return sample;
}

/** Checks that the sessions are read: a few random cookies answer 'hello ada' and set no cookie. */
async function check(app, cookies) {
  for (let k = 0; k < 5; k++) {
    const response = await fetch(`${app.url}/read`, { headers: { cookie: cookies[Math.floor(Math.random() * cookies.length)] } });
    const text = await response.text();
    if (text !== 'hello ada' || response.headers.getSetCookie().length > 0) throw new Error(`${app.variant}: /read answered "${text}" (set-cookie ${response.headers.getSetCookie().length}): the loaded session was not read as it is`);
  }
}

// ---------------------------------------------------------------------------------------------
// Loaders: each fills a backend with sessions number `from` to `to - 1` (live, or expired).
// ---------------------------------------------------------------------------------------------

/** The record bytes the store wrote for the first session, for copying its layout. */
const firstRecord = () => ({ data: new Uint8Array(captured.data), expiresAt: liveExpiry() });

async function sqliteLoader(path) {
  const { SqliteStore } = await dist('stores/sqlite');
  const store = new SqliteStore({ path, sweepEvery: 0 });
  await store.set(KEY_PREFIX + benchId(0), firstRecord()); // creates the table and its index
  await store.close();
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  const columns = db.prepare('SELECT data, expires_at, version FROM sessions WHERE id = ?').get(KEY_PREFIX + benchId(0));
  const insert = db.prepare('INSERT OR REPLACE INTO sessions (id, data, expires_at, version) VALUES (?, ?, ?, ?)');
  const fill = db.transaction((from, to, expired, expiresAt) => {
    for (let i = from; i < to; i++) insert.run(KEY_PREFIX + benchId(i, expired), columns.data, expiresAt, 1 + i);
  });
  return {
    async load(from, to, expired = false) {
      const expiresAt = expired ? Date.now() - 3_600_000 : liveExpiry();
      for (let i = from; i < to; i += 50_000) fill(i, Math.min(to, i + 50_000), expired, expiresAt);
    },
    close: () => db.close(),
  };
}

async function redisLoader(server) {
  const { createClient } = await import('redis');
  const client = createClient({ url: server.url });
  client.on('error', (error) => console.error('redis:', error.message));
  await client.connect();
  const { RedisStore } = await dist('stores/redis');
  await new RedisStore({ client }).set(KEY_PREFIX + benchId(0), firstRecord());
  const value = await client.sendCommand(['GET', KEY_PREFIX + benchId(0)], { typeMapping: { 36: Buffer } });
  // One Lua loop per 50,000 keys, in the store's layout (8-byte version, then the session bytes).
  const script = `for i = tonumber(ARGV[1]), tonumber(ARGV[2]) - 1 do
  redis.call('SET', ARGV[3] .. string.format('%038d', i), ARGV[4], 'PX', ARGV[5])
end`;
  return {
    async load(from, to, expired = false) {
      const prefix = KEY_PREFIX + (expired ? 'xpird' : 'bench');
      const ttl = expired ? 2000 : captured.lifetimeMs + 3_600_000;
      for (let i = from; i < to; i += 50_000) await client.sendCommand(['EVAL', script, '0', String(i), String(Math.min(to, i + 50_000)), prefix, value, String(ttl)]);
    },
    close: () => client.destroy(),
  };
}

async function postgresLoader(server, table = 'sessions') {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: server.connectionString, max: 2 });
  const { SqlStore } = await dist('stores/sql');
  await new SqlStore({ client: pool, table }).set(KEY_PREFIX + benchId(0), firstRecord()); // creates the table and its index
  const { rows } = await pool.query(`SELECT data FROM "${table}" WHERE id = $1`, [KEY_PREFIX + benchId(0)]);
  return {
    async load(from, to, expired = false) {
      const prefix = KEY_PREFIX + (expired ? 'xpird' : 'bench');
      const expiresAt = expired ? Date.now() - 3_600_000 : liveExpiry();
      for (let i = from; i < to; i += 200_000) {
        await pool.query(
          `INSERT INTO "${table}" (id, data, expires_at, version)
           SELECT $1 || lpad(i::text, 38, '0'), $2, $3, i + 1 FROM generate_series($4::int, $5::int - 1) AS i
           ON CONFLICT (id) DO NOTHING`,
          [prefix, rows[0].data, expiresAt, i, Math.min(to, i + 200_000)],
        );
      }
      await pool.query(`ANALYZE "${table}"`);
    },
    close: () => pool.end(),
  };
}

/** The memory store lives in the application: it grows itself through store.set(). */
const memoryLoader = (app) => ({
  async load(from, to, expired = false) {
    const response = await fetch(`${app.url}/_admin/grow?from=${from}&to=${to}&expired=${expired ? 1 : 0}`);
    if (!response.ok) throw new Error(`grow: ${response.status}`);
  },
  close() {},
});

function fsLoader(dir) {
  return {
    async load(from, to, expired = false) {
      const { FileSystemStore } = await dist('stores/filesystem');
      const key0 = KEY_PREFIX + benchId(0, expired);
      await new FileSystemStore({ dir, threshold: 10_000_000 }).set(key0, { ...firstRecord(), expiresAt: expired ? Date.now() - 3_600_000 : liveExpiry() });
      const bytes = readFileSync(join(dir, createHash('sha256').update(key0).digest('hex')));
      for (let i = Math.max(from, 1); i < to; i++) {
        writeFileSync(join(dir, createHash('sha256').update(KEY_PREFIX + benchId(i, expired)).digest('hex')), bytes, { mode: 0o600 });
      }
    },
    close() {},
  };
}

const timedLoad = async (loader, from, to, expired) => {
  const started = performance.now();
  await loader.load(from, to, expired);
  const seconds = (performance.now() - started) / 1000;
  return { seconds, rate: (to - from) / seconds };
};

// ---------------------------------------------------------------------------------------------

const databases = [];
const apps = [];
const readResults = []; // { store, size, sample }
const loadRates = []; // { store, size, rate, seconds }
try {
  say(`Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model}), ${CONNECTIONS} connections, ${DURATION} s per measurement, ` +
    `${new Date().toISOString().slice(0, 10)}. Build: ${DIST}. Record: ${captured.data.length} bytes of session data, key of ${(KEY_PREFIX + benchId(0)).length} characters.`);
  say();
  const needsRedis = PHASES.includes('read') && STORES.includes('redis');
  const needsPostgres = (PHASES.includes('read') && STORES.includes('postgres')) || PHASES.includes('sweep');
  const redis = needsRedis ? await startRedis() : undefined;
  const postgres = needsPostgres ? await startPostgres({ settings: { max_connections: '50' } }) : undefined;
  databases.push(redis, postgres);

  if (PHASES.includes('read')) {
    const stores = [];
    const control = await startApp('sessionkit-memory');
    apps.push(control);
    await memoryLoader(control).load(0, SIZES[0]);
    for (const name of STORES) {
      let app;
      let loader;
      let dbPid;
      if (name === 'memory') {
        app = await startApp('sessionkit-memory');
        loader = memoryLoader(app);
      } else if (name === 'sqlite') {
        const path = join(work, 'read.db');
        loader = await sqliteLoader(path);
        app = await startApp('sessionkit-sqlite', { BENCH_SQLITE_PATH: path });
      } else if (name === 'redis') {
        loader = await redisLoader(redis);
        app = await startApp('sessionkit-redis', { BENCH_REDIS_URL: redis.url });
        dbPid = redis.pid;
      } else if (name === 'postgres') {
        loader = await postgresLoader(postgres);
        app = await startApp('sessionkit-postgres', { BENCH_POSTGRES_URL: postgres.connectionString });
        dbPid = postgres.pid;
      } else throw new Error(`unknown store ${name}`);
      apps.push(app);
      stores.push({ name, app, loader, dbPid, size: 0 });
    }
    for (const size of SIZES) {
      for (const store of stores) {
        const { seconds, rate } = await timedLoad(store.loader, store.size, size, false);
        loadRates.push({ store: store.name, from: store.size, size, seconds, rate });
        console.log(`${store.name}: loaded ${thousands(store.size)} → ${thousands(size)} in ${seconds.toFixed(1)} s (${thousands(rate)}/s)`);
        store.size = size;
      }
      const cookies = cookiePool(size);
      const controlCookies = cookiePool(SIZES[0]);
      await check(control, controlCookies);
      readResults.push({ store: `control (memory, ${thousands(SIZES[0])})`, size, sample: await measure(control, 'read', controlCookies) });
      for (const store of stores) {
        await check(store.app, cookies);
        const sample = await measure(store.app, 'read', cookies, { dbPid: store.dbPid });
        readResults.push({ store: store.name, size, sample });
        console.log(`${store.name} @ ${thousands(size)}: p99 ${sample.p99} ms, ${fmt(sample.appCpuUs)} µs app CPU/request, ${Math.round(sample.rps)} req/s`);
      }
    }
    for (const store of stores) {
      stopApp(store.app);
      store.loader.close();
    }
    stopApp(control);
    await redis?.command('FLUSHALL');
    await postgres?.query('DROP TABLE IF EXISTS sessions');
    rmSync(join(work, 'read.db'), { force: true });

    say(`### Read path by store size`);
    say();
    say(`GET /read of a random one of the live sessions (signed cookie of one of up to 50,000 random sessions per size), ${CONNECTIONS} connections.`);
    say(`The control is a memory store held at ${thousands(SIZES[0])} sessions, measured at every step: it shows how much the machine itself drifted.`);
    say();
    say('| store | live sessions | req/s | p50 ms | p99 ms | app CPU µs/request | database CPU µs/request | load rate (sessions/s) |');
    say('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const { store, size, sample } of readResults) {
      const loaded = loadRates.find((r) => r.store === store && r.size === size);
      say(`| ${store} | ${thousands(size)} | ${Math.round(sample.rps)} | ${sample.p50} | ${sample.p99} | ${fmt(sample.appCpuUs)} | ${fmt(sample.dbCpuUs)} | ${loaded ? thousands(loaded.rate) : ''} |`);
    }
    say();
    writeChart(readResults.filter((r) => !r.store.startsWith('control')), readResults.filter((r) => r.store.startsWith('control')));
  }

  if (PHASES.includes('memory')) {
    say('### Memory store: bytes per session');
    say();
    say('`node --expose-gc bench/store-size-server.mjs memory-bytes`: process.memoryUsage() after gc, before and after N store.set() calls.');
    say();
    say('| sessions | heap bytes/session | ArrayBuffer bytes/session | RSS bytes/session | session data bytes | new session write at maxEntries: mean µs of 20,000 | the same: worst ms | update write with room (µs) |');
    say('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const count of [100_000, 1_000_000]) {
      const m = runJson('memory-bytes', { BENCH_MEMORY_COUNT: String(count) }, ['--expose-gc']);
      say(`| ${thousands(count)} | ${Math.round(m.heapPerSession)} | ${Math.round(m.arrayBuffersPerSession)} | ${Math.round(m.rssPerSession)} | ${m.recordBytes} | ${fmt(m.fullWriteUs, 1)} | ${fmt(m.fullWriteWorstMs, 1)} | ${fmt(m.roomWriteUs, 2)} |`);
    }
    say();
  }

  if (PHASES.includes('sweep')) {
    say('### deleteExpired under load');
    say();
    say(`cleanupSessions(store, { batchSize: 1000 }) inside the application process (what \`sessionkit cleanup\` runs, one deleteExpired({ limit: 1000 }) per batch), ` +
      `over N expired records, while ${CONNECTIONS} connections read random ones of ${thousands(SWEEP_LIVE)} live sessions (filesystem: ${thousands(FS_SWEEP_LIVE)}). "without" is ${DURATION} s of the same reads just before.`);
    say();
    say('| store | expired records | load rate (records/s) | sweep wall s | records/s removed | batches | req/s without / during | p99 ms without / during | max ms without / during |');
    say('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const name of ['memory', 'sqlite', 'postgres', 'filesystem']) {
      const expired = name === 'filesystem' ? FS_SWEEP : SWEEP;
      let app;
      let loader;
      if (name === 'memory') {
        app = await startApp('sessionkit-memory');
        loader = memoryLoader(app);
      } else if (name === 'sqlite') {
        const path = join(work, 'sweep.db');
        loader = await sqliteLoader(path);
        app = await startApp('sessionkit-sqlite', { BENCH_SQLITE_PATH: path, BENCH_SQLITE_SWEEP_EVERY: '0' });
      } else if (name === 'postgres') {
        loader = await postgresLoader(postgres, 'sweep_sessions');
        app = await startApp('sessionkit-postgres', { BENCH_POSTGRES_URL: postgres.connectionString, BENCH_PG_TABLE: 'sweep_sessions' });
      } else {
        const dir = join(work, 'fs-sweep');
        mkdirSync(dir);
        loader = fsLoader(dir);
        app = await startApp('sessionkit-filesystem', { BENCH_FS_DIR: dir, BENCH_FS_THRESHOLD: '10000000' });
      }
      apps.push(app);
      try {
        // Expired first: they are the older writes (the memory store's Map order is write order).
        const { rate } = await timedLoad(loader, 0, expired, true);
        const live = name === 'filesystem' ? FS_SWEEP_LIVE : SWEEP_LIVE;
        await loader.load(0, live, false);
        const cookies = cookiePool(live);
        await check(app, cookies);
        const without = await measure(app, 'read', cookies);
        let finished;
        const done = new Promise((resolve) => (finished = resolve));
        const during = load(app.url, 'read', cookies, 900, done);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await fetch(`${app.url}/_admin/sweep?batch=1000`);
        let summary;
        for (;;) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          summary = await (await fetch(`${app.url}/_admin/sweep-status`)).json();
          if (!summary.running) break;
        }
        finished();
        const sample = await during;
        if (summary.error) throw new Error(`${name} sweep: ${summary.error}`);
        const wall = summary.wallMs / 1000;
        say(`| ${name} | ${thousands(expired)} | ${thousands(rate)} | ${fmt(wall, 2)} | ${thousands(summary.removed / wall)} | ${summary.batches} | ` +
          `${Math.round(without.rps)} / ${Math.round(sample.rps)} | ${without.p99} / ${sample.p99} | ${without.max} / ${sample.max} |`);
      } finally {
        stopApp(app);
        loader.close();
      }
    }
    say('| redis | — | | | | | | | |');
    say();
    say('Redis: deleteExpired resolves 0, Redis expires keys itself (not measured here).');
    say();
  }

  if (PHASES.includes('fs')) {
    say('### Filesystem store: cost per write');
    say();
    say('`node bench/store-size-server.mjs fs-writes` with BENCH_FS_FILES files (copies of a first file the store wrote) in the directory: ' +
      'µs per store.set(), wall and process CPU. "update" rewrites existing sessions; "new" adds sessions (past `threshold` each one prunes).');
    say();
    say('| files | threshold | first write of the process (ms) | update: wall µs | update: CPU µs | new session: wall µs | new session: CPU µs | files after |');
    say('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const files of FS_FILES) {
      const threshold = files <= 500 ? 500 : files * 2;
      const r = runJson('fs-writes', { BENCH_FS_FILES: String(files), BENCH_FS_THRESHOLD: String(threshold) });
      say(`| ${thousands(files)} | ${thousands(threshold)}${threshold === 500 ? ' (default)' : ' (raised)'} | ${fmt(r.firstWriteMs, 2)} | ${fmt(r.update.wallUs)} | ${fmt(r.update.cpuUs)} | ${fmt(r.create.wallUs)} | ${fmt(r.create.cpuUs)} | ${thousands(r.filesAfter)} |`);
    }
    say();
  }

  if (PHASES.includes('pg')) {
    const pgServer = await startPostgres({ settings: { max_connections: '50' } });
    databases.push(pgServer);
    const env = { BENCH_POSTGRES_URL: pgServer.connectionString };
    const variants = ['none', 'sessionkit-postgres', 'express-session-postgres'];
    const servers = [];
    for (const variant of variants) servers.push(await startApp(variant, env));
    apps.push(...servers);
    const cookies = new Map();
    for (const server of servers) {
      const list = [];
      for (let k = 0; k < 50; k++) {
        const response = await fetch(`${server.url}/login`);
        list.push(response.headers.getSetCookie().map((line) => line.split(';')[0]).join('; '));
      }
      cookies.set(server.variant, list);
    }
    cookies.set('none', cookies.get('sessionkit-postgres'));
    const samples = new Map();
    for (let round = 1; round <= ROUNDS; round++) {
      for (const route of ['read', 'write']) {
        for (const server of servers) {
          await load(server.url, route, cookies.get(server.variant), 1);
          const served = async () => (await (await fetch(`${server.url}/_admin/served`)).json()).served;
          if (pgServer.statementStats) await pgServer.resetStatementCounts();
          const servedBefore = await served();
          const sample = await measure(server, route, cookies.get(server.variant), { dbPid: pgServer.pid, warmup: 0 });
          if (pgServer.statementStats) {
            const counts = await pgServer.statementCounts();
            const requests = (await served()) - servedBefore;
            sample.statements = Object.values(counts).reduce((a, b) => a + b, 0) / requests;
            sample.statementKinds = Object.entries(counts)
              .filter(([, calls]) => calls / requests >= 0.01)
              .map(([query, calls]) => `${(calls / requests).toFixed(2)}× ${query.replace(/\s+/g, ' ').slice(0, 70)}`);
          }
          const key = `${server.variant} /${route}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
          console.log(`round ${round}: ${key} ${Math.round(sample.rps)} req/s, p99 ${sample.p99} ms, ${fmt(sample.appCpuUs)} µs app, ${fmt(sample.dbCpuUs)} µs PostgreSQL, ${fmt(sample.statements, 2)} statements`);
        }
      }
    }
    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    say('### PostgreSQL: sessionkit beside express-session + connect-pg-simple');
    say();
    say(`One throwaway PostgreSQL, ${CONNECTIONS} connections over 50 sessions, ${DURATION} s per case, median of ${ROUNDS} interleaved rounds; ` +
      'statements per request from pg_stat_statements (reset before each case; BEGIN/COMMIT would count too), divided by the requests the application served meanwhile.');
    say();
    say('| variant | route | req/s | p99 ms | throughput ratio to none | app CPU µs/request | PostgreSQL CPU µs/request | statements/request | statements (calls per request) |');
    say('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const route of ['read', 'write']) {
      const baseline = median(samples.get(`none /${route}`).map((s) => s.rps));
      for (const variant of variants) {
        const list = samples.get(`${variant} /${route}`);
        const rps = median(list.map((s) => s.rps));
        const kinds = variant === 'none' ? '' : list[list.length - 1].statementKinds?.join('; ') ?? '';
        say(`| ${variant} | /${route} | ${Math.round(rps)} | ${median(list.map((s) => s.p99))} | ${(rps / baseline).toFixed(2)}x | ${fmt(median(list.map((s) => s.appCpuUs)))} | ` +
          `${fmt(median(list.map((s) => s.dbCpuUs)))} | ${fmt(median(list.map((s) => s.statements ?? NaN)), 2)} | ${kinds.replace(/\|/g, '\\|')} |`);
      }
    }
    say();
  }
} finally {
  for (const app of apps) stopApp(app);
  await Promise.all(databases.filter(Boolean).map((server) => server.stop()));
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(root, '.tmp'), { recursive: true });
  writeFileSync(join(root, '.tmp', 'store-size-latest.md'), `${report.join('\n')}\n`);
}

/** bench/store-size.svg: read p99 and app CPU per request against store size (log scale), a line per store. */
function writeChart(results, control) {
  const stores = [...new Set(results.map((r) => r.store))];
  const colors = { memory: '#1f77b4', sqlite: '#2ca02c', redis: '#d62728', postgres: '#9467bd' };
  const sizes = [...new Set(results.map((r) => r.size))].sort((a, b) => a - b);
  const panel = (x0, title, unit, value) => {
    const w = 380;
    const h = 240;
    const top = 40;
    const left = x0 + 55;
    const all = [...results, ...control].map(value).filter((v) => v !== undefined);
    const max = Math.max(...all) * 1.1 || 1;
    const lo = Math.log10(sizes[0]);
    const hi = Math.log10(sizes[sizes.length - 1]);
    const px = (size) => left + (hi === lo ? w / 2 : ((Math.log10(size) - lo) / (hi - lo)) * w);
    const py = (v) => top + h - (v / max) * h;
    const parts = [`<text x="${left + w / 2}" y="22" text-anchor="middle" font-weight="bold">${title}</text>`];
    parts.push(`<line x1="${left}" y1="${top + h}" x2="${left + w}" y2="${top + h}" stroke="#333"/><line x1="${left}" y1="${top}" x2="${left}" y2="${top + h}" stroke="#333"/>`);
    for (let k = 0; k <= 4; k++) {
      const v = (max * k) / 4;
      parts.push(`<line x1="${left}" y1="${py(v)}" x2="${left + w}" y2="${py(v)}" stroke="#ddd"/><text x="${left - 6}" y="${py(v) + 4}" text-anchor="end">${v.toFixed(v < 10 ? 1 : 0)}</text>`);
    }
    for (const size of sizes) parts.push(`<text x="${px(size)}" y="${top + h + 18}" text-anchor="middle">${thousands(size)}</text>`);
    parts.push(`<text x="${left + w / 2}" y="${top + h + 38}" text-anchor="middle">live sessions in the store (log scale)</text>`);
    parts.push(`<text x="${x0 + 14}" y="${top + h / 2}" text-anchor="middle" transform="rotate(-90 ${x0 + 14} ${top + h / 2})">${unit}</text>`);
    const line = (rows, color, dash) => {
      const points = rows.map((r) => `${px(r.size).toFixed(1)},${py(value(r)).toFixed(1)}`);
      return `<polyline fill="none" stroke="${color}" stroke-width="2"${dash ? ' stroke-dasharray="4 3"' : ''} points="${points.join(' ')}"/>` +
        rows.map((r) => `<circle cx="${px(r.size).toFixed(1)}" cy="${py(value(r)).toFixed(1)}" r="3" fill="${color}"/>`).join('');
    };
    for (const store of stores) parts.push(line(results.filter((r) => r.store === store), colors[store] ?? '#000'));
    if (control.length) parts.push(line(control, '#999', true));
    return parts.join('\n');
  };
  const legend = [...stores.map((s) => [s, colors[s] ?? '#000', false]), ...(control.length ? [[control[0].store, '#999', true]] : [])]
    .map(([name, color, dash], k) => `<line x1="${70 + k * 160}" y1="335" x2="${95 + k * 160}" y2="335" stroke="${color}" stroke-width="2"${dash ? ' stroke-dasharray="4 3"' : ''}/><text x="${100 + k * 160}" y="339">${name}</text>`)
    .join('\n');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="360" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="#fff"/>
${panel(0, 'GET /read p99 (ms)', 'p99 latency, ms', (r) => r.sample.p99)}
${panel(450, 'App CPU per /read (µs)', 'app CPU µs per request', (r) => r.sample.appCpuUs)}
${legend}
</svg>
`;
  writeFileSync(new URL('store-size.svg', import.meta.url), svg);
}
