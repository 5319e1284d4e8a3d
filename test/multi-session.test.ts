import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionkit } from '../src/express.js';
import { multiSession, type MultiSessionEntry } from '../src/multi.js';
import { cookieStore } from '../src/stores/cookie.js';
import { MemoryStore } from '../src/stores/memory.js';
import { CookieJar, listen, type TestServer } from './helpers/http.js';

const SECRET = 'multi-session-secret-0123456789abcdef';
const quiet = { warn: () => {}, info: () => {} };

/** The seeds' SESSION_CONFIG example, with a server-side store for the 'session' cookie. */
function seedsExample(serverStore = new MemoryStore()): MultiSessionEntry[] {
  return [
    { cookie: { name: 'csrf' }, store: cookieStore({ secret: SECRET }), fields: ['csrf_token'] },
    { cookie: { name: 'session' }, store: serverStore, secret: SECRET, fields: ['user_id', 'user_data'] },
    { cookie: { name: 'data' }, store: cookieStore({ secret: SECRET }), fields: 'auto' },
  ];
}

function app(sessions: MultiSessionEntry[]) {
  const application = express();
  application.use(sessionkit(multiSession({ sessions, logger: quiet })));
  const data = (req: express.Request) => req.session as unknown as Record<string, unknown>;
  application.get('/set/:field/:value', (req, res) => {
    data(req)[req.params.field!] = req.params.value;
    res.send('ok');
  });
  application.get('/all', (req, res) => void res.json({ ...data(req) }));
  application.get('/regenerate', (req, res) => {
    req.session.regenerate();
    res.send('ok');
  });
  application.get('/destroy', (req, res) => {
    req.session.destroy();
    res.send('ok');
  });
  application.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).send(error.message);
  });
  return listen(application);
}

describe('multiSession: the seeds example end to end', () => {
  let server: TestServer;
  const serverStore = new MemoryStore();
  beforeAll(async () => {
    server = await app(seedsExample(serverStore));
  });
  afterAll(() => server.close());

  const names = (response: Response) => response.headers.getSetCookie().map((line) => line.split('=')[0]);

  it('routes each field to its own cookie and store, and sets only the changed cookies', async () => {
    const jar = new CookieJar();
    expect(names(await jar.fetch(`${server.url}/set/csrf_token/t0k3n`))).toEqual(['csrf']);
    expect(names(await jar.fetch(`${server.url}/set/user_id/42`))).toEqual(['session']);
    expect(names(await jar.fetch(`${server.url}/set/theme/dark`))).toEqual(['data']);
    expect(names(await jar.fetch(`${server.url}/all`))).toEqual([]);
    expect(await (await jar.fetch(`${server.url}/all`)).json()).toEqual({ csrf_token: 't0k3n', user_id: '42', theme: 'dark' });

    // user_id lives in the server store, under the 'session' cookie's id only.
    const id = jar.cookies.get('session')!.split('.')[0];
    const record = await serverStore.get(`session:${id}`);
    expect(record).toBeDefined();
    expect(Buffer.from(record!.data).includes('42')).toBe(true);
    expect(Buffer.from(record!.data).includes('dark')).toBe(false);
    // The sealed cookies hold their fields encrypted: no plaintext in the browser.
    expect(jar.cookies.get('csrf')).not.toContain('t0k3n');
    expect(jar.cookies.get('data')).not.toContain('dark');
  });

  it('regenerate and destroy act on every session at once', async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/set/csrf_token/a`);
    await jar.fetch(`${server.url}/set/user_id/7`);
    await jar.fetch(`${server.url}/set/theme/light`);
    const before = new Map(jar.cookies);
    const regenerated = await jar.fetch(`${server.url}/regenerate`);
    expect(names(regenerated).sort()).toEqual(['csrf', 'data', 'session']);
    for (const [name, value] of before) expect(jar.cookies.get(name)).not.toBe(value);
    expect(await (await jar.fetch(`${server.url}/all`)).json()).toEqual({ csrf_token: 'a', user_id: '7', theme: 'light' });
    const oldId = before.get('session')!.split('.')[0];
    expect(await serverStore.get(`session:${oldId}`)).toBeUndefined();

    const destroyed = await jar.fetch(`${server.url}/destroy`);
    expect(names(destroyed).sort()).toEqual(['csrf', 'data', 'session']);
    expect(jar.cookies.size).toBe(0);
    expect(await (await jar.fetch(`${server.url}/all`)).json()).toEqual({});
  });

  it('a tampered sealed cookie is a fresh part, the others stay', async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/set/csrf_token/x`);
    await jar.fetch(`${server.url}/set/user_id/9`);
    const csrf = jar.cookies.get('csrf')!;
    jar.cookies.set('csrf', `${csrf.slice(0, 10)}${csrf[10] === 'A' ? 'B' : 'A'}${csrf.slice(11)}`);
    const response = await jar.fetch(`${server.url}/all`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ user_id: '9' });
  });
});

describe('multiSession: configuration errors name what to change', () => {
  const memory = () => new MemoryStore();
  it('a field claimed twice names the field and both sessions', () => {
    expect(() =>
      multiSession({
        sessions: [
          { cookie: { name: 'a' }, store: memory(), fields: ['user_id'] },
          { cookie: { name: 'b' }, store: memory(), fields: { include: ['user_id'] } },
        ],
      }),
    ).toThrow(/'user_id' is claimed by both 'a' and 'b'/);
  });

  it('two catch-all sessions are refused', () => {
    expect(() =>
      multiSession({
        sessions: [
          { cookie: { name: 'a' }, store: memory(), fields: 'auto' },
          { cookie: { name: 'b' }, store: memory(), fields: [] },
        ],
      }),
    ).toThrow(/'a' and 'b' both take every unclaimed field/);
  });

  it('two sessions may not share a cookie name', () => {
    expect(() =>
      multiSession({
        sessions: [
          { cookie: { name: 'a' }, store: memory(), fields: ['x'] },
          { cookie: { name: 'a' }, store: memory(), fields: ['y'] },
        ],
      }),
    ).toThrow(/cookie name 'a'/);
  });

  it('without an auto entry, setting an unclaimed field fails at once, naming it', async () => {
    const manager = multiSession({ sessions: [{ cookie: { name: 'a' }, store: memory(), fields: ['x'] }], logger: quiet });
    const session = (await manager.load(undefined)) as unknown as Record<string, unknown>;
    session.x = 1;
    expect(() => {
      session.y = 2;
    }).toThrow(/field 'y'/);
  });

  it('{ exclude } takes every field but the excluded ones, which go to auto', async () => {
    const manager = multiSession({
      sessions: [
        { cookie: { name: 'a' }, store: memory(), fields: { exclude: ['big'] } },
        { cookie: { name: 'b' }, store: memory(), fields: 'auto' },
      ],
      logger: quiet,
    });
    expect(manager.ownerOf('anything')).toBe('a');
    expect(manager.ownerOf('big')).toBe('b');
  });
});
