import type { Codec } from '../codec.js';
import { decodeEntries } from './entries.js';
import { decode } from './reader.js';
import { encodeTransient } from './writer.js';

/**
 * MessagePack written for sessions: a standard msgpack encoder (writer.ts) and decoder
 * (reader.ts) of plain data, with no dependency, and a map's entries left encoded
 * (entries.ts). For the data sessions hold, it writes the bytes @msgpack/msgpack 3 (the
 * codec of earlier versions) wrote for the same value, and reads everything that wrote, so
 * stored sessions survive an upgrade and a rollback, and an unchanged session compares equal
 * to its record. The exceptions are values no session should hold:
 * - a lone surrogate (a string that is not Unicode) is written as U+FFFD, as TextEncoder
 *   writes it; @msgpack/msgpack wrote strings of up to 50 characters by hand, a lone
 *   surrogate as three bytes that are not UTF-8 (read back as U+FFFD characters);
 * - an Invalid Date is refused; @msgpack/msgpack wrote it as the timestamp 0 (1970);
 * - Map and Set values nested more than MAX_NESTED_COLLECTIONS deep, and a BigInt of more
 *   than MAX_BIGINT_DIGITS digits, are refused (format.ts); @msgpack/msgpack had no such limits.
 * Every error is a CodecError. The decoder refuses whatever the encoder cannot write (data
 * deeper than MAX_DEPTH, a timestamp outside a Date's range, such a BigInt), so that a session
 * it loads can always be written back, and refuses a record that would take much more memory
 * than its size (HEAP_PER_BYTE, reader.ts): a record planted in a store costs a bounded
 * multiple of its bytes in memory, and time in proportion to them.
 *
 * Why our own rather than a library's (the figures, dated, with their commands: bench/RESULTS.md,
 * "Issue 25, 2026-12-07: the msgpack codec in its own folder"):
 * - Lazy fields. `decodeEntries` gives a session's fields still encoded, and the writer
 *   copies such an EncodedValue's bytes back in place: a request pays only for the fields it
 *   reads, and an unchanged big session is neither decoded nor encoded again in full. Neither
 *   @msgpack/msgpack nor msgpackr offers entries that stay encoded.
 * - Safety. Decoding never reaches a prototype (a `__proto__` key is refused) nor builds
 *   anything but data: no process-global extension table (the fast libraries decode errors,
 *   regular expressions, shared references or record definitions from one), only the four
 *   extensions of format.ts; declared lengths, depth and memory are bounded before anything
 *   is allocated.
 * - Speed. It decodes and encodes a session faster than @msgpack/msgpack, the codec it
 *   replaced, and close to msgpackr, without msgpackr's global table.
 */
export const msgpackCodec: Codec = {
  name: 'msgpack',
  encode: (value) => encodeTransient(value).slice(),
  encodeTransient,
  decode,
  decodeEntries,
  roundTripsPlainData: true,
};
