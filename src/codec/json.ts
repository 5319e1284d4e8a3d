import type { Codec } from './codec.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON: readable in the store, but Date, Map, Set, BigInt and binary values do not
 * round-trip (they come back as strings/objects, or fail to encode for BigInt).
 * JSON.parse creates every key, `__proto__` included, as a plain own property, so
 * stored data can never reach a prototype.
 */
export const jsonCodec: Codec = {
  name: 'json',
  encode: (value) => encoder.encode(JSON.stringify(value)),
  decode: (bytes) => JSON.parse(decoder.decode(bytes)) as unknown,
};
