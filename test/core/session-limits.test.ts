/**
 * The bounds a session lives within, checked where they are set: configuration at start-up,
 * a session's own cookie settings when assigned. Records read from a store meet the same
 * bounds in test/conformance/planted-record-suite.ts.
 */
import { describe, expect, it } from 'vitest';
import { SessionEngine } from '../../src/index.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { requestsOf } from '../helpers/engine-request.js';

const quiet = { warn: () => {}, info: () => {} };
const engineOf = (options: SessionOptions = {}) => new SessionEngine<Record<string, unknown>>({ store: new MemoryStore(), logger: quiet, ...options });
const TEN_YEARS_S = 3650 * 86_400;

describe('session limits at start-up', () => {
  it('maxSessionBytes must be a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '1mb']) {
      expect(() => engineOf({ maxSessionBytes: bad as number })).toThrow(/maxSessionBytes must be a positive integer number of bytes/);
    }
    expect(() => engineOf({ maxSessionBytes: 64 * 1024 })).not.toThrow();
  });

  it('a lifetime past ten years is refused, naming the option and the bound', () => {
    expect(() => engineOf({ lifetime: 1e300 })).toThrow(/lifetime must be at least one second and at most 3650 days, got 1e\+300/);
    expect(() => engineOf({ absoluteLifetime: TEN_YEARS_S + 1 })).toThrow(/absoluteLifetime must be .* at most 3650 days/);
    expect(() => engineOf({ lifetime: TEN_YEARS_S })).not.toThrow();
  });

  it('a cookie Domain or Path a Set-Cookie header cannot carry is refused at start-up, not on every response', () => {
    expect(() => engineOf({ cookie: { domain: 'a;b' } })).toThrow(/cookie.domain or cookie.path cannot be sent in a Set-Cookie header \(option domain is invalid/);
    expect(() => engineOf({ cookie: { path: '/x;Secure' } })).toThrow(/option path is invalid/);
    expect(() => engineOf({ cookie: { domain: 'example.com', path: '/app' } })).not.toThrow();
  });
});

describe("a session's own cookie settings", () => {
  it('a Domain or Path the Set-Cookie header cannot carry is refused when assigned', async () => {
    const session = await engineOf().load(undefined);
    expect(() => {
      session.cookie.domain = 'a;b';
    }).toThrow(/session.cookie cannot carry that value in a Set-Cookie header \(option domain is invalid/);
    expect(() => {
      session.cookie.path = '/x\ny';
    }).toThrow(/option path is invalid/);
    session.cookie.domain = 'example.com';
    expect(session.cookie.domain).toBe('example.com');
  });

  it('a maxAge past ten years is kept at ten years: the cookie and the stored expiry stay valid', async () => {
    const request = requestsOf(engineOf());
    const before = Date.now();
    const first = await request(undefined, (session) => {
      session.user = 'alice';
      session.cookie.maxAge = 1e300;
    });
    expect(first.setCookie).toMatch(new RegExp(`Max-Age=${TEN_YEARS_S}(;|$)`));
    const expires = /Expires=([^;]+)/.exec(first.setCookie!)![1]!;
    expect(Date.parse(expires)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + TEN_YEARS_S * 1000 - 1000);
    const next = await request(first.cookie);
    expect(next.session.user).toBe('alice');
  });
});
