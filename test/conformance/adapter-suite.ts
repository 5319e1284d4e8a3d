/**
 * One list of scenarios, run over real HTTP through every framework adapter. Each
 * adapter's test file builds an app with the routes below in its own framework and
 * calls `describeAdapter`.
 *
 * Routes every app provides (query parameters k and v):
 *   GET /set?k&v        session[k] = v                         -> 'ok'
 *   GET /get?k          the value or 'not set'                 -> text
 *   GET /plain          does not touch the session             -> 'ok'
 *   GET /regenerate     session.regenerate()                   -> 'ok'
 *   GET /destroy        session.destroy()                      -> 'ok'
 *   GET /transient      session.permanent = false; t = '1'     -> 'ok'
 *   GET /stream         session.streamed = 'yes', then a body in two chunks 'one,' 'two'
 *   GET /redirect       session.r = '1', then 302 to /get?k=r
 *   GET /accessor       calls setViaAccessor() (below) in the handler, returns getViaAccessor()
 *   GET|POST /form?op&k&v&gate   answers `await sessionForm(options, current, query)` (./adapter-routes.ts):
 *                       express-session's callback and promise forms, run on the request's session;
 *                       `current` returns the session the request holds now (req.session, ctx.session,
 *                       …: regenerate(cb) may have replaced it); also the app's user sessions and the
 *                       gates the suite holds a request at, so that an app in workerd is driven the same.
 * Errors reach the framework's own error handler, which answers 500 'handled: <message>'.
 *
 * Covered for every adapter: values across requests; the cookie's secure defaults and Vary;
 * no Set-Cookie when untouched; regenerate; destroy (cleared with the attributes that set
 * it); browser-session cookies; signed ids, forged, retired-key and unsigned ones; malformed
 * and duplicate cookies; unknown ids cleared; failing writes and failing reads (asynchronous
 * and synchronous) through the framework's error path; streamed and redirected responses;
 * the request-scoped accessor; concurrent clients; express-session's forms — save(cb) and
 * await save() (in the store when they answer, the cookie on the response), reload() (sees
 * another request's write), destroy(cb) and await destroy() (the record gone when they
 * answer), regenerate(cb) (a new empty session in the old one's place, or the same one
 * emptied under a new id where the adapter cannot replace it; the old record deleted),
 * touch(), session.cookie.maxAge (the cookie's lifetime, kept by a refresh), and flash messages
 * (session.flash: kept over requests, read once); with the `csrf` option (profile 'csrf', and
 * POST /form, whose apps mount their framework's body parser), safe methods never checked,
 * unsafe requests refused with 403 without the session's token (nothing written) or with a
 * wrong one, accepted with it in the header or an urlencoded form's field (and in JSON or
 * multipart bodies where AdapterTraits.csrfFieldIn says so), and the token rotated by
 * regenerate(). Errors with a status answer it. What only one framework has (Express's
 * `trust proxy`, Hono's immutable headers …) stays in that adapter's test file.
 *
 * The options each app is built with are named profiles (./adapter-profiles.ts); the apps of
 * the Web and Hono adapters are in test/runtimes/apps/, run under Node, Bun, Deno and workerd.
 * What a runtime lacks (AdapterTraits.unavailable) is skipped with the reason in the test's name.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionOptions } from '../../src/engine/options.js';
import { FileSystemStore } from '../../src/stores/filesystem/index.js';
import { SqliteStore, type SqliteDriver } from '../../src/stores/sqlite/index.js';
import { CookieJar, type TestServer } from '../helpers/http.js';
import { adapterProfiles, quiet, type AdapterProfile } from './adapter-profiles.js';

export { CUSTOM_STALE_STATUS, customStaleText, FRESH_MAX_AGE, getViaAccessor, sessionForm, setViaAccessor, type FormQuery } from './adapter-routes.js';

/**
 * Builds the app for one set of options. `profile` names them (./adapter-profiles.ts): an
 * app in another process (workerd) builds its own options by that name; an app in this
 * process uses `options`.
 */
export type BuildServer = (options: SessionOptions, profile: AdapterProfile | 'failing-read' | 'failing-sync-read') => Promise<TestServer>;

/** UTF-8 bytes as a header string: what arrives when a browser sends non-ASCII cookie text. */
const latin1 = (text: string) => String.fromCharCode(...new TextEncoder().encode(text));
/** A Set-Cookie line's attributes without the ones that say when it ends, sorted. */
const lasting = (line: string) =>
  line
    .split('; ')
    .slice(1)
    .filter((attribute) => !/^(Max-Age|Expires)=/i.test(attribute))
    .sort();

export interface AdapterTraits {
  /**
   * The adapter hands the session to the handler as a value it cannot swap (node:http's
   * handler argument, Web `loadSession`): regenerate(cb) empties that session in place under
   * a new id instead of putting a new one in its place.
   */
  regeneratesInPlace?: boolean;
  /**
   * Parts of the suite the runtime cannot run, each with the reason: their tests are
   * skipped with the reason in the name, never left out silently. On Node nothing is.
   */
  unavailable?: Partial<Record<RuntimePart, string>>;
  /**
   * The bodies besides urlencoded forms whose `_csrf` field the CSRF check reads: the app's
   * body parser makes them (express.json, @koa/bodyparser, Fastify's own JSON parser) or the
   * adapter reads them itself (the fetch adapters read multipart). The others are refused.
   */
  csrfFieldIn?: readonly ('json' | 'multipart')[];
  /** The driver of the closed SQLite file: the runtime's own where better-sqlite3 cannot load (Bun, Deno). */
  sqliteDriver?: SqliteDriver;
}

/**
 * What a scenario may need beyond Web standards: a writable file system, a synchronous
 * SQLite driver, AsyncLocalStorage (the request-scoped accessor; without it the main app
 * is built without `requestContext`).
 */
export type RuntimePart = 'filesystem' | 'sqlite' | 'requestContext';

export function describeAdapter(name: string, build: BuildServer, traits: AdapterTraits = {}): void {
  const unavailable = traits.unavailable ?? {};
  /** `it`, or a skipped test that says why, where the runtime lacks `part`. */
  const itNeeding = (part: RuntimePart, title: string, test: () => Promise<void>) => {
    const reason = unavailable[part];
    if (reason === undefined) it(title, test);
    else it.skip(`${title} [not on this runtime: ${reason}]`, test);
  };

  describe(`adapter: ${name}`, () => {
    let server: TestServer;
    let signed: TestServer;
    let retired: TestServer;
    let failing: TestServer;
    let locked: TestServer;
    let chunked: TestServer;
    let schema: TestServer;
    let schemaError: TestServer;
    let csrf: TestServer;
    let failingRead: TestServer | undefined;
    let failingSyncRead: TestServer | undefined;
    let dir: string | undefined;
    beforeAll(async () => {
      const profiles = adapterProfiles({ requestContext: unavailable.requestContext === undefined });
      const start = (profile: AdapterProfile) => build(profiles[profile], profile);
      server = await start('main');
      signed = await start('signed');
      retired = await start('retired');
      failing = await start('failing');
      locked = await start('locked');
      chunked = await start('chunked');
      schema = await start('schema');
      schemaError = await start('schema-error');
      csrf = await start('csrf');
      // Reads that fail for real: a directory under a file, and a closed SQLite file (whose
      // synchronous read, getSync, an adapter may use).
      if (unavailable.filesystem !== undefined) return;
      dir = mkdtempSync(join(tmpdir(), 'sessionkit-adapter-'));
      writeFileSync(join(dir, 'not-a-dir'), 'x');
      failingRead = await build({ store: new FileSystemStore({ dir: join(dir, 'not-a-dir', 'sessions') }), logger: quiet }, 'failing-read');
      if (unavailable.sqlite !== undefined) return;
      const closed = new SqliteStore({ path: join(dir, 'sessions.db'), driver: traits.sqliteDriver });
      await closed.close();
      failingSyncRead = await build({ store: closed, logger: quiet }, 'failing-sync-read');
    });
    afterAll(async () => {
      const started = [server, signed, retired, failing, locked, chunked, schema, schemaError, csrf, failingRead, failingSyncRead].filter((app) => app !== undefined);
      await Promise.all(started.map((app) => app.close()));
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    const text = async (response: Response) => response.text();

    describe('with lock, userField and maxSessionsPerUser', () => {
      it('every way a request ends gives the lock back: answered, streamed, redirected, failed, regenerated', async () => {
        const jar = new CookieJar();
        const statuses: number[] = [];
        for (const path of ['/set?k=user&v=ann', '/stream', '/redirect', '/form?op=fail&k=x&v=1', '/plain', '/regenerate', '/form?op=save-promise&k=y&v=2']) {
          const response = await jar.fetch(`${locked.url}${path}`, { redirect: 'manual' });
          await response.text();
          statuses.push(response.status);
        }
        expect(statuses).toEqual([200, 200, 302, 500, 200, 200, 200]);
        expect(await text(await jar.fetch(`${locked.url}/get?k=user`))).toBe('ann');
      });

      it('lists and revokes the user\'s sessions that came through the adapter', async () => {
        const phone = new CookieJar();
        const laptop = new CookieJar();
        await phone.fetch(`${locked.url}/set?k=user&v=bea`);
        await laptop.fetch(`${locked.url}/set?k=user&v=bea`);
        // The app's engine answers, inside the app (which may run in another runtime).
        expect(await text(await fetch(`${locked.url}/form?op=user-sessions&k=bea`))).toBe('2');
        expect(await text(await fetch(`${locked.url}/form?op=revoke-user&k=bea`))).toBe('2');
        expect(await text(await phone.fetch(`${locked.url}/get?k=user`))).toBe('not set');
        expect(await text(await laptop.fetch(`${locked.url}/get?k=user`))).toBe('not set');
      });

      it('tells its listeners of the lifecycle, and of a signed-in session seen with another user agent (bind), without logging it out', async () => {
        const heard = async () => text(await fetch(`${locked.url}/form?op=events`));
        await heard();
        const browser = new CookieJar();
        const as = (userAgent: string) => ({ headers: { 'user-agent': userAgent } });
        await browser.fetch(`${locked.url}/set?k=user&v=cy`, as('Firefox/1'));
        await browser.fetch(`${locked.url}/set?k=n&v=1`, as('Firefox/1'));
        const elsewhere = await browser.fetch(`${locked.url}/get?k=user`, as('curl/8'));
        expect(await text(elsewhere)).toBe('cy');
        await browser.fetch(`${locked.url}/destroy`, as('Firefox/1'));
        await fetch(`${locked.url}/plain`, { headers: { cookie: 'session=made-up' } });
        // The last: the asking request's own, which has no cookie either.
        expect((await heard()).split(',')).toEqual(['missed:no-cookie', 'created', 'suspicious:userAgent', 'destroyed', 'missed:malformed', 'missed:no-cookie']);
      });

      it("a login beyond maxSessionsPerUser fails with a SessionLimitError through the framework's error path, and writes nothing", async () => {
        const [phone, laptop, tablet] = [new CookieJar(), new CookieJar(), new CookieJar()];
        for (const jar of [phone, laptop]) expect((await jar.fetch(`${locked.url}/set?k=user&v=cyd`)).status).toBe(200);
        const refused = await tablet.fetch(`${locked.url}/set?k=user&v=cyd`);
        expect(refused.status).toBe(500);
        expect(await text(refused)).toMatch(/^handled: sessionkit: this user has 2 live sessions and maxSessionsPerUser is 2/);
        expect(await text(await tablet.fetch(`${locked.url}/get?k=user`))).toBe('not set');
        expect(await text(await phone.fetch(`${locked.url}/get?k=user`))).toBe('cyd');
        expect(await text(await fetch(`${locked.url}/form?op=user-sessions&k=cyd`))).toBe('2');
      });
    });

    describe('sealed sessions past one cookie (cookieStore({ chunk: true }))', () => {
      const names = (response: Response) => response.headers.getSetCookie().map((line) => line.slice(0, line.indexOf('=')));
      const removed = (response: Response) => response.headers.getSetCookie().filter((line) => /; Max-Age=0(;|$)/.test(line)).map((line) => line.slice(0, line.indexOf('=')));

      it('a session growing past 4 KB goes out in chunks within 4096 bytes, comes back whole, and shrinking deletes the chunks left over', async () => {
        const jar = new CookieJar();
        await jar.fetch(`${chunked.url}/set?k=a&v=small`);
        expect([...jar.cookies.keys()]).toEqual(['session']);
        const big = 'b'.repeat(7000);
        const grown = await jar.fetch(`${chunked.url}/set?k=a&v=${big}`);
        expect(names(grown)).toEqual(['session.0', 'session.1', 'session.2', 'session']);
        expect(removed(grown)).toEqual(['session']);
        for (const line of grown.headers.getSetCookie()) expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(4096);
        expect(await text(await jar.fetch(`${chunked.url}/get?k=a`))).toBe(big);

        const shrunk = await jar.fetch(`${chunked.url}/set?k=a&v=${'s'.repeat(4000)}`);
        expect(removed(shrunk)).toEqual(['session.2']);
        expect([...jar.cookies.keys()].sort()).toEqual(['session.0', 'session.1']);
        expect(await text(await jar.fetch(`${chunked.url}/get?k=a`))).toBe('s'.repeat(4000));

        const single = await jar.fetch(`${chunked.url}/set?k=a&v=small`);
        expect(removed(single)).toEqual(['session.0', 'session.1']);
        expect([...jar.cookies.keys()]).toEqual(['session']);
        expect(await text(await jar.fetch(`${chunked.url}/get?k=a`))).toBe('small');
      });

      it('a chunk missing or forged is a fresh session, never a 500, and the chunks sent are deleted', async () => {
        const jar = new CookieJar();
        await jar.fetch(`${chunked.url}/set?k=a&v=${'c'.repeat(5000)}`);
        const [first, second] = [jar.cookies.get('session.0')!, jar.cookies.get('session.1')!];
        for (const cookie of [`session.0=${first}`, `session.0=${first}; session.1=${second}; session.2=AAAA`, `session.0=${second}; session.1=${first}`]) {
          const response = await fetch(`${chunked.url}/get?k=a`, { headers: { cookie } });
          expect(response.status, cookie.slice(-40)).toBe(200);
          expect(await response.text()).toBe('not set');
          expect(removed(response).length).toBe(cookie.split(';').length);
        }
      });
    });

    it('sets and gets a value across requests', async () => {
      const jar = new CookieJar();
      expect(await text(await jar.fetch(`${server.url}/get?k=a`))).toBe('not set');
      await jar.fetch(`${server.url}/set?k=a&v=1`);
      expect(await text(await jar.fetch(`${server.url}/get?k=a`))).toBe('1');
    });

    it('sets a cookie with the secure defaults and sends Vary: Cookie', async () => {
      const response = await fetch(`${server.url}/set?k=a&v=1`);
      const cookie = response.headers.get('set-cookie')!;
      expect(cookie).toMatch(/^session=[A-Za-z0-9_-]{43}; /);
      expect(cookie).toMatch(/; HttpOnly(;|$)/);
      expect(cookie).toMatch(/; SameSite=Lax(;|$)/);
      expect(cookie).toMatch(/; Path=\/(;|$)/);
      expect(cookie).toMatch(/; Max-Age=2678400(;|$)/);
      expect(cookie).not.toMatch(/Secure/);
      expect(response.headers.get('vary')).toMatch(/\bCookie\b/);
    });

    it('sends no Set-Cookie when the session is untouched', async () => {
      const jar = new CookieJar();
      await jar.fetch(`${server.url}/set?k=a&v=1`);
      const read = await jar.fetch(`${server.url}/get?k=a`);
      expect(read.headers.get('set-cookie')).toBeNull();
      const plain = await fetch(`${server.url}/plain`);
      expect(plain.headers.get('set-cookie')).toBeNull();
      expect(read.headers.get('vary')).toMatch(/\bCookie\b/);
    });

    describe('with csrf', () => {
      const at = (path: string) => `${csrf.url}${path}`;
      const tokenOf = async (jar: CookieJar) => text(await jar.fetch(at('/form?op=csrf-token')));
      /** POST /form?op=set: session[k] = v, with k and v from the query or the body. */
      const postSet = (jar: CookieJar, init: RequestInit, query = 'k=posted&v=query') => jar.fetch(at(`/form?op=set&${query}`), { ...init, method: 'POST' });
      const posted = async (jar: CookieJar) => text(await jar.fetch(at('/get?k=posted')));
      const storedFields = async (jar: CookieJar) => (JSON.parse(await text(await jar.fetch(at('/form?op=stored')))) as { fields: unknown }).fields;
      const form = (fields: Record<string, string>) => new URLSearchParams(fields);
      const bodies = {
        json: (fields: Record<string, string>) => ({ body: JSON.stringify(fields), headers: { 'content-type': 'application/json' } }),
        multipart: (fields: Record<string, string>) => {
          const data = new FormData();
          for (const [name, value] of Object.entries(fields)) data.append(name, value);
          return { body: data };
        },
      };

      it('a safe method is never checked: GET and HEAD reach the handler without a token, OPTIONS is not refused', async () => {
        const jar = new CookieJar();
        const got = await jar.fetch(at('/form?op=set&k=posted&v=get'));
        expect(got.status).toBe(200);
        expect(await posted(jar)).toBe('get');
        expect((await jar.fetch(at('/form?op=set&k=posted&v=head'), { method: 'HEAD' })).status).toBe(200);
        expect(await posted(jar)).toBe('head');
        expect((await jar.fetch(at('/form?op=csrf-token'), { method: 'OPTIONS' })).status).not.toBe(403);
      });

      it('an unsafe request without the session\'s token is refused with 403 before the handler: nothing written, the session unchanged', async () => {
        const jar = new CookieJar();
        const first = await postSet(jar, {}); // no session, no token yet
        expect(first.status).toBe(403);
        expect(first.headers.get('set-cookie')).toBeNull();
        const token = await tokenOf(jar);
        expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
        const before = await storedFields(jar);
        const refused = await postSet(jar, {});
        expect(refused.status).toBe(403);
        expect(await text(refused)).toMatch(/CSRF token missing/);
        expect(refused.headers.get('set-cookie')).toBeNull();
        expect(await posted(jar)).toBe('not set');
        expect(await storedFields(jar)).toEqual(before);
      });

      it('the token in x-csrf-token is accepted; a wrong one, or another session\'s, is refused with 403', async () => {
        const jar = new CookieJar();
        const token = await tokenOf(jar);
        expect((await postSet(jar, { headers: { 'x-csrf-token': 'x'.repeat(43) } })).status).toBe(403);
        const other = new CookieJar();
        await tokenOf(other);
        expect((await postSet(other, { headers: { 'x-csrf-token': token } })).status).toBe(403);
        expect(await posted(jar)).toBe('not set');
        const accepted = await postSet(jar, { headers: { 'x-csrf-token': token } });
        expect(accepted.status).toBe(200);
        expect(await posted(jar)).toBe('query');
        expect(await tokenOf(jar)).toBe(token); // kept: the same token for every form of the session
      });

      it('the token in an urlencoded form\'s _csrf field is accepted, and the handler still reads the form; a wrong one is refused', async () => {
        const jar = new CookieJar();
        const token = await tokenOf(jar);
        const wrong = await postSet(jar, { body: form({ _csrf: 'x'.repeat(43), k: 'posted', v: 'forged' }) }, '');
        expect(wrong.status).toBe(403);
        expect(await text(wrong)).toMatch(/does not match/);
        expect(await posted(jar)).toBe('not set');
        const accepted = await postSet(jar, { body: form({ _csrf: token, k: 'posted', v: 'form' }) }, '');
        expect(accepted.status).toBe(200);
        expect(await posted(jar)).toBe('form');
      });

      for (const kind of ['json', 'multipart'] as const) {
        const read = traits.csrfFieldIn?.includes(kind) ?? false;
        it(`the _csrf field of a ${kind} body is ${read ? 'accepted' : 'not read: the request is refused'}`, async () => {
          const jar = new CookieJar();
          const token = await tokenOf(jar);
          const response = await postSet(jar, bodies[kind]({ _csrf: token, k: 'posted', v: kind }), '');
          if (read) {
            expect(response.status).toBe(200);
            expect(await posted(jar)).toBe(kind);
          } else {
            // 403 from the check; Fastify refuses a body it has no parser for first (415).
            expect([403, 415]).toContain(response.status);
            expect(await posted(jar)).toBe('not set');
          }
        });
      }

      it('regenerate() rotates the token: the one seen before is refused after, in the header and in a form', async () => {
        const jar = new CookieJar();
        const before = await tokenOf(jar);
        await jar.fetch(at('/regenerate'));
        expect((await postSet(jar, { headers: { 'x-csrf-token': before } })).status).toBe(403);
        expect((await postSet(jar, { body: form({ _csrf: before, k: 'posted', v: 'old' }) }, '')).status).toBe(403);
        const after = await tokenOf(jar);
        expect(after).not.toBe(before);
        expect((await postSet(jar, { body: form({ _csrf: after, k: 'posted', v: 'new' }) }, '')).status).toBe(200);
        expect(await posted(jar)).toBe('new');
      });
    });

    it('a flash message is kept across a redirect and shown once (session.flash)', async () => {
      const jar = new CookieJar();
      expect(await text(await jar.fetch(`${server.url}/form?op=flash&k=info&v=Saved.`))).toBe('1');
      expect(await text(await jar.fetch(`${server.url}/form?op=flash&k=info&v=Sent.`))).toBe('2');
      const shown = await jar.fetch(`${server.url}/form?op=flashed&k=info`);
      expect(await text(shown)).toBe('["Saved.","Sent."]');
      // The session held nothing else: reading the messages empties it, and its cookie goes.
      expect(shown.headers.get('set-cookie')).toMatch(/Max-Age=0/);
      expect(await text(await jar.fetch(`${server.url}/form?op=flashed&k=info`))).toBe('[]');
    });

    it('regenerate gives a new id and keeps the data', async () => {
      const jar = new CookieJar();
      await jar.fetch(`${server.url}/set?k=user&v=alice`);
      const before = jar.header();
      await jar.fetch(`${server.url}/regenerate`);
      expect(jar.header()).not.toBe(before);
      expect(await text(await jar.fetch(`${server.url}/get?k=user`))).toBe('alice');
      expect(await text(await fetch(`${server.url}/get?k=user`, { headers: { cookie: before! } }))).toBe('not set');
    });

    it('destroy clears the cookie, with the attributes that set it, and the data', async () => {
      const jar = new CookieJar();
      const set = await jar.fetch(`${server.url}/set?k=user&v=alice`);
      const before = jar.header()!;
      const response = await jar.fetch(`${server.url}/destroy`);
      const cleared = response.headers.get('set-cookie')!;
      expect(cleared).toMatch(/^session=;.*Max-Age=0/);
      expect(lasting(cleared)).toEqual(lasting(set.headers.get('set-cookie')!));
      expect(lasting(cleared)).toEqual(expect.arrayContaining(['HttpOnly', 'Path=/', 'SameSite=Lax']));
      expect(jar.cookies.size).toBe(0);
      expect(await text(await fetch(`${server.url}/get?k=user`, { headers: { cookie: before } }))).toBe('not set');
    });

    it('a non-permanent session gets a browser-session cookie', async () => {
      const response = await fetch(`${server.url}/transient`);
      const cookie = response.headers.get('set-cookie')!;
      expect(cookie).toMatch(/^session=/);
      expect(cookie).not.toMatch(/Max-Age|Expires/i);
    });

    it('signs ids when a secret is set, and a forged cookie is a fresh session', async () => {
      const jar = new CookieJar();
      await jar.fetch(`${signed.url}/set?k=a&v=signed`);
      expect(jar.cookies.get('session')).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
      expect(await text(await jar.fetch(`${signed.url}/get?k=a`))).toBe('signed');
      const forged = `session=${jar.cookies.get('session')!.slice(0, 44)}${'A'.repeat(43)}`;
      const response = await fetch(`${signed.url}/get?k=a`, { headers: { cookie: forged } });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('not set');
    });

    it('malformed cookies are a fresh session, never a 500', async () => {
      const cookies = [
        'session=%%%',
        'session=!!!not*base64$$$',
        `session=${'A'.repeat(20)}`, // wrong length
        `session=${'x'.repeat(10_000)}`,
        `session=${latin1('ключ-🔑')}`, // raw UTF-8 bytes, as a browser sends them
        `session=${latin1('sessión-ключ-🔑')}`,
        'session=%E0%A4%A', // percent-encoding that does not decode
        'session=', // an empty value
        'session=a; session=b',
      ];
      for (const cookie of cookies) {
        for (const app of [server, signed]) {
          const response = await fetch(`${app.url}/get?k=a`, { headers: { cookie } });
          expect(response.status, cookie.slice(0, 30)).toBe(200);
          expect(await response.text(), cookie.slice(0, 30)).toBe('not set');
        }
      }
    });

    it('several cookies of the same name: the first decides', async () => {
      const jar = new CookieJar();
      await jar.fetch(`${server.url}/set?k=a&v=real`);
      const real = jar.cookies.get('session')!;
      const unknown = 'B'.repeat(43);
      const forgedFirst = await fetch(`${server.url}/get?k=a`, { headers: { cookie: `session=${unknown}; session=${real}` } });
      expect(forgedFirst.status).toBe(200);
      expect(await forgedFirst.text()).toBe('not set');
      const realFirst = await fetch(`${server.url}/get?k=a`, { headers: { cookie: `session=${real}; session=${unknown}` } });
      expect(await realFirst.text()).toBe('real');
    });

    it('an unknown id is a fresh session and its cookie is cleared, so the browser stops sending it', async () => {
      const response = await fetch(`${server.url}/get?k=a`, { headers: { cookie: `session=${'C'.repeat(43)}` } });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('not set');
      expect(response.headers.get('set-cookie')).toMatch(/^session=;.*Max-Age=0/);
    });

    it('an id signed with a retired key, or not signed where a signature is required, is a fresh session', async () => {
      const stale = new CookieJar();
      await stale.fetch(`${retired.url}/set?k=a&v=stale`);
      expect(await text(await stale.fetch(`${retired.url}/get?k=a`))).toBe('stale'); // valid where it was made
      const staleRead = await stale.fetch(`${signed.url}/get?k=a`);
      expect(staleRead.status).toBe(200);
      expect(await staleRead.text()).toBe('not set');

      const unsigned = new CookieJar();
      await unsigned.fetch(`${server.url}/set?k=a&v=unsigned`);
      expect(await text(await unsigned.fetch(`${server.url}/get?k=a`))).toBe('unsigned');
      const unsignedRead = await unsigned.fetch(`${signed.url}/get?k=a`);
      expect(unsignedRead.status).toBe(200);
      expect(await unsignedRead.text()).toBe('not set');
    });

    it("a failing write goes through the framework's error path, saying how to choose a store", async () => {
      const response = await fetch(`${failing.url}/set?k=a&v=1`);
      expect(response.status).toBe(500);
      expect(await response.text()).toMatch(/^handled: .*No session store is configured.*memoryStore\(\)/);
      expect(response.headers.get('set-cookie')).toBeNull();
    });

    describe('a stored session of an old shape, read by an app with a schema', () => {
      /** A session the main app (no schema) wrote with count=`value`, in the store the schema apps share. */
      const oldSession = async (value: string) => {
        const jar = new CookieJar();
        await jar.fetch(`${server.url}/set?k=count&v=${value}`);
        return jar;
      };

      it('onInvalid upgrades it, and the upgraded session is kept', async () => {
        const jar = await oldSession('old');
        expect(await text(await jar.fetch(`${schema.url}/get?k=count`))).toBe('0');
        expect(await text(await jar.fetch(`${server.url}/get?k=count`))).toBe('0');
      });

      it('one nothing upgrades is a fresh session', async () => {
        const jar = await oldSession('junk');
        expect(await text(await jar.fetch(`${schema.url}/get?k=count`))).toBe('not set');
      });

      it("with onInvalid 'error', an InvalidSessionError goes through the framework's error path", async () => {
        const jar = await oldSession('junk');
        const response = await jar.fetch(`${schemaError.url}/get?k=count`);
        expect(response.status).toBe(500);
        expect(await response.text()).toMatch(/^handled: sessionkit: a stored session does not match the schema \(at count\)/);
        expect(response.headers.get('set-cookie')).toBeNull();
      });
    });

    for (const [part, app] of [['filesystem', () => failingRead], ['sqlite', () => failingSyncRead]] as const) {
      itNeeding(part, `a failing ${part === 'sqlite' ? 'synchronous' : 'asynchronous'} read (${part}) goes through the framework's error path`, async () => {
        const response = await fetch(`${app()!.url}/get?k=a`, { headers: { cookie: `session=${'D'.repeat(43)}` } });
        expect(response.status).toBe(500);
        expect(await response.text()).toMatch(new RegExp(`^handled: \\[sessionkit:${part}\\]`));
        expect(response.headers.get('set-cookie')).toBeNull();
      });
    }

    it('a streamed response still sets the cookie and saves the data', async () => {
      const jar = new CookieJar();
      const response = await jar.fetch(`${server.url}/stream`);
      expect(await response.text()).toBe('one,two');
      expect(jar.cookies.has('session')).toBe(true);
      expect(await text(await jar.fetch(`${server.url}/get?k=streamed`))).toBe('yes');
    });

    it('a redirect carries the cookie and the data is there after it', async () => {
      const jar = new CookieJar();
      const response = await jar.fetch(`${server.url}/redirect`);
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toMatch(/\/get\?k=r$/);
      expect(jar.cookies.has('session')).toBe(true);
      expect(await text(await jar.fetch(`${server.url}/get?k=r`))).toBe('1');
    });

    itNeeding('requestContext', 'the request-scoped `session` accessor works inside handlers', async () => {
      const jar = new CookieJar();
      expect(await text(await jar.fetch(`${server.url}/accessor`))).toBe('accessor');
      expect(await text(await jar.fetch(`${server.url}/get?k=via`))).toBe('accessor');
    });

    describe("express-session's callback and promise forms", () => {
      const form = (jar: CookieJar, query: Record<string, string>) => jar.fetch(`${server.url}/form?${new URLSearchParams(query).toString()}`);
      const stored = async (jar: CookieJar) => JSON.parse(await text(await form(jar, { op: 'stored' }))) as { fields: Record<string, unknown>; expiresAt: number } | null;

      for (const op of ['save-cb', 'save-promise']) {
        it(`${op}: the write is in the store when it answers, and the response carries the cookie`, async () => {
          const jar = new CookieJar();
          await jar.fetch(`${server.url}/set?k=a&v=1`);
          const response = await form(jar, { op, k: 'a', v: 'saved' });
          expect(await response.text()).toBe('saved');
          expect(response.status).toBe(200);
          // A new session too: its first write is what save() does.
          const fresh = new CookieJar();
          const first = await form(fresh, { op, k: 'b', v: 'new' });
          expect(await first.text()).toBe('new');
          expect(first.headers.get('set-cookie')).toMatch(/^session=[A-Za-z0-9_-]{43}; /);
          expect(await text(await fresh.fetch(`${server.url}/get?k=b`))).toBe('new');
          expect(await text(await jar.fetch(`${server.url}/get?k=a`))).toBe('saved');
        });
      }

      for (const op of ['reload-cb', 'reload-promise']) {
        it(`${op}: sees the value another request wrote in the meantime`, async () => {
          const jar = new CookieJar();
          await jar.fetch(`${server.url}/set?k=r&v=old`);
          const gateName = encodeURIComponent(`${name}-${op}`);
          const pending = jar.fetch(`${server.url}/form?op=${op}&k=r&gate=${gateName}`);
          // The gate is the app's: reached over HTTP, wherever the app runs.
          expect(await text(await fetch(`${server.url}/form?op=arrived&gate=${gateName}`))).toBe('arrived');
          await jar.fetch(`${server.url}/set?k=r&v=new`); // the other request, done before the first reloads
          expect(await text(await fetch(`${server.url}/form?op=open&gate=${gateName}`))).toBe('opened');
          expect(await text(await pending)).toBe('old->new');
          expect(await text(await jar.fetch(`${server.url}/get?k=r`))).toBe('new');
        });
      }

      for (const op of ['destroy-cb', 'destroy-promise']) {
        it(`${op}: the record is gone when it answers, and the cookie is cleared`, async () => {
          const jar = new CookieJar();
          await jar.fetch(`${server.url}/set?k=user&v=alice`);
          const before = jar.header()!;
          const response = await form(jar, { op });
          expect(JSON.parse(await response.text())).toEqual({ record: 'gone', fields: [] });
          expect(response.headers.get('set-cookie')).toMatch(/^session=;.*Max-Age=0/);
          expect(jar.cookies.size).toBe(0);
          expect(await text(await fetch(`${server.url}/get?k=user`, { headers: { cookie: before } }))).toBe('not set');
        });
      }

      it(
        traits.regeneratesInPlace
          ? 'regenerate(cb): the session is emptied in place under a new id, the old record deleted'
          : 'regenerate(cb): a new, empty session takes the old one\'s place on the request, the old record deleted',
        async () => {
          const jar = new CookieJar();
          await jar.fetch(`${server.url}/set?k=user&v=alice`);
          const before = jar.header()!;
          const answer = JSON.parse(await text(await form(jar, { op: 'regenerate-cb', k: 'after', v: 'yes' }))) as {
            oldId: string;
            newId: string;
            replaced: boolean;
            fields: string[];
          };
          expect(answer.newId).not.toBe(answer.oldId);
          expect(answer.fields).toEqual([]);
          expect(answer.replaced).toBe(!traits.regeneratesInPlace);
          expect(jar.header()).not.toBe(before);
          expect(await text(await jar.fetch(`${server.url}/get?k=user`))).toBe('not set');
          expect(await text(await jar.fetch(`${server.url}/get?k=after`))).toBe('yes');
          expect(await text(await fetch(`${server.url}/get?k=user`, { headers: { cookie: before } }))).toBe('not set');
          const oldRecord = await fetch(`${server.url}/form?op=stored`, { headers: { cookie: before } });
          expect(await oldRecord.text()).toBe('null');
        },
      );

      it('regenerate(cb) with nothing set afterwards: the old record is deleted and the cookie cleared', async () => {
        const jar = new CookieJar();
        await jar.fetch(`${server.url}/set?k=user&v=alice`);
        const before = jar.header()!;
        const response = await form(jar, { op: 'regenerate-cb' });
        expect(response.status).toBe(200);
        expect(jar.cookies.size).toBe(0);
        expect(await text(await fetch(`${server.url}/get?k=user`, { headers: { cookie: before } }))).toBe('not set');
        expect(await text(await fetch(`${server.url}/form?op=stored`, { headers: { cookie: before } }))).toBe('null');
      });

      it('touch() refreshes the cookie and the stored expiry of an unchanged session', async () => {
        const jar = new CookieJar();
        await jar.fetch(`${server.url}/set?k=a&v=1`);
        const first = (await stored(jar))!;
        expect((await jar.fetch(`${server.url}/get?k=a`)).headers.get('set-cookie')).toBeNull(); // no refresh due yet
        await new Promise((resolve) => setTimeout(resolve, 20));
        const touched = await form(jar, { op: 'touch' });
        expect(touched.headers.get('set-cookie')).toMatch(/^session=[A-Za-z0-9_-]{43}; .*Max-Age=2678400/);
        const second = (await stored(jar))!;
        expect(second.expiresAt).toBeGreaterThan(first.expiresAt);
        expect(second.fields).toEqual({ a: '1' });
      });

      it('session.cookie.maxAge sets this session\'s lifetime in the cookie and the store, and a refresh keeps it', async () => {
        const jar = new CookieJar();
        await jar.fetch(`${server.url}/set?k=a&v=1`);
        const thirtyDays = 30 * 86400e3;
        const set = await form(jar, { op: 'max-age', v: String(thirtyDays) });
        expect(await set.text()).toBe('2592000'); // read back at once, before any write
        expect(set.headers.get('set-cookie')).toMatch(/; Max-Age=2592000(;|$)/);
        const record = (await stored(jar))!;
        expect(Math.abs(record.expiresAt - (Date.now() + thirtyDays))).toBeLessThan(60_000);
        const refreshed = await form(jar, { op: 'touch' });
        expect(refreshed.headers.get('set-cookie')).toMatch(/; Max-Age=2592000(;|$)/);
        // Another session keeps the default lifetime.
        expect((await fetch(`${server.url}/set?k=a&v=1`)).headers.get('set-cookie')).toMatch(/; Max-Age=2678400(;|$)/);
      });
    });

    describe('step-up freshness: requireFresh', () => {
      const guarded = async (jar: CookieJar) => {
        const plain = await jar.fetch(`${server.url}/fresh`);
        const custom = await jar.fetch(`${server.url}/fresh-custom`);
        return { status: plain.status, body: await plain.text(), custom: `${custom.status} ${await custom.text()}` };
      };
      const stale = (reason: string) => ({
        status: 401,
        body: JSON.stringify({ error: 'reauthentication_required', reason, maxAgeSeconds: 1 }),
        custom: `403 confirm: ${reason}`,
      });
      const fresh = { status: 200, body: 'fresh', custom: '200 fresh' };
      const mark = async (jar: CookieJar) => expect(await text(await jar.fetch(`${server.url}/form?op=mark`))).toBe('ok');

      it('a session never authenticated gets a 401 saying so, or the app\'s own answer (onStale)', async () => {
        expect(await guarded(new CookieJar())).toEqual(stale('never-authenticated'));
        const jar = new CookieJar();
        await jar.fetch(`${server.url}/set?k=user&v=ann`);
        expect(await guarded(jar)).toEqual(stale('never-authenticated'));
      });

      it('passes after markAuthenticated(), also after regenerate() in both forms; stale once maxAge has passed', async () => {
        const jar = new CookieJar();
        await jar.fetch(`${server.url}/set?k=user&v=ann`);
        await mark(jar);
        expect(await guarded(jar)).toEqual(fresh);
        await jar.fetch(`${server.url}/regenerate`);
        await jar.fetch(`${server.url}/form?op=regenerate-cb&k=user&v=ann`);
        expect(await guarded(jar)).toEqual(fresh);
        await new Promise((resolve) => setTimeout(resolve, 1100));
        expect(await guarded(jar)).toEqual(stale('stale'));
        // Authenticating again makes it fresh again.
        await mark(jar);
        expect(await guarded(jar)).toEqual(fresh);
      });
    });

    it('concurrent requests of two clients keep their sessions apart', async () => {
      const jars = Array.from({ length: 20 }, () => new CookieJar());
      await Promise.all(jars.map((jar, i) => jar.fetch(`${server.url}/set?k=who&v=${i}`)));
      const values = await Promise.all(jars.map(async (jar) => text(await jar.fetch(`${server.url}/get?k=who`))));
      expect(values).toEqual(jars.map((_, i) => String(i)));
    });
  });
}
