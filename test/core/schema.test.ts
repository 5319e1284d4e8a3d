import { type } from 'arktype';
import * as v from 'valibot';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { InvalidSessionError, SessionConfigError, SessionEngine, type SchemaOutput, type SessionOptions, type StandardSchema } from '../../src/index.js';
import { msgpackCodec } from '../../src/codec/msgpack/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { CountingStore } from '../helpers/counting-store.js';
import { requestsOf } from '../helpers/engine-request.js';

type Data = Record<string, unknown>;
const SECRET = 'schema-test-secret-0123456789abcdef';

/** The session's shape today, in each validator: a cart of items. The previous deploy kept a cart of SKU strings. */
const schemas: Record<string, StandardSchema<object>> = {
  zod: z.object({ user: z.string().optional(), cart: z.array(z.object({ sku: z.string(), qty: z.number() })) }),
  valibot: v.object({ user: v.optional(v.string()), cart: v.array(v.object({ sku: v.string(), qty: v.number() })) }),
  arktype: type({ 'user?': 'string', cart: type({ sku: 'string', qty: 'number' }).array() }),
};
const oldShape = { user: 'ada', cart: ['apple-secret-sku'] };
const upgrade = (data: Data) => ({ ...data, cart: (data.cart as string[]).map((sku) => ({ sku, qty: 1 })) });

/** A store holding one session of the old shape (written by an engine without a schema), and an engine with `options` over it. */
async function oldSession(options: Partial<SessionOptions>) {
  const store = new CountingStore();
  const before = requestsOf(new SessionEngine<Data>({ store, secret: SECRET }));
  const { cookie, session } = await before(undefined, (s) => Object.assign(s, oldShape));
  const warnings: string[] = [];
  const engine = new SessionEngine<Data>({ store, secret: SECRET, logger: { warn: (m) => warnings.push(m), info: () => {} }, ...options });
  const stored = async () => (msgpackCodec.decode((await store.inner.get(`session:${session.id}`))!.data) as { d: Data }).d;
  store.reset();
  return { engine, request: requestsOf(engine), cookie: cookie!, id: session.id, warnings, stored, store };
}

describe.each(Object.entries(schemas))('schema (%s): a stored session of an old shape', (_name, schema) => {
  it("is a fresh session with one warning by default ('fresh'), naming the field but neither the id nor the value", async () => {
    const { request, cookie, id, warnings } = await oldSession({ schema });
    const { session } = await request(cookie);
    expect(session.isNew).toBe(true);
    expect(session.user).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('does not match the schema (at cart.0');
    expect(warnings[0]).not.toContain(id);
    expect(warnings[0]).not.toContain('apple-secret-sku');
  });

  it("with onInvalid 'error': load rejects with an InvalidSessionError carrying the issues", async () => {
    const { engine, cookie, warnings } = await oldSession({ schema, onInvalid: 'error' });
    const error = await engine.load(cookie).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidSessionError);
    expect((error as InvalidSessionError).during).toBe('load');
    expect((error as InvalidSessionError).issues.length).toBeGreaterThan(0);
    expect((error as Error).message).not.toContain('apple-secret-sku');
    expect(warnings).toEqual([]);
  });

  it('with onInvalid a function: the old data is upgraded, checked again, and written back in the new shape', async () => {
    const { request, cookie, stored, warnings, store } = await oldSession({ schema, onInvalid: upgrade });
    const { session } = await request(cookie);
    expect(session.isNew).toBe(false);
    expect(session.cart).toEqual([{ sku: 'apple-secret-sku', qty: 1 }]);
    expect(await stored()).toEqual({ user: 'ada', cart: [{ sku: 'apple-secret-sku', qty: 1 }] });
    expect(warnings).toEqual([]);
    // Upgraded once: the next request finds the new shape and writes nothing.
    store.reset();
    await request(cookie);
    expect(store.writes).toBe(0);
  });

  it('with onInvalid a function whose result does not match either: a fresh session with one warning', async () => {
    const { request, cookie, warnings } = await oldSession({ schema, onInvalid: (data) => data });
    const { session } = await request(cookie);
    expect(session.isNew).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('nor does what onInvalid made of it');
  });

  it('a session of the current shape loads as it is; writes are not checked unless validateWrites', async () => {
    const { request, cookie } = await oldSession({ schema, onInvalid: upgrade });
    const { session } = await request(cookie, (s) => {
      s.cart = 'not a cart';
    });
    expect(session.cart).toBe('not a cart');
  });

  it('with validateWrites: data that does not match is not written, sets no cookie, and the commit fails', async () => {
    const { engine, cookie, stored } = await oldSession({ schema, onInvalid: upgrade, validateWrites: true });
    const session = await engine.load(cookie);
    session.cart = 'not a cart';
    const pending = engine.commit(session);
    const error = await pending.persist().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidSessionError);
    expect((error as InvalidSessionError).during).toBe('write');
    expect(pending.setCookies).toEqual([]);
    expect(await stored()).toEqual(oldShape);
  });
});

describe('schema: what the schema gives back is the session', () => {
  it('fields the schema drops go, defaults come in, the kept decoded copy of an in-process store stays as stored', async () => {
    const store = new MemoryStore();
    const plain = requestsOf(new SessionEngine<Data>({ store }));
    const { cookie } = await plain(undefined, (s) => Object.assign(s, { n: 1, dropped: 'x' }));
    const engine = new SessionEngine<Data>({ store, schema: z.object({ n: z.number(), theme: z.string().default('light') }) });
    const request = requestsOf(engine);
    // Three reads: the memory store keeps the record decoded from the second on (src/engine/memo/).
    for (let i = 0; i < 3; i++) {
      const { session } = await request(cookie, (s) => {
        expect(Object.fromEntries(Object.entries(s))).toEqual({ n: 1, theme: 'light' });
      });
      expect(session.dropped).toBeUndefined();
    }
  });

  it('a big session (whose big fields would stay encoded until read) is checked in every field, and an unchanged one is not written', async () => {
    const store = new CountingStore();
    const plain = requestsOf(new SessionEngine<Data>({ store }));
    const items = Array.from({ length: 300 }, (_, i) => ({ sku: `item-${i}`, qty: i }));
    // Over 4 KiB, the last item of the old shape: only reading every field finds it.
    const { cookie: bad } = await plain(undefined, (s) => Object.assign(s, { user: 'ada', cart: [...items, 'old-sku'] }));
    const { cookie: good } = await plain(undefined, (s) => Object.assign(s, { user: 'ada', cart: items }));
    const warnings: string[] = [];
    const request = requestsOf(new SessionEngine<Data>({ store, schema: schemas.zod!, logger: { warn: (m) => warnings.push(m), info: () => {} } }));
    expect((await request(bad)).session.isNew).toBe(true);
    expect(warnings[0]).toContain('cart.300');
    store.reset();
    const { session } = await request(good);
    expect((session.cart as unknown[]).length).toBe(300);
    expect(store.writes).toBe(0);
  });
});

describe('schema: an asynchronous validator', () => {
  const asyncSchema = z.object({ user: z.string() }).refine(async (data) => data.user !== 'banned');

  it('takes the asynchronous load path even on a store that reads synchronously', async () => {
    const store = new MemoryStore();
    const engine = new SessionEngine<Data>({ store, schema: asyncSchema, logger: { warn: () => {}, info: () => {} } });
    expect(new SessionEngine({ store }).canLoadSync).toBe(true);
    expect(engine.canLoadSync).toBe(false);
    const request = requestsOf(engine);
    const plain = requestsOf(new SessionEngine<Data>({ store }));
    const { cookie: good } = await plain(undefined, (s) => (s.user = 'ada'));
    const { cookie: banned } = await plain(undefined, (s) => (s.user = 'banned'));
    expect((await request(good)).session.user).toBe('ada');
    expect((await request(banned)).session.isNew).toBe(true);
  });

  it('with validateWrites: the commit waits for the check, and sets its cookie only once it passed', async () => {
    const engine = new SessionEngine<Data>({ store: new MemoryStore(), schema: asyncSchema, validateWrites: true });
    const refused = await engine.load(undefined);
    refused.user = 'banned';
    const pending = engine.commit(refused);
    await expect(pending.persist()).rejects.toBeInstanceOf(InvalidSessionError);
    expect(pending.setCookies).toEqual([]);
    const accepted = await engine.load(undefined);
    accepted.user = 'ada';
    const ok = engine.commit(accepted);
    await ok.persist();
    expect(ok.setCookies[0]).toMatch(/^session=/);
  });
});

describe("schema: sessionkit's declared interface", () => {
  it("takes every schema of the Standard Schema spec's own types (checked by tsc), and gives back its output type", () => {
    const fromSpec = (schema: StandardSchemaV1<unknown, { a: string }>): StandardSchema<{ a: string }> => schema;
    expectTypeOf(fromSpec).returns.toEqualTypeOf<StandardSchema<{ a: string }>>();
    const _cart = z.object({ cart: z.array(z.string()) });
    expectTypeOf<SchemaOutput<typeof _cart>>().toEqualTypeOf<{ cart: string[] }>();
  });
});

describe('schema: misconfiguration fails at start-up', () => {
  it('refuses a schema that is not a Standard Schema, and onInvalid or validateWrites without a schema', () => {
    expect(() => new SessionEngine({ schema: { parse: () => ({}) } as unknown as StandardSchema<object> })).toThrow(SessionConfigError);
    expect(() => new SessionEngine({ onInvalid: 'error' })).toThrow(/"onInvalid" is set without "schema"/);
    expect(() => new SessionEngine({ validateWrites: true })).toThrow(/"validateWrites" is set without "schema"/);
    expect(() => new SessionEngine({ schema: schemas.zod!, onInvalid: 'ignore' as 'fresh' })).toThrow(/"onInvalid" must be/);
  });
});
