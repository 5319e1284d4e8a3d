import { serialize } from 'cookie';
import { describe, expect, it } from 'vitest';
import { CookieWriter } from '../../src/core/cookie-header.js';
import type { ResolvedCookieOptions } from '../../src/core/options.js';

const base: ResolvedCookieOptions = { name: 'session', domain: undefined, path: '/', httpOnly: true, secure: false, sameSite: 'lax', partitioned: false };

describe('CookieWriter', () => {
  // Every combination of the attributes, each written with the library and with the writer's reused parts.
  const configurations: ResolvedCookieOptions[] = [];
  for (const domain of [undefined, 'example.com'])
    for (const path of ['/', '/app'])
      for (const httpOnly of [true, false])
        for (const sameSite of ['lax', 'strict', 'none', false] as const)
          for (const partitioned of [false, true]) configurations.push({ ...base, domain, path, httpOnly, sameSite, partitioned, secure: true });

  it('writes exactly what the cookie library writes, for every combination of attributes, with and without a lifetime', () => {
    const now = Date.UTC(2026, 11, 1, 8, 0, 0, 250);
    for (const options of configurations) {
      const writer = new CookieWriter(options);
      for (const secure of [true, false]) {
        for (const lifetimeMs of [undefined, 3_600_500, 31 * 86_400_000]) {
          const expected = serialize(options.name, 'abc.DEF-_9', {
            path: options.path,
            domain: options.domain,
            httpOnly: options.httpOnly,
            secure,
            sameSite: options.sameSite,
            partitioned: options.partitioned,
            ...(lifetimeMs === undefined ? {} : { expires: new Date(now + lifetimeMs), maxAge: Math.floor(lifetimeMs / 1000) }),
          });
          expect(writer.set('abc.DEF-_9', secure, now, lifetimeMs, undefined)).toBe(expected);
        }
      }
    }
  });

  it('formats a new Expires once the second changes, not before', () => {
    const writer = new CookieWriter(base);
    const at = (ms: number) => /Expires=([^;]+)/.exec(writer.set('v', false, ms, 1000, undefined))![1];
    const start = Date.UTC(2026, 11, 1, 8, 0, 0, 0);
    expect(at(start)).toBe('Tue, 01 Dec 2026 08:00:01 GMT');
    expect(at(start + 999)).toBe('Tue, 01 Dec 2026 08:00:01 GMT');
    expect(at(start + 1000)).toBe('Tue, 01 Dec 2026 08:00:02 GMT');
    expect(at(start - 1)).toBe('Tue, 01 Dec 2026 08:00:00 GMT');
  });
});
