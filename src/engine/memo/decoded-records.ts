import type { Codec } from '../../codec/codec.js';
import type { Payload } from '../payload.js';
import type { RecordMemo } from '../../core/store.js';

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
 * A session written to such a store is kept as written, when its codec `roundTripsPlainData`
 * (msgpack): the kept form is made from the data just encoded (`keepWritten`), so a session
 * written on every request is decoded once, not on every read. Only data that decoding gives
 * back exactly is kept so: no undefined, no -0, no string with a lone surrogate (which the
 * codec stores as nil, 0 and U+FFFD), as well as the rules above.
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
  const kept = keptPayloadOf(codec, payload, false);
  memo.derived = kept ?? NOT_PLAIN;
  return kept;
}

/**
 * The kept form of a payload just encoded by `codec` for a write, from the live session
 * (`payload.d`) it was encoded from; undefined when the codec does not promise to give plain
 * data back as it was, or the data is not such data. The store keeps it as the new record's
 * memo (`StoreRecord.memo` on a write), so the next read neither decodes nor marks it.
 */
export function keepWritten(codec: Codec, payload: Payload): KeptPayload | undefined {
  return codec.roundTripsPlainData === true ? keptPayloadOf(codec, payload, true) : undefined;
}

/** `exact`: a write's payload, whose data is the session object itself (of its own class: its fields are what is encoded). */
function keptPayloadOf(codec: Codec, payload: Payload, exact: boolean): KeptPayload | undefined {
  const fields = exact ? keptFields(payload.d, true) : keptIfPlain(payload.d, false);
  const cookieSettings = payload.c === undefined ? undefined : keptIfPlain(payload.c, exact);
  if (!(fields instanceof KeptObject) || cookieSettings === NOT_PLAIN) return undefined;
  const { d: _data, ...parts } = payload;
  return new KeptPayload(codec, parts, fields, cookieSettings);
}

/**
 * The kept form of plain data (see above), or NOT_PLAIN. `exact`: also NOT_PLAIN where
 * encoding and decoding would not give the value back (undefined, -0, lone surrogates).
 */
function keptIfPlain(value: unknown, exact: boolean): Kept {
  if (typeof value !== 'object' || value === null) return exact ? exactPrimitive(value) : typeof value === 'function' || typeof value === 'symbol' ? NOT_PLAIN : value;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return NOT_PLAIN;
    let items: unknown[] | undefined; // made only once an item is an object
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      const kept = keptIfPlain(item, exact);
      if (kept === NOT_PLAIN) return NOT_PLAIN;
      if (kept !== item) items ??= value.slice(0, index);
      items?.push(kept);
    }
    // A live array (a write's) is copied: the session goes on changing it. A decoded one is
    // never handed out, so it is kept as it is.
    return items ?? (exact ? value.slice() : value);
  }
  return Object.getPrototypeOf(value) === Object.prototype ? keptFields(value, exact) : NOT_PLAIN;
}

/** An object's own enumerable fields in kept form, in order (what the codecs encode of it), or NOT_PLAIN. */
function keptFields(value: object, exact: boolean): KeptObject | typeof NOT_PLAIN {
  const keys = Object.keys(value);
  const values = new Array<unknown>(keys.length);
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index]!;
    // Copied into sessions by assignment: a key that would set the prototype is not plain.
    if (key === '__proto__') return NOT_PLAIN;
    const kept = keptIfPlain((value as Record<string, unknown>)[key], exact);
    if (kept === NOT_PLAIN) return NOT_PLAIN;
    values[index] = kept;
  }
  return new KeptObject(keys, values);
}

/** A primitive that encoding and decoding give back as it is, else NOT_PLAIN. */
function exactPrimitive(value: unknown): Kept {
  switch (typeof value) {
    case 'string':
      return (value as unknown as WellFormedString).isWellFormed() ? value : NOT_PLAIN;
    case 'number':
      return Object.is(value, -0) ? NOT_PLAIN : value;
    case 'boolean':
    case 'bigint':
      return value;
    default:
      // null, and what does not come back (undefined as nil) or cannot be encoded at all.
      return value === null ? value : NOT_PLAIN;
  }
}

/** String.prototype.isWellFormed (ES2024; Node 20, Bun, Deno and workerd have it). */
interface WellFormedString {
  isWellFormed(): boolean;
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
    Object.is(payload.u, kept.u) &&
    sameAsKept(payload.c, loaded.cookieSettings) &&
    sameFields(payload.d, loaded.data)
  );
}
