import type { Codec } from './codec/codec.js';
import type { Payload } from './payload.js';
import type { RecordMemo } from './store.js';

/**
 * Records kept decoded in their store's memo (`StoreRecord.memo`, offered by the memory
 * store): a session read again and again, unchanged, is decoded once, each later load copies
 * its fields from the kept payload, and its commit finds it unchanged by comparing with that
 * payload instead of encoding it (`sameAsLoaded`).
 *
 * A record is kept from its second read on: a session written on every request is read
 * once per write, and keeping it for a read that never comes would only cost that request.
 * Only plain data is kept: strings, numbers, booleans, null, bigints, arrays and objects
 * whose prototypes are Array's and Object's, without a `__proto__` key. A record holding
 * anything else (a Date, a Map, bytes: values the codec rebuilds with their own prototype)
 * is decoded on every read as before. Nothing kept is ever handed to a request's data, so
 * nothing a request does can change it.
 *
 * Objects are kept as their keys and values side by side (`KeptObject`): comparing and
 * copying them goes by index, where a plain object would cost a keyed lookup per field
 * (about half the time of the comparison; bench/RESULTS.md).
 */

/** A plain object of a kept payload: its keys, and their values (kept values themselves), in order. */
class KeptObject {
  constructor(
    readonly keys: readonly string[],
    readonly values: readonly unknown[],
  ) {}
}

/**
 * A kept value: a primitive as it is, a plain object as a `KeptObject`, an array as an array
 * of kept values (the decoded array itself when it holds primitives only: it is never handed out).
 */
type Kept = unknown;

/** What a memo holds: a record read once, one that is not plain data, or the record kept by a codec. */
const READ_ONCE = Symbol('read once');
const NOT_PLAIN = Symbol('not plain');

/**
 * A payload kept decoded: its parts (permanent flag, id, times, lifetime, cookie settings)
 * as decoded, and its data in kept form. A session's state shares the cookie settings
 * object, which sessions replace and never change in place.
 */
export class KeptPayload {
  constructor(
    readonly codec: Codec,
    readonly parts: Omit<Payload, 'd'>,
    readonly data: KeptObject,
    readonly cookieSettings: Kept,
  ) {}
}

/** The payload kept in `memo` by `codec`; undefined if none is kept. */
export function keptPayload(memo: RecordMemo, codec: Codec): KeptPayload | undefined {
  const derived = memo.derived;
  return derived instanceof KeptPayload && derived.codec === codec ? derived : undefined;
}

/**
 * Notes a payload just decoded by `codec` from a record's data: on the record's second read,
 * keeps it when it is plain data, and returns what was kept. The caller must then take the
 * session's data from the kept payload (`assignKeptData`), never from `payload`.
 */
export function keepDecoded(memo: RecordMemo, codec: Codec, payload: Payload): KeptPayload | undefined {
  const derived = memo.derived;
  if (derived === undefined) {
    memo.derived = READ_ONCE;
    return undefined;
  }
  if (derived !== READ_ONCE) return undefined;
  const data = keptIfPlain(payload.d);
  const cookieSettings = keptIfPlain(payload.c);
  const { d: _decoded, ...parts } = payload;
  const plain = data instanceof KeptObject && cookieSettings !== NOT_PLAIN;
  const kept = plain ? new KeptPayload(codec, parts, data, cookieSettings) : undefined;
  memo.derived = kept ?? NOT_PLAIN;
  return kept;
}

/** The kept form of plain data (see above), or NOT_PLAIN. */
function keptIfPlain(value: unknown): Kept {
  if (typeof value !== 'object' || value === null) return typeof value === 'function' || typeof value === 'symbol' ? NOT_PLAIN : value;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return NOT_PLAIN;
    let items: unknown[] | undefined; // made only once an item is an object
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      const kept = keptIfPlain(item);
      if (kept === NOT_PLAIN) return NOT_PLAIN;
      if (kept !== item) items ??= value.slice(0, index);
      items?.push(kept);
    }
    return items ?? value;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return NOT_PLAIN;
  const keys = Object.keys(value);
  const values = new Array<unknown>(keys.length);
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index]!;
    // Copied into sessions by assignment: a key that would set the prototype is not plain.
    if (key === '__proto__') return NOT_PLAIN;
    const kept = keptIfPlain((value as Record<string, unknown>)[key]);
    if (kept === NOT_PLAIN) return NOT_PLAIN;
    values[index] = kept;
  }
  return new KeptObject(keys, values);
}

/**
 * Assigns a kept payload's data to a session, each value a copy of its own, through
 * `assignField` (the session's rules: ./session.ts); returns the keys it skipped.
 */
export function assignKeptData(
  target: object,
  kept: KeptPayload,
  assignField: (target: object, key: string, value: unknown) => boolean,
): string[] | undefined {
  const { keys, values } = kept.data;
  let skipped: string[] | undefined;
  for (let index = 0; index < keys.length; index++) {
    if (!assignField(target, keys[index]!, copyOf(values[index]))) (skipped ??= []).push(keys[index]!);
  }
  return skipped;
}

/** A plain copy of a kept value, for one request to own. */
function copyOf(kept: Kept): unknown {
  if (typeof kept !== 'object' || kept === null) return kept;
  if (kept instanceof KeptObject) {
    const copy: Record<string, unknown> = {};
    for (let index = 0; index < kept.keys.length; index++) copy[kept.keys[index]!] = copyOf(kept.values[index]);
    return copy;
  }
  const items = kept as readonly unknown[];
  const copy = new Array<unknown>(items.length);
  for (let index = 0; index < items.length; index++) copy[index] = copyOf(items[index]);
  return copy;
}

/**
 * Whether a live value is the same data as a kept one: equal primitives (`Object.is`: 0 and
 * -0 differ, NaN equals NaN), and arrays and plain objects of the same prototype with the
 * same keys in the same order and the same values. Where it answers true, encoding the live
 * value gives the bytes the kept one was decoded from; where it answers false the caller
 * encodes to find out, so false may be said of data that encodes the same.
 */
function sameAsKept(live: unknown, kept: Kept): boolean {
  if (typeof kept !== 'object' || kept === null) return Object.is(live, kept);
  if (typeof live !== 'object' || live === null) return false;
  if (kept instanceof KeptObject) return Object.getPrototypeOf(live) === Object.prototype && sameFields(live, kept);
  const items = kept as readonly unknown[];
  if (!Array.isArray(live) || Object.getPrototypeOf(live) !== Array.prototype || live.length !== items.length) return false;
  for (let index = 0; index < items.length; index++) {
    const item = items[index];
    if (typeof item === 'object' && item !== null ? !sameAsKept(live[index], item) : !Object.is(live[index], item)) return false;
  }
  return true;
}

/**
 * Same keys in the same order with the same values; `live`'s prototype is the caller's to
 * check. A for-in loop reads `live[key]` through V8's enumeration cache, not a keyed lookup;
 * it also visits inherited enumerable keys, and any such key is a difference.
 */
function sameFields(live: object, kept: KeptObject): boolean {
  const { keys, values } = kept;
  let index = 0;
  for (const key in live) {
    if (keys[index] !== key) return false;
    const value = values[index++];
    const field = (live as Record<string, unknown>)[key];
    if (typeof value === 'object' && value !== null ? !sameAsKept(field, value) : !Object.is(field, value)) return false;
  }
  return index === keys.length;
}

/**
 * Whether the payload a commit would encode is the one a session was loaded with: the same
 * parts (its permanent flag, id, times, lifetime, cookie settings) and the same data.
 */
export function sameAsLoaded(payload: Payload, loaded: KeptPayload): boolean {
  const kept = loaded.parts;
  return (
    payload.p === kept.p &&
    payload.i === kept.i &&
    Object.is(payload.t, kept.t) &&
    Object.is(payload.l, kept.l) &&
    Object.is(payload.x, kept.x) &&
    Object.is(payload.a, kept.a) &&
    sameAsKept(payload.c, loaded.cookieSettings) &&
    sameFields(payload.d, loaded.data)
  );
}
