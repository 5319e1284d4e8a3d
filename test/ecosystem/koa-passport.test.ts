import { bodyParser } from '@koa/bodyparser';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import { KoaPassport } from 'koa-passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionkit } from '../../src/adapters/koa.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { CookieJar, listen, type TestServer } from '../helpers/http.js';
import { deserializeUser, serializeUser, verify, type User } from './users.js';

/**
 * koa-passport 6 (with its own passport 0.6) and passport-local on Koa 3 and Koa 2, set up
 * as its README shows: a body parser, the session middleware, passport.initialize(),
 * passport.session(), passport.authenticate('local', …) on the login route, ctx.login(),
 * ctx.logout(), ctx.isAuthenticated() and ctx.state.user. koa-passport hands passport a
 * request whose `session` reads and writes `ctx.session`, so passport's
 * regenerate(cb) / save(cb) calls land on sessionkit's session and its replacement.
 */
declare module 'koa' {
  // What koa-passport's initialize() puts on every context.
  interface DefaultContext {
    login(user: unknown, options?: Record<string, unknown>): Promise<void>;
    logout(options?: Record<string, unknown>): Promise<void>;
    isAuthenticated(): boolean;
  }
}

const SECRET = 'koa-passport-test-secret-0123456789abcdef';
const quiet = { warn: () => {}, info: () => {} };

function app(Koa: typeof Koa3, store: MemoryStore) {
  const passport = new KoaPassport();
  passport.use(new LocalStrategy(verify));
  passport.serializeUser(serializeUser);
  passport.deserializeUser(deserializeUser);

  const application = new Koa();
  application.silent = true;
  application.use(bodyParser());
  application.use(sessionkit({ store, secret: SECRET, logger: quiet }));
  application.use(passport.initialize());
  application.use(passport.session());
  const login = passport.authenticate('local', { successRedirect: '/me', failureRedirect: '/login', failureMessage: true });
  const loginKeep = passport.authenticate('local', { successRedirect: '/me', failureRedirect: '/login', keepSessionInfo: true });
  application.use(async (ctx, next) => {
    const data = ctx.session as unknown as Record<string, unknown>;
    switch (`${ctx.method} ${ctx.path}`) {
      case 'POST /cart':
        data.cart = ['book'];
        ctx.body = 'ok';
        return;
      case 'POST /login':
        await login(ctx, next);
        return;
      case 'POST /login-keep':
        await loginKeep(ctx, next);
        return;
      case 'POST /login-direct':
        await ctx.login({ id: 'u1', name: 'Ada' });
        ctx.body = `logged in as ${(ctx.state.user as User).name}`;
        return;
      case 'POST /logout':
        await ctx.logout();
        ctx.redirect('/me');
        return;
      case 'POST /logout-keep':
        await ctx.logout({ keepSessionInfo: true });
        ctx.redirect('/me');
        return;
      case 'GET /me':
        ctx.body = {
          user: (ctx.state.user as User | undefined)?.name ?? null,
          authenticated: ctx.isAuthenticated(),
          cart: data.cart ?? null,
          messages: data.messages ?? null,
          id: ctx.session.id,
          keys: Object.keys(ctx.session),
        };
        return;
      default:
        ctx.status = 404;
    }
  });
  return application;
}

interface Me {
  user: string | null;
  authenticated: boolean;
  cart: string[] | null;
  messages: string[] | null;
  id: string;
  keys: string[];
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});
const ADA = { username: 'ada', password: 'lovelace' };

for (const [label, Koa] of [['Koa 3', Koa3], ['Koa 2', Koa2]] as const) {
  describe(`koa-passport + passport-local on ${label}`, () => {
    const store = new MemoryStore();
    let server: TestServer;
    beforeAll(async () => {
      server = await listen(app(Koa, store).callback());
    });
    afterAll(() => server.close());

    const me = async (jar: CookieJar) => (await (await jar.fetch(`${server.url}/me`)).json()) as Me;
    const stored = (id: string) => store.get(`session:${id}`);

    it('logs in through passport.authenticate: a later request sees ctx.state.user, the pre-login data and id are gone', async () => {
      const jar = new CookieJar();
      await jar.fetch(`${server.url}/cart`, { method: 'POST' });
      const before = await me(jar);
      expect(before).toMatchObject({ user: null, authenticated: false, cart: ['book'] });
      const response = await jar.fetch(`${server.url}/login`, form(ADA));
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/me');
      const after = await me(jar);
      expect(after).toMatchObject({ user: 'Ada', authenticated: true, cart: null, keys: ['passport'] });
      expect(after.id).not.toBe(before.id);
      expect(await stored(before.id)).toBeUndefined();
      expect(await stored(after.id)).toBeDefined();
    });

    it('keepSessionInfo: true carries the fields from before login into the new session', async () => {
      const jar = new CookieJar();
      await jar.fetch(`${server.url}/cart`, { method: 'POST' });
      const before = await me(jar);
      expect((await jar.fetch(`${server.url}/login-keep`, form(ADA))).status).toBe(302);
      const after = await me(jar);
      expect(after).toMatchObject({ user: 'Ada', authenticated: true, cart: ['book'] });
      expect(after.id).not.toBe(before.id);
      expect(await stored(before.id)).toBeUndefined();
    });

    it('a wrong password redirects to the login page with the failure message in the session', async () => {
      const jar = new CookieJar();
      const response = await jar.fetch(`${server.url}/login`, form({ username: 'ada', password: 'wrong' }));
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/login');
      expect(await me(jar)).toMatchObject({ user: null, authenticated: false, messages: ['Wrong username or password.'] });
    });

    it('await ctx.login(user) resolves after the session is saved, and the request answers', async () => {
      const jar = new CookieJar();
      const response = await jar.fetch(`${server.url}/login-direct`, { method: 'POST' });
      expect(await response.text()).toBe('logged in as Ada');
      expect(await me(jar)).toMatchObject({ user: 'Ada', authenticated: true });
    });

    it('ctx.logout() ends the login: no user on the next request, the logged-in record deleted, a replayed cookie logged out', async () => {
      const jar = new CookieJar();
      await jar.fetch(`${server.url}/login`, form(ADA));
      await jar.fetch(`${server.url}/cart`, { method: 'POST' });
      const loggedIn = await me(jar);
      expect(loggedIn.user).toBe('Ada');
      const oldCookie = jar.header()!;
      const response = await jar.fetch(`${server.url}/logout`, { method: 'POST' });
      expect(response.status).toBe(302);
      const after = await me(jar);
      expect(after).toMatchObject({ user: null, authenticated: false, cart: null });
      expect(await stored(loggedIn.id)).toBeUndefined();
      const replay = (await (await fetch(`${server.url}/me`, { headers: { cookie: oldCookie } })).json()) as Me;
      expect(replay.user).toBeNull();
    });

    it('ctx.logout({ keepSessionInfo: true }) ends the login but keeps the other fields, under a new id', async () => {
      const jar = new CookieJar();
      await jar.fetch(`${server.url}/login`, form(ADA));
      await jar.fetch(`${server.url}/cart`, { method: 'POST' });
      const loggedIn = await me(jar);
      await jar.fetch(`${server.url}/logout-keep`, { method: 'POST' });
      const after = await me(jar);
      expect(after).toMatchObject({ user: null, authenticated: false, cart: ['book'] });
      expect(after.id).not.toBe(loggedIn.id);
      expect(await stored(loggedIn.id)).toBeUndefined();
    });
  });
}
