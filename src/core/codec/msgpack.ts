import { Decoder, Encoder, ExtensionCodec } from '@msgpack/msgpack';
import type { Codec } from './codec.js';

// Extension type numbers owned by sessionkit (0-127 are free for applications;
// -1 is msgpack's own timestamp, which @msgpack/msgpack uses for Date).
const EXT_MAP = 1;
const EXT_SET = 2;
const EXT_BIGINT = 3;

const extensions = new ExtensionCodec();
const encoder = new Encoder({ extensionCodec: extensions });
// The decoder refuses a `__proto__` map key (it throws), so stored data can never
// replace a prototype; the engine treats such a record as unreadable.
const decoder = new Decoder({ extensionCodec: extensions });

extensions.register({
  type: EXT_MAP,
  encode: (value) => (value instanceof Map ? encoder.encode([...value]) : null),
  decode: (data) => new Map(decoder.decode(data) as [unknown, unknown][]),
});
extensions.register({
  type: EXT_SET,
  encode: (value) => (value instanceof Set ? encoder.encode([...value]) : null),
  decode: (data) => new Set(decoder.decode(data) as unknown[]),
});
extensions.register({
  type: EXT_BIGINT,
  // Decimal text keeps BigInts of any size, where int64 would overflow.
  encode: (value) => (typeof value === 'bigint' ? new TextEncoder().encode(value.toString()) : null),
  decode: (data) => BigInt(new TextDecoder().decode(data)),
});

/**
 * MessagePack (the default): compact, and Date, Map, Set, BigInt and Uint8Array values
 * come back as what they were.
 */
export const msgpackCodec: Codec = {
  name: 'msgpack',
  encode: (value) => encoder.encode(value),
  // The encoder's own buffer: nested Map/Set encodes run on a clone, so they cannot overwrite it.
  encodeTransient: (value) => encoder.encodeSharedRef(value),
  decode: (bytes) => decoder.decode(bytes),
};
