import { setTimeout as delay } from 'node:timers/promises';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { sessionkit, type SessionVariables } from '../../src/hono.js';
import type { SessionOptions } from '../../src/options.js';
import { describeAdapter, getViaAccessor, setViaAccessor } from '../conformance/adapter-suite.js';
import { serveFetch } from '../helpers/http.js';

function build(options: SessionOptions) {
  const app = new Hono<{ Variables: SessionVariables }>();
  app.use(sessionkit(options));
  const data = (session: unknown) => session as Record<string, unknown>;
  app.get('/set', (c) => {
    data(c.get('session'))[c.req.query('k')!] = c.req.query('v');
    return c.text('ok');
  });
  app.get('/get', (c) => c.text(String(data(c.get('session'))[c.req.query('k')!] ?? 'not set')));
  app.get('/plain', (c) => c.text('ok'));
  app.get('/regenerate', (c) => {
    c.get('session').regenerate();
    return c.text('ok');
  });
  app.get('/destroy', (c) => {
    c.get('session').destroy();
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
  app.onError((error, c) => c.text(`handled: ${error.message}`, 500));
  return serveFetch(app.fetch);
}

describeAdapter('Hono (on @hono/node-server)', async (options) => build(options));
