import { createRequire } from 'node:module';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionkit } from '../../src/adapters/express.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { CookieJar, listen, type TestServer } from '../helpers/http.js';

// Loaded untyped: their declarations augment express-session's types, which are not ours.
const require = createRequire(import.meta.url);
const flash = require('connect-flash') as () => RequestHandler;
const { csrfSync } = require('csrf-sync') as {
  csrfSync: () => { generateToken: (req: Request) => string; csrfSynchronisedProtection: RequestHandler };
};

type FlashRequest = Request & { flash(type: string, message?: string): string[] | number };

describe('connect-flash and csrf-sync on Express, over sessionkit', () => {
  let server: TestServer;

  beforeAll(async () => {
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use(sessionkit({ store: new MemoryStore(), secret: 'flash-and-csrf-secret-0123456789' }));
    app.use(flash());
    app.get('/flash', (req, res) => {
      (req as FlashRequest).flash('info', 'Saved.');
      res.redirect('/show');
    });
    app.get('/show', (req, res) => {
      res.json((req as FlashRequest).flash('info'));
    });
    const { generateToken, csrfSynchronisedProtection } = csrfSync();
    app.get('/form', (req, res) => {
      res.send(generateToken(req));
    });
    app.post('/transfer', csrfSynchronisedProtection, (_req, res) => {
      res.send('done');
    });
    app.use((error: { status?: number; message: string }, _req: Request, res: Response, _next: NextFunction) => {
      res.status(error.status ?? 500).send(error.message);
    });
    server = await listen(app);
  });
  afterAll(() => server.close());

  it('a flash message set before a redirect is shown once after it', async () => {
    const jar = new CookieJar();
    const redirect = await jar.fetch(`${server.url}/flash`);
    expect(redirect.status).toBe(302);
    expect(await (await jar.fetch(`${server.url}/show`)).json()).toEqual(['Saved.']);
    expect(await (await jar.fetch(`${server.url}/show`)).json()).toEqual([]);
  });

  it('csrf-sync: a POST without the token is refused, with the session token it goes through', async () => {
    const jar = new CookieJar();
    const token = await (await jar.fetch(`${server.url}/form`)).text();
    expect(token).toMatch(/^[0-9a-f]{256}$/);
    const refused = await jar.fetch(`${server.url}/transfer`, { method: 'POST' });
    expect(refused.status).toBe(403);
    const forged = await jar.fetch(`${server.url}/transfer`, { method: 'POST', headers: { 'x-csrf-token': 'f'.repeat(256) } });
    expect(forged.status).toBe(403);
    const accepted = await jar.fetch(`${server.url}/transfer`, { method: 'POST', headers: { 'x-csrf-token': token } });
    expect(await accepted.text()).toBe('done');
    // Another client's session has another token: this one is worthless there.
    const other = new CookieJar();
    await other.fetch(`${server.url}/form`);
    expect((await other.fetch(`${server.url}/transfer`, { method: 'POST', headers: { 'x-csrf-token': token } })).status).toBe(403);
  });
});
