import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express5 from 'express';
import express4 from 'express4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionkit } from '../src/adapters/express.js';
import type { SessionOptions } from '../src/core/options.js';
import { FileSystemStore } from '../src/stores/filesystem.js';
import { MemoryStore } from '../src/stores/memory.js';
import { NullStore } from '../src/stores/null.js';
import { CookieJar, listen, type TestServer } from './helpers/http.js';

const SECRET = 'express-test-secret-0123456789';
const quiet = { warn: () => {}, info: () => {} };
/** UTF-8 bytes as a header string: what arrives when a browser sends non-ASCII cookie text. */
const latin1 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

type ExpressFactory = typeof express5;
const versions: [string, ExpressFactory][] = [
  ['Express 5', express5],
  ['Express 4', express4 as unknown as ExpressFactory],
];

function buildApp(express: ExpressFactory, options: SessionOptions) {
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use(sessionkit({ logger: quiet, ...options }));
  app.get('/set', (req, res) => {
    req.session.value = String(req.query.v ?? 'x');
    res.send('ok');
  });
  app.get('/get', (req, res) => {
    res.send(String(req.session.value ?? 'not set'));
  });
  app.get('/login', (req, res) => {
    req.session.regenerate();
    req.session.user = 'alice';
    res.redirect('/get');
  });
  app.get('/logout', (req, res) => {
    req.session.destroy();
    res.send('bye');
  });
  app.get('/stream', (req, res) => {
    req.session.value = 'streamed';
    res.write('part one,');
    setTimeout(() => res.end('part two'), 10);
  });
  app.use((error: Error, _req: express5.Request, res: express5.Response, _next: express5.NextFunction) => {
    res.status(500).send(`handled: ${error.message}`);
  });
  return app;
}

declare module '../src/core/session.js' {
  interface SessionData {
    value: string;
    user: string;
  }
}

for (const [label, express] of versions) {
  describe(label, () => {
    let server: TestServer;
    let signed: TestServer;
    const store = new MemoryStore();
    beforeAll(async () => {
      server = await listen(buildApp(express, { store }));
      signed = await listen(buildApp(express, { store, secret: SECRET, cookie: { secure: 'auto' } }));
    });
    afterAll(async () => {
      await server.close();
      await signed.close();
    });

    it('sets, reads and keeps a value across requests', async () => {
      const jar = new CookieJar();
      expect(await (await jar.fetch(`${server.url}/get`)).text()).toBe('not set');
      await jar.fetch(`${server.url}/set?v=hello`);
      expect(await (await jar.fetch(`${server.url}/get`)).text()).toBe('hello');
    });

    it('sets the cookie with HttpOnly, SameSite=Lax, Path=/ and an expiry, and Vary: Cookie', async () => {
      const response = await fetch(`${server.url}/set`);
      const cookie = response.headers.get('set-cookie')!;
      expect(cookie).toMatch(/^session=[A-Za-z0-9_-]{43};/);
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; SameSite=Lax/);
      expect(cookie).toMatch(/; Path=\//);
      expect(cookie).toMatch(/; Max-Age=2678400/);
      expect(response.headers.get('vary')).toMatch(/Cookie/);
    });

    it('an untouched request gets no Set-Cookie', async () => {
      const jar = new CookieJar();
      await jar.fetch(`${server.url}/set`);
      const response = await jar.fetch(`${server.url}/get`);
      expect(response.headers.get('set-cookie')).toBeNull();
      expect(response.headers.get('vary')).toMatch(/Cookie/);
    });

    it('regenerates the id at login', async () => {
      const jar = new CookieJar();
      await jar.fetch(`${server.url}/set?v=before`);
      const before = jar.cookies.get('session');
      const response = await jar.fetch(`${server.url}/login`);
      expect(response.status).toBe(302);
      expect(jar.cookies.get('session')).not.toBe(before);
      expect(await (await jar.fetch(`${server.url}/get`)).text()).toBe('before');
      // The pre-login id is worthless now.
      const old = await fetch(`${server.url}/get`, { headers: { cookie: `session=${before}` } });
      expect(await old.text()).toBe('not set');
    });

    it('logout clears the cookie with the same attributes that set it', async () => {
      const jar = new CookieJar();
      const set = await jar.fetch(`${signed.url}/set`, { headers: { 'x-forwarded-proto': 'https' } });
      const response = await jar.fetch(`${signed.url}/logout`, { headers: { 'x-forwarded-proto': 'https' } });
      const attributes = (line: string) => line.split('; ').slice(1).filter((a) => !/^(Max-Age|Expires)=/.test(a)).sort();
      const cleared = response.headers.get('set-cookie')!;
      expect(cleared).toMatch(/^session=;/);
      expect(cleared).toMatch(/Max-Age=0/);
      expect(attributes(cleared)).toEqual(attributes(set.headers.get('set-cookie')!));
      expect(attributes(cleared)).toContain('Secure');
      expect(jar.cookies.has('session')).toBe(false);
    });

    it("secure: 'auto' follows trust proxy: Secure only behind an HTTPS proxy", async () => {
      const https = await fetch(`${signed.url}/set`, { headers: { 'x-forwarded-proto': 'https' } });
      expect(https.headers.get('set-cookie')).toMatch(/; Secure/);
      const http = await fetch(`${signed.url}/set`);
      expect(http.headers.get('set-cookie')).not.toMatch(/Secure/);
    });

    it('a streamed response still carries the cookie and the data is saved', async () => {
      const jar = new CookieJar();
      const response = await jar.fetch(`${server.url}/stream`);
      expect(await response.text()).toBe('part one,part two');
      expect(jar.cookies.has('session')).toBe(true);
      expect(await (await jar.fetch(`${server.url}/get`)).text()).toBe('streamed');
    });

    describe('malformed cookies are a fresh session and a normal response', () => {
      const cases: [string, string][] = [
        ['not base64', 'session=!!!not*base64$$$'],
        ['wrong length', `session=${'A'.repeat(20)}`],
        ['unicode (raw UTF-8 bytes, as a browser sends them)', `session=${latin1('sessión-ключ-🔑')}`],
        ['10 KB long', `session=${'A'.repeat(10 * 1024)}`],
        ['percent-encoding that does not decode', 'session=%E0%A4%A'],
        ['an empty value', 'session='],
      ];
      for (const [what, cookie] of cases) {
        it(what, async () => {
          const response = await fetch(`${server.url}/get`, { headers: { cookie } });
          expect(response.status).toBe(200);
          expect(await response.text()).toBe('not set');
        });
      }

      it('several cookies of the same name: the first decides, never a 500', async () => {
        const jar = new CookieJar();
        await jar.fetch(`${server.url}/set?v=real`);
        const real = jar.cookies.get('session');
        const forgedFirst = await fetch(`${server.url}/get`, { headers: { cookie: `session=${'B'.repeat(43)}; session=${real}` } });
        expect(forgedFirst.status).toBe(200);
        expect(await forgedFirst.text()).toBe('not set');
        const realFirst = await fetch(`${server.url}/get`, { headers: { cookie: `session=${real}; session=${'B'.repeat(43)}` } });
        expect(await realFirst.text()).toBe('real');
      });

      it('a value signed with a stale key', async () => {
        const staleServer = await listen(buildApp(express, { store, secret: 'a-retired-secret-0123456789' }));
        const jar = new CookieJar();
        await jar.fetch(`${staleServer.url}/set?v=stale`);
        await staleServer.close();
        const response = await jar.fetch(`${signed.url}/get`);
        expect(response.status).toBe(200);
        expect(await response.text()).toBe('not set');
      });

      it('an unsigned id where a signature is required', async () => {
        const jar = new CookieJar();
        await jar.fetch(`${server.url}/set?v=unsigned`);
        const response = await jar.fetch(`${signed.url}/get`);
        expect(await response.text()).toBe('not set');
      });

      it('a forged cookie is cleared so the browser stops sending it', async () => {
        const response = await fetch(`${server.url}/get`, { headers: { cookie: `session=${'C'.repeat(43)}` } });
        expect(response.headers.get('set-cookie')).toMatch(/^session=;.*Max-Age=0/);
      });
    });

    describe('store errors go to next(err)', () => {
      let dir: string;
      beforeAll(() => {
        dir = mkdtempSync(join(tmpdir(), 'sessionkit-express-'));
        writeFileSync(join(dir, 'not-a-dir'), 'x');
      });
      afterAll(() => rmSync(dir, { recursive: true, force: true }));

      it('a write to the null store reaches the error handler with a message on how to choose a store', async () => {
        const app = await listen(buildApp(express, { store: new NullStore() }));
        try {
          const response = await fetch(`${app.url}/set`);
          expect(response.status).toBe(500);
          expect(await response.text()).toMatch(/handled: .*No session store is configured.*memoryStore\(\)/);
          expect(response.headers.get('set-cookie')).toBeNull();
        } finally {
          await app.close();
        }
      });

      it('a failing read reaches the error handler', async () => {
        const broken = new FileSystemStore({ dir: join(dir, 'not-a-dir', 'sessions') });
        const app = await listen(buildApp(express, { store: broken }));
        try {
          const jar = new CookieJar();
          const response = await fetch(`${app.url}/get`, { headers: { cookie: `session=${'D'.repeat(43)}` } });
          expect(response.status).toBe(500);
          expect(await response.text()).toMatch(/handled: \[sessionkit:filesystem\]/);
          expect(jar.cookies.size).toBe(0);
        } finally {
          await app.close();
        }
      });
    });
  });
}

describe('middleware mounted twice', () => {
  it('the second instance leaves the session of the first alone', async () => {
    const app = express5();
    const store = new MemoryStore();
    app.use(sessionkit({ store, logger: quiet }));
    app.use(sessionkit({ store, logger: quiet }));
    app.get('/', (req, res) => {
      req.session.value = 'once';
      res.send('ok');
    });
    const server = await listen(app);
    try {
      const response = await fetch(server.url);
      expect(response.headers.getSetCookie()).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
