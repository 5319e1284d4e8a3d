// Benchmark servers: `node bench/server.mjs <variant>[,<variant>…]` starts an app per variant in
// this process (all of one framework) and prints "PORT <n>" for each, in order, once ready.
// run.mjs starts one variant per process; same-process.mjs several in one.
// A variant is "<framework>:<sessions>", e.g. express:none, fastify:sessionkit-memory
// (Express also takes express:sessionkit-memory-context: with the request-scoped accessor).
//   none       no middleware at all (run.mjs still sends it the session variants' Cookie header)
//   floor      what any session middleware pays: a middleware or hook pair that only sets a
//              request property (req.session = an object of the variant's own) and a response header
//              (Vary: Cookie, set on the way out), and the same routes as the session variants
//   floor-spin<n>  the floor plus n µs of busy CPU per request (fastify:floor-spin2): calibrates
//              what n µs of a middleware's own work shows as in the "above the floor" column
//   floor-cookie   (Fastify) the floor that also sends a session-sized Set-Cookie on /write
// Fastify's sessionkit variants take a feature after '+': sessionkit-memory+hashids (hashIds),
// sessionkit-memory+hashids-strict (hashIds: { readRawKeys: false }).
// sessionkit variants load the build in BENCH_DIST (default: this checkout's dist/); with an
// "@base" suffix (express:sessionkit-memory@base) they load the build in BENCH_BASE instead,
// so two versions of sessionkit can be measured side by side in one run.
// Every variant serves the same three routes:
//   GET /login  starts a session holding a small, realistic payload
//   GET /read   reads the session and answers with the user's name (no write)
//   GET /write  increments a counter in the session (one store write)
// Without sessions the routes do the same work on an object of the variant's own.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sessionOfSize } from './session-data.mjs';
import { sessionRoutes } from './express-routes.mjs';

const SECRET = 'bench-secret-0123456789abcdefghij';
// Several variants of one framework (fastify:floor,fastify:sessionkit-memory) share this
// process, each an app on its own port (bench/same-process.mjs measures them that way).
const variants = process.argv[2].split(',');
const framework = variants[0].split(':')[0];
if (variants.some((variant) => variant.split(':')[0] !== framework)) throw new Error(`${process.argv[2]}: one framework per process`);
// BENCH_SESSION_KB=<n>: sessions of about n KB (bench/session-data.mjs), the same fields first.
const SESSION_KB = process.env.BENCH_SESSION_KB === undefined ? undefined : Number(process.env.BENCH_SESSION_KB);
const payload = SESSION_KB === undefined
  ? () => ({ userId: 4711, name: 'ada', cart: ['apple', 'bread', 'cheese', 'dates', 'eggs'], counter: 0 })
  : () => sessionOfSize(SESSION_KB);

/** One variant: its sessions spec, the sessionkit build it loads, its busy CPU per request, its own data. */
function variantOf(variant) {
  const spec = variant.split(':')[1];
  const onBase = spec.endsWith('@base');
  const sessions = spec.replace(/@base$/, '');
  if (onBase && !process.env.BENCH_BASE) throw new Error(`${variant}: set BENCH_BASE to the dist/ directory of the base build`);
  const dist = onBase ? process.env.BENCH_BASE : (process.env.BENCH_DIST ?? fileURLToPath(new URL('../dist', import.meta.url)));
  return {
    sessions,
    /** A module of the sessionkit build under test, e.g. module('stores/memory'). */
    module: (entry) => import(pathToFileURL(join(dist, `${entry}.js`)).href),
    /** floor-spin<n>: n µs of busy CPU per request, else 0. */
    spinNs: /^floor-spin[\d.]+$/.test(sessions) ? BigInt(Math.round(Number(sessions.slice('floor-spin'.length)) * 1000)) : 0n,
    shared: payload(),
  };
}

/**
 * floor-cookie: the floor that also sends, on /write, a Set-Cookie of a signed persistent
 * session cookie's shape and length (a constant: what sending it costs, not making it).
 */
const FLOOR_SET_COOKIE = `session=${'x'.repeat(43)}.${'y'.repeat(43)}; Max-Age=2678400; Path=/; Expires=Wed, 06 Jan 2027 21:04:51 GMT; HttpOnly; SameSite=Lax`;

function spin(ns) {
  const until = process.hrtime.bigint() + ns;
  while (process.hrtime.bigint() < until);
}

/** A node-redis client on the bench's throwaway redis-server (BENCH_REDIS_URL, set by run.mjs). */
async function redisClient() {
  const { createClient } = await import('redis');
  return createClient({ url: process.env.BENCH_REDIS_URL }).connect();
}

/** A sessionkit store by name; server-backed ones reach the servers run.mjs started through the environment. */
async function sessionkitStore(name, v) {
  if (name === 'memory') return new (await v.module('stores/memory')).MemoryStore({ maxEntries: 100_000 });
  if (name === 'sqlite') {
    const { SqliteStore } = await v.module('stores/sqlite');
    return new SqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'bench-')), 's.db') });
  }
  if (name === 'redis') return new (await v.module('stores/redis')).RedisStore({ client: await redisClient() });
  if (name === 'postgres') {
    const { default: pg } = await import('pg');
    const { SqlStore } = await v.module('stores/sql');
    return new SqlStore({ client: new pg.Pool({ connectionString: process.env.BENCH_POSTGRES_URL, max: 10 }) });
  }
  if (name === 'memcached') {
    const { MemcachedStore } = await v.module('stores/memcached');
    return new MemcachedStore({ servers: process.env.BENCH_MEMCACHED_SERVER });
  }
  throw new Error(`unknown sessionkit store ${name}`);
}

async function express(v) {
  const { default: createApp } = await import('express');
  const app = createApp();
  if (v.sessions === 'none') {
    app.get('/login', (_req, res) => res.send('ok'));
    app.get('/read', (_req, res) => res.send(`hello ${v.shared.name}`));
    app.get('/write', (_req, res) => res.send(`count ${++v.shared.counter}`));
  } else {
    if (v.sessions === 'floor') {
      // The request property, and the response header set on the way out (a session
      // middleware must hook the response to set its cookie after the handler ran).
      app.use((req, res, next) => {
        req.session = v.shared;
        const end = res.end;
        res.end = function (...args) {
          if (!this.headersSent) this.setHeader('Vary', 'Cookie');
          return end.apply(this, args);
        };
        next();
      });
    } else if (v.sessions.startsWith('sessionkit-')) {
      const { sessionkit } = await v.module('express');
      // "-context": the request-scoped `session` accessor on (AsyncLocalStorage).
      const requestContext = v.sessions.endsWith('-context');
      const store = await sessionkitStore(v.sessions.slice('sessionkit-'.length).replace(/-context$/, ''), v);
      app.use(sessionkit({ store, secret: SECRET, requestContext }));
    } else if (v.sessions === 'express-session-memory') {
      const { default: session } = await import('express-session');
      app.use(session({ secret: SECRET, resave: false, saveUninitialized: false }));
    } else if (v.sessions === 'express-session-redis') {
      const { default: session } = await import('express-session');
      const { RedisStore } = await import('connect-redis');
      const store = new RedisStore({ client: await redisClient() });
      app.use(session({ store, secret: SECRET, resave: false, saveUninitialized: false }));
    } else throw new Error(`unknown sessions ${v.sessions}`);
    sessionRoutes(app, payload);
  }
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

async function fastify(v) {
  const { default: Fastify } = await import('fastify');
  const app = Fastify();
  if (v.sessions === 'none') {
    app.get('/login', async () => 'ok');
    app.get('/read', async () => `hello ${v.shared.name}`);
    app.get('/write', async () => `count ${++v.shared.counter}`);
  } else if (v.sessions === 'floor' || v.sessions === 'floor-cookie' || v.spinNs > 0n) {
    // An onRequest + onSend hook pair (callback style, as sessionkit's) on a decorated property.
    app.decorateRequest('session', null);
    app.addHook('onRequest', (request, _reply, done) => {
      if (v.spinNs > 0n) spin(v.spinNs);
      request.session = v.shared;
      done();
    });
    app.addHook('onSend', (request, reply, payload, done) => {
      reply.header('vary', 'Cookie');
      if (v.sessions === 'floor-cookie' && request.url === '/write') reply.header('set-cookie', FLOOR_SET_COOKIE);
      done(null, payload);
    });
    app.get('/login', async (request) => (Object.assign(request.session, payload()), 'ok'));
    app.get('/read', async (request) => `hello ${request.session.name}`);
    app.get('/write', async (request) => `count ${++request.session.counter}`);
  } else if (v.sessions.startsWith('sessionkit-')) {
    const { sessionkit } = await v.module('fastify');
    // sessionkit-memory+hashids: with hashIds (+hashids-strict: hashIds without the raw-key fallback).
    const [storeName, feature] = v.sessions.slice('sessionkit-'.length).split('+');
    const hashIds = feature === 'hashids' ? true : feature === 'hashids-strict' ? { readRawKeys: false } : undefined;
    await app.register(sessionkit, { store: await sessionkitStore(storeName, v), secret: SECRET, ...(hashIds && { hashIds }) });
    app.get('/login', async (request) => (Object.assign(request.session, payload()), 'ok'));
    app.get('/read', async (request) => `hello ${request.session.name}`);
    app.get('/write', async (request) => `count ${++request.session.counter}`);
  } else if (v.sessions === 'fastify-session-memory' || v.sessions === 'fastify-session-redis') {
    // @fastify/session takes express-session's store interface: connect-redis's for Redis.
    const store = v.sessions === 'fastify-session-redis' ? new (await import('connect-redis')).RedisStore({ client: await redisClient() }) : undefined;
    await app.register((await import('@fastify/cookie')).default);
    await app.register((await import('@fastify/session')).default, { secret: SECRET, store, cookie: { secure: false }, saveUninitialized: false });
    app.get('/login', async (request) => {
      for (const [key, value] of Object.entries(payload())) request.session.set(key, value);
      return 'ok';
    });
    app.get('/read', async (request) => `hello ${request.session.get('name')}`);
    app.get('/write', async (request) => {
      const counter = request.session.get('counter') + 1;
      request.session.set('counter', counter);
      return `count ${counter}`;
    });
  } else throw new Error(`unknown sessions ${v.sessions}`);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app.server.address().port;
}

async function hono(v) {
  const { Hono } = await import('hono');
  const { serve } = await import('@hono/node-server');
  const app = new Hono();
  if (v.sessions === 'none') {
    app.get('/login', (c) => c.text('ok'));
    app.get('/read', (c) => c.text(`hello ${v.shared.name}`));
    app.get('/write', (c) => c.text(`count ${++v.shared.counter}`));
  } else if (v.sessions === 'floor' || v.spinNs > 0n) {
    // A middleware that sets a context variable, awaits the handler and sets a header.
    app.use(async (c, next) => {
      if (v.spinNs > 0n) spin(v.spinNs);
      c.set('session', v.shared);
      await next();
      c.res.headers.set('Vary', 'Cookie');
    });
    app.get('/login', (c) => (Object.assign(c.get('session'), payload()), c.text('ok')));
    app.get('/read', (c) => c.text(`hello ${c.get('session').name}`));
    app.get('/write', (c) => c.text(`count ${++c.get('session').counter}`));
  } else if (v.sessions.startsWith('sessionkit-')) {
    const { sessionkit } = await v.module('hono');
    app.use(sessionkit({ store: await sessionkitStore(v.sessions.slice('sessionkit-'.length), v), secret: SECRET }));
    app.get('/login', (c) => (Object.assign(c.get('session'), payload()), c.text('ok')));
    app.get('/read', (c) => c.text(`hello ${c.get('session').name}`));
    app.get('/write', (c) => c.text(`count ${++c.get('session').counter}`));
  } else if (v.sessions === 'hono-sessions-memory') {
    const { sessionMiddleware, MemoryStore } = await import('hono-sessions');
    app.use(sessionMiddleware({ store: new MemoryStore(), encryptionKey: SECRET, expireAfterSeconds: 3600, cookieOptions: { path: '/', httpOnly: true, sameSite: 'Lax' } }));
    app.get('/login', (c) => {
      for (const [key, value] of Object.entries(payload())) c.get('session').set(key, value);
      return c.text('ok');
    });
    app.get('/read', (c) => c.text(`hello ${c.get('session').get('name')}`));
    app.get('/write', (c) => {
      const counter = c.get('session').get('counter') + 1;
      c.get('session').set('counter', counter);
      return c.text(`count ${counter}`);
    });
  } else throw new Error(`unknown sessions ${v.sessions}`);
  return new Promise((resolve) => serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port)));
}

const start = { express, fastify, hono }[framework];
if (!start) throw new Error(`unknown framework ${framework}`);
// One line per variant, in the order given.
for (const variant of variants) console.log(`PORT ${await start(variantOf(variant))}`);
// Exit through process.exit so that `node --cpu-prof` writes its profile.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
