import { CodecError } from '../codec.js';
import { MAX_DEPTH } from './format.js';
import { ARRAY_COST, BINARY_COST, ENTRY_COST, HEAP_ALLOWANCE, HEAP_PER_BYTE, ITEM_COST, OBJECT_COST, read, type Reader } from './reader.js';

/** decodeEntries' [key, bytes] pair and the view of the bytes, per entry. */
const ENTRY_VIEW_COST = 160;

/**
 * The entries of an encoded map, each value left as its bytes (a view of `bytes`): a
 * field can be decoded when it is first read, and written back unread as it was (the
 * writer copies an EncodedValue's bytes in its place). It refuses whatever `decode` would
 * refuse, the whole map and each entry alone: an entry decoded when first read, on its own,
 * is then within the memory bound too, and never fails the request.
 */
export function decodeEntries(bytes: Uint8Array): [string, Uint8Array][] {
  return read(bytes, entriesOf);
}

function entriesOf(reader: Reader): [string, Uint8Array][] {
  const length = mapLength(reader);
  reader.need(length * 2);
  reader.charge(OBJECT_COST + (ENTRY_COST + ENTRY_VIEW_COST) * length);
  const entries: [string, Uint8Array][] = [];
  for (let i = 0; i < length; i++) {
    const key = reader.key();
    const heapLeft = reader.heapLeft;
    const start = skip(reader, 1);
    if (heapLeft - reader.heapLeft > HEAP_PER_BYTE * (reader.pos - start) + HEAP_ALLOWANCE) {
      throw new CodecError(`Too many containers for the size of an entry: it would take more than ${HEAP_PER_BYTE} bytes of memory per byte`);
    }
    entries.push([key, reader.bytes.subarray(start, reader.pos)]);
  }
  return entries;
}

function mapLength(reader: Reader): number {
  const token = reader.u8();
  const length = token >= 0x80 && token < 0x90 ? token - 0x80 : token === 0xde ? reader.u16() : token === 0xdf ? reader.u32() : -1;
  if (length < 0) throw new CodecError('not a map');
  return length;
}

/**
 * How skip() steps over the types from 0xc4 on: a fixed size, a length of 1, 2 or 4 bytes
 * first (-1, -2, -4), or an extension, read in full.
 */
const EXT = 100;
const SIZES = [
  -1, -2, -4, // bin 8, 16, 32
  EXT, EXT, EXT, // ext 8, 16, 32
  4, 8, // float 32, 64
  1, 2, 4, 8, // uint 8..64
  1, 2, 4, 8, // int 8..64
  EXT, EXT, EXT, EXT, EXT, // fixext 1..16
  -1, -2, -4, // str 8, 16, 32
];

/**
 * Steps over one value without building it, checking it as `reader.value()` would (its map
 * keys included: a `__proto__` found only when the field is first read would fail a request
 * halfway) and charging the heap it would take; returns where it started.
 */
function skip(reader: Reader, depth: number): number {
  const start = reader.pos;
  if (depth > MAX_DEPTH) throw new CodecError(`Too deep data in depth ${depth}`);
  const token = reader.u8();
  if (token < 0x80 || token >= 0xe0 || token === 0xc0 || token === 0xc2 || token === 0xc3) return start;
  if (token < 0x90) skipMap(reader, token - 0x80, depth);
  else if (token < 0xa0) skipArray(reader, token - 0x90, depth);
  else if (token < 0xc0) reader.advance(token - 0xa0);
  else if (token === 0xdc || token === 0xdd) skipArray(reader, token === 0xdc ? reader.u16() : reader.u32(), depth);
  else if (token === 0xde || token === 0xdf) skipMap(reader, token === 0xde ? reader.u16() : reader.u32(), depth);
  else if (token === 0xc1) throw new CodecError('Unrecognized type byte: 0xc1');
  else skipSized(reader, token, depth);
  return start;
}

/**
 * Strings, binary and numbers: a length (read or fixed), then the bytes. An extension is
 * decoded, which checks that it is one of ours.
 */
function skipSized(reader: Reader, token: number, depth: number): void {
  const size = SIZES[token - 0xc4]!;
  if (size === EXT) {
    reader.pos--;
    reader.value(depth);
  } else if (size < 0) {
    if (token <= 0xc6) reader.charge(BINARY_COST);
    reader.advance(size === -1 ? reader.u8() : size === -2 ? reader.u16() : reader.u32());
  } else reader.advance(size);
}

function skipArray(reader: Reader, length: number, depth: number): void {
  reader.need(length);
  reader.charge(ARRAY_COST + ITEM_COST * length);
  for (let i = 0; i < length; i++) skip(reader, depth + 1);
}

function skipMap(reader: Reader, length: number, depth: number): void {
  reader.need(length * 2);
  reader.charge(OBJECT_COST + ENTRY_COST * length);
  for (let i = 0; i < length; i++) {
    reader.need(1);
    const token = reader.bytes[reader.pos]!;
    if (token > 0xa0 && token < 0xc0 && token !== 0xa9) {
      // A short string key that cannot be `__proto__` (9 bytes): no string is built.
      reader.advance(token - 0xa0 + 1);
    } else reader.key();
    skip(reader, depth + 1);
  }
}
