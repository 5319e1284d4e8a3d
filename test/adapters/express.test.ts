import express5 from 'express';
import express4 from 'express4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireFresh, sessionkit } from '../../src/adapters/express.js';
import type { SessionManager } from '../../src/engine/engine.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { CUSTOM_STALE_STATUS, customStaleText, describeAdapter, FRESH_MAX_AGE, getViaAccessor, sessionForm, setViaAccessor } from '../conformance/adapter-suite.js';
import { describeMultiSession } from '../conformance/multi-session-suite.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { CookieJar, listen, type TestServer } from '../helpers/http.js';
import { asText } from '../helpers/text.js';

function build(express: typeof express5) {
  return (options: SessionOptions | SessionManager) => {
    const app = express();
    // The body parsers an Express app mounts, before the sessions: the CSRF check reads req.body._csrf.
    app.use(express.urlencoded({ extended: false }), express.json());
    app.use(sessionkit(options));
    const data = (req: express5.Request) => req.session as unknown as Record<string, unknown>;
    app.get('/set', (req, res) => {
      data(req)[asText(req.query.k)] = asText(req.query.v);
      res.send('ok');
    });
    app.get('/get', (req, res) => void res.send(asText(data(req)[asText(req.query.k)] ?? 'not set')));
    app.get('/plain', (_req, res) => void res.send('ok'));
    app.get('/regenerate', (req, res) => {
      req.session.regenerate();
      res.send('ok');
    });
    app.get('/destroy', (req, res) => {
      void req.session.destroy();
      res.send('ok');
    });
    app.get('/transient', (req, res) => {
      req.session.permanent = false;
      data(req).t = '1';
      res.send('ok');
    });
    app.get('/stream', (req, res) => {
      data(req).streamed = 'yes';
      res.write('one,');
      setTimeout(() => res.end('two'), 5);
    });
    app.get('/redirect', (req, res) => {
      data(req).r = '1';
      res.redirect(302, '/get?k=r');
    });
    app.get('/accessor', async (_req, res) => {
      await Promise.resolve();
      setViaAccessor();
      res.send(getViaAccessor());
    });
    app.get('/fresh', requireFresh(FRESH_MAX_AGE), (_req, res) => void res.send('fresh'));
    app.get(
      '/fresh-custom',
      requireFresh(FRESH_MAX_AGE, { onStale: (_req, res, _next, outcome) => void res.writeHead(CUSTOM_STALE_STATUS).end(customStaleText(outcome)) }),
      (_req, res) => void res.send('fresh'),
    );
    // Express 4 does not pass a rejected handler to the error handler: next does.
    app.all('/form', (req, res, next) => {
      sessionForm(options, () => req.session, { ...req.query, ...(req.body as object | undefined) }).then((answer) => res.send(answer), next);
    });
    app.use((error: Error & { status?: number }, _req: express5.Request, res: express5.Response, _next: express5.NextFunction) => {
      res.status(error.status ?? 500).send(`handled: ${error.message}`);
    });
    return listen(app);
  };
}

describeAdapter('Express 5', build(express5), { csrfFieldIn: ['json'] });
describeAdapter('Express 4', build(express4), { csrfFieldIn: ['json'] });
describeMultiSession('Express 5', build(express5));
describeMultiSession('Express 4', build(express4));

/** What only Express has: `trust proxy` deciding `secure: 'auto'`, and `app.use` twice. */
const quiet = { warn: () => {}, info: () => {} };
for (const [label, express] of [['Express 5', express5], ['Express 4', express4]] as const) {
  describe(`${label} specifics`, () => {
    let server: TestServer;
    beforeAll(async () => {
      const app = express();
      app.set('trust proxy', 'loopback');
      app.use(sessionkit({ store: new MemoryStore(), secret: 'express-test-secret-0123456789', cookie: { secure: 'auto' }, logger: quiet }));
      const data = (req: express5.Request) => req.session as unknown as Record<string, unknown>;
      app.get('/set', (req, res) => {
        data(req).value = 'x';
        res.send('ok');
      });
      app.get('/logout', (req, res) => {
        void req.session.destroy();
        res.send('bye');
      });
      server = await listen(app);
    });
    afterAll(() => server?.close());
    const https = { headers: { 'x-forwarded-proto': 'https' } };

    it("secure: 'auto' follows trust proxy: Secure only behind an HTTPS proxy", async () => {
      expect((await fetch(`${server.url}/set`, https)).headers.get('set-cookie')).toMatch(/; Secure(;|$)/);
      expect((await fetch(`${server.url}/set`)).headers.get('set-cookie')).not.toMatch(/Secure/);
    });

    it('behind an HTTPS proxy, logout clears the cookie with the attributes that set it, Secure included', async () => {
      const jar = new CookieJar();
      const set = await jar.fetch(`${server.url}/set`, https);
      const response = await jar.fetch(`${server.url}/logout`, https);
      const attributes = (line: string) => line.split('; ').slice(1).filter((a) => !/^(Max-Age|Expires)=/.test(a)).sort();
      const cleared = response.headers.get('set-cookie')!;
      expect(cleared).toMatch(/^session=;/);
      expect(cleared).toMatch(/Max-Age=0/);
      expect(attributes(cleared)).toEqual(attributes(set.headers.get('set-cookie')!));
      expect(attributes(cleared)).toContain('Secure');
      expect(jar.cookies.has('session')).toBe(false);
    });

    it('mounted twice, the second instance leaves the session of the first alone', async () => {
      const app = express();
      const store = new MemoryStore();
      app.use(sessionkit({ store, logger: quiet }));
      app.use(sessionkit({ store, logger: quiet }));
      app.get('/', (req, res) => {
        (req.session as unknown as Record<string, unknown>).value = 'once';
        res.send('ok');
      });
      const twice = await listen(app);
      try {
        const jar = new CookieJar();
        const response = await jar.fetch(twice.url);
        expect(response.headers.getSetCookie()).toHaveLength(1);
        expect((await jar.fetch(twice.url)).headers.getSetCookie()).toHaveLength(0); // nothing changed, nothing written
      } finally {
        await twice.close();
      }
    });
  });
}
