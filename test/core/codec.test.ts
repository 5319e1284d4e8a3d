import { describe, expect, it } from 'vitest';
import { RequestBinding } from '../../src/core/request-binding.js';
import { bindToRequest, SessionObject } from '../../src/engine/session.js';
import { jsonCodec } from '../../src/codec/json.js';
import { msgpackCodec } from '../../src/codec/msgpack/index.js';
import { SessionEngine, type Logger } from '../../src/index.js';
import { MemoryStore } from '../../src/stores/memory.js';

describe('msgpack codec', () => {
  it('round-trips Date, Map, Set, BigInt and Uint8Array, nested', () => {
    const value = {
      when: new Date('2026-01-02T03:04:05.678Z'),
      map: new Map<unknown, unknown>([['a', 1], [2, new Set(['x'])]]),
      set: new Set([1, 'two', new Date(0)]),
      big: 123456789012345678901234567890n,
      negative: -42n,
      bytes: new Uint8Array([0, 1, 254, 255]),
      nested: { list: [new Map([['k', 10n]])] },
    };
    expect(msgpackCodec.decode(msgpackCodec.encode(value))).toEqual(value);
  });

  it('refuses a __proto__ key instead of touching a prototype', () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}}') as object;
    const bytes = msgpackCodec.encode(hostile);
    expect(() => msgpackCodec.decode(bytes)).toThrow(/__proto__/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('json codec', () => {
  it('round-trips plain data', () => {
    const value = { a: 1, b: ['x', { c: null }], d: 'ünïcode' };
    expect(jsonCodec.decode(jsonCodec.encode(value))).toEqual(value);
  });

  it('keeps __proto__ as a plain own key without touching a prototype', () => {
    const decoded = jsonCodec.decode(new TextEncoder().encode('{"__proto__": {"polluted": true}}')) as object;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.hasOwn(decoded, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects bytes that are not UTF-8 JSON', () => {
    expect(() => jsonCodec.decode(new Uint8Array([0xff, 0xfe]))).toThrow();
  });
});

describe.each(['msgpack', 'json'] as const)('stored data cannot pollute prototypes (%s)', (serializer) => {
  const quiet: Logger = { warn: () => {}, info: () => {} };

  async function storeThenLoad(raw: string, logger = quiet) {
    const store = new MemoryStore();
    const engine = new SessionEngine<Record<string, unknown>>({ store, serializer, logger });
    const session = await engine.load(undefined);
    session.seed = 1;
    const pending = engine.commit(session);
    await pending.persist();
    // Replace the record with hostile data, written as the codec would write it.
    const codec = serializer === 'json' ? jsonCodec : msgpackCodec;
    const payload = { p: true, d: JSON.parse(raw) as unknown };
    await store.set(`session:${session.id}`, { data: codec.encode(payload), expiresAt: Date.now() + 60_000 });
    return engine.load(pending.setCookies[0]!.split(';')[0]);
  }

  it(`a __proto__ key neither pollutes Object.prototype nor changes the session prototype, and ${serializer === 'msgpack' ? 'makes the session fresh (msgpack refuses the record)' : 'loads the session (JSON keeps the key as a plain field)'}`, async () => {
    const loaded = await storeThenLoad('{"__proto__": {"polluted": true, "regenerate": "gotcha"}}');
    // What docs/configuration.md promises: msgpack refuses the record, so the session is a fresh one; JSON reads it.
    expect(loaded.isNew).toBe(serializer === 'msgpack');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(typeof loaded.regenerate).toBe('function');
    expect((loaded as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('constructor and prototype keys stay plain data', async () => {
    const loaded = await storeThenLoad('{"constructor": {"prototype": {"polluted": true}}, "prototype": {"x": 1}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(loaded.constructor).toEqual({ prototype: { polluted: true } });
    expect(loaded.prototype).toEqual({ x: 1 });
    expect(Object.prototype.constructor).toBe(Object);
  });

  it('a key named like a session control is not loaded, is reported once, and the control still works', async () => {
    const warnings: string[] = [];
    const loaded = await storeThenLoad('{"permanent": "not-a-boolean", "save": "gotcha", "cookie": 1, "other": 2}', {
      warn: (message: string) => {
        warnings.push(message);
      },
      info: () => {},
    });
    // Loaded as data, each would shadow the control of its name for the whole request.
    expect(Object.keys(loaded)).toEqual(['other']);
    expect(loaded.permanent).toBe(true);
    expect(typeof loaded.save).toBe('function');
    expect(typeof loaded.cookie.maxAge).toBe('number');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/fields named like session controls \(permanent, save, cookie\)/);
  });

  it('a stored constructor field does not break regenerate(callback), which builds a new session of the same kind', async () => {
    const loaded = await storeThenLoad('{"constructor": "not a class", "other": 2}');
    let replacement: object | undefined;
    class CapturingBinding extends RequestBinding {
      override replace(session: object): void {
        replacement = session;
      }
    }
    bindToRequest(loaded, new CapturingBinding(loaded));
    await new Promise<void>((resolve, reject) => {
      loaded.regenerate((error) => (error instanceof Error ? reject(error) : resolve()));
    });
    expect(replacement).toBeInstanceOf(SessionObject);
    expect(Object.keys(replacement!)).toEqual([]);
    expect((replacement as { id: string }).id).not.toBe(loaded.id);
  });
});

describe('a record that decodes can be written back (msgpack): anything else is a fresh session with one warning', () => {
  const text = (value: string) => [0xa0 + value.length, ...Buffer.from(value)];
  /** `{ p: true, d: { seen: 1, [field]: <value> } }`, with a 5,000-byte `pad` field when `big` (read lazily, ../../src/engine/memo/lazy-fields.ts). */
  const payload = (field: string, value: number[], big: boolean) =>
    Uint8Array.from([0x82, ...text('p'), 0xc3, ...text('d'), big ? 0x83 : 0x82, ...text('seen'), 0x01, ...text(field), ...value, ...(big ? [...text('pad'), 0xda, 0x13, 0x88, ...new Uint8Array(5000).fill(0x78)] : [])]);
  const planted: [string, string, number[]][] = [
    ['nesting deeper than the encoder writes (150 and 300 levels)', 'deep', [...new Array<number>(300).fill(0x91), 0x01]],
    ['a timestamp outside the range of a Date', 'when', [0xc7, 12, 0xff, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0]],
  ];

  for (const [what, field, value] of planted) {
    for (const big of [false, true]) {
      it(`${what}, in a ${big ? 'big record (fields left encoded)' : 'small record'}`, async () => {
        const warnings: string[] = [];
        const store = new MemoryStore();
        const engine = new SessionEngine<Record<string, unknown>>({ store, logger: { warn: (message: string) => void warnings.push(message), info: () => {} } });
        const first = await engine.load(undefined);
        first.seen = 1;
        const pending = engine.commit(first);
        await pending.persist();
        await store.set(`session:${first.id}`, { data: payload(field, big ? value : value.slice(-151), big), expiresAt: Date.now() + 60_000 });

        const loaded = await engine.load(pending.setCookies[0]!.split(';')[0]);
        // Read as the application would: a lazy field is decoded here.
        expect(loaded[field]).toBeUndefined();
        expect(loaded.isNew).toBe(true);
        expect(loaded.seen).toBeUndefined();
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatch(/msgpack serializer cannot read .*starting a fresh session/);
        loaded.after = 2;
        const next = engine.commit(loaded);
        await next.persist();
        expect((await engine.load(next.setCookies[0]!.split(';')[0])).after).toBe(2);
      });
    }
  }
});
