import { Hono } from 'hono';
import { Hono as HonoOldest } from 'hono-oldest';
import { stream as streamOldest } from 'hono-oldest/streaming';
import { describe, expect, it } from 'vitest';
import { sessionkit, type SessionVariables } from '../../src/adapters/hono.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { describeAdapter } from '../conformance/adapter-suite.js';
import { describeMultiSession } from '../conformance/multi-session-suite.js';
import { fetchServer, serveFetch } from '../helpers/http.js';
import { honoApp } from '../runtimes/apps/hono-app.js';
import { runtimeTraits } from '../runtimes/traits.js';

// The app: test/runtimes/apps/hono-app.ts, its fetch served by this runtime's own server.
const name = `Hono (on ${fetchServer})`;
describeAdapter(name, async (options) => serveFetch(honoApp(options).fetch), runtimeTraits);
describeMultiSession(name, async (manager) => serveFetch(honoApp(manager).fetch));

// The oldest Hono the peer range claims (package.json's hono-oldest alias).
const oldest = { Hono: HonoOldest, stream: streamOldest };
const oldestName = `Hono 4.0.0 (on ${fetchServer})`;
describeAdapter(oldestName, async (options) => serveFetch(honoApp(options, oldest).fetch), runtimeTraits);
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
