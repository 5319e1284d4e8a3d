/**
 * The conformance app of the Hono adapter (routes in test/conformance/adapter-suite.ts).
 * Web standards only, so that the same app runs in-process under Node, Bun and Deno and
 * inside workerd.
 */
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { requireFresh, sessionkit, type SessionVariables } from '../../../src/adapters/hono.js';
import type { SessionManager } from '../../../src/engine/engine.js';
import type { SessionOptions } from '../../../src/engine/options.js';
import { CUSTOM_STALE_STATUS, customStaleText, FRESH_MAX_AGE, getViaAccessor, sessionForm, setViaAccessor } from '../../conformance/adapter-routes.js';
import { asText } from '../../helpers/text.js';

/** The Hono library the app is built with: the installed one, or the oldest 4.x under its alias (test/aliases.d.ts). */
export interface HonoLibrary {
  Hono: typeof Hono;
  stream: typeof stream;
}

export function honoApp(
  options: SessionOptions | SessionManager,
  library: HonoLibrary = { Hono, stream },
): Hono<{ Variables: SessionVariables }> {
  const app = new library.Hono<{ Variables: SessionVariables }>();
  app.use(sessionkit(options));
  const data = (session: unknown) => session as Record<string, unknown>;
  app.get('/set', (c) => {
    data(c.get('session'))[c.req.query('k')!] = c.req.query('v');
    return c.text('ok');
  });
  app.get('/get', (c) => c.text(asText(data(c.get('session'))[c.req.query('k')!] ?? 'not set')));
  app.get('/plain', (c) => c.text('ok'));
  app.get('/fresh', requireFresh(FRESH_MAX_AGE), (c) => c.text('fresh'));
  app.get('/fresh-custom', requireFresh(FRESH_MAX_AGE, { onStale: (c, outcome) => c.text(customStaleText(outcome), CUSTOM_STALE_STATUS) }), (c) => c.text('fresh'));
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
    return library.stream(c, async (s) => {
      await s.write('one,');
      await new Promise((resolve) => setTimeout(resolve, 5));
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
  app.on(['GET', 'POST'], '/form', async (c) => {
    // The form the CSRF check read before: Hono keeps the body for the handler to parse again.
    const posted = c.req.method === 'POST' ? await c.req.parseBody() : {};
    return c.text(await sessionForm(options, () => c.get('session'), { ...c.req.query(), ...posted }));
  });
  app.onError((error, c) => c.text(`handled: ${error.message}`, (error as { status?: 403 }).status ?? 500));
  return app;
}
