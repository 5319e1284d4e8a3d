import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionkit } from '../../src/adapters/express.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { cookieStore } from '../../src/stores/cookie/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { CookieJar, listen, type TestServer } from '../helpers/http.js';
import { asText } from '../helpers/text.js';

const SECRET = 'sealed-cookie-secret-0123456789abcdef';
const quiet = { warn: () => {}, info: () => {} };

function app(options: SessionOptions) {
  const application = express();
  application.use(sessionkit({ logger: quiet, ...options }));
  const data = (req: express.Request) => req.session as unknown as Record<string, unknown>;
  application.get('/set/:value', (req, res) => {
    data(req).value = req.params.value;
    res.send('ok');
  });
  application.get('/big/:bytes', (req, res) => {
    data(req).big = 'x'.repeat(Number(req.params.bytes));
    res.send('ok');
  });
  application.get('/get', (req, res) => void res.send(asText(data(req).value ?? 'not set')));
  application.get('/bytes/:action', (req, res) => {
    const session = data(req);
    if (req.params.action === 'set') session.bytes = new Uint8Array([1, 2, 3]);
    else if (req.params.action === 'increment') (session.bytes as Uint8Array)[0]!++;
    res.send([...(session.bytes as Uint8Array)].join(','));
  });
  application.get('/id', (req, res) => void res.send(req.session.id));
  application.get('/login/:user', (req, res, next) => {
    req.session.regenerate((error) => {
      if (error) {
        next(error);
        return;
      }
      data(req).user = req.params.user;
      res.send('ok');
    });
  });
  application.get('/whoami', (req, res) => void res.send(asText(data(req).user ?? 'nobody')));
  application.get('/logout', (req, res, next) => {
    req.session.destroy((error) => (error ? next(error) : res.send('ok')));
  });
  application.get('/rotate', (req, res) => {
    req.session.regenerate();
    res.send('ok');
  });
  application.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).send(error.message);
  });
  return listen(application);
}

describe('sealed cookie store', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await app({ store: cookieStore({ secret: SECRET }) });
  });
  afterAll(() => server.close());

  it('keeps the session in the cookie, encrypted', async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/set/plain-text-value`);
    expect(jar.cookies.get('session')).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(jar.cookies.get('session')).not.toContain('plain');
    expect(await (await jar.fetch(`${server.url}/get`)).text()).toBe('plain-text-value');
  });

  it('sends no cookie for an untouched session, and keeps a stable id', async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/set/v`);
    const untouched = await jar.fetch(`${server.url}/id`);
    expect(untouched.headers.get('set-cookie')).toBeNull();
    const id = await untouched.text();
    expect(await (await jar.fetch(`${server.url}/id`)).text()).toBe(id);
  });

  it('a binary field changed in place is saved (the opened seal is a Buffer: the decoder copies out of it)', async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/bytes/set`);
    await jar.fetch(`${server.url}/bytes/increment`);
    await jar.fetch(`${server.url}/bytes/increment`);
    expect(await (await jar.fetch(`${server.url}/bytes/get`)).text()).toBe('3,2,3');
  });

  it('a tampered, truncated or foreign cookie is a fresh session', async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/set/v`);
    const value = jar.cookies.get('session')!;
    for (const bad of [`${value.slice(0, 20)}${value[20] === 'A' ? 'B' : 'A'}${value.slice(21)}`, value.slice(0, -5), 'A'.repeat(value.length)]) {
      const response = await fetch(`${server.url}/get`, { headers: { cookie: `session=${bad}` } });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('not set');
    }
  });

  it('a session too large for a cookie fails with an error naming the size', async () => {
    const jar = new CookieJar();
    const small = await jar.fetch(`${server.url}/big/1000`);
    expect(small.status).toBe(200);
    const response = await jar.fetch(`${server.url}/big/5000`);
    expect(response.status).toBe(500);
    expect(await response.text()).toMatch(/Set-Cookie header would be \d+ bytes, over the 4096-byte cookie limit/);
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('the expiry is sealed inside: an old cookie stops working even if the browser sends it', async () => {
    const shortLived = await app({ store: cookieStore({ secret: SECRET }), lifetime: 1 });
    try {
      const jar = new CookieJar();
      await jar.fetch(`${shortLived.url}/set/soon-gone`);
      expect(await (await jar.fetch(`${shortLived.url}/get`)).text()).toBe('soon-gone');
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(await (await jar.fetch(`${shortLived.url}/get`)).text()).toBe('not set');
    } finally {
      await shortLived.close();
    }
  });

  it('rotates keys: the first seals, all open', async () => {
    const old = await app({ store: cookieStore({ secret: 'the-old-sealing-secret-0123456789abc' }) });
    const rotated = await app({ store: cookieStore({ secret: ['the-new-sealing-secret-0123456789abc', 'the-old-sealing-secret-0123456789abc'] }) });
    const dropped = await app({ store: cookieStore({ secret: 'the-new-sealing-secret-0123456789abc' }) });
    try {
      const jar = new CookieJar();
      await jar.fetch(`${old.url}/set/kept`);
      const cookie = jar.header()!;
      expect(await (await fetch(`${rotated.url}/get`, { headers: { cookie } })).text()).toBe('kept');
      expect(await (await fetch(`${dropped.url}/get`, { headers: { cookie } })).text()).toBe('not set');
    } finally {
      await Promise.all([old.close(), rotated.close(), dropped.close()]);
    }
  });

  it('without any secret it fails at start-up saying what to pass', () => {
    expect(() => sessionkit({ store: cookieStore() })).toThrow(/needs a secret to seal sessions/);
  });
});

describe.each([
  ['with revocations, a copy of a signed-in cookie no longer opens', { revocations: { store: new MemoryStore() } }, 'nobody'],
  ['without revocations, a copy still opens until it expires (docs/stores/cookie.md says so)', {}, 'alice'],
])('sealed cookies after logout, over HTTP: %s', (_title, extra, afterLogout) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await app({ store: cookieStore({ secret: SECRET }), userField: 'user', ...extra });
  });
  afterAll(() => server.close());

  const login = async (user: string) => {
    const jar = new CookieJar();
    expect((await jar.fetch(`${server.url}/login/${user}`)).status).toBe(200);
    return jar;
  };
  /** Who a copied cookie, replayed from elsewhere, is signed in as. */
  const replay = async (copy: string) => (await fetch(`${server.url}/whoami`, { headers: { cookie: copy } })).text();

  it('destroy()', async () => {
    const jar = await login('alice');
    const copy = jar.header()!;
    expect((await jar.fetch(`${server.url}/logout`)).status).toBe(200);
    expect(await (await jar.fetch(`${server.url}/whoami`)).text()).toBe('nobody');
    expect(await replay(copy)).toBe(afterLogout);
  });

  it('regenerate() keeps the session under a new cookie; the old one is ended with it', async () => {
    const jar = await login('alice');
    const copy = jar.header()!;
    expect((await jar.fetch(`${server.url}/rotate`)).status).toBe(200);
    expect(jar.header()).not.toBe(copy);
    expect(await (await jar.fetch(`${server.url}/whoami`)).text()).toBe('alice');
    expect(await replay(copy)).toBe(afterLogout);
  });

  it('a login as someone else in the same browser (regenerate with a callback)', async () => {
    const jar = await login('alice');
    const copy = jar.header()!;
    expect((await jar.fetch(`${server.url}/login/bob`)).status).toBe(200);
    expect(await (await jar.fetch(`${server.url}/whoami`)).text()).toBe('bob');
    expect(await replay(copy)).toBe(afterLogout);
  });
});
