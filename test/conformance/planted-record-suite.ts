/**
 * Records planted in a store by whoever can write it (a shared Redis, a leaked DSN): each
 * one either cannot be used as a session or could never be written back. Every store's test
 * file may call `describePlantedRecords` with its fixture; through the engine, each planted
 * record must read as a fresh session with exactly one warning, and that fresh session must
 * then be saved and read back like any other (never a crash, never a 500 on every request).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { msgpackCodec } from '../../src/codec/msgpack/index.js';
import { SessionEngine } from '../../src/engine/engine.js';
import type { SessionOptions } from '../../src/engine/options.js';
import type { Store } from '../../src/core/store.js';
import { requestsOf } from '../helpers/engine-request.js';
import type { StoreFixture } from './store-suite.js';

const MINUTE = 60_000;

/** Payloads that decode but are not sessions this engine can use, each named by what is wrong. */
const UNUSABLE_PAYLOADS: [string, Record<string, unknown>][] = [
  // A binary as `d` became one session field per byte: seconds of event loop per request.
  ['session data that is a binary', { p: true, d: new Uint8Array(4096) }],
  ['session data that is an array', { p: true, d: ['a', 'b'] }],
  ['session data that is a string', { p: true, d: 'user=alice' }],
  ['a permanent flag that is not a boolean', { p: 1, d: { user: 'alice' } }],
  ['a creation time that is a string', { p: true, d: { user: 'alice' }, t: 'yesterday' }],
  ['an authentication time (freshness) that is a string', { p: true, d: { user: 'alice' }, u: 'yesterday' }],
  ['an authentication time (freshness) that is infinite', { p: true, d: { user: 'alice' }, u: Number.POSITIVE_INFINITY }],
  // Those below decode as sessions, but no write of them could succeed: a 500 on every request.
  ['a stored cookie domain the Set-Cookie header cannot carry', { p: true, d: { user: 'alice' }, c: { domain: 'a;b' } }],
  ['a stored cookie path with a semicolon', { p: true, d: { user: 'alice' }, c: { path: '/x;Secure' } }],
  ['a stored cookie path with a control character', { p: true, d: { user: 'alice' }, c: { path: '/x\ny' } }],
  ['a stored lifetime of 1e300 ms', { p: true, d: { user: 'alice' }, l: 1e300 }],
  ['a stored lifetime past ten years', { p: true, d: { user: 'alice' }, l: 3651 * 86_400_000 }],
  ['stored cookie settings that are a binary', { p: true, d: { user: 'alice' }, c: new Uint8Array(8) }],
];

export function describePlantedRecords(title: string, setup: () => Promise<StoreFixture>): void {
  describe(`planted records: ${title}`, () => {
    let fixture: StoreFixture;
    beforeAll(async () => {
      fixture = await setup();
    }, 60_000);
    afterAll(async () => {
      await fixture?.cleanup?.();
    }, 60_000);

    /** An engine over the fixture's store whose warnings are collected, and a logged-in session to plant over. */
    async function plantedSession(options: SessionOptions = {}) {
      const warnings: string[] = [];
      const engine = new SessionEngine<Record<string, unknown>>({
        store: fixture.store,
        logger: { warn: (message) => warnings.push(message), info: () => {} },
        ...options,
      });
      const request = requestsOf(engine);
      const first = await request(undefined, (session) => {
        session.user = 'alice';
      });
      const plant = (data: Uint8Array) => plantRecord(fixture.store, `session:${first.session.id}`, data);
      return { warnings, request, first, plant };
    }

    /** The request after the plant: a fresh session, one warning, and a write of it that works and reads back. */
    async function expectFreshSessionThatSaves(
      { warnings, request, first }: Awaited<ReturnType<typeof plantedSession>>,
      warning: RegExp,
    ) {
      let loadedAsNew: boolean | undefined;
      const next = await request(first.cookie, (session) => {
        loadedAsNew = session.isNew;
        session.visits = 1;
      });
      expect(loadedAsNew).toBe(true);
      expect(next.session.id).not.toBe(first.session.id);
      expect(next.session.user).toBeUndefined();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(warning);
      // No raw session id in the warning.
      expect(warnings[0]).not.toContain(first.session.id);
      const after = await request(next.cookie);
      expect(after.session.isNew).toBe(false);
      expect(after.session.visits).toBe(1);
    }

    for (const [what, payload] of UNUSABLE_PAYLOADS) {
      it(`a record with ${what} is a fresh session with one warning, saved like any other`, async () => {
        const planted = await plantedSession();
        await planted.plant(msgpackCodec.encode(payload));
        await expectFreshSessionThatSaves(planted, /cannot read/);
      });
    }

    it('a record over maxSessionBytes is not decoded: a fresh session with one warning naming the option', async () => {
      const planted = await plantedSession({ maxSessionBytes: 4096 });
      // A valid session, only too big: refused for its size alone, before any decoding.
      await planted.plant(msgpackCodec.encode({ p: true, d: { user: 'alice', padding: 'x'.repeat(5000) } }));
      await expectFreshSessionThatSaves(planted, /5\d{3} bytes, over maxSessionBytes \(4096\)/);
    });

    it('by default a record over 1 MiB is not decoded, however it is built', async () => {
      const planted = await plantedSession();
      // { p: true, d: { a: [a million empty maps] } }: what made the decoder allocate ~64 bytes of heap per byte.
      const count = 1_048_576;
      const header = [0x82, 0xa1, 0x70, 0xc3, 0xa1, 0x64, 0x81, 0xa1, 0x61, 0xdd, 0x00, 0x10, 0x00, 0x00];
      const emptyMaps = new Uint8Array(header.length + count).fill(0x80);
      emptyMaps.set(header, 0);
      await planted.plant(emptyMaps);
      await expectFreshSessionThatSaves(planted, /over maxSessionBytes \(1048576\)/);
    });

    it('a session over maxSessionBytes fails its commit with an error naming the option, and writes nothing', async () => {
      const { request, first } = await plantedSession({ maxSessionBytes: 4096 });
      await expect(
        request(first.cookie, (session) => {
          session.upload = 'x'.repeat(5000);
        }),
      ).rejects.toThrow(/over maxSessionBytes \(4096\)/);
      const again = await request(first.cookie);
      expect(again.session.isNew).toBe(false);
      expect(again.session.upload).toBeUndefined();
      expect(again.session.user).toBe('alice');
    });
  });
}

/** Writes `data` as the record under `key`, as anyone with write access to the store could. */
async function plantRecord(store: Store, key: string, data: Uint8Array): Promise<void> {
  await store.set(key, { data, expiresAt: Date.now() + MINUTE });
}
