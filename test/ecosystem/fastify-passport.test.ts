import { Authenticator } from '@fastify/passport';
import fastify from 'fastify';
import { Strategy as LocalStrategy } from 'passport-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionkit } from '../../src/adapters/fastify.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { CookieJar, type TestServer } from '../helpers/http.js';
import { deserializeUser, serializeUser, verify, type User } from './users.js';

/**
 * @fastify/passport 4 with passport-local on Fastify 5, set up as its README shows for
 * @fastify/session, with sessionkit's plugin in that place: `new Authenticator()`,
 * `register(passport.initialize())`, `register(passport.secureSession())`, a login route
 * with `preValidation: passport.authenticate('local', …)`, `request.isAuthenticated()`,
 * `request.logout()`. initialize() registers @fastify/flash, which requires a request
 * decorator named 'session' at registration: sessionkit's plugin provides it. Passport's
 * session manager calls `request.session.get/set/data()` and `regenerate(fields)`.
 */
const SECRET = 'fastify-passport-test-secret-0123456789abcdef';
const quiet = { warn: () => {}, info: () => {} };

async function app(store: MemoryStore): Promise<TestServer> {
  const passport = new Authenticator();
  const server = fastify();
  await server.register(sessionkit, { store, secret: SECRET, logger: quiet });
  await server.register(passport.initialize());
  await server.register(passport.secureSession());
  passport.use('local', new LocalStrategy(verify));
  // @fastify/passport takes promise-returning (de)serializers: the same two, awaited.
  passport.registerUserSerializer((user: User) => new Promise<string>((resolve) => serializeUser(user, (_error, id) => resolve(id!))));
  passport.registerUserDeserializer(
    (id: string) => new Promise<User | null>((resolve) => deserializeUser(id, (_error, user) => resolve(user || null))),
  );

  server.post('/cart', async (request) => {
    request.session.set('cart', ['book']);
    return 'ok';
  });
  server.post(
    '/login',
    { preValidation: passport.authenticate('local', { successRedirect: '/me', failureRedirect: '/login', failureFlash: 'Wrong username or password.', authInfo: false }) },
    () => {},
  );
  server.post(
    '/login-keep',
    { preValidation: passport.authenticate('local', { successRedirect: '/me', failureRedirect: '/login', keepSessionInfo: true, authInfo: false }) },
    () => {},
  );
  server.get('/login', async (_request, reply) => ({ errors: reply.flash('error') as string[] }));
  server.post('/logout', async (request, reply) => {
    await request.logout();
    return reply.redirect('/me');
  });
  server.get(
    '/private',
    {
      preValidation: async (request, reply) => {
        if (!request.isAuthenticated()) return reply.redirect('/login');
      },
    },
    async () => 'hello world!',
  );
  server.get('/me', async (request) => ({
    user: (request.user as User | undefined)?.name ?? null,
    authenticated: request.isAuthenticated(),
    cart: request.session.get('cart') ?? null,
    id: request.session.sessionId,
    keys: Object.keys(request.session.data()),
  }));
  const url = await server.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => server.close() };
}

interface Me {
  user: string | null;
  authenticated: boolean;
  cart: string[] | null;
  id: string;
  keys: string[];
}

const json = (body: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const ADA = { username: 'ada', password: 'lovelace' };

describe('@fastify/passport + passport-local on Fastify 5', () => {
  const store = new MemoryStore();
  let server: TestServer;
  beforeAll(async () => {
    server = await app(store);
  });
  afterAll(() => server.close());

  const me = async (jar: CookieJar) => (await (await jar.fetch(`${server.url}/me`)).json()) as Me;
  const stored = (id: string) => store.get(`session:${id}`);

  it('logs in: the login answers with its redirect, a later request sees request.user, the pre-login data and id are gone', async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/cart`, { method: 'POST' });
    const before = await me(jar);
    expect(before).toMatchObject({ user: null, authenticated: false, cart: ['book'] });
    expect((await jar.fetch(`${server.url}/private`)).headers.get('location')).toBe('/login');
    const login = await jar.fetch(`${server.url}/login`, json(ADA));
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toBe('/me');
    const after = await me(jar);
    expect(after).toMatchObject({ user: 'Ada', authenticated: true, cart: null, keys: ['passport'] });
    expect(after.id).not.toBe(before.id);
    expect(await stored(before.id)).toBeUndefined();
    expect(await (await jar.fetch(`${server.url}/private`)).text()).toBe('hello world!');
  });

  it('keepSessionInfo: true keeps the fields from before login, under the new id', async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/cart`, { method: 'POST' });
    const before = await me(jar);
    expect((await jar.fetch(`${server.url}/login-keep`, json(ADA))).status).toBe(302);
    const after = await me(jar);
    expect(after).toMatchObject({ user: 'Ada', authenticated: true, cart: ['book'] });
    expect(after.id).not.toBe(before.id);
    expect(await stored(before.id)).toBeUndefined();
  });

  // failureFlash as a string: with `true`, @fastify/passport 4 flashes only an info object that names its own `type`.
  it('a wrong password redirects with a flash message (failureFlash) that the next page reads once', async () => {
    const jar = new CookieJar();
    const login = await jar.fetch(`${server.url}/login`, json({ username: 'ada', password: 'wrong' }));
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toBe('/login');
    expect(await (await jar.fetch(`${server.url}/login`)).json()).toEqual({ errors: ['Wrong username or password.'] });
    expect(await (await jar.fetch(`${server.url}/login`)).json()).toEqual({ errors: [] });
    expect((await me(jar)).user).toBeNull();
  });

  it('request.logout() ends the login: no user on the next request, a new id, the logged-in record deleted, a replayed cookie logged out', async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/login`, json(ADA));
    const loggedIn = await me(jar);
    expect(loggedIn.user).toBe('Ada');
    const oldCookie = jar.header()!;
    const logout = await jar.fetch(`${server.url}/logout`, { method: 'POST' });
    expect(logout.status).toBe(302);
    const after = await me(jar);
    expect(after).toMatchObject({ user: null, authenticated: false });
    expect(after.keys).not.toContain('passport');
    expect(after.id).not.toBe(loggedIn.id);
    expect(await stored(loggedIn.id)).toBeUndefined();
    const replay = (await (await fetch(`${server.url}/me`, { headers: { cookie: oldCookie } })).json()) as Me;
    expect(replay.user).toBeNull();
  });

  it("logout keeps the session's other fields: @fastify/passport calls regenerate() without arguments, sessionkit's keep-the-data form (@fastify/session would drop them)", async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/login`, json(ADA));
    await jar.fetch(`${server.url}/cart`, { method: 'POST' });
    await jar.fetch(`${server.url}/logout`, { method: 'POST' });
    expect(await me(jar)).toMatchObject({ user: null, cart: ['book'] });
  });
});
