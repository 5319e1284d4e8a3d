import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionEngine } from '../../src/index.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { cookieStore } from '../../src/stores/cookie/index.js';
import { CountingStore } from '../helpers/counting-store.js';
import { requestsOf } from '../helpers/engine-request.js';

const SECRET = 'absolute-lifetime-secret-0123456789abcdef';
const quiet = { warn: () => {}, info: () => {} };
const HOUR = 3600_000;

interface Data {
  user: string;
  n: number;
}

/** One engine and a request helper; the clock is vitest's, moved by hand. */
function setup(options: SessionOptions) {
  const engine = new SessionEngine<Data>({ logger: quiet, secret: SECRET, touchAfter: 0, ...options });
  return { engine, request: requestsOf(engine) };
}

const maxAge = (setCookie: string | undefined) => Number(/Max-Age=(\d+)/.exec(setCookie ?? '')?.[1]);

describe.each([
  ['a store', () => ({ store: new CountingStore() })],
  ['a sealed cookie', () => ({ store: cookieStore() })],
])('absoluteLifetime, with %s', (_label, storeOptions) => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-01T08:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ends a session that long after it was created, however active it is', async () => {
    const { request } = setup({ ...storeOptions(), lifetime: '1h', absoluteLifetime: '8h' });
    let { cookie } = await request(undefined, (s) => (s.user = 'ada'));
    // Used every 30 minutes: the idle timeout (1 h) never strikes.
    for (let step = 1; step < 16; step++) {
      vi.advanceTimersByTime(HOUR / 2);
      const next = await request(cookie);
      expect(next.session.user, `after ${step / 2} h`).toBe('ada');
      cookie = next.cookie;
    }
    vi.advanceTimersByTime(HOUR / 2); // 8 h after creation
    const late = await request(cookie);
    expect(late.session.isNew).toBe(true);
    expect(late.session.user).toBeUndefined();
  });

  it('never gives the record or the cookie a life past the absolute end', async () => {
    const { request } = setup({ ...storeOptions(), lifetime: '1h', absoluteLifetime: '2h' });
    let { cookie, setCookie } = await request(undefined, (s) => (s.user = 'ada'));
    expect(maxAge(setCookie)).toBe(3600);
    for (const _step of [1, 2]) {
      vi.advanceTimersByTime(0.75 * HOUR);
      ({ cookie, setCookie } = await request(cookie));
    }
    // Refreshed at 1.5 h: the idle expiry would be 2.5 h, the absolute end is 2 h.
    expect(maxAge(setCookie)).toBe(1800);
    const loaded = await request(cookie);
    expect(loaded.session.expiresAt?.getTime()).toBe(new Date('2026-12-01T10:00:00Z').getTime());
  });

  it('sends a session in its last second a cookie that lives to its end, never Max-Age=0', async () => {
    const { request } = setup({ ...storeOptions(), lifetime: '1h', absoluteLifetime: '2s' });
    let { cookie, setCookie } = await request(undefined, (s) => (s.n = 0));
    expect(maxAge(setCookie)).toBe(2);
    for (const [step, expected] of [
      [500, 2], // 1.5 s left: rounded up, not down to 1
      [1000, 1], // 0.5 s left: rounded down this was Max-Age=0, a deletion while the session lives
    ] as const) {
      vi.advanceTimersByTime(step);
      const next = await request(cookie, (s) => (s.n = (s.n ?? 0) + 1));
      expect(next.session.isNew).toBe(false);
      expect(maxAge(next.setCookie), next.setCookie).toBe(expected);
      expect(Date.parse(/Expires=([^;]+)/.exec(next.setCookie!)![1]!)).toBeGreaterThanOrEqual(new Date('2026-12-01T08:00:02Z').getTime());
      ({ cookie, setCookie } = next);
    }
  });

  it('logging in (regenerate, both forms) does not restart the clock', async () => {
    const { request } = setup({ ...storeOptions(), lifetime: '1h', absoluteLifetime: '2h' });
    let { cookie } = await request(undefined, (s) => (s.n = 1));
    vi.advanceTimersByTime(0.75 * HOUR);
    ({ cookie } = await request(cookie, (s) => {
      s.regenerate();
      s.user = 'ada';
    }));
    vi.advanceTimersByTime(0.75 * HOUR);
    ({ cookie } = await request(cookie, (s) => {
      s.regenerate(() => {});
      s.n = 2;
    }));
    expect((await request(cookie)).session.n).toBe(2);
    vi.advanceTimersByTime(0.5 * HOUR + 1);
    expect((await request(cookie)).session.isNew).toBe(true);
  });

  it('destroy() ends the session: what the request writes after it is a new session with a clock of its own', async () => {
    const { request } = setup({ ...storeOptions(), lifetime: '1h', absoluteLifetime: '2h' });
    let { cookie } = await request(undefined, (s) => (s.n = 1));
    vi.advanceTimersByTime(0.75 * HOUR);
    ({ cookie } = await request(cookie, async (s) => {
      await s.destroy();
      s.user = 'ada';
    }));
    vi.advanceTimersByTime(0.75 * HOUR);
    ({ cookie } = await request(cookie));
    vi.advanceTimersByTime(0.75 * HOUR); // 2.25 h after the first session began, 1.5 h after this one
    expect((await request(cookie)).session.user).toBe('ada');
  });
});

describe('absoluteLifetime on a store', () => {
  it('deletes the record of a session that reached its absolute end', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const store = new CountingStore();
      const { request } = setup({ store, lifetime: '1h', absoluteLifetime: '90m' });
      const first = await request(undefined, (s) => (s.user = 'ada'));
      const id = first.session.id;
      vi.advanceTimersByTime(HOUR);
      const second = await request(first.cookie);
      vi.advanceTimersByTime(HOUR / 2);
      await request(second.cookie);
      expect(await store.inner.get(`session:${id}`)).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects an absoluteLifetime under a second at start-up', () => {
    expect(() => new SessionEngine({ store: new CountingStore(), absoluteLifetime: 0 })).toThrow(/absoluteLifetime must be at least one second/);
  });
});
