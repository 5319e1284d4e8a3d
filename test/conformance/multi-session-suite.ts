/**
 * Several sessions at once (multiSession) through one framework adapter, over real HTTP.
 * Each adapter's test file passes the same app factory it gives `describeAdapter`, widened
 * to take a SessionManager; only these routes of that app are used:
 *   GET /set?k&v   session[k] = v                 -> 'ok'
 *   GET /get?k     the value or 'not set'         -> text
 *   GET /plain     does not touch the session     -> 'ok'
 *   GET /regenerate, GET /destroy
 * Errors reach the framework's own error handler, which answers 500 'handled: <message>'.
 *
 * The sessions (./adapter-profiles.ts): 'csrf' is a sealed cookie holding csrf_token, 'sid'
 * a signed id whose user_id and user_data live in a memory store, 'data' a memory store
 * (by type name) taking every other field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionManager } from '../../src/engine/engine.js';
import { CookieJar, type TestServer } from '../helpers/http.js';
import { multiSessionProfiles, type MultiSessionProfile } from './adapter-profiles.js';

/** Builds the app for `manager`; an app in another process (workerd) builds its own by `profile`'s name. */
export type BuildMultiSessionServer = (manager: SessionManager, profile: MultiSessionProfile) => Promise<TestServer>;

/** Cookie names a response sets (or clears), sorted. */
const setNames = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((line) => line.slice(0, line.indexOf('=')))
    .sort();

export function describeMultiSession(name: string, build: BuildMultiSessionServer): void {
  describe(`multiSession through ${name}`, () => {
    let server: TestServer;
    let strict: TestServer;
    beforeAll(async () => {
      const profiles = multiSessionProfiles();
      server = await build(profiles.multi, 'multi');
      strict = await build(profiles['multi-strict'], 'multi-strict');
    });
    afterAll(async () => {
      await Promise.all([server?.close(), strict?.close()]);
    });

    const get = async (jar: CookieJar | undefined, field: string, cookie?: string) => {
      const url = `${server.url}/get?k=${field}`;
      const response = jar ? await jar.fetch(url) : await fetch(url, { headers: cookie ? { cookie } : {} });
      return response.text();
    };
    /** Logs in a new client with a field in each of the three sessions. */
    const loggedIn = async () => {
      const jar = new CookieJar();
      await jar.fetch(`${server.url}/set?k=csrf_token&v=t0k3n`);
      await jar.fetch(`${server.url}/set?k=user_id&v=42`);
      await jar.fetch(`${server.url}/set?k=theme&v=dark`);
      expect([...jar.cookies.keys()].sort()).toEqual(['csrf', 'data', 'sid']);
      return jar;
    };

    it('routes each field to its own cookie, and sets only that cookie', async () => {
      const jar = new CookieJar();
      expect(setNames(await jar.fetch(`${server.url}/set?k=csrf_token&v=t0k3n`))).toEqual(['csrf']);
      expect(setNames(await jar.fetch(`${server.url}/set?k=user_id&v=42`))).toEqual(['sid']);
      expect(setNames(await jar.fetch(`${server.url}/set?k=theme&v=dark`))).toEqual(['data']);
      expect(jar.cookies.get('sid')).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/); // that entry's own secret signs
      expect(jar.cookies.get('csrf')).not.toContain('t0k3n');
    });

    it('reads every field back on the next requests, without setting any cookie', async () => {
      const jar = await loggedIn();
      for (const [field, value] of [['csrf_token', 't0k3n'], ['user_id', '42'], ['theme', 'dark']]) {
        const response = await jar.fetch(`${server.url}/get?k=${field}`);
        expect(await response.text()).toBe(value);
        expect(response.headers.getSetCookie()).toEqual([]);
      }
      expect((await jar.fetch(`${server.url}/plain`)).headers.getSetCookie()).toEqual([]);
    });

    it('each cookie carries only its own fields', async () => {
      const jar = await loggedIn();
      const only = (cookieName: string) => `${cookieName}=${jar.cookies.get(cookieName)}`;
      expect(await get(undefined, 'user_id', only('sid'))).toBe('42');
      expect(await get(undefined, 'csrf_token', only('sid'))).toBe('not set');
      expect(await get(undefined, 'theme', only('sid'))).toBe('not set');
      expect(await get(undefined, 'csrf_token', only('csrf'))).toBe('t0k3n');
      expect(await get(undefined, 'user_id', only('csrf'))).toBe('not set');
      expect(await get(undefined, 'theme', only('data'))).toBe('dark');
      expect(await get(undefined, 'user_id', only('data'))).toBe('not set');
    });

    it('changing one field rewrites only the cookie of its session', async () => {
      const jar = await loggedIn();
      const before = new Map(jar.cookies);
      const response = await jar.fetch(`${server.url}/set?k=user_data&v=ada`);
      expect(setNames(response)).toEqual(['sid']);
      expect(jar.cookies.get('csrf')).toBe(before.get('csrf'));
      expect(jar.cookies.get('data')).toBe(before.get('data'));
      expect(setNames(await jar.fetch(`${server.url}/set?k=lang&v=en`))).toEqual(['data']); // unclaimed: the 'auto' session
      expect(setNames(await jar.fetch(`${server.url}/set?k=csrf_token&v=rotated`))).toEqual(['csrf']);
      expect(await get(jar, 'user_data')).toBe('ada');
      expect(await get(jar, 'csrf_token')).toBe('rotated');
      expect(await get(jar, 'user_id')).toBe('42');
    });

    it('regenerate without any session sets no cookie', async () => {
      expect(setNames(await fetch(`${server.url}/regenerate`))).toEqual([]);
    });

    it('regenerate renews every cookie and keeps every field', async () => {
      const jar = await loggedIn();
      const before = new Map(jar.cookies);
      const response = await jar.fetch(`${server.url}/regenerate`);
      expect(setNames(response)).toEqual(['csrf', 'data', 'sid']);
      for (const [cookieName, value] of before) expect(jar.cookies.get(cookieName), cookieName).not.toBe(value);
      expect(await get(jar, 'csrf_token')).toBe('t0k3n');
      expect(await get(jar, 'user_id')).toBe('42');
      expect(await get(jar, 'theme')).toBe('dark');
      // The server-side records under the old ids are gone.
      expect(await get(undefined, 'user_id', `sid=${before.get('sid')}`)).toBe('not set');
      expect(await get(undefined, 'theme', `data=${before.get('data')}`)).toBe('not set');
    });

    it('destroy clears every cookie and every field', async () => {
      const jar = await loggedIn();
      const before = jar.header()!;
      const response = await jar.fetch(`${server.url}/destroy`);
      expect(setNames(response)).toEqual(['csrf', 'data', 'sid']);
      for (const line of response.headers.getSetCookie()) expect(line).toMatch(/^\w+=;.*Max-Age=0/);
      expect(jar.cookies.size).toBe(0);
      for (const field of ['csrf_token', 'user_id', 'theme']) expect(await get(jar, field)).toBe('not set');
      // Replaying the old cookies finds nothing server-side.
      expect(await get(undefined, 'user_id', before)).toBe('not set');
      expect(await get(undefined, 'theme', before)).toBe('not set');
    });

    it("without an 'auto' session, setting an unclaimed field fails through the framework's error path", async () => {
      const jar = new CookieJar();
      await jar.fetch(`${strict.url}/set?k=user_id&v=1`);
      const response = await jar.fetch(`${strict.url}/set?k=theme&v=dark`);
      expect(response.status).toBe(500);
      expect(await response.text()).toMatch(/^handled: .*no session of multiSession keeps the field 'theme'/);
      expect(response.headers.getSetCookie()).toEqual([]);
      expect(await (await jar.fetch(`${strict.url}/get?k=user_id`)).text()).toBe('1');
    });
  });
}
