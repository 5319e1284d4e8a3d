/**
 * The session typed from the `schema` option on Express, Koa, Fastify and node:http, with no
 * `SessionData` declared: `sessions.of(req)` on each framework, Koa's middleware chain, Express's
 * `SessionRequest`, node:http's handler argument. The handlers below use the schema's fields: tsc (`npm run typecheck`)
 * fails on this file when the inference breaks, and each app runs over HTTP.
 * (Hono and webSessions: test/package/readme.test.ts's probe and their own suites.)
 */
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import express from 'express';
import fastify from 'fastify';
import fastify4 from 'fastify4';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { sessionkit as expressSessions, type SessionRequest } from '../../src/adapters/express.js';
import { sessionPlugin, type FastifySession } from '../../src/adapters/fastify.js';
import { sessionkit as koaSessions } from '../../src/adapters/koa.js';
import { withSession } from '../../src/adapters/node.js';
import type { Session } from '../../src/engine/session.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { CookieJar, listen, type TestServer } from '../helpers/http.js';

const SECRET = 'schema-inference-secret-0123456789abcdef';
const quiet = { warn: () => {}, info: () => {} };

/** Field names no test file declares in `SessionData` (declarations merge program-wide). */
const Shape = z.object({
  basket: z.array(z.object({ sku: z.string(), qty: z.number().int().positive() })),
  theme: z.string().default('light'),
});
type Data = z.output<typeof Shape>;
type Item = Data['basket'][number];

const options = () => ({ store: new MemoryStore(), secret: SECRET, logger: quiet, schema: Shape });

/** What every app answers: `/add?sku=` puts an item in the basket (its count back), `/` lists it and the theme. */
function added(session: Session<Data>, sku: string): string {
  session.basket = [...(session.basket ?? []), { sku, qty: 1 }];
  return String(session.basket.length);
}
function listed(session: Session<Data>): string {
  return `${(session.basket ?? []).map((item: Item) => `${item.sku} x${item.qty}`).join(', ')} (${session.theme ?? 'no theme'})`;
}

function expressApp(): Promise<TestServer> {
  const sessions = expressSessions(options());
  expectTypeOf(sessions.of).returns.toEqualTypeOf<Session<Data>>();
  expectTypeOf<SessionRequest<typeof sessions>['session']['basket']>().toEqualTypeOf<Item[] | undefined>();
  const app = express();
  app.use(sessions);
  app.get('/add', (req, res) => {
    res.send(added(sessions.of(req), typeof req.query.sku === 'string' ? req.query.sku : ''));
  });
  // The annotation instead of of(): the same type.
  app.get('/', (req: SessionRequest<typeof sessions, express.Request>, res) => {
    res.send(listed(req.session));
  });
  return listen(app);
}

function koaApp(): Promise<TestServer> {
  const sessions = koaSessions(options());
  expectTypeOf(sessions.of).returns.toEqualTypeOf<Session<Data>>();
  // Koa's use() carries the middleware's context to what is chained after it.
  const app = new Koa().use(sessions).use(async (ctx, next) => {
    expectTypeOf(ctx.session.basket).toEqualTypeOf<Item[] | undefined>();
    if (ctx.path === '/add') ctx.body = added(ctx.session, String(ctx.query.sku));
    else await next();
  });
  // Middleware typed on its own (a router's, say): of(ctx).
  app.use((ctx) => {
    ctx.body = listed(sessions.of(ctx));
  });
  return listen(app.callback());
}

function nodeApp(): Promise<TestServer> {
  // The handler's session is typed from options.schema: no annotation on it.
  return listen(
    withSession(options(), (req, res, session) => {
      expectTypeOf(session.basket).toEqualTypeOf<Item[] | undefined>();
      const url = new URL(req.url ?? '/', 'http://localhost');
      res.end(url.pathname === '/add' ? added(session, url.searchParams.get('sku') ?? '') : listed(session));
    }),
  );
}

async function fastifyApp(factory: typeof fastify): Promise<TestServer> {
  const sessions = sessionPlugin(options());
  expectTypeOf(sessions.of).returns.toEqualTypeOf<FastifySession<Data>>();
  const app = factory();
  await app.register(sessions);
  app.get<{ Querystring: { sku: string } }>('/add', async (request) => {
    const session = sessions.of(request);
    // @fastify/session's API typed too.
    expectTypeOf(session.get('basket')).toEqualTypeOf<Item[] | undefined>();
    return added(session, request.query.sku);
  });
  app.get('/', async (request) => listed(sessions.of(request)));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

describe.each([
  ['Express', expressApp],
  ['Koa', koaApp],
  ['node:http', nodeApp],
  ['Fastify 5', () => fastifyApp(fastify)],
  ['Fastify 4', () => fastifyApp(fastify4)],
])('the session typed from the schema (%s), over HTTP', (_name, start) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await start();
  });
  afterAll(() => server.close());

  it('sessions.of(request) is the request session, as the schema gave it back (its default filled in on load)', async () => {
    const jar = new CookieJar();
    expect(await (await jar.fetch(`${server.url}/add?sku=apple`)).text()).toBe('1');
    expect(await (await jar.fetch(`${server.url}/add?sku=pear`)).text()).toBe('2');
    expect(await (await jar.fetch(`${server.url}/`)).text()).toBe('apple x1, pear x1 (light)');
  });
});

describe('sessions.of on a request the middleware did not run for', () => {
  it('throws, saying to mount the middleware before the route', () => {
    const request = new IncomingMessage(new Socket());
    expect(() => expressSessions(options()).of(request)).toThrow(/did not run for it \(app\.use\(sessions\) before the route\)/);
    expect(() => koaSessions(options()).of(new Koa().createContext(request, {} as never))).toThrow(/did not run for it/);
    expect(() => sessionPlugin(options()).of({ session: null } as never)).toThrow(/await app\.register\(sessions\)/);
  });
});
