import { EncodedValue, type Codec } from '../../codec/codec.js';
import type { Payload } from '../payload.js';

/**
 * Fields of a big stored session left encoded until the application reads them: a request
 * that never touches a field neither decodes it nor encodes it again to find out whether it
 * changed. Read, it becomes a plain data field; set, it takes the value set. A field nobody
 * read cannot have changed, so at commit its stored bytes stand in for it (EncodedValue).
 * Only for codecs with `decodeEntries` (msgpack), and only where it pays.
 */

/** Records smaller than this are decoded whole: splitting them costs more than it saves. */
export const LAZY_RECORD_BYTES = 4096;
/** Fields smaller than this are decoded at once even in a big record. */
const LAZY_FIELD_BYTES = 256;

/** Each lazy field's getter, to its bytes: how commit tells a field nobody read from one that was. */
const unread = new WeakMap<() => unknown, EncodedValue>();

/**
 * A payload whose big data fields are EncodedValues; undefined when the codec cannot split
 * the record (the caller then decodes it whole, and reports what is wrong with it).
 */
export function decodeLazily(codec: Codec, bytes: Uint8Array): Payload | undefined {
  if (!codec.decodeEntries) return undefined;
  try {
    const payload: Record<string, unknown> = {};
    for (const [key, value] of codec.decodeEntries(bytes)) {
      if (key !== 'd') {
        payload[key] = codec.decode(value);
        continue;
      }
      const data: Record<string, unknown> = {};
      for (const [field, encoded] of codec.decodeEntries(value)) {
        data[field] = encoded.length >= LAZY_FIELD_BYTES ? new EncodedValue(encoded) : codec.decode(encoded);
      }
      payload.d = data;
    }
    return payload as unknown as Payload;
  } catch {
    return undefined;
  }
}

/** Puts an encoded field on a session as an accessor that decodes it on first use. */
export function defineLazyField(target: object, key: string, encoded: EncodedValue, decode: (bytes: Uint8Array) => unknown): void {
  const settle = (self: object, value: unknown) => {
    Object.defineProperty(self, key, { value, writable: true, enumerable: true, configurable: true });
  };
  const get = function (this: object): unknown {
    const value = decode(encoded.bytes);
    settle(this, value);
    return value;
  };
  unread.set(get, encoded);
  Object.defineProperty(target, key, {
    get,
    set(this: object, value: unknown) {
      settle(this, value);
    },
    enumerable: true,
    configurable: true,
  });
}

/** The session's data for encoding: a field nobody read is its stored bytes, the rest as they are. */
export function dataForEncoding(session: object): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const key of Object.keys(session)) {
    // Looked up by identity, never called: an unbound getter is what is wanted here.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const getter = Object.getOwnPropertyDescriptor(session, key)?.get;
    const encoded = getter && unread.get(getter as () => unknown);
    Object.defineProperty(data, key, {
      value: encoded ?? (session as Record<string, unknown>)[key],
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return data;
}
