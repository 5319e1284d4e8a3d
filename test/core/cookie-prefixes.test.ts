/**
 * Cookie name prefixes browsers enforce (RFC 6265bis, and Chromium's __Http- and
 * __Host-Http-): a cookie whose attributes break its prefix's rules is dropped by the browser
 * without a word, so sessionkit refuses such a configuration at start-up, and such a change
 * of one session's cookie when it is made. test/e2e/cookie-prefixes.test.ts shows Chromium
 * keeping and sending a __Host-Http- session cookie, and dropping one without HttpOnly.
 */
import { describe, expect, it } from 'vitest';
import { SessionConfigError } from '../../src/core/errors.js';
import { SessionEngine } from '../../src/engine/engine.js';
import type { CookieOptions } from '../../src/engine/options.js';
import { memoryStore } from '../../src/stores/memory.js';

const engineWith = (cookie: CookieOptions) => new SessionEngine({ store: memoryStore(), cookie });

describe('cookie name prefixes at start-up', () => {
  it.each([
    ['__Host-Http- with every attribute it needs', { name: '__Host-Http-sid', secure: true, httpOnly: true, path: '/' }],
    ['__Http- with Secure and HttpOnly', { name: '__Http-sid', secure: true, httpOnly: true, path: '/app', domain: 'example.com' }],
    ["__Host-Http- with secure: 'auto'", { name: '__Host-Http-sid', secure: 'auto' }],
  ] as const)('accepts %s', (_case, cookie) => {
    expect(() => engineWith(cookie)).not.toThrow();
  });

  it.each([
    ['__Host-Http- without HttpOnly', { name: '__Host-Http-sid', secure: true, httpOnly: false }, /starts with __Host-Http-, which browsers accept only with cookie\.httpOnly\./],
    ['__Http- without HttpOnly', { name: '__Http-sid', secure: true, httpOnly: false }, /starts with __Http-, which browsers accept only with cookie\.httpOnly\./],
    ['__Http- without Secure', { name: '__Http-sid', secure: false }, /starts with __Http-, which browsers accept only with cookie\.secure set\./],
    ['__Host-Http- with a Domain', { name: '__Host-Http-sid', secure: true, domain: 'example.com' }, /__Host-Http-.*no cookie\.domain/],
    ['__Host-Http- on a path', { name: '__Host-Http-sid', secure: true, path: '/app' }, /__Host-Http-.*cookie\.path '\/'/],
    ['__host- in lower case with a Domain (browsers match prefixes without regard to case)', { name: '__host-sid', secure: true, domain: 'example.com' }, /starts with __Host-/],
    ['__SECURE- in upper case without Secure', { name: '__SECURE-sid', secure: false }, /starts with __Secure-/],
    ['__Host-Http- breaking every rule, all named', { name: '__Host-Http-sid', secure: false, httpOnly: false, path: '/a', domain: 'x.com' }, /cookie\.secure set, cookie\.httpOnly, cookie\.path '\/' and no cookie\.domain\./],
  ] as const)('refuses %s, saying what to change', (_case, cookie, message) => {
    expect(() => engineWith(cookie)).toThrow(SessionConfigError);
    expect(() => engineWith(cookie)).toThrow(message);
  });
});

describe("one session's cookie under a prefix", () => {
  const load = async (cookie: CookieOptions) => engineWith(cookie).load(undefined);

  it('refuses a change that would break the prefix, when it is made, and keeps the cookie as it was', async () => {
    const session = await load({ name: '__Host-Http-sid', secure: true, httpOnly: true });
    expect(() => (session.cookie.httpOnly = false)).toThrow(/session\.cookie: cookie\.name "__Host-Http-sid" starts with __Host-Http-.*cookie\.httpOnly/);
    expect(() => (session.cookie.domain = 'example.com')).toThrow(/no cookie\.domain/);
    expect(() => (session.cookie.path = '/app')).toThrow(/cookie\.path '\/'/);
    expect(() => (session.cookie.secure = false)).toThrow(/cookie\.secure set/);
    expect(session.cookie.toJSON()).toMatchObject({ httpOnly: true, secure: true, path: '/', domain: undefined });
  });

  it('allows what the prefix leaves free', async () => {
    const session = await load({ name: '__Http-sid', secure: true, httpOnly: true });
    session.cookie.path = '/app';
    session.cookie.domain = 'example.com';
    session.cookie.maxAge = 60_000;
    expect(session.cookie.toJSON()).toMatchObject({ path: '/app', domain: 'example.com' });
  });

  it('leaves cookies without a prefix alone', async () => {
    const session = await load({ name: 'sid' });
    session.cookie.httpOnly = false;
    session.cookie.domain = 'example.com';
    expect(session.cookie.toJSON()).toMatchObject({ httpOnly: false, domain: 'example.com' });
  });
});
