import express, { type RequestHandler } from 'express';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireFresh, sessionkit } from '../../src/adapters/express.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { CookieJar, listen, type TestServer } from '../helpers/http.js';
import { CountingStore } from '../helpers/counting-store.js';
import { deserializeUser, serializeUser, verify } from './users.js';

/**
 * Passport 0.7 with passport-local on Express, as its own documentation sets it up:
 * passport.authenticate('local') on a login form, passport.session() restoring req.user,
 * req.logout(cb). Passport calls req.session.regenerate(cb) and req.session.save(cb).
 */
const SECRET = 'passport-test-secret-0123456789abcdef';

declare module '../../src/engine/session.js' {
  interface SessionData {
    cart: string[];
    messages: string[];
  }
}

/** `options`: more session options (the freshness tests' `userField` and `freshness`). */
function app(store: CountingStore, options: SessionOptions = {}) {
  const authenticator = new passport.Passport();
  authenticator.use(new LocalStrategy(verify));
  authenticator.serializeUser(serializeUser);
  authenticator.deserializeUser(deserializeUser);

  const application = express();
  application.use(express.urlencoded({ extended: false }));
  application.use(sessionkit({ store, secret: SECRET, touchAfter: 0, ...options }));
  application.use(authenticator.session());
  application.post('/cart', (req, res) => {
    req.session.cart = ['book'];
    res.send('ok');
  });
  // @types/passport types authenticate() as `any`; it is Express middleware.
  const login = authenticator.authenticate('local', { successRedirect: '/me', failureRedirect: '/login', failureMessage: true }) as RequestHandler;
  const loginKeeping = authenticator.authenticate('local', { successRedirect: '/me', failureRedirect: '/login', keepSessionInfo: true }) as RequestHandler;
  application.post('/login', login);
  // failureFlash and successFlash call req.flash(type, message): connect-flash is not installed here.
  const flashing = authenticator.authenticate('local', { successRedirect: '/flashed', failureRedirect: '/flashed', failureFlash: true, successFlash: 'Welcome!', keepSessionInfo: true }) as RequestHandler;
  application.post('/login-flash', flashing);
  application.get('/flashed', (req, res) => {
    res.json({ error: req.flash('error'), success: req.flash('success'), keys: Object.keys(req.session) });
  });
  application.post('/login-keep', loginKeeping);
  application.post('/login-direct', (req, res, next) => {
    req.login({ id: 'u1', name: 'Ada' }, (error) => {
      if (error) {
        next(error);
        return;
      }
      res.send(`logged in as ${(req.user as { name: string }).name}`);
    });
  });
  application.post('/remember', (req, res) => {
    req.session.cookie.maxAge = 30 * 86400e3;
    res.send('ok');
  });
  application.post('/logout', (req, res, next) => {
    req.logout((error) => {
      if (error) {
        next(error);
        return;
      }
      res.redirect('/me');
    });
  });
  // Step-up: a sensitive page behind a login at most a second old; the password asked again re-authenticates.
  application.get('/settings', requireFresh('1s', { onStale: (_req, res, _next, outcome) => res.writeHead(303, { location: `/confirm?why=${outcome.reason}` }).end() }), (_req, res) => {
    res.send('settings');
  });
  // The password again through Passport (req.login of the same user), then the route marks it.
  const confirm = authenticator.authenticate('local', { failureRedirect: '/confirm' }) as RequestHandler;
  application.post('/confirm', confirm, (req, res) => {
    req.session.markAuthenticated();
    res.send('confirmed');
  });
  application.get('/me', (req, res) => {
    res.json({
      user: (req.user as { name: string } | undefined)?.name ?? null,
      cart: req.session.cart ?? null,
      messages: req.session.messages ?? null,
      sessionID: req.sessionID,
      id: req.session.id,
      keys: Object.keys(req.session),
    });
  });
  return application;
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

interface Me {
  user: string | null;
  cart: string[] | null;
  messages: string[] | null;
  sessionID: string;
  id: string;
  keys: string[];
}

describe('passport + passport-local on Express', () => {
  const store = new CountingStore();
  let server: TestServer;

  beforeAll(async () => {
    server = await listen(app(store));
  });
  afterAll(() => server.close());

  const me = async (jar: CookieJar) => (await (await jar.fetch(`${server.url}/me`)).json()) as Me;

  it('logs in with the right password: the request answers, a later request sees req.user, the pre-login id is gone', async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/cart`, { method: 'POST' });
    const before = await me(jar);
    const login = await jar.fetch(`${server.url}/login`, form({ username: 'ada', password: 'lovelace' }));
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toBe('/me');
    const after = await me(jar);
    expect(after.user).toBe('Ada');
    expect(after.id).not.toBe(before.id);
    expect(after.sessionID).toBe(after.id);
    // Without keepSessionInfo, what the session held before login is gone.
    expect(after.cart).toBeNull();
    expect(await store.inner.get(`session:${before.id}`)).toBeUndefined();
    // The passport field is data like any other; the controls are not.
    expect(after.keys).toEqual(['passport']);
  });

  it('with keepSessionInfo: true, the fields from before login survive it, under the new id', async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/cart`, { method: 'POST' });
    const before = await me(jar);
    expect((await jar.fetch(`${server.url}/login-keep`, form({ username: 'ada', password: 'lovelace' }))).status).toBe(302);
    const after = await me(jar);
    expect(after.user).toBe('Ada');
    expect(after.cart).toEqual(['book']);
    expect(after.id).not.toBe(before.id);
    expect(await store.inner.get(`session:${before.id}`)).toBeUndefined();
  });

  it('a wrong password redirects to the login page with the failure message in req.session.messages', async () => {
    const jar = new CookieJar();
    const login = await jar.fetch(`${server.url}/login`, form({ username: 'ada', password: 'wrong' }));
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toBe('/login');
    const after = await me(jar);
    expect(after.user).toBeNull();
    expect(after.messages).toEqual(['Wrong username or password.']);
  });

  it('failureFlash: the strategy\'s message is on the redirect target once, with no connect-flash installed', async () => {
    const jar = new CookieJar();
    const login = await jar.fetch(`${server.url}/login-flash`, form({ username: 'ada', password: 'wrong' }));
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toBe('/flashed');
    const shown = (await (await jar.fetch(`${server.url}/flashed`)).json()) as { error: string[]; success: string[]; keys: string[] };
    expect(shown).toEqual({ error: ['Wrong username or password.'], success: [], keys: [] });
    // Read once: gone on the next page.
    expect(((await (await jar.fetch(`${server.url}/flashed`)).json()) as { error: string[] }).error).toEqual([]);
  });

  // Passport flashes before login's regenerate(cb), which empties the session (with
  // express-session too): the message survives it with keepSessionInfo, as here.
  it('successFlash with keepSessionInfo: the message survives login\'s regenerate and shows after the redirect', async () => {
    const jar = new CookieJar();
    expect((await jar.fetch(`${server.url}/login-flash`, form({ username: 'ada', password: 'lovelace' }))).status).toBe(302);
    const shown = (await (await jar.fetch(`${server.url}/flashed`)).json()) as { error: string[]; success: string[]; keys: string[] };
    expect(shown).toEqual({ error: [], success: ['Welcome!'], keys: ['passport'] });
  });

  it('req.login(user, cb) calls back after the session is saved and answers', async () => {
    const jar = new CookieJar();
    const response = await jar.fetch(`${server.url}/login-direct`, { method: 'POST' });
    expect(await response.text()).toBe('logged in as Ada');
    expect((await me(jar)).user).toBe('Ada');
  });

  it('req.logout(cb) ends the login: the next request has no user, the logged-in id is deleted', async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/login`, form({ username: 'ada', password: 'lovelace' }));
    const loggedIn = await me(jar);
    expect(loggedIn.user).toBe('Ada');
    const logout = await jar.fetch(`${server.url}/logout`, { method: 'POST' });
    expect(logout.status).toBe(302);
    expect((await me(jar)).user).toBeNull();
    expect(await store.inner.get(`session:${loggedIn.id}`)).toBeUndefined();
    // The old cookie replayed by an attacker is no longer logged in either.
    const replay = await fetch(`${server.url}/me`, { headers: { cookie: `session=${jar.cookies.get('session') ?? ''}` } });
    expect(((await replay.json()) as Me).user).toBeNull();
  });

  it('remember-me through req.session.cookie.maxAge: a 30-day cookie, kept by later refreshes', async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/login`, form({ username: 'ada', password: 'lovelace' }));
    const remember = await jar.fetch(`${server.url}/remember`, { method: 'POST' });
    expect(remember.headers.get('set-cookie')).toMatch(/Max-Age=2592000/);
    // touchAfter 0: every request refreshes; the refresh keeps the session's own lifetime.
    const refreshed = await jar.fetch(`${server.url}/me`);
    expect(refreshed.headers.get('set-cookie')).toMatch(/Max-Age=2592000/);
    expect(((await refreshed.json()) as Me).user).toBe('Ada');
  });
});

describe('passport + passport-local with freshness and userField: passport.user', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await listen(app(new CountingStore(), { userField: 'passport.user', freshness: true }));
  });
  afterAll(() => server.close());
  const settings = async (jar: CookieJar) => {
    const response = await jar.fetch(`${server.url}/settings`, { redirect: 'manual' });
    return `${response.status} ${response.headers.get('location') ?? (await response.text())}`;
  };

  it("req.login records the time: the guarded page opens after login, sends to /confirm once stale, and after the password again opens", async () => {
    const jar = new CookieJar();
    expect(await settings(jar)).toBe('303 /confirm?why=never-authenticated');
    await jar.fetch(`${server.url}/login`, { ...form({ username: 'ada', password: 'lovelace' }), redirect: 'manual' });
    expect(await settings(jar)).toBe('200 settings');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await settings(jar)).toBe('303 /confirm?why=stale');
    // The same user through passport.authenticate again: the route marks it.
    await jar.fetch(`${server.url}/confirm`, { ...form({ username: 'ada', password: 'lovelace' }), redirect: 'manual' });
    expect(await settings(jar)).toBe('200 settings');
  });

  it('req.logout ends it: the next login starts from never-authenticated', async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/login`, { ...form({ username: 'ada', password: 'lovelace' }), redirect: 'manual' });
    expect(await settings(jar)).toBe('200 settings');
    await jar.fetch(`${server.url}/logout`, { method: 'POST', redirect: 'manual' });
    expect(await settings(jar)).toBe('303 /confirm?why=never-authenticated');
  });
});
