/**
 * Sealed sessions past one cookie (`cookieStore({ chunk: true })`, src/engine/cookie/cookie-chunks.ts):
 * split and joined through the engine as an adapter drives it, each Set-Cookie within the
 * limit, surplus cookies deleted, refused past maxChunks, and chunks that do not open
 * together a fresh session with one warning. Over HTTP on every adapter:
 * test/conformance/adapter-suite.ts; in Chromium: test/e2e/cookie-chunks.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { SessionEngine } from '../../src/index.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { cookieStore, type CookieStoreOptions } from '../../src/stores/cookie/index.js';
import { RequestBinding } from '../../src/core/request-binding.js';
import { CookieJar } from '../helpers/http.js';

const SECRET = 'cookie-chunks-secret-0123456789abcdef';
/** Random-looking text, so that the sealed value is as long as the data (nothing compresses here anyway). */
const filler = (bytes: number) => Array.from({ length: bytes }, (_, index) => String.fromCharCode(97 + ((index * 7919) % 26))).join('');
const byteLength = (text: string) => new TextEncoder().encode(text).length;
const namesOf = (lines: readonly string[]) => lines.map((line) => line.slice(0, line.indexOf('=')));
const deleted = (lines: readonly string[]) => lines.filter((line) => /; Max-Age=0(;|$)/.test(line)).map((line) => line.slice(0, line.indexOf('=')));

interface Browser {
  jar: CookieJar;
  warnings: string[];
  /** One request: load with the jar's cookies, `handler` on the session, commit; the Set-Cookie values land in the jar. */
  request(handler?: (session: Record<string, unknown>) => void): Promise<{ setCookies: readonly string[]; session: Record<string, unknown> }>;
}

function browserOf(store: CookieStoreOptions = {}, options: SessionOptions = {}): Browser {
  const warnings: string[] = [];
  const engine = new SessionEngine({ store: cookieStore({ secret: SECRET, chunk: true, ...store }), logger: { warn: (message) => warnings.push(message), info: () => {} }, ...options });
  const jar = new CookieJar();
  return {
    jar,
    warnings,
    async request(handler = () => {}) {
      const session = (await engine.load(jar.header())) as unknown as Record<string, unknown>;
      handler(session);
      const pending = engine.commit(session as never, { secure: true });
      await pending.persist();
      const headers = new Headers();
      for (const line of pending.setCookies) headers.append('set-cookie', line);
      jar.store(new Response(null, { headers }));
      return { setCookies: pending.setCookies, session };
    },
  };
}

describe('cookieStore chunk options', () => {
  it('maxChunks is checked at start-up, naming the option', () => {
    expect(() => cookieStore({ maxChunks: 4 })).toThrow(/maxChunks needs chunk: true/);
    for (const bad of [1, 17, 2.5, Number.NaN]) expect(() => cookieStore({ chunk: true, maxChunks: bad })).toThrow(/maxChunks must be an integer from 2 to 16/);
    expect(cookieStore({ chunk: true }).maxChunks).toBe(3);
    expect(cookieStore().maxChunks).toBeUndefined();
  });
});

describe('a sealed session in chunks', () => {
  it('a 10 KB session goes out in chunks within 4096 bytes each and comes back whole', async () => {
    const browser = browserOf({ maxChunks: 4 });
    const big = filler(10_240);
    const { setCookies } = await browser.request((session) => (session.big = big));
    expect(namesOf(setCookies)).toEqual(['session.0', 'session.1', 'session.2', 'session.3']);
    for (const line of setCookies) {
      expect(byteLength(line)).toBeLessThanOrEqual(4096);
      expect(line).toMatch(/; Path=\/; Expires=.*; HttpOnly; SameSite=Lax$/);
    }
    // Filled to the limit but the last.
    expect(setCookies.slice(0, -1).map(byteLength)).toEqual([4096, 4096, 4096]);
    const { session, setCookies: again } = await browser.request();
    expect(session.big).toBe(big);
    expect(again).toEqual([]);
    expect(browser.warnings).toEqual([]);
  });

  it('a session that fits one cookie stays the single cookie', async () => {
    const browser = browserOf();
    const { setCookies } = await browser.request((session) => (session.small = 'yes'));
    expect(namesOf(setCookies)).toEqual(['session']);
    expect((await browser.request()).session.small).toBe('yes');
  });

  it('growing past one cookie deletes the single cookie; shrinking deletes the chunks no longer needed', async () => {
    const browser = browserOf({ maxChunks: 4 });
    await browser.request((session) => (session.data = 'small'));
    const grown = await browser.request((session) => (session.data = filler(10_000)));
    expect(namesOf(grown.setCookies)).toEqual(['session.0', 'session.1', 'session.2', 'session.3', 'session']);
    expect(deleted(grown.setCookies)).toEqual(['session']);
    expect([...browser.jar.cookies.keys()]).toEqual(['session.0', 'session.1', 'session.2', 'session.3']);

    const shrunk = await browser.request((session) => (session.data = filler(5_000)));
    expect(deleted(shrunk.setCookies)).toEqual(['session.2', 'session.3']);
    expect([...browser.jar.cookies.keys()].sort()).toEqual(['session.0', 'session.1']);
    expect((await browser.request()).session.data).toBe(filler(5_000));

    const single = await browser.request((session) => (session.data = 'small again'));
    expect(deleted(single.setCookies)).toEqual(['session.0', 'session.1']);
    expect([...browser.jar.cookies.keys()]).toEqual(['session']);
    expect((await browser.request()).session.data).toBe('small again');
    expect(browser.warnings).toEqual([]);
  });

  it('destroying a chunked session deletes every chunk', async () => {
    const browser = browserOf();
    await browser.request((session) => (session.data = filler(5_000)));
    expect(browser.jar.cookies.size).toBe(2);
    const { setCookies } = await browser.request((session) => void (session as unknown as { destroy(): Promise<void> }).destroy());
    expect(deleted(setCookies).sort()).toEqual(['session.0', 'session.1']);
    expect(browser.jar.cookies.size).toBe(0);
  });

  it('refuses a session past maxChunks with an error that names the option, and keeps the cookies the browser had', async () => {
    const browser = browserOf({ maxChunks: 2 });
    await browser.request((session) => (session.data = 'kept'));
    await expect(browser.request((session) => (session.data = filler(10_000)))).rejects.toThrow(
      /the sealed session is \d+ characters, more than cookieStore's maxChunks \(2\) cookies of at most 4096 bytes hold .*raise maxChunks/,
    );
    expect([...browser.jar.cookies.keys()]).toEqual(['session']);
    expect((await browser.request()).session.data).toBe('kept');
  });

  it('a __Host- name and Secure carry over to every chunk', async () => {
    const browser = browserOf({}, { cookie: { name: '__Host-sid', secure: true } });
    const { setCookies } = await browser.request((session) => (session.data = filler(5_000)));
    expect(namesOf(setCookies)).toEqual(['__Host-sid.0', '__Host-sid.1']);
    for (const line of setCookies) {
      expect(line).toMatch(/; Path=\/;/);
      expect(line).toMatch(/; Secure;/);
      expect(line).not.toMatch(/Domain=/);
    }
  });

  it.each([
    ['a chunk missing', (jar: CookieJar) => jar.cookies.delete('session.1')],
    ['an extra chunk', (jar: CookieJar) => jar.cookies.set('session.2', 'AAAA')],
    ['an altered chunk', (jar: CookieJar) => jar.cookies.set('session.0', `B${jar.cookies.get('session.0')!.slice(1)}`)],
    ['chunks swapped', (jar: CookieJar) => {
      const [first, second] = [jar.cookies.get('session.0')!, jar.cookies.get('session.1')!];
      jar.cookies.set('session.0', second);
      jar.cookies.set('session.1', first);
    }],
  ])('%s: a fresh session with one warning, and the chunks it sent are deleted', async (_name, spoil) => {
    const browser = browserOf();
    await browser.request((session) => (session.data = filler(5_000)));
    spoil(browser.jar);
    const { session, setCookies } = await browser.request();
    expect(session.data).toBeUndefined();
    expect(browser.warnings).toHaveLength(1);
    expect(browser.warnings[0]).toMatch(/^the session cookies session\.0 to session\.\d do not open as one sealed session/);
    expect(setCookies.length).toBeGreaterThan(0);
    expect(setCookies.every((line) => /; Max-Age=0(;|$)/.test(line))).toBe(true);
    expect(browser.jar.cookies.size).toBe(0);
  });

  it('a save in chunks then a smaller final commit in one request leaves the browser no stale chunk', async () => {
    const engine = new SessionEngine({ store: cookieStore({ secret: SECRET, chunk: true }), logger: { warn: () => {}, info: () => {} } });
    const session = (await engine.load(undefined)) as unknown as Record<string, unknown>;
    const binding = new RequestBinding(session);
    session.data = filler(5_000);
    const saved = engine.commit(session as never, binding);
    // setCookies is complete once persist() has resolved (with Web Crypto the seal comes with a promise).
    if (saved.needsPersist) await saved.persist();
    binding.sendCookies(saved.setCookies);
    session.data = 'small';
    const final = engine.commit(session as never, binding);
    if (final.needsPersist) await final.persist();
    const headers = new Headers();
    for (const line of binding.cookiesWith(final.setCookies)) headers.append('set-cookie', line);
    const jar = new CookieJar();
    jar.store(new Response(null, { headers }));
    expect([...jar.cookies.keys()]).toEqual(['session']);
    expect((await engine.load(jar.header()) as unknown as Record<string, unknown>).data).toBe('small');
  });

  it('a header naming chunks far past maxChunks makes no work past the most any store allows', async () => {
    const browser = browserOf();
    browser.jar.cookies.set('session.15', 'AAAA');
    browser.jar.cookies.set('session.99999', 'AAAA');
    const { setCookies } = await browser.request();
    // Chunk 0 never came: nothing opens (one warning); the 16 indexes it looks at are deleted, no more.
    expect(browser.warnings).toHaveLength(1);
    expect(setCookies).toHaveLength(16);
    expect(browser.jar.cookies.has('session.99999')).toBe(true);
  });
});
