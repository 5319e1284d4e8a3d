/**
 * The per-session lock (src/lock/session-lock.ts) against a real store: run for every
 * store from the HTTP suite, with that suite's fixture. Two SessionLocks instances on one
 * store stand in for two processes: each has its own in-process queue, so only the store
 * lock (create, get, setIf) keeps them apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionConfigError } from '../../src/core/errors.js';
import { SessionLocks, SessionLockTimeoutError, type LockSettings } from '../../src/lock/session-lock.js';
import type { Store } from '../../src/core/store.js';

const quiet = { warn: () => {} };
// Generous: a store whose every step is a transaction (Datastore) takes many slow rounds
// for 20 increments, and one instance's queue may run before the other's gets a turn.
const PATIENT: LockSettings = { waitMs: 60_000, leaseMs: 30_000 };
// Leases the suite waits out: whole seconds, since Memcached and DynamoDB keep server-side
// expiry in seconds (the record's own millisecond expiry still decides).
const SHORT_LEASE_MS = 1_000;
const INCREMENTS = 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const encoder = new TextEncoder();
const decoder = new TextDecoder();
let counter = 0;
/** A key unique to this run, shaped like a session key (no '/', short enough for every store). */
const freshKey = (label: string) => `session:lock-suite-${process.pid}-${Date.now()}-${counter++}-${label}`;

export function describeStoreLock(title: string, setup: () => Promise<{ store: Store; cleanup?: () => Promise<void> }>) {
  describe(`session lock: ${title}`, () => {
    let store: Store;
    let cleanup: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      const fixture = await setup();
      store = fixture.store;
      cleanup = fixture.cleanup;
    }, 60_000);
    afterAll(async () => {
      await cleanup?.();
    }, 60_000);

    const capable = (s: Store) => typeof s.create === 'function' && typeof s.setIf === 'function';
    const locks = (settings: LockSettings = PATIENT) => new SessionLocks(store, settings, quiet);

    it('a store without create and setIf is refused when the locks are made', ({ skip }) => {
      if (capable(store)) skip();
      expect(() => locks()).toThrow(SessionConfigError);
    });

    it(`${INCREMENTS} concurrent read-pause-write increments of one counter from two processes lose none`, async ({ skip }) => {
      if (!capable(store)) skip();
      const processes = [locks(), locks()];
      const lockKey = freshKey('lock');
      const counterKey = freshKey('counter');
      const read = async () => {
        const record = await store.get(counterKey);
        return record ? Number(decoder.decode(record.data)) : 0;
      };
      let inside = 0;
      let overlaps = 0;
      await Promise.all(
        Array.from({ length: INCREMENTS }, async (_, i) => {
          const lock = await processes[i % 2]!.acquire(lockKey);
          if (++inside > 1) overlaps++;
          try {
            const value = await read();
            await sleep(Math.random() * 5); // widen the window a lost update needs
            // A plain set, no compare-and-set: only the lock keeps the increments apart.
            await store.set(counterKey, { data: encoder.encode(String(value + 1)), expiresAt: Date.now() + 120_000 });
          } finally {
            inside--;
            await lock.release();
          }
        }),
      );
      expect({ count: await read(), overlaps }).toEqual({ count: INCREMENTS, overlaps: 0 });
      expect(processes.map((p) => p.queuedKeys)).toEqual([0, 0]);
    }, 120_000);

    it('a bounded wait ends in SessionLockTimeoutError naming the store', async ({ skip }) => {
      if (!capable(store)) skip();
      const lockKey = freshKey('lock');
      const held = await locks().acquire(lockKey);
      const started = Date.now();
      const error = await locks({ waitMs: 300, leaseMs: 30_000 }).acquire(lockKey).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SessionLockTimeoutError);
      expect((error as Error).message).toContain(`[sessionkit:${store.name}] waited`);
      // At least the wait; at most the wait plus one slow round of the store.
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(Date.now() - started).toBeLessThan(300 + 10_000);
      await held.release();
    }, 60_000);

    it("a holder that died lets the next in when its lease ends; its late release leaves the new holder's lock alone", async ({ skip }) => {
      if (!capable(store)) skip();
      const lockKey = freshKey('lock');
      // Timed from before the dead holder's acquire: its lease counts from its own write, so a
      // slow round trip of that write (about 500 ms once in CI, on memcached) eats into the
      // wait measured after it, while from here the lease is never shorter than it is.
      const started = Date.now();
      const dead = await locks({ waitMs: 0, leaseMs: SHORT_LEASE_MS }).acquire(lockKey);
      const next = await locks().acquire(lockKey);
      expect(Date.now() - started).toBeGreaterThanOrEqual(SHORT_LEASE_MS - 100);
      await dead.release(); // too late: the lock is the next holder's now
      await expect(locks({ waitMs: 200, leaseMs: 30_000 }).acquire(lockKey)).rejects.toThrow(SessionLockTimeoutError);
      await next.release();
      // Released: another process takes it at once.
      const started2 = Date.now();
      await (await locks({ waitMs: 0, leaseMs: 30_000 }).acquire(lockKey)).release();
      expect(Date.now() - started2).toBeLessThan(10_000);
    }, 60_000);

    it("within one process too, a holder past its lease lets the next request in, and its late release leaves the new holder's lock alone", async ({ skip }) => {
      if (!capable(store)) skip();
      const lockKey = freshKey('lock');
      const process = locks({ waitMs: 20_000, leaseMs: SHORT_LEASE_MS });
      // As in the test above, timed from before the slow holder's acquire.
      const started = Date.now();
      const slow = await process.acquire(lockKey); // a request that runs past its lease
      const next = await process.acquire(lockKey);
      const waited = Date.now() - started;
      // In once the lease ran out: not before it, and far from the 20 s wait (a loaded machine
      // adds a slow store round trip or two, never ten seconds).
      expect(waited).toBeGreaterThanOrEqual(SHORT_LEASE_MS - 100);
      expect(waited).toBeLessThan(10_000);
      await slow.release(); // too late: the lock is the next holder's, in this process and in the store
      await expect(process.acquire(lockKey, { waitMs: 200, leaseMs: 30_000 })).rejects.toThrow(SessionLockTimeoutError);
      await expect(locks({ waitMs: 200, leaseMs: 30_000 }).acquire(lockKey)).rejects.toThrow(SessionLockTimeoutError);
      await next.release();
      await (await process.acquire(lockKey, { waitMs: 10_000, leaseMs: 30_000 })).release();
      expect(process.queuedKeys).toBe(0);
    }, 60_000);

    it('a released lock is taken by exactly one of several processes at once', async ({ skip }) => {
      if (!capable(store)) skip();
      const lockKey = freshKey('lock');
      await (await locks().acquire(lockKey)).release(); // leaves the released marker
      const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => locks({ waitMs: 0, leaseMs: 30_000 }).acquire(lockKey)));
      const won = outcomes.filter((o): o is PromiseFulfilledResult<Awaited<ReturnType<SessionLocks['acquire']>>> => o.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(SessionLockTimeoutError);
      await won[0]!.value.release();
    }, 60_000);
  });
}
