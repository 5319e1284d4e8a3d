// npm run bench: throughput with and without sessions, side by side in one run.
// Each variant is its own server process; autocannon runs in this process. Cases are
// interleaved over several rounds and the median is kept, to even out drift.
// BENCH_DURATION (seconds per case, default 8) and BENCH_ROUNDS (default 3) shorten a run.
// Variants on Redis, PostgreSQL or Memcached get a throwaway server from the test harness
// (which is TypeScript: the script runs under tsx), shared by all variants that need it.
// sessionkit variants load this checkout's dist/, built first with `npm run build`
// (BENCH_BUILD=0 skips the build; BENCH_DIST=<dir> loads another build and skips it too).
// BENCH_BASE=<dir of another build's dist/> adds "@base" variants (express:sessionkit-memory@base)
// that load that build, so an old and a new version are measured interleaved in one run.
// BENCH_SESSION_KB=<n> gives every session about n KB of data (bench/session-data.mjs) instead of
// the small payload; BENCH_JSON=<file> also writes the medians there, for bench/session-size.mjs.
// Every variant gets the same Cookie header: those whose /login sets no cookie (none, floor)
// are sent the cookies of a session variant, so Node's header parsing is in every figure.
import { execFileSync, spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { startMemcached } from '../test/servers/memcached.ts';
import { startPostgres } from '../test/servers/postgres.ts';
import { startRedis } from '../test/servers/redis.ts';

const root = new URL('..', import.meta.url).pathname;
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 50;
// BENCH_PIN=1: the application servers get core 0 to themselves; this process (autocannon)
// and the database servers it starts share core 1, as if they ran on other machines.
const PIN = process.env.BENCH_PIN === '1';
if (PIN) execFileSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
// Each framework's variants; ratios are to the same framework without sessions.
const BASE = process.env.BENCH_BASE;
const ALL_VARIANTS = [
  'express:none', 'express:floor', 'express:sessionkit-memory', 'express:sessionkit-sqlite', 'express:express-session-memory',
  'express:sessionkit-redis', 'express:sessionkit-postgres', 'express:sessionkit-memcached', 'express:express-session-redis',
  'fastify:none', 'fastify:floor', 'fastify:sessionkit-memory', 'fastify:fastify-session-memory',
  'fastify:sessionkit-redis', 'fastify:fastify-session-redis',
  'hono:none', 'hono:floor', 'hono:sessionkit-memory', 'hono:hono-sessions-memory',
  ...(BASE ? ['express:sessionkit-memory@base', 'express:sessionkit-redis@base', 'fastify:sessionkit-memory@base', 'fastify:sessionkit-redis@base', 'hono:sessionkit-memory@base'] : []),
];
const VARIANTS = process.env.BENCH_VARIANTS ? process.env.BENCH_VARIANTS.split(',') : ALL_VARIANTS;
const frameworkOf = (variant) => variant.split(':')[0];
const baselineOf = (variant) => `${frameworkOf(variant)}:none`;
const floorOf = (variant) => `${frameworkOf(variant)}:floor`;
// BENCH_ROUTES=read measures only the read path (bench/session-size.mjs does).
const ROUTES = process.env.BENCH_ROUTES ? process.env.BENCH_ROUTES.split(',') : ['read', 'write'];
if (VARIANTS.some((variant) => variant.endsWith('@base')) && !BASE) throw new Error('@base variants need BENCH_BASE=<the base build\'s dist/>');
for (const variant of VARIANTS) {
  if (!VARIANTS.includes(baselineOf(variant))) throw new Error(`${variant} needs ${baselineOf(variant)} in BENCH_VARIANTS for its ratios`);
}

/** The commit a directory is checked out at, with "+ changes in src/" when its src/ differs from it. */
function commitOf(dir) {
  try {
    const git = (...args) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--', 'src', 'tsup.config.ts') ? `${commit} + uncommitted changes in src/` : commit;
  } catch {
    return 'unknown commit';
  }
}
const NEW_DIST = process.env.BENCH_DIST ?? `${root}dist`;
const NEW_COMMIT = commitOf(process.env.BENCH_DIST ? `${NEW_DIST}/..` : root);
if (!process.env.BENCH_DIST && process.env.BENCH_BUILD !== '0') {
  execFileSync('npm', ['run', '--silent', 'build', '--', '--silent'], { cwd: root, stdio: 'inherit' });
}

/** The database servers the chosen variants need, each started once; their addresses go to the bench servers' environment. */
const DATABASES = [
  { uses: /-redis(@base)?$/, start: startRedis, env: (server) => ({ BENCH_REDIS_URL: `redis://${server.host}:${server.port}` }) },
  { uses: /-postgres(@base)?$/, start: startPostgres, env: (server) => ({ BENCH_POSTGRES_URL: server.connectionString }) },
  { uses: /-memcached(@base)?$/, start: startMemcached, env: (server) => ({ BENCH_MEMCACHED_SERVER: `${server.host}:${server.port}` }) },
];
const databases = [];
const serverEnv = { ...process.env };

function startServer(variant) {
  const command = PIN ? ['taskset', ['-c', '0', process.execPath, 'bench/server.mjs', variant]] : [process.execPath, ['bench/server.mjs', variant]];
  const child = spawn(...command, { cwd: root, env: serverEnv, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      const match = /PORT (\d+)/.exec(chunk.toString());
      if (match) resolve({ variant, child, url: `http://127.0.0.1:${match[1]}` });
    });
    child.once('exit', (code) => reject(new Error(`${variant} server exited with ${code}`)));
  });
}

/** One session per connection, as real clients have: a cookie from /login for each ('' where /login sets none). */
async function sessions(server) {
  return Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const response = await fetch(`${server.url}/login`);
      const cookie = response.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
      const check = await (await fetch(`${server.url}/read`, { headers: { cookie } })).text();
      if (check !== 'hello ada') throw new Error(`${server.variant}: /read answered "${check}", the session was not read`);
      return cookie;
    }),
  );
}

/**
 * The cookies a variant without cookies of its own (none, floor) is sent: those of the
 * same framework's sessionkit variant, else of any sessionkit variant, else of any
 * variant, else a stand-in of a signed sessionkit cookie's length.
 */
function borrowedCookies(variant, cookies) {
  const donors = [...cookies.entries()].filter(([, list]) => list[0] !== '');
  const donor =
    donors.find(([name]) => frameworkOf(name) === frameworkOf(variant) && /:sessionkit-[^@]*$/.test(name)) ??
    donors.find(([name]) => /:sessionkit-[^@]*$/.test(name)) ??
    donors[0];
  if (donor) return { from: donor[0], list: donor[1] };
  return { from: 'a stand-in', list: Array.from({ length: CONNECTIONS }, (_, i) => `sid=${String(i).padStart(43, 'x')}.${'y'.repeat(43)}`) };
}

function measure(server, cookies, route, duration) {
  let next = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${server.url}/${route}`,
        connections: CONNECTIONS,
        duration,
        setupClient: (client) => client.setHeaders({ cookie: cookies[next++ % cookies.length] }),
      },
      (error, result) => {
        if (error) return reject(error);
        if (result.non2xx > 0 || result.errors > 0) {
          return reject(new Error(`${server.variant} /${route}: ${result.non2xx} non-2xx answers, ${result.errors} errors`));
        }
        resolve({ rps: result.requests.average, p99: result.latency.p99, requests: result.requests.total });
      },
    );
  });
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux (getconf CLK_TCK)

/**
 * CPU seconds a server process has used so far (user + system, from /proc). Divided by the
 * requests served, it is the application's own cost per request, without the load
 * generator's or the database server's, which share this machine's two cores but would
 * run elsewhere in production.
 */
function cpuSeconds(child) {
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime
}

/** Commands the Redis server has run so far (INFO itself excluded), for a variant on Redis. */
async function redisCommands(variant) {
  const redis = databases.find((server) => server.name === 'redis');
  if (!redis || !/-redis(@base)?$/.test(variant)) return undefined;
  const stats = await redis.commandStats();
  return Object.entries(stats).reduce((sum, [command, calls]) => (command === 'info' ? sum : sum + calls), 0);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const servers = [];
try {
  for (const database of DATABASES) {
    if (!VARIANTS.some((variant) => database.uses.test(variant))) continue;
    const server = await database.start();
    databases.push(server);
    Object.assign(serverEnv, database.env(server));
  }
  for (const variant of VARIANTS) servers.push(await startServer(variant));
  const cookies = new Map();
  for (const server of servers) cookies.set(server.variant, await sessions(server));
  const cookieNotes = [];
  for (const [variant, list] of cookies) {
    if (list[0] !== '') continue;
    const borrowed = borrowedCookies(variant, cookies);
    cookies.set(variant, borrowed.list);
    cookieNotes.push(`${variant} is sent the cookies of ${borrowed.from} (Cookie header of ${Buffer.byteLength(borrowed.list[0])} bytes)`);
  }
  for (const note of cookieNotes) console.log(note);
  const samples = new Map();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const route of ROUTES) {
      for (const server of servers) {
        await measure(server, cookies.get(server.variant), route, 2); // warm-up
        const before = await redisCommands(server.variant);
        const cpuBefore = cpuSeconds(server.child);
        const sample = await measure(server, cookies.get(server.variant), route, DURATION);
        const cpuUsed = cpuSeconds(server.child) - cpuBefore;
        sample.cpuMicros = (cpuUsed / sample.requests) * 1e6;
        if (before !== undefined) sample.redisPerRequest = ((await redisCommands(server.variant)) - before) / sample.requests;
        const key = `${server.variant} /${route}`;
        samples.set(key, [...(samples.get(key) ?? []), sample]);
        console.log(
          `round ${round}: ${key.padEnd(32)} ${Math.round(sample.rps)} req/s, p99 ${sample.p99} ms, ` +
            `${sample.cpuMicros.toFixed(1)} µs CPU/request, server busy ${(cpuUsed / DURATION).toFixed(2)} cores`,
        );
      }
    }
  }
  const rows = [];
  const cpuOf = (variant, route) => {
    const list = samples.get(`${variant} /${route}`);
    return list && median(list.map((s) => s.cpuMicros));
  };
  // A difference of two variants is the median of their differences round by round: both
  // were measured seconds apart in the same round, so a machine that drifts during the run
  // (bare Fastify's CPU per request moved 15 -> 24 µs between two rounds) moves both alike.
  const pairedDifference = (variant, other, route) => {
    const ours = samples.get(`${variant} /${route}`);
    const theirs = samples.get(`${other} /${route}`);
    return ours && theirs && median(ours.map((sample, round) => sample.cpuMicros - theirs[round].cpuMicros));
  };
  const rpsOf = (variant, route) => {
    const list = samples.get(`${variant} /${route}`);
    return list && median(list.map((s) => s.rps));
  };
  for (const route of ROUTES) {
    for (const variant of VARIANTS) {
      const baseline = rpsOf(baselineOf(variant), route);
      const baselineCpu = cpuOf(baselineOf(variant), route);
      const floorCpu = cpuOf(floorOf(variant), route);
      const list = samples.get(`${variant} /${route}`);
      const rps = median(list.map((s) => s.rps));
      const cpu = median(list.map((s) => s.cpuMicros));
      const aboveFloor = floorCpu === undefined || /:(none|floor)$/.test(variant) ? '' : pairedDifference(variant, floorOf(variant), route).toFixed(1);
      const commands = list[0].redisPerRequest === undefined ? '' : median(list.map((s) => s.redisPerRequest)).toFixed(2);
      rows.push(
        `| ${variant} | /${route} | ${Math.round(rps)} | ${median(list.map((s) => s.p99))} | ${(rps / baseline).toFixed(2)}x ` +
          `| ${cpu.toFixed(1)} | ${(baselineCpu / cpu).toFixed(2)}x | ${aboveFloor} | ${commands} |`,
      );
    }
  }
  const table = [
    '| variant | route | req/s (median) | p99 ms | throughput ratio to the same framework without sessions | app CPU µs per request | CPU ratio (baseline CPU / this CPU) | app CPU µs above the framework\'s floor variant (median of the rounds\' differences) | Redis commands per request (INFO commandstats: a Lua script counts itself and each call inside it) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
  // Before/after: each "@base" variant beside the same variant on the build under test.
  const pairs = VARIANTS.filter((variant) => variant.endsWith('@base') && VARIANTS.includes(variant.replace(/@base$/, '')));
  const comparison = [];
  for (const route of ROUTES) {
    for (const baseVariant of pairs) {
      const variant = baseVariant.replace(/@base$/, '');
      const floorCpu = cpuOf(floorOf(variant), route);
      const above = (v) => (floorCpu === undefined ? '' : pairedDifference(v, floorOf(variant), route).toFixed(1));
      const baselineRps = rpsOf(baselineOf(variant), route);
      comparison.push(
        `| ${variant} | /${route} | ${(rpsOf(baseVariant, route) / baselineRps).toFixed(2)}x | ${(rpsOf(variant, route) / baselineRps).toFixed(2)}x ` +
          `| ${cpuOf(baseVariant, route).toFixed(1)} | ${cpuOf(variant, route).toFixed(1)} | ${above(baseVariant)} | ${above(variant)} ` +
          `| ${pairedDifference(variant, baseVariant, route).toFixed(1)} |`,
      );
    }
  }
  const comparisonTable = comparison.length === 0 ? '' : [
    '\n| variant | route | throughput ratio, base | throughput ratio, new | app CPU µs, base | app CPU µs, new | µs above floor, base | µs above floor, new | new − base, µs |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...comparison,
  ].join('\n');
  const builds = `new: ${NEW_DIST} (${NEW_COMMIT})` + (BASE ? `; base (@base): ${BASE} (${commitOf(`${BASE}/..`)})` : '');
  const header = `Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model}), ${CONNECTIONS} connections, ` +
    `${DURATION} s per case, median of ${ROUNDS} interleaved rounds, ${new Date().toISOString().slice(0, 10)}\n\n` +
    `Builds: ${builds}.` + (cookieNotes.length ? ` Cookies: ${cookieNotes.join('; ')}.` : '');
  const report = `${header}\n\n${table}\n${comparisonTable}\n`;
  console.log(`\n${report}`);
  writeFileSync(new URL('results-latest.md', import.meta.url), report);
  if (process.env.BENCH_JSON) {
    const medians = Object.fromEntries(
      VARIANTS.map((variant) => [variant, Object.fromEntries(ROUTES.map((route) => [route, { cpuMicros: cpuOf(variant, route), rps: rpsOf(variant, route) }]))]),
    );
    writeFileSync(process.env.BENCH_JSON, JSON.stringify({ node: process.version, builds, duration: DURATION, rounds: ROUNDS, medians }, null, 2));
  }
} finally {
  for (const server of servers) server.child.kill();
  await Promise.all(databases.map((server) => server.stop()));
}
