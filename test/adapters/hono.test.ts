import { Hono, type MiddlewareHandler } from 'hono';
import { stream } from 'hono/streaming';
import { Hono as HonoOldest } from 'hono-oldest';
import { stream as streamOldest } from 'hono-oldest/streaming';
import { describe, expect, it } from 'vitest';
import { sessionkit, type SessionVariables } from '../../src/adapters/hono.js';
import { CsrfError } from '../../src/forms/csrf.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { describeAdapter } from '../conformance/adapter-suite.js';
import { describeMultiSession } from '../conformance/multi-session-suite.js';
import { CookieJar, fetchServer, serveFetch } from '../helpers/http.js';
import { honoApp } from '../runtimes/apps/hono-app.js';
import { runtimeTraits } from '../runtimes/traits.js';
import { asText } from '../helpers/text.js';

// The app: test/runtimes/apps/hono-app.ts, its fetch served by this runtime's own server.
const name = `Hono (on ${fetchServer})`;
describeAdapter(name, async (options) => serveFetch(honoApp(options).fetch), { csrfFieldIn: ['multipart'], ...runtimeTraits });
describeMultiSession(name, async (manager) => serveFetch(honoApp(manager).fetch));

// The oldest Hono the peer range claims (package.json's hono-oldest alias).
const oldest = { Hono: HonoOldest, stream: streamOldest };
const oldestName = `Hono 4.0.0 (on ${fetchServer})`;
describeAdapter(oldestName, async (options) => serveFetch(honoApp(options, oldest).fetch), { csrfFieldIn: ['multipart'], ...runtimeTraits });
describeMultiSession(oldestName, async (manager) => serveFetch(honoApp(manager, oldest).fetch));

describe('Hono specifics', () => {
  it('adds the session headers to a response whose headers are immutable', async () => {
    const app = new Hono<{ Variables: SessionVariables }>();
    app.use(sessionkit({ store: new MemoryStore(), logger: { warn() {}, info() {} } }));
    app.get('/', (c) => {
      c.get('session').regenerate();
      (c.get('session') as unknown as Record<string, unknown>).x = 1;
      return Response.redirect('http://app.test/next', 302);
    });
    const response = await app.request('http://app.test/');
    expect(response.status).toBe(302);
    expect(response.headers.get('set-cookie')).toMatch(/^session=/);
    expect(response.headers.get('vary')).toBe('Cookie');
  });
});

// Hono 4.0.0's default error handler answers a thrown error that is not its own HTTPException
// with 500: the middleware answers the refusal itself, the same on every Hono of the range.
for (const [label, library] of [['Hono', { Hono, stream }], [oldestName, oldest]] as const) {
  describe(`${label}: a CSRF refusal in an app without onError`, () => {
    const quiet = { warn() {}, info() {} };
    /** An app with csrf and no onError; `before`, a middleware mounted ahead of the sessions. */
    async function served(before?: MiddlewareHandler) {
      const app = new library.Hono<{ Variables: SessionVariables }>();
      const reached: string[] = [];
      if (before) app.use(before);
      app.use(sessionkit({ store: new MemoryStore(), logger: quiet, csrf: true }));
      app.get('/', (c) => c.text(c.get('session').csrfToken()));
      app.post('/', async (c) => {
        reached.push(asText((await c.req.parseBody()).title));
        return c.text('saved');
      });
      return { server: await serveFetch(app.fetch), reached };
    }

    it('is a 403 saying why, and the handler never runs; the token goes through', async () => {
      const { server, reached } = await served();
      try {
        const jar = new CookieJar();
        const token = await (await jar.fetch(server.url)).text();
        const refused = await jar.fetch(server.url, { method: 'POST', body: new URLSearchParams({ title: 'forged' }) });
        expect(refused.status).toBe(403);
        expect(await refused.text()).toMatch(/^sessionkit: CSRF token missing/);
        const wrong = await jar.fetch(server.url, { method: 'POST', body: new URLSearchParams({ _csrf: 'x'.repeat(43), title: 'forged' }) });
        expect(wrong.status).toBe(403);
        const accepted = await jar.fetch(server.url, { method: 'POST', body: new URLSearchParams({ _csrf: token, title: 'mine' }) });
        expect(accepted.status).toBe(200);
        expect(reached).toEqual(['mine']);
      } finally {
        await server.close();
      }
    });

    it('leaves the CsrfError in c.error, where a middleware mounted before the sessions answers it its own way', async () => {
      // Passes with a thrown refusal too (Hono puts it in c.error): what the 403 above changed must keep this way open.
      const { server, reached } = await served(async (c, next) => {
        await next();
        if (c.error instanceof CsrfError) c.res = c.text(`This form has expired (${c.error.reason}): reload the page.`, 403);
      });
      try {
        const refused = await fetch(server.url, { method: 'POST', headers: { 'x-csrf-token': 'x'.repeat(43) } });
        expect(refused.status).toBe(403);
        expect(await refused.text()).toBe('This form has expired (no-session-token): reload the page.');
        expect(reached).toEqual([]);
      } finally {
        await server.close();
      }
    });
  });
}
