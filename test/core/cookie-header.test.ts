import { parse, serialize } from 'cookie';
import { describe, expect, it } from 'vitest';
import { CookieWriter, readCookie } from '../../src/engine/cookie/cookie-header.js';
import type { ResolvedCookieOptions } from '../../src/engine/options.js';

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
            // Both rounded up to the second: the cookie outlives its session by less than a second, never the reverse.
            ...(lifetimeMs === undefined
              ? {}
              : { expires: new Date(Math.ceil((now + lifetimeMs) / 1000) * 1000), maxAge: Math.ceil(lifetimeMs / 1000) }),
          });
          expect(writer.set('abc.DEF-_9', secure, undefined, lifetimeMs === undefined ? undefined : { from: now, ms: lifetimeMs })).toBe(expected);
        }
      }
    }
  });

  it('names the second in which the session ends, or the next one: never an earlier one', () => {
    const writer = new CookieWriter(base);
    const at = (ms: number) => /Expires=([^;]+)/.exec(writer.set('v', false, undefined, { from: ms, ms: 1000 }))![1];
    const start = Date.UTC(2026, 11, 1, 8, 0, 0, 0);
    expect(at(start)).toBe('Tue, 01 Dec 2026 08:00:01 GMT');
    expect(at(start + 1)).toBe('Tue, 01 Dec 2026 08:00:02 GMT');
    expect(at(start + 1000)).toBe('Tue, 01 Dec 2026 08:00:02 GMT');
    expect(at(start - 1)).toBe('Tue, 01 Dec 2026 08:00:01 GMT');
    expect(at(start - 999)).toBe('Tue, 01 Dec 2026 08:00:01 GMT');
  });

  it('never sends a live session Max-Age=0 or an Expires before its end, with or without settings of its own', () => {
    const now = Date.UTC(2026, 11, 1, 8, 0, 0, 700);
    for (const settings of [undefined, { path: '/app' }]) {
      const writer = new CookieWriter(base);
      for (const lifetimeMs of [1, 300, 999, 1000, 1001, 1500, 2999]) {
        const cookie = writer.set('v', false, settings, lifetimeMs === undefined ? undefined : { from: now, ms: lifetimeMs });
        const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)![1]);
        const expires = Date.parse(/Expires=([^;]+)/.exec(cookie)![1]!);
        expect(maxAge, cookie).toBeGreaterThan(0);
        expect(maxAge * 1000, cookie).toBeGreaterThanOrEqual(lifetimeMs);
        expect(maxAge * 1000 - lifetimeMs, cookie).toBeLessThan(1000);
        expect(expires, cookie).toBeGreaterThanOrEqual(now + lifetimeMs);
        expect(expires - (now + lifetimeMs), cookie).toBeLessThan(1000);
      }
    }
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

  it('reads what the cookie library parses, for long random headers of many parts without "="', () => {
    let seed = 20261207;
    const next = (limit: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % limit;
    };
    const parts = ['a', 'sid', ' ', '', 'x y', 'sid=1', 'a=2', '=', 'sid ', '%'];
    for (let round = 0; round < 200; round++) {
      const count = 1 + next(400);
      const header = Array.from({ length: count }, () => parts[next(parts.length)]!).join(';');
      for (const name of ['sid', 'a']) expect(readCookie(header, name), JSON.stringify(header.slice(0, 80))).toBe(parse(header)[name]);
    }
  });

  it('reads a header of a million parts without "=" in linear time', () => {
    // Quadratic, this took 0.2 s at 256 KB and about a minute at this size (4 MB); linear, a few ms.
    const header = `${'a;'.repeat(2_000_000)}sid=found`;
    const started = performance.now();
    expect(readCookie(header, 'sid')).toBe('found');
    expect(readCookie(header, 'missing')).toBeUndefined();
    // Generous: a loaded two-core machine, and still far below what the quadratic scan needs.
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('reads nothing from no header', () => {
    expect(readCookie(undefined, 'sid')).toBeUndefined();
  });
});
