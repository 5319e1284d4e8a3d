import { setTimeout as delay } from 'node:timers/promises';
import { Readable } from 'node:stream';
import fastifyCookie from '@fastify/cookie';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { sessionkit } from '../../src/adapters/fastify.js';
import type { SessionManager } from '../../src/core/engine.js';
import type { SessionOptions } from '../../src/core/options.js';
import { describeAdapter, getViaAccessor, sessionForm, setViaAccessor, type FormQuery } from '../conformance/adapter-suite.js';
import { describeMultiSession } from '../conformance/multi-session-suite.js';
import type { TestServer } from '../helpers/http.js';
import { asText } from '../helpers/text.js';

type Factory = typeof fastify5;

function build(factory: Factory, withCookiePlugin: boolean) {
  return async (options: SessionOptions | SessionManager): Promise<TestServer> => {
    const app = factory();
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
      return reply.redirect('/get?k=r', 302);
    });
    app.get('/accessor', async () => {
      await Promise.resolve();
      setViaAccessor();
      return getViaAccessor();
    });
    app.get<{ Querystring: FormQuery }>('/form', async (request) => sessionForm(options, () => request.session, request.query));
    app.setErrorHandler((error: Error, _request, reply) => {
      void reply.status(500).send(`handled: ${error.message}`);
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, close: () => app.close() };
  };
}

describeAdapter('Fastify 5', build(fastify5, false));
describeAdapter('Fastify 5 with @fastify/cookie', build(fastify5, true));
describeAdapter('Fastify 4', build(fastify4, false));
describeMultiSession('Fastify 5', build(fastify5, false));
describeMultiSession('Fastify 5 with @fastify/cookie', build(fastify5, true));
describeMultiSession('Fastify 4', build(fastify4, false));
