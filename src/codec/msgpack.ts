import { CodecError, EncodedValue, type Codec } from './codec.js';

/**
 * MessagePack written for sessions: a standard msgpack encoder and decoder of plain data,
 * with no dependency. For the data sessions hold, it writes the bytes @msgpack/msgpack 3 (the
 * codec of earlier versions) wrote for the same value, and reads everything that wrote, so
 * stored sessions survive an upgrade and a rollback, and an unchanged session compares equal
 * to its record. The exceptions are values no session should hold:
 * - a lone surrogate (a string that is not Unicode) is written as U+FFFD, as TextEncoder
 *   writes it; @msgpack/msgpack wrote strings of up to 50 characters by hand, a lone
 *   surrogate as three bytes that are not UTF-8 (read back as U+FFFD characters);
 * - an Invalid Date is refused; @msgpack/msgpack wrote it as the timestamp 0 (1970);
 * - Map and Set values nested more than MAX_NESTED_COLLECTIONS deep, and a BigInt of more
 *   than MAX_BIGINT_DIGITS digits, are refused; @msgpack/msgpack had no such limits.
 * Every error is a CodecError. The decoder refuses whatever the encoder cannot write (data
 * deeper than MAX_DEPTH, a timestamp outside a Date's range, such a BigInt), so that a session
 * it loads can always be written back, and refuses a record that would take much more memory
 * than its size (HEAP_PER_BYTE): a record planted in a store costs a bounded multiple of its
 * bytes in memory, and time in proportion to them.
 * Why not a library: decoding must never reach a prototype nor build anything but data,
 * and the fast general-purpose ones decode extra types (errors, regular expressions,
 * shared references, record definitions) from a table global to the process.
 *
 * Extension types owned by sessionkit (0-127 are free for applications; -1 is msgpack's
 * own timestamp, used for Date): Map (1) and Set (2) hold a msgpack array of their entries,
 * BigInt (3) its decimal text (where int64 would overflow; up to MAX_BIGINT_DIGITS digits).
 */
const EXT_MAP = 1;
const EXT_SET = 2;
const EXT_BIGINT = 3;
const EXT_TIMESTAMP = -1;

/**
 * As @msgpack/msgpack: deeper data is refused (a cycle ends here too) rather than overflowing
 * the stack, by the encoder and the decoder alike. The entries of a Map or Set count their
 * depth from 0 again, as @msgpack/msgpack's (which encoded them on their own) did; the
 * collections themselves may be nested this many deep, which bounds the whole depth.
 */
const MAX_DEPTH = 100;
const MAX_NESTED_COLLECTIONS = 10;
/** Longer decimal text makes BigInt() and toString() slow (quadratic): a record of them could stall the process. */
const MAX_BIGINT_DIGITS = 1024;

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
const HEAP_PER_BYTE = 32;
const HEAP_ALLOWANCE = 4096;
const ARRAY_COST = 40;
const ITEM_COST = 8;
const OBJECT_COST = 56;
const ENTRY_COST = 16;
const BINARY_COST = 184;
const COLLECTION_COST = 160;
/** decodeEntries' [key, bytes] pair and the view of the bytes, per entry. */
const ENTRY_VIEW_COST = 160;
/** Strings up to this many bytes are converted by hand; longer ones by TextEncoder/TextDecoder, which win there. */
const SHORT_STRING = 48;

const textEncoder = new TextEncoder();
// Not fatal, as @msgpack/msgpack: invalid UTF-8 inside a string becomes U+FFFD.
const textDecoder = new TextDecoder('utf-8');

class Writer {
  bytes = new Uint8Array(4096);
  view = new DataView(this.bytes.buffer);
  pos = 0;
  /** How many Map and Set values the value being written is inside. */
  collections = 0;

  ensure(size: number): void {
    const required = this.pos + size;
    if (required <= this.bytes.length) return;
    const bytes = new Uint8Array(Math.max(required * 2, this.bytes.length * 2));
    bytes.set(this.bytes.subarray(0, this.pos));
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer);
  }

  encode(value: unknown): void {
    this.pos = 0;
    this.collections = 0;
    this.value(value, 0);
  }

  value(value: unknown, depth: number): void {
    if (depth > MAX_DEPTH) throw new CodecError(`Too deep objects in depth ${depth}`);
    switch (typeof value) {
      case 'string':
        this.string(value);
        return;
      case 'number':
        this.number(value);
        return;
      case 'boolean':
        this.ensure(1);
        this.bytes[this.pos++] = value ? 0xc3 : 0xc2;
        return;
      case 'undefined':
        this.ensure(1);
        this.bytes[this.pos++] = 0xc0;
        return;
      case 'bigint':
        this.bigint(value);
        return;
      case 'object':
        if (value === null) {
          this.ensure(1);
          this.bytes[this.pos++] = 0xc0;
        } else this.object(value, depth);
        return;
      default:
        throw new CodecError(`Unrecognized object: ${Object.prototype.toString.call(value)}`);
    }
  }

  object(value: object, depth: number): void {
    if (Array.isArray(value)) {
      const length = value.length;
      this.header(length, 0x90, 0xdc);
      for (let i = 0; i < length; i++) this.value(value[i], depth + 1);
    } else if (value instanceof EncodedValue) {
      // Bytes this codec produced for a value nobody read since (see EncodedValue).
      this.ensure(value.bytes.length);
      this.bytes.set(value.bytes, this.pos);
      this.pos += value.bytes.length;
    } else if (value instanceof Date) {
      this.timestamp(value);
    } else if (value instanceof Map) {
      this.nested(EXT_MAP, [...value]);
    } else if (value instanceof Set) {
      this.nested(EXT_SET, [...value]);
    } else if (ArrayBuffer.isView(value)) {
      const length = value.byteLength;
      if (length < 0x100) {
        this.ensure(2 + length);
        this.bytes[this.pos++] = 0xc4;
        this.bytes[this.pos++] = length;
      } else if (length < 0x10000) {
        this.ensure(3 + length);
        this.bytes[this.pos++] = 0xc5;
        this.view.setUint16(this.pos, length);
        this.pos += 2;
      } else {
        this.ensure(5 + length);
        this.bytes[this.pos++] = 0xc6;
        this.view.setUint32(this.pos, length);
        this.pos += 4;
      }
      this.bytes.set(new Uint8Array(value.buffer, value.byteOffset, length), this.pos);
      this.pos += length;
    } else {
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      this.header(keys.length, 0x80, 0xde);
      for (const key of keys) {
        this.string(key);
        this.value(record[key], depth + 1);
      }
    }
  }

  /** An array or map header: fix form under 16, then 16 and 32 bits (`wide` is the 16-bit code). */
  header(length: number, fix: number, wide: number): void {
    this.ensure(5);
    if (length < 16) {
      this.bytes[this.pos++] = fix + length;
    } else if (length < 0x10000) {
      this.bytes[this.pos++] = wide;
      this.view.setUint16(this.pos, length);
      this.pos += 2;
    } else {
      this.bytes[this.pos++] = wide + 1;
      this.view.setUint32(this.pos, length);
      this.pos += 4;
    }
  }

  number(value: number): void {
    this.ensure(9);
    const bytes = this.bytes;
    if (Number.isSafeInteger(value)) {
      if (value >= 0) {
        if (value < 0x80) {
          bytes[this.pos++] = value;
        } else if (value < 0x100) {
          bytes[this.pos++] = 0xcc;
          bytes[this.pos++] = value;
        } else if (value < 0x10000) {
          bytes[this.pos++] = 0xcd;
          this.view.setUint16(this.pos, value);
          this.pos += 2;
        } else if (value < 0x100000000) {
          bytes[this.pos++] = 0xce;
          this.view.setUint32(this.pos, value);
          this.pos += 4;
        } else {
          bytes[this.pos++] = 0xcf;
          this.view.setUint32(this.pos, Math.floor(value / 0x100000000));
          this.view.setUint32(this.pos + 4, value >>> 0);
          this.pos += 8;
        }
      } else if (value >= -0x20) {
        bytes[this.pos++] = value & 0xff;
      } else if (value >= -0x80) {
        bytes[this.pos++] = 0xd0;
        this.view.setInt8(this.pos++, value);
      } else if (value >= -0x8000) {
        bytes[this.pos++] = 0xd1;
        this.view.setInt16(this.pos, value);
        this.pos += 2;
      } else if (value >= -0x80000000) {
        bytes[this.pos++] = 0xd2;
        this.view.setInt32(this.pos, value);
        this.pos += 4;
      } else {
        bytes[this.pos++] = 0xd3;
        this.view.setBigInt64(this.pos, BigInt(value));
        this.pos += 8;
      }
    } else {
      bytes[this.pos++] = 0xcb;
      this.view.setFloat64(this.pos, value);
      this.pos += 8;
    }
  }

  string(value: string): void {
    const length = value.length;
    if (length <= SHORT_STRING) {
      // UTF-8 length first (the header comes before the bytes), then the bytes by hand.
      let size = 0;
      for (let i = 0; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code < 0x80) size += 1;
        else if (code < 0x800) size += 2;
        else if (code >= 0xd800 && code <= 0xdbff && i + 1 < length && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
          size += 4;
          i++;
        } else size += 3;
      }
      this.stringHeader(size);
      this.ensure(size);
      const bytes = this.bytes;
      let pos = this.pos;
      if (size === length) {
        for (let i = 0; i < length; i++) bytes[pos++] = value.charCodeAt(i);
      } else {
        pos += textEncoder.encodeInto(value, bytes.subarray(pos, pos + size)).written;
      }
      this.pos = pos;
      return;
    }
    // Written past the longest header, then moved back when the header is shorter.
    this.ensure(5 + length * 3);
    const start = this.pos;
    const size = textEncoder.encodeInto(value, this.bytes.subarray(start + 5)).written;
    this.stringHeader(size);
    const headerEnd = this.pos;
    if (headerEnd !== start + 5) this.bytes.copyWithin(headerEnd, start + 5, start + 5 + size);
    this.pos = headerEnd + size;
  }

  stringHeader(size: number): void {
    this.ensure(5);
    if (size < 32) {
      this.bytes[this.pos++] = 0xa0 + size;
    } else if (size < 0x100) {
      this.bytes[this.pos++] = 0xd9;
      this.bytes[this.pos++] = size;
    } else if (size < 0x10000) {
      this.bytes[this.pos++] = 0xda;
      this.view.setUint16(this.pos, size);
      this.pos += 2;
    } else {
      this.bytes[this.pos++] = 0xdb;
      this.view.setUint32(this.pos, size);
      this.pos += 4;
    }
  }

  extensionHeader(type: number, size: number): void {
    this.ensure(6);
    const fixed = size === 1 ? 0xd4 : size === 2 ? 0xd5 : size === 4 ? 0xd6 : size === 8 ? 0xd7 : size === 16 ? 0xd8 : 0;
    if (fixed !== 0) {
      this.bytes[this.pos++] = fixed;
    } else if (size < 0x100) {
      this.bytes[this.pos++] = 0xc7;
      this.bytes[this.pos++] = size;
    } else if (size < 0x10000) {
      this.bytes[this.pos++] = 0xc8;
      this.view.setUint16(this.pos, size);
      this.pos += 2;
    } else {
      this.bytes[this.pos++] = 0xc9;
      this.view.setUint32(this.pos, size);
      this.pos += 4;
    }
    this.view.setInt8(this.pos++, type);
  }

  bigint(value: bigint): void {
    const text = value.toString();
    const digits = value < 0n ? text.length - 1 : text.length;
    if (digits > MAX_BIGINT_DIGITS) throw new CodecError(`A BigInt of ${digits} digits cannot be stored (at most ${MAX_BIGINT_DIGITS})`);
    const data = textEncoder.encode(text);
    this.extensionHeader(EXT_BIGINT, data.length);
    this.ensure(data.length);
    this.bytes.set(data, this.pos);
    this.pos += data.length;
  }

  /**
   * A Map or Set: its entries as one msgpack array inside the extension. @msgpack/msgpack
   * encoded that array on its own, its depth counted from 0 again; so does this. The array
   * is written past the longest header, then moved back to follow the real one.
   */
  nested(type: number, entries: unknown[]): void {
    if (++this.collections > MAX_NESTED_COLLECTIONS) throw new CodecError(`Too deep objects: Map and Set values nested more than ${MAX_NESTED_COLLECTIONS} deep`);
    this.ensure(6);
    const start = this.pos;
    this.pos = start + 6;
    this.value(entries, 0);
    this.collections--;
    const size = this.pos - start - 6;
    this.pos = start;
    this.extensionHeader(type, size);
    const headerEnd = this.pos;
    if (headerEnd !== start + 6) this.bytes.copyWithin(headerEnd, start + 6, start + 6 + size);
    this.pos = headerEnd + size;
  }

  /** msgpack's timestamp extension, in the shortest of its three forms, as @msgpack/msgpack chose it. */
  timestamp(date: Date): void {
    const ms = date.getTime();
    if (Number.isNaN(ms)) throw new CodecError('An Invalid Date (its time is NaN) cannot be stored');
    let sec = Math.floor(ms / 1000);
    let nsec = (ms - sec * 1000) * 1e6;
    const carry = Math.floor(nsec / 1e9);
    sec += carry;
    nsec -= carry * 1e9;
    if (sec >= 0 && nsec >= 0 && sec <= 0x3ffffffff) {
      if (nsec === 0 && sec <= 0xffffffff) {
        this.extensionHeader(EXT_TIMESTAMP, 4);
        this.ensure(4);
        this.view.setUint32(this.pos, sec);
        this.pos += 4;
      } else {
        this.extensionHeader(EXT_TIMESTAMP, 8);
        this.ensure(8);
        this.view.setUint32(this.pos, (nsec << 2) | ((sec / 0x100000000) & 0x3));
        this.view.setUint32(this.pos + 4, sec & 0xffffffff);
        this.pos += 8;
      }
    } else {
      this.extensionHeader(EXT_TIMESTAMP, 12);
      this.ensure(12);
      this.view.setUint32(this.pos, nsec);
      this.view.setBigInt64(this.pos + 4, BigInt(sec));
      this.pos += 12;
    }
  }
}

/** Keys of up to this many bytes are looked up in a small cache: a session repeats the same few keys. */
const CACHED_KEY = 16;
const KEY_CACHE_SIZE = 512;

class Reader {
  bytes: Uint8Array = new Uint8Array(0);
  view: DataView = new DataView(this.bytes.buffer);
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

  /** Charges the heap a container about to be built takes, before it is allocated. */
  charge(bytes: number): void {
    if ((this.heapLeft -= bytes) < 0) {
      throw new CodecError(`Too many containers for the record's size: it would take more than ${HEAP_PER_BYTE} bytes of memory per byte`);
    }
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new CodecError(`Too deep data in depth ${depth}`);
    this.need(1);
    const token = this.bytes[this.pos++]!;
    if (token < 0x80) return token;
    if (token < 0x90) return this.map(token - 0x80, depth);
    if (token < 0xa0) return this.array(token - 0x90, depth);
    if (token < 0xc0) return this.string(token - 0xa0);
    if (token >= 0xe0) return token - 0x100;
    const view = this.view;
    switch (token) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.binary(this.u8());
      case 0xc5:
        return this.binary(this.u16());
      case 0xc6:
        return this.binary(this.u32());
      case 0xc7:
        return this.extension(this.u8());
      case 0xc8:
        return this.extension(this.u16());
      case 0xc9:
        return this.extension(this.u32());
      case 0xca:
        this.need(4);
        return (this.pos += 4), view.getFloat32(this.pos - 4);
      case 0xcb:
        this.need(8);
        return (this.pos += 8), view.getFloat64(this.pos - 8);
      case 0xcc:
        return this.u8();
      case 0xcd:
        return this.u16();
      case 0xce:
        return this.u32();
      case 0xcf:
        this.need(8);
        // As @msgpack/msgpack without useBigInt64: a number (exact up to 2^53).
        return (this.pos += 8), view.getUint32(this.pos - 8) * 0x100000000 + view.getUint32(this.pos - 4);
      case 0xd0:
        this.need(1);
        return view.getInt8(this.pos++);
      case 0xd1:
        this.need(2);
        return (this.pos += 2), view.getInt16(this.pos - 2);
      case 0xd2:
        this.need(4);
        return (this.pos += 4), view.getInt32(this.pos - 4);
      case 0xd3:
        this.need(8);
        return (this.pos += 8), view.getInt32(this.pos - 8) * 0x100000000 + view.getUint32(this.pos - 4);
      case 0xd4:
        return this.extension(1);
      case 0xd5:
        return this.extension(2);
      case 0xd6:
        return this.extension(4);
      case 0xd7:
        return this.extension(8);
      case 0xd8:
        return this.extension(16);
      case 0xd9:
        return this.string(this.u8());
      case 0xda:
        return this.string(this.u16());
      case 0xdb:
        return this.string(this.u32());
      case 0xdc:
        return this.array(this.u16(), depth);
      case 0xdd:
        return this.array(this.u32(), depth);
      case 0xde:
        return this.map(this.u16(), depth);
      case 0xdf:
        return this.map(this.u32(), depth);
      default:
        throw new CodecError(`Unrecognized type byte: 0x${token.toString(16)}`);
    }
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    this.pos += 2;
    return this.view.getUint16(this.pos - 2);
  }

  u32(): number {
    this.need(4);
    this.pos += 4;
    return this.view.getUint32(this.pos - 4);
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

  /**
   * Steps over one value without building it, checking it as `value()` would (its map keys
   * included: a `__proto__` found only when the field is first read would fail a request
   * halfway) and charging the heap it would take; returns where it started.
   */
  skip(depth: number): number {
    const start = this.pos;
    if (depth > MAX_DEPTH) throw new CodecError(`Too deep data in depth ${depth}`);
    this.need(1);
    const token = this.bytes[this.pos++]!;
    if (token < 0x80 || token >= 0xe0 || token === 0xc0 || token === 0xc2 || token === 0xc3) return start;
    if (token < 0x90) this.skipMap(token - 0x80, depth);
    else if (token < 0xa0) this.skipArray(token - 0x90, depth);
    else if (token < 0xc0) this.jump(token - 0xa0);
    else if (token === 0xdc || token === 0xdd) this.skipArray(token === 0xdc ? this.u16() : this.u32(), depth);
    else if (token === 0xde || token === 0xdf) this.skipMap(token === 0xde ? this.u16() : this.u32(), depth);
    else if (token === 0xc1) throw new CodecError('Unrecognized type byte: 0xc1');
    else {
      // Strings, binary and numbers: a length (read or fixed), then the bytes. An
      // extension is decoded, which checks that it is one of ours.
      const size = SIZES[token - 0xc4]!;
      if (size === EXT) {
        this.pos--;
        this.value(depth);
      } else if (size < 0) {
        if (token <= 0xc6) this.charge(BINARY_COST);
        this.jump(size === -1 ? this.u8() : size === -2 ? this.u16() : this.u32());
      } else this.jump(size);
    }
    return start;
  }

  skipArray(length: number, depth: number): void {
    this.need(length);
    this.charge(ARRAY_COST + ITEM_COST * length);
    for (let i = 0; i < length; i++) this.skip(depth + 1);
  }

  skipMap(length: number, depth: number): void {
    this.need(length * 2);
    this.charge(OBJECT_COST + ENTRY_COST * length);
    const bytes = this.bytes;
    for (let i = 0; i < length; i++) {
      this.need(1);
      const token = bytes[this.pos]!;
      if (token > 0xa0 && token < 0xc0 && token !== 0xa9) {
        // A short string key that cannot be `__proto__` (9 bytes): no string is built.
        this.pos++;
        this.jump(token - 0xa0);
      } else this.key();
      this.skip(depth + 1);
    }
  }

  jump(size: number): void {
    this.need(size);
    this.pos += size;
  }
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

const CHAR_CODES = Array.from({ length: SHORT_STRING + 1 }, (_, length) => new Array<number>(length).fill(0));

/** bytes[start, end) in a Uint8Array of its own (`slice` of Node's own byte arrays is a view). */
function copy(bytes: Uint8Array, start: number, end: number): Uint8Array {
  const copied = new Uint8Array(end - start);
  copied.set(bytes.subarray(start, end));
  return copied;
}

const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY.buffer);

// One writer and one reader per process: encoding and decoding never re-enter each other.
const writer = new Writer();
const reader = new Reader();

function decode(bytes: Uint8Array): unknown {
  reader.start(bytes);
  try {
    const value = reader.value(0);
    if (reader.pos !== reader.end) throw new CodecError(`Extra ${reader.end - reader.pos} of ${reader.end} byte(s) found at buffer[${reader.pos}]`);
    return value;
  } finally {
    reader.finish();
  }
}

/**
 * The entries of an encoded map, each value left as its bytes (a view of `bytes`): a
 * field can be decoded when it is first read, and written back unread as it was. It refuses
 * whatever `decode` would refuse, the whole map and each entry alone: an entry decoded when
 * first read, on its own, is then within the memory bound too, and never fails the request.
 */
function decodeEntries(bytes: Uint8Array): [string, Uint8Array][] {
  reader.start(bytes);
  try {
    const token = reader.u8();
    const length = token >= 0x80 && token < 0x90 ? token - 0x80 : token === 0xde ? reader.u16() : token === 0xdf ? reader.u32() : -1;
    if (length < 0) throw new CodecError('not a map');
    reader.need(length * 2);
    reader.charge(OBJECT_COST + (ENTRY_COST + ENTRY_VIEW_COST) * length);
    const entries: [string, Uint8Array][] = [];
    for (let i = 0; i < length; i++) {
      const key = reader.key();
      const heapLeft = reader.heapLeft;
      const start = reader.skip(1);
      if (heapLeft - reader.heapLeft > HEAP_PER_BYTE * (reader.pos - start) + HEAP_ALLOWANCE) {
        throw new CodecError(`Too many containers for the size of an entry: it would take more than ${HEAP_PER_BYTE} bytes of memory per byte`);
      }
      entries.push([key, bytes.subarray(start, reader.pos)]);
    }
    if (reader.pos !== reader.end) throw new CodecError(`Extra ${reader.end - reader.pos} of ${reader.end} byte(s) found at buffer[${reader.pos}]`);
    return entries;
  } finally {
    reader.finish();
  }
}

/**
 * MessagePack (the default): compact, and Date, Map, Set, BigInt and Uint8Array values
 * come back as what they were.
 */
export const msgpackCodec: Codec = {
  name: 'msgpack',
  encode: (value) => {
    writer.encode(value);
    return writer.bytes.slice(0, writer.pos);
  },
  encodeTransient: (value) => {
    writer.encode(value);
    return writer.bytes.subarray(0, writer.pos);
  },
  decode,
  decodeEntries,
  roundTripsPlainData: true,
};
