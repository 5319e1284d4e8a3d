import { setTimeout as delay } from 'node:timers/promises';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { sessionkit, type SessionVariables } from '../../src/adapters/hono.js';
import type { SessionManager } from '../../src/core/engine.js';
import type { SessionOptions } from '../../src/core/options.js';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/stores/memory.js';
import { describeAdapter, getViaAccessor, sessionForm, setViaAccessor } from '../conformance/adapter-suite.js';
import { describeMultiSession } from '../conformance/multi-session-suite.js';
import { serveFetch } from '../helpers/http.js';
import { asText } from '../helpers/text.js';

function build(options: SessionOptions | SessionManager) {
  const app = new Hono<{ Variables: SessionVariables }>();
  app.use(sessionkit(options));
  const data = (session: unknown) => session as Record<string, unknown>;
  app.get('/set', (c) => {
    data(c.get('session'))[c.req.query('k')!] = c.req.query('v');
    return c.text('ok');
  });
  app.get('/get', (c) => c.text(asText(data(c.get('session'))[c.req.query('k')!] ?? 'not set')));
  app.get('/plain', (c) => c.text('ok'));
  app.get('/regenerate', (c) => {
    c.get('session').regenerate();
    return c.text('ok');
  });
  app.get('/destroy', (c) => {
    void c.get('session').destroy();
    return c.text('ok');
  });
  app.get('/transient', (c) => {
    c.get('session').permanent = false;
    data(c.get('session')).t = '1';
    return c.text('ok');
  });
  app.get('/stream', (c) => {
    data(c.get('session')).streamed = 'yes';
    return stream(c, async (s) => {
      await s.write('one,');
      await delay(5);
      await s.write('two');
    });
  });
  app.get('/redirect', (c) => {
    data(c.get('session')).r = '1';
    return c.redirect('/get?k=r', 302);
  });
  app.get('/accessor', async (c) => {
    await Promise.resolve();
    setViaAccessor();
    return c.text(getViaAccessor());
  });
  app.get('/form', async (c) => c.text(await sessionForm(options, () => c.get('session'), c.req.query())));
  app.onError((error, c) => c.text(`handled: ${error.message}`, 500));
  return serveFetch(app.fetch);
}

describeAdapter('Hono (on @hono/node-server)', async (options) => build(options));
describeMultiSession('Hono (on @hono/node-server)', async (manager) => build(manager));

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
