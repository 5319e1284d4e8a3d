import { describe, expect, it } from 'vitest';
import { SessionConfigError, SessionEngine } from '../../src/index.js';
import { csrfRefusal, sentToken, DEFAULT_CSRF_POLICY } from '../../src/forms/csrf.js';
import { cookieStore } from '../../src/stores/cookie/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { requestsOf } from '../helpers/engine-request.js';

const quiet = { warn: () => {}, info: () => {} };

describe('CSRF: the session\'s token', () => {
  it('is made once per session, 32 random bytes in base64url, kept in the csrf_token field', async () => {
    const request = requestsOf(new SessionEngine({ store: new MemoryStore(), logger: quiet, csrf: true }));
    let token = '';
    const first = await request(undefined, (s) => {
      token = s.csrfToken();
      expect(s.csrfToken()).toBe(token);
      expect(Object.keys(s)).toEqual(['csrf_token']);
    });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await request(first.cookie, (s) => expect(s.csrfToken()).toBe(token));
    // Another session has its own.
    await request(undefined, (s) => expect(s.csrfToken()).not.toBe(token));
  });

  it('regenerate() rotates it: the data moves to the new id, a token seen before is worthless after', async () => {
    const request = requestsOf(new SessionEngine({ store: new MemoryStore(), logger: quiet, csrf: true }));
    let before = '';
    let after = '';
    const first = await request(undefined, (s) => {
      before = s.csrfToken();
      (s as unknown as Record<string, unknown>).cart = ['book'];
    });
    await request(first.cookie, (s) => {
      s.regenerate();
      expect(Object.keys(s)).toEqual(['cart']);
      after = s.csrfToken();
      expect(csrfRefusal(s, 'POST', before)?.reason).toBe('mismatch');
      expect(csrfRefusal(s, 'POST', after)).toBeUndefined();
    });
    expect(after).not.toBe(before);
  });

  it('lives in the seal of a sealed cookie session', async () => {
    const request = requestsOf(new SessionEngine({ store: cookieStore({ secret: 'csrf-test-secret-0123456789abcdefghij' }), logger: quiet, csrf: true }));
    let token = '';
    const first = await request(undefined, (s) => void (token = s.csrfToken()));
    expect(first.cookie).not.toContain(token);
    await request(first.cookie, (s) => expect(csrfRefusal(s, 'POST', token)).toBeUndefined());
  });
});

describe('CSRF: the decision', () => {
  const session = { csrf_token: 'A'.repeat(43) };

  it('lets safe methods through without a token', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'get']) expect(csrfRefusal({}, method, undefined)).toBeUndefined();
  });

  it('refuses every other method without the session\'s token, with a 403 CsrfError naming why', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND']) {
      const refused = csrfRefusal(session, method, undefined);
      expect(refused).toMatchObject({ name: 'CsrfError', status: 403, statusCode: 403, code: 'EBADCSRFTOKEN', reason: 'missing' });
    }
    expect(csrfRefusal(session, 'POST', 'B'.repeat(43))?.reason).toBe('mismatch');
    expect(csrfRefusal(session, 'POST', 'A'.repeat(42))?.reason).toBe('mismatch');
    // A session that was never given a token accepts none, not even an empty one.
    expect(csrfRefusal({}, 'POST', '')?.reason).toBe('no-session-token');
    expect(csrfRefusal({ csrf_token: '' }, 'POST', '')?.reason).toBe('no-session-token');
    expect(csrfRefusal(session, 'POST', 'A'.repeat(43))).toBeUndefined();
  });

  it('reads the header first, else the form field of a parsed body, FormData or URLSearchParams', () => {
    const form = new FormData();
    form.set('_csrf', 'from-form-data');
    expect(sentToken(DEFAULT_CSRF_POLICY, 'from-header', { _csrf: 'from-body' })).toBe('from-header');
    expect(sentToken(DEFAULT_CSRF_POLICY, undefined, { _csrf: 'from-body' })).toBe('from-body');
    expect(sentToken(DEFAULT_CSRF_POLICY, undefined, form)).toBe('from-form-data');
    expect(sentToken(DEFAULT_CSRF_POLICY, undefined, new URLSearchParams('_csrf=from-query-string'))).toBe('from-query-string');
    expect(sentToken(DEFAULT_CSRF_POLICY, ['a', 'b'], { _csrf: ['x'] })).toBeUndefined();
    expect(sentToken(DEFAULT_CSRF_POLICY, undefined, 'not parsed')).toBeUndefined();
  });
});

describe('CSRF: the option', () => {
  it('takes a header and a field name; a name that cannot work fails at start-up, saying what to give', () => {
    expect(new SessionEngine({ store: new MemoryStore(), csrf: { header: 'X-XSRF-Token', field: 'authenticity_token' } }).csrf).toEqual({
      header: 'x-xsrf-token',
      field: 'authenticity_token',
    });
    expect(new SessionEngine({ store: new MemoryStore() }).csrf).toBeUndefined();
    for (const csrf of [{ header: 'x csrf' }, { field: '' }, 'yes', 1]) {
      expect(() => new SessionEngine({ store: new MemoryStore(), csrf: csrf as never })).toThrow(SessionConfigError);
      expect(() => new SessionEngine({ store: new MemoryStore(), csrf: csrf as never })).toThrow(/"csrf" must be true, false or \{ header, field \}/);
    }
  });
});
