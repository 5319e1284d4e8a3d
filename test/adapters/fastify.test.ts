import { setTimeout as delay } from 'node:timers/promises';
import { Readable } from 'node:stream';
import fastifyCookie from '@fastify/cookie';
import formbody5 from '@fastify/formbody';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import formbody4 from 'fastify4-formbody';
import { requireFresh, sessionkit } from '../../src/adapters/fastify.js';
import type { SessionManager } from '../../src/engine/engine.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { CUSTOM_STALE_STATUS, customStaleText, describeAdapter, FRESH_MAX_AGE, getViaAccessor, sessionForm, setViaAccessor, type FormQuery } from '../conformance/adapter-suite.js';
import { describeMultiSession } from '../conformance/multi-session-suite.js';
import { CookieJar, type TestServer } from '../helpers/http.js';
import { asText } from '../helpers/text.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { describe, expect, it } from 'vitest';

type Factory = typeof fastify5;

/** @fastify/formbody of the Fastify major: HTML forms' bodies parsed, for the CSRF check's form field (JSON Fastify parses itself). */
type Formbody = typeof formbody5;

function build(factory: Factory, formbody: Formbody, withCookiePlugin: boolean) {
  return async (options: SessionOptions | SessionManager): Promise<TestServer> => {
    const app = factory();
    await app.register(formbody);
    if (withCookiePlugin) await app.register(fastifyCookie);
    // A manager (multiSession, or an engine built by the suite) goes in as { engine }: Fastify copies plain options.
    await app.register(sessionkit, typeof (options as Partial<SessionManager>).commit === 'function' ? { engine: options as SessionManager } : options);
    type Query = { Querystring: { k?: string; v?: string } };
    const data = (request: { session: unknown }) => request.session as Record<string, unknown>;
    app.get<Query>('/set', async (request) => {
      data(request)[String(request.query.k)] = String(request.query.v);
      return 'ok';
    });
    app.get<Query>('/get', async (request) => asText(data(request)[String(request.query.k)] ?? 'not set'));
    app.get('/plain', async () => 'ok');
    app.get('/fresh', { preHandler: requireFresh(FRESH_MAX_AGE) }, async () => 'fresh');
    app.get(
      '/fresh-custom',
      { preHandler: requireFresh(FRESH_MAX_AGE, { onStale: (_request, reply, outcome) => reply.code(CUSTOM_STALE_STATUS).send(customStaleText(outcome)) }) },
      async () => 'fresh',
    );
    app.get('/regenerate', async (request) => {
      request.session.regenerate();
      return 'ok';
    });
    app.get('/destroy', async (request) => {
      await request.session.destroy();
      return 'ok';
    });
    app.get('/transient', async (request) => {
      request.session.permanent = false;
      data(request).t = '1';
      return 'ok';
    });
    app.get('/stream', async (request, reply) => {
      data(request).streamed = 'yes';
      async function* chunks() {
        yield 'one,';
        await delay(5);
        yield 'two';
      }
      return reply.send(Readable.from(chunks()));
    });
    app.get('/redirect', async (request, reply) => {
      data(request).r = '1';
      // Not `return reply.redirect(…)`: before Fastify 4.1 redirect() returned undefined, and an
      // async handler resolving undefined is answered a second time once onSend has finished.
      void reply.redirect('/get?k=r', 302);
      return reply;
    });
    app.get('/accessor', async () => {
      await Promise.resolve();
      setViaAccessor();
      return getViaAccessor();
    });
    // HEAD named: Fastify 4.0 adds no HEAD route for a GET one by itself.
    app.route<{ Querystring: FormQuery }>({ method: ['GET', 'HEAD', 'POST'], url: '/form', handler: async (request) => sessionForm(options, () => request.session, { ...request.query, ...(request.body as object | undefined) }) });
    app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
      void reply.status(error.statusCode ?? 500).send(`handled: ${error.message}`);
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, close: () => app.close() };
  };
}

describeAdapter('Fastify 5', build(fastify5, formbody5, false), { csrfFieldIn: ['json'] });
describeAdapter('Fastify 5 with @fastify/cookie', build(fastify5, formbody5, true), { csrfFieldIn: ['json'] });
describeAdapter('Fastify 4', build(fastify4, formbody4, false), { csrfFieldIn: ['json'] });
describeMultiSession('Fastify 5', build(fastify5, formbody5, false));
describeMultiSession('Fastify 5 with @fastify/cookie', build(fastify5, formbody5, true));
describeMultiSession('Fastify 4', build(fastify4, formbody4, false));

describe('Fastify: a user\'s sessions on app.sessions', () => {
  it('lists and revokes through the decorator the plugin adds', async () => {
    const app = fastify5();
    await app.register(sessionkit, { store: new MemoryStore(), secret: 'fastify-user-sessions-secret-01', userField: 'user', logger: { warn: () => {}, info: () => {} } });
    app.get('/login', async (request) => {
      (request.session as unknown as Record<string, unknown>).user = 'ann';
      return 'ok';
    });
    app.get('/whoami', async (request) => asText((request.session as unknown as Record<string, unknown>).user ?? 'nobody'));
    app.get('/logout-others', async (request) => String(await app.sessions.revokeSessions('ann', { except: request.session })));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const [phone, laptop] = [new CookieJar(), new CookieJar()];
      await phone.fetch(`${url}/login`);
      await laptop.fetch(`${url}/login`);
      expect(await app.sessions.listSessions('ann')).toHaveLength(2);
      expect(await (await laptop.fetch(`${url}/logout-others`)).text()).toBe('1');
      expect(await (await phone.fetch(`${url}/whoami`)).text()).toBe('nobody');
      expect(await (await laptop.fetch(`${url}/whoami`)).text()).toBe('ann');
    } finally {
      await app.close();
    }
  });
});
