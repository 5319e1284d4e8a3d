import { parse, serialize } from 'cookie';
import { describe, expect, it } from 'vitest';
import { CookieWriter, readCookie } from '../../src/core/cookie-header.js';
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

describe('readCookie', () => {
  const headers = [
    '',
    'a',
    '=',
    'sid=abc',
    'sid=abc; other=1',
    'other=1; sid=abc',
    'sid=first; sid=second',
    ' \tsid \t= \tabc \t; x=y',
    'sid=',
    'sid=; sid=later',
    'sidx=1; xsid=2; sid=3',
    'sid',
    'junk; sid=abc',
    'junk;sid=abc;more',
    'sid=a=b=c',
    'sid="quoted"',
    'sid=%E2%82%AC',
    'sid=%E2%82',
    'sid=100%',
    ';;sid=abc;;',
    'a=1;; ;b; sid = x ; c=2',
    '__proto__=1; sid=2',
    'SID=upper; sid=lower',
  ];

  it('reads what the cookie library parses, for awkward headers', () => {
    for (const header of headers) {
      for (const name of ['sid', 'a', 'b', 'x', '__proto__', 'SID', 'missing']) {
        expect(readCookie(header, name), `${JSON.stringify(header)}, ${name}`).toBe(parse(header)[name]);
      }
    }
  });

  it('reads what the cookie library parses, for random headers built of the characters that matter', () => {
    // Deterministic (a linear congruential generator), so that a failure repeats.
    let seed = 20261202;
    const next = (limit: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % limit;
    };
    const alphabet = ['s', 'i', 'd', 'a', '=', ';', ' ', '\t', '%', '2', '0', 'E', '"', 'x'];
    for (let round = 0; round < 5000; round++) {
      let header = '';
      const size = next(24);
      for (let index = 0; index < size; index++) header += alphabet[next(alphabet.length)]!;
      for (const name of ['sid', 'a', 's']) expect(readCookie(header, name), JSON.stringify(header)).toBe(parse(header)[name]);
    }
  });

  it('reads nothing from no header', () => {
    expect(readCookie(undefined, 'sid')).toBeUndefined();
  });
});
