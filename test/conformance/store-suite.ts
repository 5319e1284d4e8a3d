/**
 * The store contract as tests. Every store's test file calls `describeStore` with a
 * factory and the capabilities the store has. The declaration is checked both ways: a
 * declared capability that is missing fails (it is never skipped), and so does one the
 * store implements but its test file does not declare (its behaviour would go untested).
 * Every declared capability's behaviour tests run.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Store, StoreCapability, StoreRecord } from '../../src/core/store.js';
import { handleOf } from '../../src/core/handle.js';
import { SessionEngine } from '../../src/index.js';
import { requestsOf } from '../helpers/engine-request.js';

/**
 * Every optional capability of the contract. `satisfies` and the check below make the type
 * checker fail when StoreCapability gains a member this list (and the suite) does not cover.
 */
export const ALL_CAPABILITIES = ['create', 'setIf', 'touch', 'deleteExpired', 'countExpired', 'getSync', 'createSync', 'setIfSync', 'keys', 'getExpired'] as const satisfies readonly StoreCapability[];
type Uncovered = Exclude<StoreCapability, (typeof ALL_CAPABILITIES)[number]>;
/** The check: `true` only type-checks while nothing is uncovered (exported, so it is not an unused local). */
export const everyCapabilityListed: [Uncovered] extends [never] ? true : Uncovered = true;

/** The optional capabilities `store` implements: the methods of ALL_CAPABILITIES that are functions. */
export function implementedCapabilities(store: Store): StoreCapability[] {
  return ALL_CAPABILITIES.filter((capability) => typeof store[capability] === 'function');
}

export interface StoreFixture {
  store: Store;
  /** Stops servers, closes handles, removes temporary files. */
  cleanup?: () => Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const bytes = (text: string) => new TextEncoder().encode(text);
const inAMinute = () => Date.now() + 60_000;
let counter = 0;
/** What another program might keep under a session's key: Flask-Session's JSON, say. */
const NOT_A_SESSION = bytes('{"_permanent": true, "user": "flask"}');
const SUITE_SECRET = 'store-suite-secret-0123456789abcdef';
/** Keys unique per test so suites can share one server. */
const freshKey = (label = 'k') => `session:conf-${process.pid}-${Date.now()}-${counter++}-${label}`;

export function describeStore(
  title: string,
  setup: () => Promise<StoreFixture>,
  capabilities: readonly StoreCapability[],
  options: {
    /** Some servers keep time in whole seconds: the expiry tests wait this much longer past an expiry. */
    expiryGraceMs?: number;
    /** Size of the large-value test; stores with an item limit (DynamoDB: 400 KB) lower it. */
    largeValueBytes?: number;
    /** The server drops expired records itself (Redis, Memcached): deleteExpired may find none. */
    expiresNatively?: boolean;
    /**
     * Writes under `key`, with the backend's own client, a value that is not a session of
     * ours (another application's: a Redis list, a memcached value without our header, a
     * truncated file). The suite checks it reads as no session with exactly one warning
     * through the store's default logger, the console: the fixture's store must keep it.
     */
    plantForeignValue?: (key: string, store: Store) => Promise<void>;
    /**
     * Writes `record` under `key` with the backend's own client, as another program with
     * the store's credentials would (raw SQL for the SQL stores; for Deno KV, our layout
     * without the `expireIn` that lets KV purge it whenever it likes). Default: the store's
     * own `set`, for stores nothing else can write to (memory; a Durable Object, reached
     * only through its fetch protocol). The suite plants with it bytes that are not a
     * session, and the expired records its sweep tests look for.
     */
    plantRecord?: (key: string, record: StoreRecord, store: Store) => Promise<void>;
  } = {},
): void {
  const grace = options.expiryGraceMs ?? 0;
  /**
   * How long the suite's short-lived records live: long enough for their write and a read
   * before they expire on a loaded 2-core machine (miniflare's proxy, a cold emulator), and
   * at least the store's grace.
   */
  const lifetime = Math.max(1000, grace);
  /** Waits for the expiry itself to pass, plus the store's grace (a clock in whole seconds). */
  const pastExpiry = (expiresAt: number) => sleep(Math.max(0, expiresAt - Date.now()) + grace + 50);
  const largeValueBytes = options.largeValueBytes ?? 512 * 1024;

  describe(`store contract: ${title}`, () => {
    let fixture: StoreFixture;
    let store: Store;
    beforeAll(async () => {
      fixture = await setup();
      store = fixture.store;
    }, 60_000);
    afterAll(async () => {
      await fixture?.cleanup?.();
    }, 60_000);

    const record = (text: string, expiresAt = inAMinute()): StoreRecord => ({ data: bytes(text), expiresAt });
    const text = (r: StoreRecord | undefined) => (r ? new TextDecoder().decode(r.data) : undefined);
    const plantRecord = options.plantRecord ?? ((key: string, value: StoreRecord) => store.set(key, value));
    /** Writes `count` records that expire soon, and waits until they have. */
    const plantExpired = async (count: number) => {
      const keys = Array.from({ length: count }, (_, i) => freshKey(`dead${i}`));
      const expiresAt = Date.now() + lifetime;
      await Promise.all(keys.map((key) => plantRecord(key, record('d', expiresAt), store)));
      await pastExpiry(expiresAt);
      return keys;
    };

    it('has exactly the capabilities its test file declares', () => {
      for (const capability of capabilities) {
        expect(typeof store[capability], `declared capability ${capability} is missing`).toBe('function');
      }
      const undeclared = implementedCapabilities(store).filter((capability) => !capabilities.includes(capability));
      expect(undeclared, 'capabilities the store has but its test file does not declare (their tests would not run)').toEqual([]);
      expect(new Set(capabilities).size, 'a capability declared twice').toBe(capabilities.length);
      expect(typeof store.createSync, 'createSync and setIfSync come together (the engine writes synchronously only with both)').toBe(typeof store.setIfSync);
      expect(store.name).toMatch(/\S/);
    });

    it('reads a missing key as undefined', async () => {
      expect(await store.get(freshKey())).toBeUndefined();
    });

    it('round-trips data and expiry', async () => {
      const key = freshKey();
      const expiresAt = inAMinute();
      await store.set(key, record('hello', expiresAt));
      const read = await store.get(key);
      expect(text(read)).toBe('hello');
      expect(read?.data).toBeInstanceOf(Uint8Array);
      // Stores with second-resolution expiry may round; never by more than a second.
      expect(Math.abs((read?.expiresAt ?? 0) - expiresAt)).toBeLessThanOrEqual(1000);
    });

    it('keeps every byte value intact', async () => {
      const key = freshKey();
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      await store.set(key, { data: all, expiresAt: inAMinute() });
      expect(Array.from((await store.get(key))?.data ?? [])).toEqual(Array.from(all));
    });

    it('overwrites with set', async () => {
      const key = freshKey();
      await store.set(key, record('one'));
      await store.set(key, record('two'));
      expect(text(await store.get(key))).toBe('two');
    });

    it('deletes, and deleting a missing key is a no-op', async () => {
      const key = freshKey();
      await store.set(key, record('x'));
      await store.delete(key);
      expect(await store.get(key)).toBeUndefined();
      await expect(store.delete(key)).resolves.toBeUndefined();
      await expect(store.delete(freshKey('never'))).resolves.toBeUndefined();
    });

    it('reads an expired record as absent', async () => {
      const key = freshKey();
      const expiresAt = Date.now() + lifetime;
      await store.set(key, record('short', expiresAt));
      expect(text(await store.get(key))).toBe('short');
      await pastExpiry(expiresAt);
      expect(await store.get(key)).toBeUndefined();
    });

    it('reads a record written already expired as absent', async () => {
      const key = freshKey();
      await store.set(key, record('past', Date.now() - 1000));
      expect(await store.get(key)).toBeUndefined();
    });

    it(`stores large values (${largeValueBytes} bytes)`, async () => {
      const key = freshKey();
      const big = new Uint8Array(randomBytes(largeValueBytes));
      await store.set(key, { data: big, expiresAt: inAMinute() });
      const read = await store.get(key);
      expect(read?.data.length).toBe(big.length);
      expect(Buffer.from(read?.data ?? []).equals(Buffer.from(big))).toBe(true);
    });

    it('keeps unicode keys distinct', async () => {
      const a = freshKey('ключ-🔑-鍵');
      const b = freshKey('ключ-🔑-鍵-2');
      await store.set(a, record('a'));
      await store.set(b, record('b'));
      expect(text(await store.get(a))).toBe('a');
      expect(text(await store.get(b))).toBe('b');
    });

    it('handles concurrent calls on many keys', async () => {
      const keys = Array.from({ length: 50 }, (_, i) => freshKey(`c${i}`));
      await Promise.all(keys.map((key, i) => store.set(key, record(`v${i}`))));
      const read = await Promise.all(keys.map((key) => store.get(key)));
      expect(read.map(text)).toEqual(keys.map((_, i) => `v${i}`));
      await Promise.all(keys.map((key) => store.delete(key)));
      expect((await Promise.all(keys.map((key) => store.get(key)))).every((r) => r === undefined)).toBe(true);
    });

    /** The tests of create, run on `create` and on `createSync`. */
    const createTests = (method: string, create: (key: string, value: StoreRecord) => Promise<boolean>) => {
      it(`${method} inserts only when absent`, async () => {
        const key = freshKey();
        expect(await create(key, record('first'))).toBe(true);
        expect(await create(key, record('second'))).toBe(false);
        expect(text(await store.get(key))).toBe('first');
      });

      it(`${method} replaces an expired record`, async () => {
        const key = freshKey();
        await store.set(key, record('old', Date.now() - 1000));
        expect(await create(key, record('new'))).toBe(true);
        expect(text(await store.get(key))).toBe('new');
      });

      it(`concurrent ${method} calls on one key: exactly one wins`, async () => {
        const key = freshKey();
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => create(key, record(`c${i}`))));
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    };

    /** The tests of compare-and-set, run on `setIf` and on `setIfSync`. */
    const setIfTests = (method: string, setIf: (key: string, value: StoreRecord, version: string) => Promise<boolean>) => {
      it(`${method} writes with the current version and changes the version`, async () => {
        const key = freshKey();
        await store.set(key, record('one'));
        const before = await store.get(key);
        expect(await setIf(key, record('two'), before!.version!)).toBe(true);
        const after = await store.get(key);
        expect(text(after)).toBe('two');
        expect(after?.version).not.toBe(before?.version);
      });

      it(`${method} refuses a stale version`, async () => {
        const key = freshKey();
        await store.set(key, record('one'));
        const stale = (await store.get(key))!.version!;
        await store.set(key, record('two'));
        expect(await setIf(key, record('three'), stale)).toBe(false);
        expect(text(await store.get(key))).toBe('two');
      });

      it(`${method} never re-creates a deleted record`, async () => {
        const key = freshKey();
        await store.set(key, record('one'));
        const version = (await store.get(key))!.version!;
        await store.delete(key);
        expect(await setIf(key, record('zombie'), version)).toBe(false);
        expect(await store.get(key)).toBeUndefined();
      });

      it(`concurrent ${method} calls on one version: exactly one wins`, async () => {
        const key = freshKey();
        await store.set(key, record('base'));
        const version = (await store.get(key))!.version!;
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => setIf(key, record(`w${i}`), version)));
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect(text(await store.get(key))).toBe(`w${winner}`);
      });

      if (capabilities.includes('touch')) {
        it(`touch keeps the version valid for a later ${method}`, async () => {
          // A refresh must not make a concurrent writer lose its compare-and-set for nothing.
          const key = freshKey();
          await store.set(key, record('one'));
          const version = (await store.get(key))!.version!;
          await store.touch!(key, inAMinute() + 1000);
          expect(await setIf(key, record('two'), version)).toBe(true);
        });
      }
    };

    /** The behaviour tests of each optional capability; those of every declared one run. */
    const behaviour: Record<StoreCapability, () => void> = {
      getSync: () => {
        it('getSync reads exactly what get reads', async () => {
          const key = freshKey();
          expect(store.getSync!(key)).toBeUndefined();
          await store.set(key, record('sync'));
          const [viaGet, viaGetSync] = [await store.get(key), store.getSync!(key)];
          expect(text(viaGetSync)).toBe('sync');
          expect(viaGetSync?.version).toBe(viaGet?.version);
          expect(viaGetSync?.expiresAt).toBe(viaGet?.expiresAt);
          await store.set(key, record('gone', Date.now() - 1));
          expect(store.getSync!(key)).toBeUndefined();
        });
      },

      touch: () => {
        it('touch extends expiry without changing data', async () => {
          const key = freshKey();
          const expiresAt = Date.now() + lifetime;
          await store.set(key, record('kept', expiresAt));
          const later = inAMinute();
          await store.touch!(key, later);
          await pastExpiry(expiresAt);
          const read = await store.get(key);
          expect(text(read)).toBe('kept');
          expect(Math.abs((read?.expiresAt ?? 0) - later)).toBeLessThanOrEqual(1000);
        });

        it('touch on a missing key creates nothing', async () => {
          const key = freshKey();
          await store.touch!(key, inAMinute());
          expect(await store.get(key)).toBeUndefined();
        });
      },

      create: () => {
        createTests('create', (key, value) => store.create!(key, value));
      },

      createSync: () => {
        createTests('createSync', async (key, value) => store.createSync!(key, value));
      },

      setIf: () => {
        it('every write returns a version and the read carries it', async () => {
          const key = freshKey();
          const version = await store.set(key, record('v'));
          expect(typeof version).toBe('string');
          expect((await store.get(key))?.version).toBe(version);
        });
        setIfTests('setIf', (key, value, version) => store.setIf!(key, value, version));
      },

      setIfSync: () => {
        setIfTests('setIfSync', async (key, value, version) => store.setIfSync!(key, value, version));
      },

      deleteExpired: () => {
        it('deleteExpired removes expired records and keeps live ones', async () => {
          const dead = await plantExpired(3);
          const live = Array.from({ length: 2 }, (_, i) => freshKey(`live${i}`));
          await Promise.all(live.map((key) => store.set(key, record('l'))));
          const removed = await store.deleteExpired!();
          expect(removed).toBeGreaterThanOrEqual(options.expiresNatively ? 0 : dead.length);
          for (const key of live) expect(text(await store.get(key))).toBe('l');
          for (const key of dead) expect(await store.get(key)).toBeUndefined();
        });

        it('deleteExpired with a limit removes at most that many', async () => {
          const dead = await plantExpired(3);
          const live = freshKey('live');
          await store.set(live, record('l'));
          const first = await store.deleteExpired!({ limit: 2 });
          expect(first).toBe(options.expiresNatively ? 0 : 2);
          const rest = await store.deleteExpired!({ limit: 1000 });
          expect(rest).toBeGreaterThanOrEqual(options.expiresNatively ? 0 : 1);
          expect(rest).toBeLessThanOrEqual(1000);
          if (capabilities.includes('countExpired')) expect(await store.countExpired!()).toBe(0);
          expect(text(await store.get(live))).toBe('l');
          for (const key of dead) expect(await store.get(key)).toBeUndefined();
        });
      },

      countExpired: () => {
        it('countExpired counts what deleteExpired removes, and removes nothing', async () => {
          await plantExpired(3);
          const live = freshKey('live');
          await store.set(live, record('l'));
          const counted = await store.countExpired!();
          expect(counted).toBeGreaterThanOrEqual(3);
          expect(await store.countExpired!(), 'a second count: the first removed nothing').toBe(counted);
          if (capabilities.includes('deleteExpired')) {
            expect(await store.deleteExpired!()).toBe(counted);
            expect(await store.countExpired!()).toBe(0);
          }
          expect(text(await store.get(live))).toBe('l');
        });
      },

      getExpired: () => {
        it('getExpired reads an expired record the backend still holds, never a live or missing one, and get still reads it as absent', async () => {
          const [dead] = await plantExpired(1);
          const live = freshKey('live');
          await store.set(live, record('l'));
          const expired = await store.getExpired!(dead!);
          expect(text(expired)).toBe('d');
          expect(expired!.expiresAt).toBeLessThanOrEqual(Date.now());
          expect(await store.get(dead!)).toBeUndefined();
          expect(await store.getExpired!(live)).toBeUndefined();
          expect(await store.getExpired!(freshKey('none'))).toBeUndefined();
          expect(text(await store.get(live))).toBe('l');
        });
      },

      keys: () => {
        it('keys lists the live records under a prefix, and only those', async () => {
          const prefix = freshKey('list-');
          const live = [`${prefix}a`, `${prefix}b`, `${prefix}c`];
          for (const key of live) await store.set(key, record('l'));
          await store.set(`${prefix}gone`, record('g'));
          await store.delete(`${prefix}gone`);
          await store.set(`${prefix}expired`, record('d', Date.now() + grace));
          await sleep(grace * 2 + 50);
          const outside = freshKey('not-listed');
          await store.set(outside, record('o'));
          const listed: string[] = [];
          for await (const key of store.keys!(prefix)) listed.push(key);
          expect(listed.sort()).toEqual(live);
          const none: string[] = [];
          for await (const key of store.keys!(`${prefix}nothing-`)) none.push(key);
          expect(none).toEqual([]);
        });
      },
    };
    for (const capability of capabilities) behaviour[capability]();

    it('a record that is not a session (bytes another program wrote): the engine starts a fresh session, with one warning naming the store', async () => {
      const warnings: string[] = [];
      const engine = new SessionEngine<Record<string, unknown>>({ store, secret: SUITE_SECRET, logger: { warn: (m) => warnings.push(m), info: () => {} } });
      const request = requestsOf(engine);
      const first = await request(undefined, (session) => {
        session.user = 'alice';
      });
      await plantRecord(`session:${first.session.id}`, { data: NOT_A_SESSION, expiresAt: inAMinute() }, store);
      const next = await request(first.cookie);
      expect(next.session.isNew).toBe(true);
      expect(next.session.id).not.toBe(first.session.id);
      expect(next.session.user).toBeUndefined();
      expect(warnings).toEqual([expect.stringContaining(store.name)]);
      expect(warnings[0]).not.toContain(first.session.id); // no log line holds a session id
    });

    it(`a session past its lifetime is \`missed\` as \`expired\`, past its absolute lifetime as \`absolute-end\`, ${capabilities.includes('getExpired') ? 'as the store still holds it (getExpired)' : 'or `unknown` where the store no longer holds it'}`, async () => {
      const seconds = Math.ceil(lifetime / 1000);
      const engineWith = (lifetimes: { lifetime: number; absoluteLifetime?: number }) => {
        const engine = new SessionEngine<Record<string, unknown>>({ store, secret: SUITE_SECRET, logger: { warn: () => {}, info: () => {} }, ...lifetimes });
        const reasons: string[] = [];
        engine.on('missed', (event) => reasons.push(event.reason));
        return { request: requestsOf(engine), reasons };
      };
      const idle = engineWith({ lifetime: seconds });
      const capped = engineWith({ lifetime: 3600, absoluteLifetime: seconds });
      const idleSession = await idle.request(undefined, (session) => void (session.n = 1));
      const cappedSession = await capped.request(undefined, (session) => void (session.n = 1));
      await sleep(seconds * 1000 + grace + 100);
      await idle.request(idleSession.cookie);
      await capped.request(cappedSession.cookie);
      // The reason is looked up after the request, which got its fresh session at once.
      const told = capabilities.includes('getExpired');
      await vi.waitFor(() => {
        expect(idle.reasons).toEqual(['no-cookie', told ? 'expired' : 'unknown']);
        expect(capped.reasons).toEqual(['no-cookie', told ? 'absolute-end' : 'unknown']);
      }, { timeout: 5000 });
    });

    const plantForeignValue = options.plantForeignValue;
    if (plantForeignValue) {
      const readsAsNoSession = (read: (key: string) => Promise<StoreRecord | undefined> | StoreRecord | undefined) => async () => {
        const key = freshKey('foreign');
        await plantForeignValue(key, store);
        const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
        try {
          expect(await read(key)).toBeUndefined();
          const warnings = warn.mock.calls.map((args) => args.join(' '));
          // The warning names the record by its prefix and the id's handle, never by the id:
          // an id in a log is a cookie anyone who reads the log can send.
          const id = key.slice('session:'.length);
          expect(warnings).toEqual([expect.stringContaining(`session:<handle ${handleOf(id)}>`)]);
          expect(warnings[0]).not.toContain(id);
        } finally {
          warn.mockRestore();
        }
      };
      it('reads a value that is not a session as no session, with one warning', readsAsNoSession((key) => store.get(key)));
      if (capabilities.includes('getSync')) {
        it('getSync reads a value that is not a session as no session, with one warning', readsAsNoSession((key) => store.getSync!(key)));
      }
    }
  });
}
