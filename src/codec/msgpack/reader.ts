import { CodecError } from '../codec.js';
import { EXT_BIGINT, EXT_MAP, EXT_SET, EXT_TIMESTAMP, MAX_BIGINT_DIGITS, MAX_DEPTH, MAX_NESTED_COLLECTIONS, SHORT_STRING } from './format.js';

/**
 * The decoder's memory bound: the heap a record's value takes is estimated as it is built,
 * and must stay within HEAP_PER_BYTE bytes per byte of the record plus HEAP_ALLOWANCE. Each
 * container is charged about what V8 (64-bit) allocates for it, measured on Node 20; scalars
 * are not charged, as none takes more than about 17 bytes per byte it is encoded in. Real
 * session data stays well within (arrays of pairs about 21, small objects 20, strings 11);
 * millions of empty maps, arrays or binaries (1-2 bytes each, 40-190 bytes of heap) do not.
 * The encoder does not check it: a record read in a longer form than the encoder's (wide
 * headers) must still be written back. So data that is mostly thousands of empty
 * containers, or of one-entry Maps and Sets, is written, and then read as unreadable.
 */
export const HEAP_PER_BYTE = 32;
export const HEAP_ALLOWANCE = 4096;
export const ARRAY_COST = 40;
export const ITEM_COST = 8;
export const OBJECT_COST = 56;
export const ENTRY_COST = 16;
export const BINARY_COST = 184;
const COLLECTION_COST = 160;

/** Keys of up to this many bytes are looked up in a small cache: a session repeats the same few keys. */
const CACHED_KEY = 16;
const KEY_CACHE_SIZE = 512;

// Not fatal, as @msgpack/msgpack: invalid UTF-8 inside a string becomes U+FFFD.
const textDecoder = new TextDecoder('utf-8');
const CHAR_CODES = Array.from({ length: SHORT_STRING + 1 }, (_, length) => new Array<number>(length).fill(0));
const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY.buffer);

/**
 * The decoder. Every declared length is checked against the bytes left before anything is
 * allocated for it, and every container charged to the memory budget before it is built.
 */
export class Reader {
  bytes: Uint8Array = EMPTY;
  view: DataView = EMPTY_VIEW;
  pos = 0;
  end = 0;
  /** What the value being built may still take of the heap (HEAP_PER_BYTE). */
  heapLeft = 0;
  /** How many Map and Set values the value being read is inside. */
  collections = 0;
  readonly #keyBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(KEY_CACHE_SIZE);
  readonly #keyStrings: string[] = new Array<string>(KEY_CACHE_SIZE);

  start(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
    this.end = bytes.length;
    this.heapLeft = HEAP_PER_BYTE * bytes.length + HEAP_ALLOWANCE;
    this.collections = 0;
  }

  /** Drops the reference to the last input, so a record is not kept alive by the codec. */
  finish(): void {
    this.bytes = EMPTY;
    this.view = EMPTY_VIEW;
  }

  need(size: number): void {
    if (this.pos + size > this.end) throw new CodecError('Insufficient data: the record ends inside a value');
  }

  /** Steps over `size` bytes that must be there; returns where they start. */
  advance(size: number): number {
    this.need(size);
    const at = this.pos;
    this.pos = at + size;
    return at;
  }

  /** Charges the heap a container about to be built takes, before it is allocated. */
  charge(bytes: number): void {
    if ((this.heapLeft -= bytes) < 0) {
      throw new CodecError(`Too many containers for the record's size: it would take more than ${HEAP_PER_BYTE} bytes of memory per byte`);
    }
  }

  /** One value. The fix forms (most of a session's bytes) are decoded here, the rest by their type byte. */
  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new CodecError(`Too deep data in depth ${depth}`);
    this.need(1);
    const token = this.bytes[this.pos++]!;
    if (token < 0x80) return token;
    if (token < 0x90) return this.map(token - 0x80, depth);
    if (token < 0xa0) return this.array(token - 0x90, depth);
    if (token < 0xc0) return this.string(token - 0xa0);
    if (token >= 0xe0) return token - 0x100;
    if (token >= 0xca && token <= 0xd3) return this.number(token);
    return this.sized(token, depth);
  }

  /** The numbers of 0xca-0xd3: float 32 and 64, uint and int of 8 to 64 bits. */
  number(token: number): number {
    const view = this.view;
    switch (token) {
      case 0xca:
        return view.getFloat32(this.advance(4));
      case 0xcb:
        return view.getFloat64(this.advance(8));
      case 0xcc:
        return this.u8();
      case 0xcd:
        return this.u16();
      case 0xce:
        return this.u32();
      case 0xcf: {
        // As @msgpack/msgpack without useBigInt64: a number (exact up to 2^53).
        const at = this.advance(8);
        return view.getUint32(at) * 0x100000000 + view.getUint32(at + 4);
      }
      case 0xd0:
        return view.getInt8(this.advance(1));
      case 0xd1:
        return view.getInt16(this.advance(2));
      case 0xd2:
        return view.getInt32(this.advance(4));
      default: {
        // 0xd3, int 64: a number too.
        const at = this.advance(8);
        return view.getInt32(at) * 0x100000000 + view.getUint32(at + 4);
      }
    }
  }

  /** nil, booleans, and the types whose header gives a length: binary, extension, string, array, map. */
  sized(token: number, depth: number): unknown {
    switch (token) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
      case 0xc5:
      case 0xc6:
        return this.binary(this.length(token - 0xc4));
      case 0xc7:
      case 0xc8:
      case 0xc9:
        return this.extension(this.length(token - 0xc7));
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:
        return this.extension(1 << (token - 0xd4));
      case 0xd9:
      case 0xda:
      case 0xdb:
        return this.string(this.length(token - 0xd9));
      case 0xdc:
      case 0xdd:
        return this.array(this.length(token - 0xdb), depth);
      case 0xde:
      case 0xdf:
        return this.map(this.length(token - 0xdd), depth);
      default:
        throw new CodecError(`Unrecognized type byte: 0x${token.toString(16)}`);
    }
  }

  /** A length in 8, 16 or 32 bits (`width` 0, 1 or 2), as the codes of one type follow one another. */
  length(width: number): number {
    return width === 0 ? this.u8() : width === 1 ? this.u16() : this.u32();
  }

  u8(): number {
    return this.bytes[this.advance(1)]!;
  }

  u16(): number {
    return this.view.getUint16(this.advance(2));
  }

  u32(): number {
    return this.view.getUint32(this.advance(4));
  }

  array(length: number, depth: number): unknown[] {
    // Every element takes a byte at least: a forged length cannot make a huge allocation.
    this.need(length);
    this.charge(ARRAY_COST + ITEM_COST * length);
    const array = new Array<unknown>(length);
    for (let i = 0; i < length; i++) array[i] = this.value(depth + 1);
    return array;
  }

  map(length: number, depth: number): Record<string, unknown> {
    this.need(length * 2);
    this.charge(OBJECT_COST + ENTRY_COST * length);
    const object: Record<string, unknown> = {};
    for (let i = 0; i < length; i++) {
      const key = this.key();
      object[key] = this.value(depth + 1);
    }
    return object;
  }

  /**
   * A map key: a string (or, as @msgpack/msgpack accepted, a number). `__proto__` is
   * refused: assigned, it would replace the object's prototype; the engine reads the
   * record as unreadable and starts a fresh session.
   */
  key(): string {
    this.need(1);
    const token = this.bytes[this.pos]!;
    let key: string;
    if (token >= 0xa0 && token < 0xc0 && token - 0xa0 <= CACHED_KEY) {
      this.pos++;
      key = this.cachedKey(token - 0xa0);
    } else {
      const value = this.value(MAX_DEPTH);
      if (typeof value === 'string') key = value;
      else if (typeof value === 'number') key = String(value);
      else throw new CodecError('The type of key must be string or number but ' + typeof value);
    }
    if (key === '__proto__') throw new CodecError('The key __proto__ is not allowed');
    return key;
  }

  cachedKey(length: number): string {
    this.need(length);
    const bytes = this.bytes;
    const start = this.pos;
    let hash = length;
    for (let i = 0; i < length; i++) hash = (hash * 31 + bytes[start + i]!) | 0;
    const slot = hash & (KEY_CACHE_SIZE - 1);
    const cached = this.#keyBytes[slot];
    if (cached !== undefined && cached.length === length) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (cached[i] !== bytes[start + i]) {
          same = false;
          break;
        }
      }
      if (same) {
        this.pos += length;
        return this.#keyStrings[slot]!;
      }
    }
    const key = this.string(length);
    // A copy: a view would keep the record alive, and follow the store's changes to its buffer.
    this.#keyBytes[slot] = copy(bytes, start, start + length);
    this.#keyStrings[slot] = key;
    return key;
  }

  string(length: number): string {
    this.need(length);
    const bytes = this.bytes;
    const start = this.pos;
    if (length <= SHORT_STRING) {
      let ascii = true;
      for (let i = start; i < start + length; i++) {
        if (bytes[i]! >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        this.pos += length;
        // Into an array kept per length: no allocation but the string itself.
        const codes = CHAR_CODES[length]!;
        for (let i = 0; i < length; i++) codes[i] = bytes[start + i]!;
        return String.fromCharCode.apply(null, codes);
      }
    }
    this.pos += length;
    return textDecoder.decode(bytes.subarray(start, start + length));
  }

  /**
   * A copy, never a view of the record: an in-place change to it must not change the bytes it
   * is compared with. (Node's own byte arrays make `slice` a view.)
   */
  binary(length: number): Uint8Array {
    this.need(length);
    this.charge(BINARY_COST);
    this.pos += length;
    return copy(this.bytes, this.pos - length, this.pos);
  }

  /** Only the four extensions sessionkit writes; any other type means a record that is not ours. */
  extension(size: number): unknown {
    this.need(1 + size);
    const type = this.view.getInt8(this.pos++);
    const start = this.pos;
    const end = start + size;
    switch (type) {
      case EXT_TIMESTAMP:
        this.pos = end;
        return this.date(start, size);
      case EXT_BIGINT:
        this.pos = end;
        return this.bigint(start, end);
      case EXT_MAP:
      case EXT_SET:
        return this.collection(type, end);
      default:
        throw new CodecError(`Unknown extension type ${type}`);
    }
  }

  /** A Map or Set: one array of its entries, its depth counted from 0 again (see MAX_DEPTH). */
  collection(type: number, end: number): Map<unknown, unknown> | Set<unknown> {
    if (++this.collections > MAX_NESTED_COLLECTIONS) throw new CodecError(`Too deep data: Map and Set values nested more than ${MAX_NESTED_COLLECTIONS} deep`);
    this.charge(COLLECTION_COST);
    const saved = this.end;
    this.end = end;
    const entries = this.value(0);
    if (this.pos !== end || !Array.isArray(entries)) throw new CodecError(`Malformed ${type === EXT_MAP ? 'Map' : 'Set'} extension`);
    this.end = saved;
    this.collections--;
    if (type === EXT_SET) return new Set(entries);
    for (const entry of entries) if (!Array.isArray(entry)) throw new CodecError('Malformed Map extension');
    return new Map(entries as [unknown, unknown][]);
  }

  /** Decimal text only (what the encoder writes), so that written back it is no longer than it was. */
  bigint(start: number, end: number): bigint {
    const bytes = this.bytes;
    const first = start < end && bytes[start] === 0x2d ? start + 1 : start;
    if (end - first > MAX_BIGINT_DIGITS) throw new CodecError(`A BigInt of more than ${MAX_BIGINT_DIGITS} digits`);
    if (first === end) throw new CodecError('A BigInt without digits');
    for (let i = first; i < end; i++) {
      const byte = bytes[i]!;
      if (byte < 0x30 || byte > 0x39) throw new CodecError('A BigInt that is not decimal digits');
    }
    return BigInt(textDecoder.decode(bytes.subarray(start, end)));
  }

  /** A timestamp that a Date can hold (within 8.64e15 ms of 1970), so that it can be written again. */
  date(start: number, size: number): Date {
    const view = this.view;
    let date: Date;
    if (size === 4) {
      date = new Date(view.getUint32(start) * 1000);
    } else if (size === 8) {
      const high = view.getUint32(start);
      const sec = (high & 0x3) * 0x100000000 + view.getUint32(start + 4);
      date = new Date(sec * 1000 + (high >>> 2) / 1e6);
    } else if (size === 12) {
      const sec = view.getInt32(start + 4) * 0x100000000 + view.getUint32(start + 8);
      date = new Date(sec * 1000 + view.getUint32(start) / 1e6);
    } else {
      throw new CodecError(`Unrecognized data size for timestamp (expected 4, 8, or 12): ${size}`);
    }
    if (Number.isNaN(date.getTime())) throw new CodecError('A timestamp outside the range of a Date');
    return date;
  }
}

/** bytes[start, end) in a Uint8Array of its own (`slice` of Node's own byte arrays is a view). */
function copy(bytes: Uint8Array, start: number, end: number): Uint8Array {
  const copied = new Uint8Array(end - start);
  copied.set(bytes.subarray(start, end));
  return copied;
}

// One reader per process: decoding never re-enters itself.
const reader = new Reader();

/**
 * What `readAll` reads of `bytes` with the process's reader, which must use every byte.
 * The reader lets go of `bytes` afterwards, whether it succeeded or threw.
 */
export function read<T>(bytes: Uint8Array, readAll: (reader: Reader) => T): T {
  reader.start(bytes);
  try {
    const value = readAll(reader);
    if (reader.pos !== reader.end) throw new CodecError(`Extra ${reader.end - reader.pos} of ${reader.end} byte(s) found at buffer[${reader.pos}]`);
    return value;
  } finally {
    reader.finish();
  }
}

const readValue = (reader: Reader): unknown => reader.value(0);

export function decode(bytes: Uint8Array): unknown {
  return read(bytes, readValue);
}
