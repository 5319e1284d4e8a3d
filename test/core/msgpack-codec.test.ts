import { Decoder, Encoder, ExtensionCodec } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { CodecError, EncodedValue } from '../../src/codec/codec.js';
import { msgpackCodec } from '../../src/codec/msgpack/index.js';
import { seededRandom } from '../helpers/random.js';
// @ts-expect-error a plain JavaScript module of the benchmarks, without types
import { sessionOfSize as untypedSessionOfSize } from '../../bench/session-data.mjs';

/** Realistic session data of about `kb` KB of JSON (the benchmarks' own). */
const sessionOfSize = untypedSessionOfSize as (kb: number) => Record<string, unknown>;

/** The codec of sessionkit up to 0.1 (@msgpack/msgpack with sessionkit's extensions), rebuilt to write "old" records. */
function oldCodec() {
  const extensions = new ExtensionCodec();
  const encoder = new Encoder({ extensionCodec: extensions });
  const decoder = new Decoder({ extensionCodec: extensions });
  extensions.register({ type: 1, encode: (value) => (value instanceof Map ? encoder.encode([...value]) : null), decode: (data) => new Map(decoder.decode(data) as [unknown, unknown][]) });
  extensions.register({ type: 2, encode: (value) => (value instanceof Set ? encoder.encode([...value]) : null), decode: (data) => new Set(decoder.decode(data) as unknown[]) });
  extensions.register({
    type: 3,
    encode: (value) => (typeof value === 'bigint' ? new TextEncoder().encode(value.toString()) : null),
    decode: (data) => BigInt(new TextDecoder().decode(data)),
  });
  return { encode: (value: unknown) => encoder.encode(value), decode: (bytes: Uint8Array) => decoder.decode(bytes) };
}
const old = oldCodec();

const typed = {
  when: new Date('2026-01-02T03:04:05.678Z'),
  epoch: new Date(0),
  wholeSecond: new Date('2026-01-02T03:04:05.000Z'),
  before1970: new Date('1901-05-06T07:08:09.123Z'),
  farFuture: new Date('2600-01-01T00:00:00.001Z'),
  map: new Map<unknown, unknown>([['a', 1], [2, new Set(['x'])], [{ k: 1 }, [1n]]]),
  set: new Set([1, 'two', new Date(0), new Map([['inner', new Set([3])]])]),
  big: 123456789012345678901234567890n,
  negative: -42n,
  bytes: new Uint8Array([0, 1, 254, 255]),
  bigBytes: new Uint8Array(70_000).map((_, i) => i % 251),
  nested: { list: [new Map([['k', 10n]])] },
};
const numbers = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, Number.MIN_SAFE_INTEGER, 0.5, -1.25, 1e300, 2 ** 60, NaN, Infinity, -Infinity];
const strings = ['', 'a', 'x'.repeat(31), 'x'.repeat(32), 'x'.repeat(48), 'x'.repeat(49), 'x'.repeat(255), 'x'.repeat(256), 'x'.repeat(70_000), 'ünïcode', '日本語のテキスト', '😀 emoji 😀', 'é'.repeat(40), 'mixed ascii and ü '.repeat(20), '\u{10ffff}'];
const plain = {
  numbers,
  strings,
  flags: [true, false, null],
  wide: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key${i}`, i])),
  long: Array.from({ length: 70_000 }, (_, i) => i % 3),
  'a key that is longer than sixteen bytes': 1,
  ünï: 'non-ASCII key',
  session: sessionOfSize(100) as unknown,
};

describe('msgpack codec', () => {
  it('round-trips Date, Map, Set, BigInt and Uint8Array, nested', () => {
    expect(msgpackCodec.decode(msgpackCodec.encode(typed))).toEqual(typed);
  });

  it('round-trips numbers, strings and plain data of every size class', () => {
    expect(msgpackCodec.decode(msgpackCodec.encode(plain))).toEqual(plain);
  });

  it('writes byte for byte what the previous codec (@msgpack/msgpack) wrote: unchanged sessions stay unchanged across the upgrade', () => {
    for (const value of [typed, plain, { p: true, d: sessionOfSize(10) as unknown, t: 1764547200000 }, { undefinedField: undefined }]) {
      expect(Buffer.from(msgpackCodec.encode(value)).equals(Buffer.from(old.encode(value)))).toBe(true);
    }
  });

  it('reads records the previous codec wrote, Map/Set/BigInt extensions 1/2/3 and timestamps (-1) included', () => {
    expect(msgpackCodec.decode(old.encode(typed))).toEqual(typed);
    expect(msgpackCodec.decode(old.encode(plain))).toEqual(plain);
    // The hand-written bytes of each extension, as the old encoder produced them.
    expect(msgpackCodec.decode(Uint8Array.from([0xd6, 0xff, 0x00, 0x00, 0x00, 0x01]))).toEqual(new Date(1000));
    expect(msgpackCodec.decode(Uint8Array.from([0xd5, 0x03, 0x34, 0x32]))).toBe(42n);
    expect(msgpackCodec.decode(Uint8Array.from([0xd5, 0x02, 0x91, 0x07]))).toEqual(new Set([7]));
    expect(msgpackCodec.decode(Uint8Array.from([0xc7, 0x05, 0x01, 0x91, 0x92, 0xa1, 0x6b, 0x01]))).toEqual(new Map([['k', 1]]));
  });

  it('the previous codec reads what this one writes (a rollback loses no session)', () => {
    expect(old.decode(msgpackCodec.encode(typed))).toEqual(typed);
    expect(old.decode(msgpackCodec.encode(plain))).toEqual(plain);
  });

  it('a string with a lone surrogate (not Unicode) encodes, and comes back with U+FFFD in its place', () => {
    expect(msgpackCodec.decode(msgpackCodec.encode('lone \ud800 surrogate'))).toBe('lone \ufffd surrogate');
    expect(msgpackCodec.decode(msgpackCodec.encode('long lone \udc00 surrogate '.repeat(10)))).toBe('long lone \ufffd surrogate '.repeat(10));
  });

  it('encodeTransient gives the same bytes as encode, in a reused buffer', () => {
    const kept = msgpackCodec.encode(plain);
    const transient = msgpackCodec.encodeTransient!(plain);
    expect(Buffer.from(transient).equals(Buffer.from(kept))).toBe(true);
    msgpackCodec.encodeTransient!({ other: 1 });
    expect(msgpackCodec.decode(kept)).toEqual(plain);
  });

  it('decoded binary data is a copy: changing it in place does not change the record it came from', () => {
    const record = msgpackCodec.encode({ bytes: new Uint8Array([1, 2, 3]) });
    const before = Buffer.from(record);
    (msgpackCodec.decode(record) as { bytes: Uint8Array }).bytes[0] = 9;
    expect(Buffer.from(record).equals(before)).toBe(true);
  });

  it('refuses what it cannot encode, as before: functions, symbols, cycles', () => {
    expect(() => msgpackCodec.encode({ f: () => 1 })).toThrow(/Unrecognized object/);
    expect(() => msgpackCodec.encode({ s: Symbol('x') })).toThrow(/Unrecognized object/);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => msgpackCodec.encode(cycle)).toThrow(/Too deep/);
  });

  it('throws on bytes that are not a whole msgpack value of its own types', () => {
    const bytes = msgpackCodec.encode({ a: 'text', b: [1, 2, 3] });
    for (let end = 0; end < bytes.length; end++) expect(() => msgpackCodec.decode(bytes.subarray(0, end))).toThrow();
    expect(() => msgpackCodec.decode(Uint8Array.from([...bytes, 0]))).toThrow(/Extra/);
    expect(() => msgpackCodec.decode(Uint8Array.from([0xc1]))).toThrow();
    // Extensions it does not write (msgpackr's errors 0x65, regular expressions 0x78, records 0x72, …) are not data it reads.
    for (const type of [0, 4, 0x65, 0x69, 0x70, 0x72, 0x73, 0x74, 0x78, -2]) {
      expect(() => msgpackCodec.decode(Uint8Array.from([0xd4, type & 0xff, 0]))).toThrow(/Unknown extension/);
    }
    // A length far beyond the record allocates nothing.
    expect(() => msgpackCodec.decode(Uint8Array.from([0xdd, 0xff, 0xff, 0xff, 0xff]))).toThrow(/Insufficient/);
  });
});

describe('msgpack codec: stored data cannot reach a prototype', () => {
  const hostileKeys = (key: string, value: Uint8Array) => Uint8Array.from([0x81, 0xa0 + key.length, ...Buffer.from(key), ...value]);
  const pollutingObject = Uint8Array.from([0x81, 0xa8, ...Buffer.from('polluted'), 0xc3]);

  it('refuses a __proto__ key at any depth, in decode and decodeEntries', () => {
    const top = hostileKeys('__proto__', pollutingObject);
    const deep = Uint8Array.from([0x81, 0xa1, 0x64, 0x91, ...top]);
    const long = Uint8Array.from([0x81, 0xd9, 9, ...Buffer.from('__proto__'), ...pollutingObject]);
    for (const bytes of [top, deep, long]) {
      expect(() => msgpackCodec.decode(bytes)).toThrow(/__proto__/);
      expect(() => msgpackCodec.decodeEntries!(bytes)).toThrow(/__proto__/);
    }
    // Written by the previous codec from a JSON.parse'd object, which has an own __proto__ key.
    expect(() => msgpackCodec.decode(old.encode(JSON.parse('{"a": {"__proto__": {"polluted": true}}}')))).toThrow(/__proto__/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('constructor and prototype keys stay plain own data, and objects keep Object.prototype', () => {
    const decoded = msgpackCodec.decode(old.encode({ constructor: { prototype: { polluted: true } }, prototype: { x: 1 }, toString: 'text', hasOwnProperty: 1 })) as Record<string, unknown>;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.hasOwn(decoded, 'constructor')).toBe(true);
    expect(decoded.constructor).toEqual({ prototype: { polluted: true } });
    expect(Object.prototype.constructor).toBe(Object);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(typeof Object.prototype.toString).toBe('function');
  });

  it('a __proto__ key of a stored Map is a Map entry, which touches no prototype', () => {
    const map = msgpackCodec.decode(msgpackCodec.encode(new Map([['__proto__', { polluted: true }]]))) as Map<string, unknown>;
    expect(map.get('__proto__')).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('builds nothing but data: every decoded object is a plain object, array, Date, Map, Set or Uint8Array', () => {
    const kinds = new Set<unknown>();
    const walk = (value: unknown): void => {
      if (typeof value !== 'object' || value === null) return;
      kinds.add(Object.getPrototypeOf(value));
      const children: unknown[] = value instanceof Map ? [...value].flat() : value instanceof Set ? [...value] : value instanceof Uint8Array || value instanceof Date ? [] : Object.values(value);
      children.forEach(walk);
    };
    walk(msgpackCodec.decode(old.encode({ ...typed, ...plain })));
    expect([...kinds].every((proto) => [Object.prototype, Array.prototype, Date.prototype, Map.prototype, Set.prototype, Uint8Array.prototype].includes(proto as object))).toBe(true);
  });
});

describe('msgpack codec: entries left encoded (decodeEntries, EncodedValue)', () => {
  it('splits a map into its keys and the bytes of each value, which decode to the values', () => {
    const value = { ...typed, name: 'ada', session: sessionOfSize(10) as unknown };
    const entries = msgpackCodec.decodeEntries!(msgpackCodec.encode(value));
    expect(entries.map(([key]) => key)).toEqual(Object.keys(value));
    expect(Object.fromEntries(entries.map(([key, bytes]) => [key, msgpackCodec.decode(bytes)]))).toEqual(value);
  });

  it('EncodedValue writes its bytes in place: re-encoding unread entries gives the record back, byte for byte', () => {
    const record = msgpackCodec.encode({ p: true, d: sessionOfSize(10) as unknown, t: 1764547200000 });
    const outer = Object.fromEntries(msgpackCodec.decodeEntries!(record).map(([key, bytes]) => [key, new EncodedValue(bytes)]));
    const data = Object.fromEntries(msgpackCodec.decodeEntries!((outer.d as EncodedValue).bytes).map(([key, bytes]) => [key, new EncodedValue(bytes)]));
    // One field read (decoded) and the rest left as they were: still the same bytes.
    data.name = msgpackCodec.decode(data.name!.bytes) as never;
    expect(Buffer.from(msgpackCodec.encodeTransient!({ ...outer, d: data })).equals(Buffer.from(record))).toBe(true);
    // A changed field changes the bytes.
    (data as Record<string, unknown>).name = 'grace';
    expect(Buffer.from(msgpackCodec.encodeTransient!({ ...outer, d: data })).equals(Buffer.from(record))).toBe(false);
  });

  it('checks the structure of values it does not build', () => {
    const bytes = msgpackCodec.encode({ a: [1, 'two', { three: 3 }], b: new Map([[1, 2]]) });
    for (let end = 1; end < bytes.length; end++) expect(() => msgpackCodec.decodeEntries!(bytes.subarray(0, end))).toThrow();
    expect(() => msgpackCodec.decodeEntries!(Uint8Array.from([0x81, 0xa1, 0x61, 0xd4, 0x65, 0x00]))).toThrow(/Unknown extension/);
    expect(() => msgpackCodec.decodeEntries!(msgpackCodec.encode([1, 2]))).toThrow(/not a map/);
  });
});

describe('msgpack codec against the previous one, on random values', () => {
  const INTEGER_EDGES = [0, 1, 31, 127, 128, 255, 256, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1];

  function value(next: () => number, depth: number): unknown {
    const pick = Math.floor(next() * (depth > 3 ? 6 : 12));
    switch (pick) {
      case 0: {
        const edge = INTEGER_EDGES[Math.floor(next() * INTEGER_EDGES.length)]!;
        return (next() < 0.5 ? -1 : 1) * (edge + Math.floor(next() * 3) - 1);
      }
      case 1:
        return (next() - 0.5) * 10 ** Math.floor(next() * 40 - 20);
      case 2: {
        // Code points from every UTF-8 length class, surrogate range left out (lone surrogates are covered above).
        const length = Math.floor(next() ** 3 * 300);
        let text = '';
        for (let i = 0; i < length; i++) {
          const band = next();
          const code = band < 0.6 ? 32 + Math.floor(next() * 95) : band < 0.8 ? 0x80 + Math.floor(next() * 0x780) : band < 0.95 ? 0x800 + Math.floor(next() * 0xd000) : 0x10000 + Math.floor(next() * 0xfffff);
          text += String.fromCodePoint(code);
        }
        return text;
      }
      case 3:
        return [true, false, null][Math.floor(next() * 3)];
      case 4:
        return new Date(Math.floor((next() - 0.3) * 2 ** 43));
      case 5:
        return BigInt(Math.floor((next() - 0.5) * 2 ** 53)) * BigInt(Math.floor(next() * 1e9));
      case 6:
        return new Uint8Array(Math.floor(next() ** 2 * 400)).map(() => Math.floor(next() * 256));
      case 7:
      case 8:
        return Array.from({ length: Math.floor(next() ** 2 * 20) }, () => value(next, depth + 1));
      case 9:
        return new Map(Array.from({ length: Math.floor(next() * 5) }, () => [value(next, depth + 1), value(next, depth + 1)]));
      case 10:
        return new Set(Array.from({ length: Math.floor(next() * 5) }, () => value(next, depth + 1)));
      default: {
        const object: Record<string, unknown> = {};
        const size = Math.floor(next() ** 2 * 24);
        for (let i = 0; i < size; i++) object[`${String(value(next, 9)).slice(0, 20)}${i}`] = value(next, depth + 1);
        return object;
      }
    }
  }

  it('2,000 random values: the same bytes as the previous codec, and each decodes what the other wrote', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const input = { p: true, d: value(seededRandom(seed), 0) };
      const mine = msgpackCodec.encode(input);
      const theirs = old.encode(input);
      expect(Buffer.from(mine).equals(Buffer.from(theirs)), `seed ${seed}`).toBe(true);
      expect(msgpackCodec.decode(theirs), `seed ${seed}`).toEqual(old.decode(theirs));
    }
  });
});

/** The CodecError `action` throws; any other outcome fails the test. */
function refusal(action: () => unknown): CodecError {
  try {
    action();
  } catch (error) {
    if (error instanceof CodecError) return error;
    throw error;
  }
  throw new Error('accepted');
}
const accepts = (action: () => unknown) => {
  try {
    action();
    return true;
  } catch (error) {
    if (error instanceof CodecError) return false;
    throw error;
  }
};

// msgpack written by hand, for records no encoder writes.
const text = (value: string) => [0xa0 + value.length, ...Buffer.from(value)]; // up to 31 bytes
const u32 = (value: number) => [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
/** A session payload `{ p: true, d: { [field]: <value> } }` around the bytes of one value. */
const payloadWith = (field: string, value: number[] | Uint8Array) => Uint8Array.from([0x82, ...text('p'), 0xc3, ...text('d'), 0x81, ...text(field), ...value]);
/** `count` copies of `item` in one array (array 32). */
function arrayOf(count: number, item: number[]): Uint8Array {
  const bytes = new Uint8Array(5 + count * item.length);
  bytes.set([0xdd, ...u32(count)]);
  for (let i = 0; i < count; i++) bytes.set(item, 5 + i * item.length);
  return bytes;
}
/** `{ p: true, c: <value>, d: {} }`: a value under a payload key that is decoded at once, not lazily. */
const underPayloadKey = (value: Uint8Array) => Uint8Array.from([0x83, ...text('p'), 0xc3, ...text('c'), ...value, ...text('d'), 0x80]);

describe('msgpack codec: records planted in a store', () => {
  it('a declared length beyond the bytes left is refused before anything is allocated, in every 8-, 16- and 32-bit form', () => {
    const headers = [
      [0xd9, 0xff], [0xda, 0xff, 0xff], [0xdb, 0xff, 0xff, 0xff, 0xff], // str
      [0xc4, 0xff], [0xc5, 0xff, 0xff], [0xc6, 0xff, 0xff, 0xff, 0xff], // bin
      [0xc7, 0xff, 0x01], [0xc8, 0xff, 0xff, 0x01], [0xc9, 0xff, 0xff, 0xff, 0xff, 0x01], // ext
      [0xdc, 0xff, 0xff], [0xdd, 0xff, 0xff, 0xff, 0xff], // array
      [0xde, 0xff, 0xff], [0xdf, 0xff, 0xff, 0xff, 0xff], // map
    ];
    for (const header of headers) {
      const bytes = Uint8Array.from([...header, 1, 2, 3, 4]);
      expect(refusal(() => msgpackCodec.decode(bytes)).message, header.join()).toMatch(/Insufficient/);
      expect(refusal(() => msgpackCodec.decodeEntries!(payloadWith('x', bytes))).message, header.join()).toMatch(/Insufficient/);
    }
  });

  it('a record of empty containers, which would take 40-190 bytes of memory per byte, is refused: decode, decodeEntries and the value alone', () => {
    const hostile: Record<string, number[]> = {
      'empty maps': [0x80],
      'empty arrays': [0x90],
      'empty binaries': [0xc4, 0x00],
      'empty Maps': [0xd4, 0x01, 0x90],
      'empty Sets': [0xd4, 0x02, 0x90],
    };
    for (const [what, item] of Object.entries(hostile)) {
      const value = arrayOf(30_000, item);
      expect(refusal(() => msgpackCodec.decode(underPayloadKey(value))).message, what).toMatch(/Too many containers/);
      expect(refusal(() => msgpackCodec.decodeEntries!(underPayloadKey(value))).message, what).toMatch(/Too many containers/);
      expect(refusal(() => msgpackCodec.decode(value)).message, what).toMatch(/Too many containers/);
    }
  });

  it('real data as dense as sessions get is read: pairs, one-element arrays, small objects, dates, short strings, a 100 KB session', () => {
    const dense: Record<string, number[]> = {
      pairs: [0x92, 0x01, 0x02],
      'one-element arrays': [0x91, 0x01],
      'small objects': [0x81, ...text('a'), 0x01],
      dates: [0xd6, 0xff, 0x00, 0x00, 0x00, 0x01],
      'short strings': text('ab'),
    };
    for (const [what, item] of Object.entries(dense)) {
      const record = underPayloadKey(arrayOf(30_000, item));
      expect(accepts(() => msgpackCodec.decode(record)), what).toBe(true);
      expect(accepts(() => msgpackCodec.decodeEntries!(record)), what).toBe(true);
    }
    const session = { p: true, d: sessionOfSize(100) as unknown };
    expect(msgpackCodec.decode(msgpackCodec.encode(session))).toEqual(session);
  });

  it('an entry that decodeEntries accepts decodes on its own (a lazy field never fails when first read)', () => {
    // The whole record is within the bound thanks to a long string; its sparse entry alone is not.
    const record = Uint8Array.from([0x82, ...text('pad'), 0xdb, ...u32(200_000), ...new Uint8Array(200_000).fill(0x78), ...text('sparse'), ...arrayOf(10_000, [0x90])]);
    expect(accepts(() => msgpackCodec.decode(record))).toBe(true);
    const sparse = arrayOf(10_000, [0x90]);
    expect(accepts(() => msgpackCodec.decode(sparse))).toBe(false);
    expect(refusal(() => msgpackCodec.decodeEntries!(record)).message).toMatch(/Too many containers for the size of an entry/);
    // And what it accepts, each entry alone decodes.
    const fine = msgpackCodec.encode({ a: arrayOf(1000, [0x90]).length, b: sessionOfSize(10) as unknown, c: [[1, 2], [3, 4]] });
    for (const [, bytes] of msgpackCodec.decodeEntries!(fine)) expect(accepts(() => msgpackCodec.decode(bytes))).toBe(true);
  });

  it('the decoder refuses exactly the nesting the encoder cannot write, so that a loaded session can be written back', () => {
    const nestedArrays = (depth: number): unknown => (depth === 0 ? 1 : [nestedArrays(depth - 1)]);
    for (let depth = 90; depth <= 110; depth++) {
      const written = accepts(() => msgpackCodec.encode({ p: true, d: { deep: nestedArrays(depth) } }));
      const read = accepts(() => msgpackCodec.decode(payloadWith('deep', [...new Array<number>(depth).fill(0x91), 0x01])));
      expect(read, `depth ${depth}`).toBe(written);
    }
    expect(accepts(() => msgpackCodec.decode(payloadWith('deep', [...new Array<number>(150).fill(0x91), 0x01])))).toBe(false);
    // Map and Set entries count their depth from 0 again (as @msgpack/msgpack did), and may be nested 10 deep.
    const nestedMaps = (count: number): unknown => (count === 0 ? nestedArrays(90) : new Map([['inner', nestedMaps(count - 1)]]));
    for (const count of [1, 10, 11]) {
      const value = { p: true, d: { maps: nestedMaps(count) } };
      const written = accepts(() => msgpackCodec.encode(value));
      expect(written, `${count} Maps`).toBe(count <= 10);
      expect(accepts(() => msgpackCodec.decode(old.encode(value))), `${count} Maps`).toBe(written);
    }
    const cycle = new Map<string, unknown>();
    cycle.set('self', cycle);
    expect(refusal(() => msgpackCodec.encode({ d: cycle })).message).toMatch(/Too deep/);
  });

  it('a timestamp outside the range of a Date is refused; the edges of the range are read and written back', () => {
    const timestamp = (sec: number) => [0xc7, 12, 0xff, 0, 0, 0, 0, ...u32(Math.floor(sec / 2 ** 32) >>> 0), ...u32(sec >>> 0)];
    const maxSeconds = 8.64e12;
    for (const sec of [maxSeconds + 1, -maxSeconds - 1, 2 ** 45, -(2 ** 50)]) {
      expect(refusal(() => msgpackCodec.decode(Uint8Array.from(timestamp(sec)))).message, String(sec)).toMatch(/outside the range of a Date/);
    }
    for (const ms of [8.64e15, -8.64e15]) {
      expect(msgpackCodec.decode(msgpackCodec.encode(new Date(ms)))).toEqual(new Date(ms));
      expect(msgpackCodec.decode(Uint8Array.from(timestamp(ms / 1000)))).toEqual(new Date(ms));
    }
  });

  it('an Invalid Date is refused with an error that says so', () => {
    expect(refusal(() => msgpackCodec.encode({ when: new Date(Number.NaN) })).message).toMatch(/Invalid Date/);
  });

  it('a BigInt is written and read up to 1024 digits, and read only as the decimal text the encoder writes', () => {
    const longest = -(10n ** 1024n - 1n);
    expect(msgpackCodec.decode(msgpackCodec.encode(longest))).toBe(longest);
    expect(refusal(() => msgpackCodec.encode(10n ** 1024n)).message).toMatch(/1025 digits/);
    const bigint = (digits: string) => Uint8Array.from([0xc9, ...u32(digits.length), 0x03, ...Buffer.from(digits)]);
    expect(msgpackCodec.decode(bigint('-007'))).toBe(-7n);
    for (const digits of ['1'.repeat(1025), '0x1f', ' 12', '1_000', '', '-']) {
      expect(refusal(() => msgpackCodec.decode(bigint(digits))).message, JSON.stringify(digits)).toMatch(/BigInt/);
    }
  });

  it('a binary read from a Node Buffer (better-sqlite3, an opened seal) is a copy: changed in place, the record stays as it was', () => {
    const record = Buffer.from(msgpackCodec.encode({ bytes: new Uint8Array([1, 2, 3]) }));
    const before = Buffer.from(record);
    const decoded = msgpackCodec.decode(record) as { bytes: Uint8Array };
    decoded.bytes[0] = 9;
    expect(record.equals(before)).toBe(true);
    expect(Object.getPrototypeOf(decoded.bytes)).toBe(Uint8Array.prototype);
  });

  it("the decoder's key cache keeps copies: a store that reuses its buffer cannot rename the keys of later records", () => {
    // 'ab' and 'bC' share a slot of the cache (the same hash modulo 512).
    const record = Buffer.from(msgpackCodec.encode({ ab: 1 }));
    msgpackCodec.decode(record);
    record.set(Buffer.from('bC'), 2);
    expect(msgpackCodec.decode(Buffer.from(msgpackCodec.encode({ bC: 2 })))).toEqual({ bC: 2 });
  });
});
