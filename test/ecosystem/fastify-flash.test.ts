import fastifyFlash from '@fastify/flash';
import fastify from 'fastify';
import fastify4 from 'fastify4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionkit } from '../../src/adapters/fastify.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { CookieJar, type TestServer } from '../helpers/http.js';

/**
 * @fastify/flash 6 on Fastify 5, as its README shows, with sessionkit's plugin where it
 * names @fastify/secure-session: register the session plugin, then the flash plugin;
 * `request.flash(type, …)` before a redirect, `reply.flash(type)` after it. The plugin
 * declares a dependency on a request decorator named 'session', checked at registration,
 * and reads and writes through `request.session.get('flash')` / `.set('flash', …)`.
 */
const quiet = { warn: () => {}, info: () => {} };

describe('@fastify/flash on Fastify 5', () => {
  let server: TestServer;
  beforeAll(async () => {
    const app = fastify();
    await app.register(sessionkit, { store: new MemoryStore(), secret: 'fastify-flash-test-secret-0123456789', logger: quiet });
    await app.register(fastifyFlash);
    app.post('/save', async (request, reply) => {
      request.flash('info', 'Saved.');
      request.flash('warning', ['username required', 'password required']);
      request.flash('info', 'Hello %s', 'Jared');
      return reply.redirect('/page');
    });
    // @fastify/flash types its result through @fastify/secure-session's types, absent here: named here.
    app.get('/page', async (_request, reply) => ({ info: reply.flash('info') as string[] }));
    app.get('/rest', async (_request, reply) => reply.flash() as Record<string, string[]>);
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    server = { url, close: () => app.close() };
  });
  afterAll(() => server.close());

  it('a message flashed before a redirect is read after it, once; the other types stay until read', async () => {
    const jar = new CookieJar();
    const save = await jar.fetch(`${server.url}/save`, { method: 'POST' });
    expect(save.status).toBe(302);
    expect(save.headers.get('location')).toBe('/page');
    expect(save.headers.get('set-cookie')).toMatch(/^session=/);
    expect(await (await jar.fetch(`${server.url}/page`)).json()).toEqual({ info: ['Saved.', 'Hello Jared'] });
    expect(await (await jar.fetch(`${server.url}/page`)).json()).toEqual({ info: [] });
    expect(await (await jar.fetch(`${server.url}/rest`)).json()).toEqual({ warning: ['username required', 'password required'] });
    expect(await (await jar.fetch(`${server.url}/rest`)).json()).toEqual({});
  });

  it('another client sees none of them', async () => {
    await new CookieJar().fetch(`${server.url}/save`, { method: 'POST' });
    expect(await (await new CookieJar().fetch(`${server.url}/page`)).json()).toEqual({ info: [] });
  });

  it("registration checks for the 'session' request decorator: without sessionkit's plugin it refuses", async () => {
    const app = fastify();
    await expect(app.register(fastifyFlash).ready()).rejects.toThrow(/session/);
  });

  it('Fastify 4 is refused by @fastify/flash 6 itself (it declares fastify 5.x)', async () => {
    const app = fastify4();
    await app.register(sessionkit, { store: new MemoryStore(), logger: quiet });
    await expect(app.register(fastifyFlash).ready()).rejects.toThrow(/5\.x/);
  });
});
