import type { Codec } from './codec/codec.js';
import type { Payload } from './payload.js';
import type { RecordMemo } from './store.js';

/**
 * Records kept decoded in their store's memo (`StoreRecord.memo`, offered by the memory
 * store): a session read again and again, unchanged, is decoded once, each later load gets
 * a copy of the kept payload, and its commit finds it unchanged by comparing with that
 * payload instead of encoding it (`sameAsLoaded`).
 *
 * A record is kept from its second read on: a session written on every request is read
 * once per write, and copying it for a read that never comes would only cost that request.
 * Only plain data is kept: strings, numbers, booleans, null, bigints, arrays and objects
 * whose prototypes are Array's and Object's. A record holding anything else (a Date, a Map,
 * bytes: values the codec rebuilds with their own prototype) is decoded on every read as
 * before. The kept payload is never handed out, so nothing a request does can change it.
 */

/** What a memo holds: a record read once, one that is not plain data, or the record decoded by a codec. */
const READ_ONCE = Symbol('read once');
const NOT_PLAIN = Symbol('not plain');
class Kept {
  constructor(
    readonly codec: Codec,
    readonly payload: Payload,
  ) {}
}

/** The payload kept in `memo` by `codec` (never to be handed out: see `ownCopy`); undefined if none is kept. */
export function keptPayload(memo: RecordMemo, codec: Codec): Payload | undefined {
  const derived = memo.derived;
  return derived instanceof Kept && derived.codec === codec ? derived.payload : undefined;
}

/** A deep copy of a value of a kept payload, for one request to own. */
export function ownCopy(kept: unknown): unknown {
  return copyPlain(kept);
}

/**
 * Notes a payload just decoded by `codec` from a record's data: on the record's second read,
 * keeps a copy when it is plain data, and returns it (what commit compares with).
 */
export function keepDecoded(memo: RecordMemo, codec: Codec, payload: Payload): Payload | undefined {
  const derived = memo.derived;
  if (derived === undefined) {
    memo.derived = READ_ONCE;
    return undefined;
  }
  if (derived !== READ_ONCE) return undefined;
  const kept = copyIfPlain(payload) as Payload | undefined;
  memo.derived = kept ? new Kept(codec, kept) : NOT_PLAIN;
  return kept;
}

/** A deep copy of plain data (see above), or undefined when `value` is not plain. */
function copyIfPlain(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return typeof value === 'function' || typeof value === 'symbol' ? undefined : value;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return undefined;
    const copy = new Array<unknown>(value.length);
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      const itemCopy = copyIfPlain(item);
      if (itemCopy === undefined && item !== undefined) return undefined;
      copy[index] = itemCopy;
    }
    return copy;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    // Copied by assignment below: a key that would set the prototype is not plain.
    if (key === '__proto__') return undefined;
    const field: unknown = (value as Record<string, unknown>)[key];
    const fieldCopy = copyIfPlain(field);
    if (fieldCopy === undefined && field !== undefined) return undefined;
    copy[key] = fieldCopy;
  }
  return copy;
}

/** A deep copy of data already known to be plain (a kept payload). */
function copyPlain(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let index = 0; index < value.length; index++) copy[index] = copyPlain(value[index]);
    return copy;
  }
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) copy[key] = copyPlain((value as Record<string, unknown>)[key]);
  return copy;
}

/**
 * Whether a live value is the same data as a kept plain one: equal primitives (`Object.is`:
 * 0 and -0 differ, NaN equals NaN), and arrays and plain objects of the same prototype with
 * the same keys in the same order and the same values. Where it answers true, encoding the
 * live value gives the bytes the kept one was decoded from; where it answers false the
 * caller encodes to find out, so false may be said of data that encodes the same.
 */
function samePlain(live: unknown, kept: unknown): boolean {
  if (typeof kept !== 'object' || kept === null) return Object.is(live, kept);
  if (typeof live !== 'object' || live === null) return false;
  if (Array.isArray(kept)) {
    if (!Array.isArray(live) || Object.getPrototypeOf(live) !== Array.prototype || live.length !== kept.length) return false;
    for (let index = 0; index < kept.length; index++) if (!samePlain(live[index], kept[index])) return false;
    return true;
  }
  return Object.getPrototypeOf(live) === Object.prototype && sameFields(live, kept);
}

/** Same keys in the same order with the same values; `live`'s prototype is the caller's to check. */
function sameFields(live: object, kept: object): boolean {
  const liveKeys = Object.keys(live);
  const keptKeys = Object.keys(kept);
  if (liveKeys.length !== keptKeys.length) return false;
  for (let index = 0; index < keptKeys.length; index++) {
    const key = keptKeys[index]!;
    if (liveKeys[index] !== key || !samePlain((live as Record<string, unknown>)[key], (kept as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/**
 * Whether the payload a commit would encode is the one a session was loaded with: the same
 * parts (its permanent flag, id, times, lifetime, cookie settings) and the same data.
 */
export function sameAsLoaded(payload: Payload, kept: Payload): boolean {
  return (
    payload.p === kept.p &&
    payload.i === kept.i &&
    Object.is(payload.t, kept.t) &&
    Object.is(payload.l, kept.l) &&
    Object.is(payload.x, kept.x) &&
    Object.is(payload.a, kept.a) &&
    samePlain(payload.c, kept.c) &&
    sameFields(payload.d, kept.d)
  );
}
