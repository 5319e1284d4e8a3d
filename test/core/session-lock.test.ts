import { describe, expect, it } from 'vitest';
import { SessionConfigError } from '../../src/core/errors.js';
import { resolveLockOption, SessionLocks, SessionLockTimeoutError, type LockOption } from '../../src/lock/session-lock.js';
import { StoreError, type Store } from '../../src/core/store.js';
import { MemoryStore } from '../../src/stores/memory.js';

const quiet = { warn: () => {} };
const SETTINGS = { waitMs: 5_000, leaseMs: 10_000 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const bytes = (value: number) => new TextEncoder().encode(String(value));
const number = (record: { data: Uint8Array } | undefined) => (record ? Number(new TextDecoder().decode(record.data)) : 0);

/** A MemoryStore that counts the calls of each method. */
function countingStore() {
  const store = new MemoryStore();
  const calls = { create: 0, get: 0, setIf: 0 };
  const counted: Store = {
    name: store.name,
    get: (key) => (calls.get++, store.get(key)),
    set: (key, record) => store.set(key, record),
    delete: (key) => store.delete(key),
    create: (key, record) => (calls.create++, store.create(key, record)),
    setIf: (key, record, version) => (calls.setIf++, store.setIf(key, record, version)),
  };
  return { store: counted, calls };
}

/** N increments of one counter, each a read, a pause, then a write without compare-and-set, under the lock. */
async function increments(instances: SessionLocks[], store: Store, n: number): Promise<{ count: number; maxInside: number }> {
  let inside = 0;
  let maxInside = 0;
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const lock = await instances[i % instances.length]!.acquire('lock:s1');
      inside++;
      maxInside = Math.max(maxInside, inside);
      try {
        const value = number(await store.get('counter'));
        await sleep(Math.random() * 3);
        await store.set('counter', { data: bytes(value + 1), expiresAt: Date.now() + 60_000 });
      } finally {
        inside--;
        await lock.release();
      }
    }),
  );
  return { count: number(await store.get('counter')), maxInside };
}

describe('SessionLocks on the memory store', () => {
  it('50 concurrent read-modify-writes of one counter lose none, and never overlap', async () => {
    const store = new MemoryStore();
    const locks = new SessionLocks(store, SETTINGS, quiet);
    expect(await increments([locks], store, 50)).toEqual({ count: 50, maxInside: 1 });
    expect(locks.queuedKeys).toBe(0);
  });

  it('two instances (two processes) serialise through the store lock', async () => {
    const store = new MemoryStore();
    const instances = [new SessionLocks(store, SETTINGS, quiet), new SessionLocks(store, SETTINGS, quiet)];
    expect(await increments(instances, store, 50)).toEqual({ count: 50, maxInside: 1 });
    expect(instances.map((locks) => locks.queuedKeys)).toEqual([0, 0]);
  });

  it('waiters of one process queue in-process: no polling of the store', async () => {
    const { store, calls } = countingStore();
    const locks = new SessionLocks(store, SETTINGS, quiet);
    await increments([locks], store, 20);
    // Each acquire: one create (refused by the released marker after the first), one read, one
    // compare-and-set; each release: one read, one compare-and-set. The counter's own reads: 20 + 1.
    expect(calls.create).toBe(20);
    expect(calls.get).toBe(19 + 20 + 21);
    expect(calls.setIf).toBe(19 + 20);
  });

  it('requests are served in the order they came (FIFO)', async () => {
    const locks = new SessionLocks(new MemoryStore(), SETTINGS, quiet);
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const lock = await locks.acquire('lock:s1');
        order.push(i);
        await sleep(1);
        await lock.release();
      }),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('locks of different sessions do not wait for each other', async () => {
    const locks = new SessionLocks(new MemoryStore(), { waitMs: 0, leaseMs: 10_000 }, quiet);
    const a = await locks.acquire('lock:a');
    const b = await locks.acquire('lock:b');
    expect(locks.queuedKeys).toBe(2);
    await Promise.all([a.release(), b.release()]);
    expect(locks.queuedKeys).toBe(0);
  });

  it('a bounded wait in another process ends in SessionLockTimeoutError after about waitMs', async () => {
    const store = new MemoryStore();
    const held = await new SessionLocks(store, SETTINGS, quiet).acquire('lock:s1');
    const other = new SessionLocks(store, { waitMs: 200, leaseMs: 10_000 }, quiet);
    const started = Date.now();
    const error = await other.acquire('lock:s1').catch((e: unknown) => e);
    const waited = Date.now() - started;
    expect(error).toBeInstanceOf(SessionLockTimeoutError);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(/^\[sessionkit:memory\] waited \d+ ms for the lock of this session.*Raise lock\.wait/);
    expect((error as Error).message).not.toContain('lock:s1'); // the key holds the session id
    expect(waited).toBeGreaterThanOrEqual(195);
    expect(waited).toBeLessThan(3_000); // its own 200 ms, not the holder's 10 s lease; generous for a loaded machine
    expect(other.queuedKeys).toBe(0);
    await held.release();
  });

  it('a bounded wait in the same process ends in SessionLockTimeoutError, and the waiter leaves the queue', async () => {
    const locks = new SessionLocks(new MemoryStore(), SETTINGS, quiet);
    const first = await locks.acquire('lock:s1');
    const started = Date.now();
    const impatient = locks.acquire('lock:s1', { waitMs: 100 }).catch((e: unknown) => e);
    const patient = locks.acquire('lock:s1');
    expect(await impatient).toBeInstanceOf(SessionLockTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    await first.release();
    // The impatient waiter is gone from the queue: the patient one is next.
    const third = await patient;
    await third.release();
    expect(locks.queuedKeys).toBe(0);
  });

  it('waitMs 0 fails at once when the lock is held, and succeeds when it is free', async () => {
    const store = new MemoryStore();
    const locks = new SessionLocks(store, { waitMs: 0, leaseMs: 10_000 }, quiet);
    const lock = await locks.acquire('lock:s1');
    await expect(new SessionLocks(store, { waitMs: 0, leaseMs: 10_000 }, quiet).acquire('lock:s1')).rejects.toThrow(SessionLockTimeoutError);
    await lock.release();
    await (await locks.acquire('lock:s1')).release();
  });

  it('a holder that died releases by lease expiry', async () => {
    const store = new MemoryStore();
    await new SessionLocks(store, { waitMs: 0, leaseMs: 150 }, quiet).acquire('lock:s1'); // never released
    const started = Date.now();
    const next = await new SessionLocks(store, { waitMs: 2_000, leaseMs: 10_000 }, quiet).acquire('lock:s1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(120);
    await next.release();
  });

  it("a stale holder's release leaves the new holder's lock alone, and says why", async () => {
    const store = new MemoryStore();
    const warnings: string[] = [];
    const stale = await new SessionLocks(store, { waitMs: 0, leaseMs: 100 }, { warn: (m) => warnings.push(m) }).acquire('lock:s1');
    await sleep(150);
    const current = await new SessionLocks(store, SETTINGS, quiet).acquire('lock:s1');
    await stale.release();
    expect(warnings).toEqual([expect.stringMatching(/no longer held its lock when it released it: it held it longer than lock\.lease \(100 ms\).*Raise lock\.lease/)]);
    await expect(new SessionLocks(store, { waitMs: 50, leaseMs: 10_000 }, quiet).acquire('lock:s1')).rejects.toThrow(SessionLockTimeoutError);
    await current.release();
    await (await new SessionLocks(store, { waitMs: 0, leaseMs: 10_000 }, quiet).acquire('lock:s1')).release();
  });

  it('release is idempotent: a second call neither releases a later holder nor lets a local waiter in twice', async () => {
    const store = new MemoryStore();
    const locks = new SessionLocks(store, SETTINGS, quiet);
    const first = await locks.acquire('lock:s1');
    await first.release();
    const second = await locks.acquire('lock:s1');
    await first.release();
    const third = locks.acquire('lock:s1', { waitMs: 50 });
    await expect(third).rejects.toThrow(SessionLockTimeoutError);
    await expect(new SessionLocks(store, { waitMs: 0, leaseMs: 10_000 }, quiet).acquire('lock:s1')).rejects.toThrow(SessionLockTimeoutError);
    await second.release();
    expect(locks.queuedKeys).toBe(0);
  });

  it('a store fault on release rejects, and still lets the next request of this process in', async () => {
    const memory = new MemoryStore();
    let failNextRead = false;
    const store: Store = {
      name: 'flaky',
      get: (key) => {
        if (!failNextRead) return memory.get(key);
        failNextRead = false;
        return Promise.reject(new StoreError('flaky', 'down'));
      },
      set: (key, record) => memory.set(key, record),
      delete: (key) => memory.delete(key),
      create: (key, record) => memory.create(key, record),
      setIf: (key, record, version) => memory.setIf(key, record, version),
    };
    const locks = new SessionLocks(store, { waitMs: 5_000, leaseMs: 200 }, quiet);
    const first = await locks.acquire('lock:s1');
    const next = locks.acquire('lock:s1');
    failNextRead = true;
    await expect(first.release()).rejects.toThrow(/\[sessionkit:flaky\] down/);
    // The store lock stays until its lease ends; then the next waiter takes it.
    await (await next).release();
    expect(locks.queuedKeys).toBe(0);
  });

  it('a store fault on acquire rejects with the StoreError and frees the queue', async () => {
    const memory = new MemoryStore();
    const store: Store = {
      name: 'broken',
      get: (key) => memory.get(key),
      set: (key, record) => memory.set(key, record),
      delete: (key) => memory.delete(key),
      create: () => Promise.reject(new StoreError('broken', 'create failed')),
      setIf: (key, record, version) => memory.setIf(key, record, version),
    };
    const locks = new SessionLocks(store, SETTINGS, quiet);
    const results = await Promise.allSettled([locks.acquire('lock:s1'), locks.acquire('lock:s1')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(locks.queuedKeys).toBe(0);
  });

  it('the in-process queue leaves no entries behind, timeouts and faults included', async () => {
    const store = new MemoryStore();
    const locks = new SessionLocks(store, { waitMs: 30, leaseMs: 10_000 }, quiet);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, async (_, i) => {
        const lock = await locks.acquire(`lock:s${i % 3}`);
        await sleep(10);
        await lock.release();
      }),
    );
    expect(outcomes.some((o) => o.status === 'rejected')).toBe(true);
    expect(outcomes.some((o) => o.status === 'fulfilled')).toBe(true);
    expect(locks.queuedKeys).toBe(0);
  });

  it('refuses a store without create or setIf, naming it', () => {
    const store: Store = { name: 'connect', get: async () => undefined, set: async () => undefined, delete: async () => {} };
    expect(() => new SessionLocks(store, SETTINGS)).toThrow(SessionConfigError);
    expect(() => new SessionLocks(store, SETTINGS)).toThrow(/the connect store lacks create/);
    expect(() => new SessionLocks({ ...store, create: async () => true }, SETTINGS)).toThrow(/lacks setIf/);
  });

  it('refuses nonsense settings', () => {
    const store = new MemoryStore();
    expect(() => new SessionLocks(store, { waitMs: -1, leaseMs: 1_000 })).toThrow(SessionConfigError);
    expect(() => new SessionLocks(store, { waitMs: 0, leaseMs: 0 })).toThrow(SessionConfigError);
    expect(() => new SessionLocks(store, { waitMs: Number.NaN, leaseMs: 1_000 })).toThrow(SessionConfigError);
  });
});

describe('resolveLockOption', () => {
  it('is off by default and for false', () => {
    expect(resolveLockOption(undefined)).toBeUndefined();
    expect(resolveLockOption(false)).toBeUndefined();
  });

  it('true: wait 5 s, lease 10 s', () => {
    expect(resolveLockOption(true)).toEqual({ waitMs: 5_000, leaseMs: 10_000 });
    expect(resolveLockOption({})).toEqual({ waitMs: 5_000, leaseMs: 10_000 });
  });

  it('takes seconds and duration strings', () => {
    expect(resolveLockOption({ wait: '500ms', lease: 30 })).toEqual({ waitMs: 500, leaseMs: 30_000 });
    expect(resolveLockOption({ wait: 0 })).toEqual({ waitMs: 0, leaseMs: 10_000 });
    // A wait longer than the lease is allowed: a waiter may outlast a dead holder's lease.
    expect(resolveLockOption({ wait: '20s', lease: '2s' })).toEqual({ waitMs: 20_000, leaseMs: 2_000 });
  });

  it.each<[unknown, RegExp]>([
    [{ lease: 0 }, /lock\.lease must be at least one second, got 0/],
    [{ lease: '500ms' }, /lock\.lease must be at least one second, got 500ms/],
    [{ wait: -1 }, /lock\.wait must be a non-negative number of seconds, got -1/],
    [{ wait: 'soon' }, /lock\.wait "soon" is not a duration/],
    [{ lease: null }, /lock\.lease must be seconds or a string/],
    [{ waitt: '1s' }, /unknown lock option "waitt"\. Known: wait, lease/],
    ['yes', /lock must be true, false or \{ wait, lease \}, got yes/],
    [1, /lock must be true, false or \{ wait, lease \}, got 1/],
    [[], /lock must be true, false or \{ wait, lease \}, got \[\]/],
  ])('refuses %j with a SessionConfigError', (value, message) => {
    expect(() => resolveLockOption(value as LockOption)).toThrow(SessionConfigError);
    expect(() => resolveLockOption(value as LockOption)).toThrow(message);
  });
});
