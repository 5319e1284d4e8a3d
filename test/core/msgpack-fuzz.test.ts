import { describe, expect, it } from 'vitest';
import { CodecError } from '../../src/codec/codec.js';
import { msgpackCodec } from '../../src/codec/msgpack/index.js';
import { seededRandom } from '../helpers/random.js';

// The decoder on bytes nobody encoded: random bytes, random streams of msgpack headers, and
// valid records damaged at random, each seeded so that a failure names an input that can be
// rebuilt. Whatever the bytes, `decode` and `decodeEntries` either answer or throw the
// codec's own error (which the engine turns into a fresh session), reach no prototype, and
// take little time; what they accept can be written back, and what decodeEntries accepts
// decodes whole and entry by entry (a field read lazily never fails a request).

const INPUTS_PER_KIND = 4000;
/** Far above the microseconds an input takes: only a pathological input (or a stalled machine) comes near. */
const MS_PER_INPUT = 500;

type Next = () => number;
const below = (next: Next, limit: number) => Math.floor(next() * limit);

function randomBytes(next: Next): Uint8Array {
  const length = next() < 0.95 ? below(next, 64) : below(next, 4096);
  return Uint8Array.from({ length }, () => below(next, 256));
}

/** The bytes of one value made of random parts of every msgpack type (sessionkit's extensions included), lengths in every form. */
function randomValue(next: Next, depth = 0): number[] {
  const bytes = (count: number) => Array.from({ length: count }, () => below(next, 256));
  /** A length header (`count` under 256) in a random one of its forms: fix (`fix` under `fixLimit`), 8, 16 or 32 bits. */
  const sized = (count: number, forms: { fix?: number; fixLimit?: number; w8?: number; w16: number; w32: number }) => {
    const form = below(next, 4);
    if (forms.fix !== undefined && count < forms.fixLimit! && form === 0) return [forms.fix + count];
    if (forms.w8 !== undefined && form <= 1) return [forms.w8, count];
    if (form <= 2) return [forms.w16, 0, count];
    return [forms.w32, 0, 0, 0, count];
  };
  const ext = (type: number, data: number[]) => [...sized(data.length, { w8: 0xc7, w16: 0xc8, w32: 0xc9 }), type & 0xff, ...data];
  const count = below(next, depth > 4 ? 2 : 6);
  switch (below(next, depth > 6 ? 9 : 14)) {
    case 0:
      return [below(next, 256)];
    case 1:
      return [[0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3][below(next, 10)]!].flatMap((token) => [token, ...bytes([4, 8, 1, 2, 4, 8, 1, 2, 4, 8][token - 0xca]!)]);
    case 2: {
      const text = next() < 0.7 ? Array.from({ length: below(next, 12) }, () => 0x61 + below(next, 26)) : bytes(below(next, 12));
      return [...sized(text.length, { fix: 0xa0, fixLimit: 32, w8: 0xd9, w16: 0xda, w32: 0xdb }), ...text];
    }
    case 3: {
      const data = bytes(below(next, 6));
      return [...sized(data.length, { w8: 0xc4, w16: 0xc5, w32: 0xc6 }), ...data];
    }
    case 4:
      return ext(-1, bytes([4, 8, 12, below(next, 16)][below(next, 4)]!));
    case 5: {
      const digits = Array.from({ length: below(next, 30) }, () => 0x30 + below(next, 10));
      return ext(3, next() < 0.8 ? digits : bytes(below(next, 6)));
    }
    case 6:
      return ext(below(next, 256) - 128, bytes(below(next, 4)));
    case 7:
      return [0xc0 + below(next, 4)];
    case 8:
      return [0xe0 + below(next, 32)];
    case 9:
    case 10: {
      const items = Array.from({ length: count }, () => randomValue(next, depth + 1));
      return [...sized(count, { fix: 0x90, fixLimit: 16, w16: 0xdc, w32: 0xdd }), ...items.flat()];
    }
    case 11: {
      // Keys: mostly one-letter strings (repeated keys included), now and then any value.
      const entries = Array.from({ length: count }, () => [...(next() < 0.8 ? [0xa1, 0x61 + below(next, 26)] : randomValue(next, 9)), ...randomValue(next, depth + 1)]);
      return [...sized(count, { fix: 0x80, fixLimit: 16, w16: 0xde, w32: 0xdf }), ...entries.flat()];
    }
    case 12: {
      // A Map or Set: an array of entries (pairs for a Map), or now and then something else.
      const entries = Array.from({ length: count }, () => (next() < 0.9 ? [0x92, ...randomValue(next, depth + 1), ...randomValue(next, depth + 1)] : randomValue(next, depth + 1)));
      return ext(1 + below(next, 2), [0x90 + count, ...entries.flat()]);
    }
    default:
      // Deep nesting, around the limit.
      return [...new Array<number>(90 + below(next, 20)).fill(0x91), ...randomValue(next, 9)];
  }
}

/** A random value, now and then with a byte changed. */
function randomRecord(next: Next): Uint8Array {
  const bytes = randomValue(next);
  if (next() < 0.2) bytes[below(next, bytes.length)] = below(next, 256);
  return Uint8Array.from(bytes);
}

const payloads = [
  { p: true, t: 1764547200000, d: { user: 'ada', cart: ['apple', 'bread'], since: new Date(0), tags: new Map([['a', new Set([1n])]]), bytes: new Uint8Array([1, 2]) } },
  { p: false, d: { nested: { deeper: [{ x: 1.5, y: -3 }, null, 'ünï'] }, big: 'x'.repeat(300) } },
];
const records = payloads.map((payload) => msgpackCodec.encode(payload));

/** A valid record with a few bytes changed, inserted, removed or repeated. */
function damaged(next: Next): Uint8Array {
  const bytes = [...records[below(next, records.length)]!];
  const edits = 1 + below(next, 4);
  for (let i = 0; i < edits; i++) {
    const at = below(next, bytes.length + 1);
    switch (below(next, 4)) {
      case 0:
        bytes[at] = below(next, 256);
        break;
      case 1:
        bytes.splice(at, 0, below(next, 256));
        break;
      case 2:
        bytes.splice(at, 1 + below(next, 8));
        break;
      default:
        bytes.splice(at, 0, ...bytes.slice(at, at + 1 + below(next, 16)));
    }
  }
  return Uint8Array.from(bytes);
}

const DATA_PROTOTYPES = new Set<unknown>([Object.prototype, Array.prototype, Date.prototype, Map.prototype, Set.prototype, Uint8Array.prototype]);

/** Every object in `value` is data of the codec's types, and none has an own `__proto__`. */
function expectDataOnly(value: unknown, input: string): void {
  if (typeof value !== 'object' || value === null) return;
  expect(DATA_PROTOTYPES.has(Object.getPrototypeOf(value)), input).toBe(true);
  if (value instanceof Uint8Array || value instanceof Date) return;
  expect(Object.hasOwn(value, '__proto__'), input).toBe(false);
  const children = value instanceof Map ? [...value].flat() : value instanceof Set ? [...value] : Object.values(value);
  for (const child of children) expectDataOnly(child, input);
}

/** decode's answer, or undefined for its own error; any other error fails the test with the input named. */
function attempt<T>(action: () => T, input: string): { value: T } | undefined {
  try {
    return { value: action() };
  } catch (error) {
    if (error instanceof CodecError) return undefined;
    throw new Error(`${input}: ${String(error)}`);
  }
}

function check(bytes: Uint8Array, input: string): boolean {
  const decoded = attempt(() => msgpackCodec.decode(bytes), input);
  if (decoded) {
    expectDataOnly(decoded.value, input);
    // A loaded session can always be written back.
    expect(attempt(() => msgpackCodec.encode(decoded.value), input), `${input}: decoded, but cannot be encoded again`).toBeDefined();
  }
  const entries = attempt(() => msgpackCodec.decodeEntries!(bytes), input);
  if (entries) {
    expect(decoded, `${input}: decodeEntries accepted what decode refused`).toBeDefined();
    for (const [key, value] of entries.value) {
      expect(key, input).not.toBe('__proto__');
      expect(attempt(() => msgpackCodec.decode(value), input), `${input}: the entry ${key} does not decode alone`).toBeDefined();
    }
  }
  return decoded !== undefined;
}

const prototypes = [Object.prototype, Array.prototype, Function.prototype, Map.prototype, Set.prototype, Date.prototype, Uint8Array.prototype];
const ownNames = () => prototypes.map((prototype) => Reflect.ownKeys(prototype).map(String).sort().join());

describe('msgpack decoder on random bytes (seeded)', () => {
  const kinds: [string, (next: Next) => Uint8Array][] = [
    ['random bytes', randomBytes],
    ['random msgpack values', randomRecord],
    ['damaged records', damaged],
  ];
  for (const [kind, generate] of kinds) {
    it(`${INPUTS_PER_KIND} inputs of ${kind}: an answer or a CodecError, no prototype touched, bounded time, writable back`, () => {
      const before = ownNames();
      let slowest = 0;
      let accepted = 0;
      for (let seed = 1; seed <= INPUTS_PER_KIND; seed++) {
        const bytes = generate(seededRandom(seed));
        const input = `${kind}, seed ${seed} (${Buffer.from(bytes).toString('hex').slice(0, 80)})`;
        const started = performance.now();
        if (check(bytes, input)) accepted++;
        slowest = Math.max(slowest, performance.now() - started);
        // A refusal halfway through a value leaves the decoder ready for the next record.
        if (seed % 500 === 0) expect(msgpackCodec.decode(records[0]!), input).toEqual(payloads[0]);
      }
      expect(slowest).toBeLessThan(MS_PER_INPUT);
      // Enough inputs get through for the checks on what is accepted to mean something.
      expect(accepted).toBeGreaterThan(INPUTS_PER_KIND / 100);
      expect(ownNames()).toEqual(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }
});
