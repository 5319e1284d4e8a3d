import { CodecError, EncodedValue } from '../codec.js';
import { EXT_BIGINT, EXT_MAP, EXT_SET, EXT_TIMESTAMP, MAX_BIGINT_DIGITS, MAX_DEPTH, MAX_NESTED_COLLECTIONS, SHORT_STRING } from './format.js';

const textEncoder = new TextEncoder();

/** The encoder: writes a value into one buffer it keeps and grows, reused from call to call. */
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
        this.byte(value ? 0xc3 : 0xc2);
        return;
      case 'undefined':
        this.byte(0xc0);
        return;
      case 'bigint':
        this.bigint(value);
        return;
      case 'object':
        if (value === null) this.byte(0xc0);
        else this.object(value, depth);
        return;
      default:
        throw new CodecError(`Unrecognized object: ${Object.prototype.toString.call(value)}`);
    }
  }

  byte(code: number): void {
    this.ensure(1);
    this.bytes[this.pos++] = code;
  }

  object(value: object, depth: number): void {
    if (Array.isArray(value)) this.array(value, depth);
    // Bytes this codec produced for a value nobody read since (see EncodedValue).
    else if (value instanceof EncodedValue) this.raw(value.bytes);
    else if (value instanceof Date) this.timestamp(value);
    else if (value instanceof Map) this.nested(EXT_MAP, [...value]);
    else if (value instanceof Set) this.nested(EXT_SET, [...value]);
    else if (ArrayBuffer.isView(value)) this.binary(value);
    else this.record(value as Record<string, unknown>, depth);
  }

  array(value: unknown[], depth: number): void {
    const length = value.length;
    this.header(length, 0x90, 0xdc);
    for (let i = 0; i < length; i++) this.value(value[i], depth + 1);
  }

  record(value: Record<string, unknown>, depth: number): void {
    const keys = Object.keys(value);
    this.header(keys.length, 0x80, 0xde);
    for (const key of keys) {
      this.string(key);
      this.value(value[key], depth + 1);
    }
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.bytes.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  binary(value: ArrayBufferView): void {
    const length = value.byteLength;
    this.ensure(5 + length);
    this.lengthHeader(length, 0xc4);
    this.bytes.set(new Uint8Array(value.buffer, value.byteOffset, length), this.pos);
    this.pos += length;
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

  /**
   * A code, then a length in 8, 16 or 32 bits, the three codes following one another
   * (`code8` is the 8-bit one): binary, string and extension headers. Up to 5 bytes, ensured by the caller.
   */
  lengthHeader(size: number, code8: number): void {
    if (size < 0x100) {
      this.bytes[this.pos++] = code8;
      this.bytes[this.pos++] = size;
    } else if (size < 0x10000) {
      this.bytes[this.pos++] = code8 + 1;
      this.view.setUint16(this.pos, size);
      this.pos += 2;
    } else {
      this.bytes[this.pos++] = code8 + 2;
      this.view.setUint32(this.pos, size);
      this.pos += 4;
    }
  }

  number(value: number): void {
    this.ensure(9);
    if (!Number.isSafeInteger(value)) {
      this.bytes[this.pos++] = 0xcb;
      this.view.setFloat64(this.pos, value);
      this.pos += 8;
    } else if (value >= 0) {
      this.unsigned(value);
    } else {
      this.negative(value);
    }
  }

  /** A safe integer ≥ 0, in the fewest bytes. Up to 9 bytes, ensured by the caller. */
  unsigned(value: number): void {
    if (value < 0x80) {
      this.bytes[this.pos++] = value;
    } else if (value < 0x100) {
      this.bytes[this.pos++] = 0xcc;
      this.bytes[this.pos++] = value;
    } else if (value < 0x10000) {
      this.bytes[this.pos++] = 0xcd;
      this.view.setUint16(this.pos, value);
      this.pos += 2;
    } else if (value < 0x100000000) {
      this.bytes[this.pos++] = 0xce;
      this.view.setUint32(this.pos, value);
      this.pos += 4;
    } else {
      this.bytes[this.pos++] = 0xcf;
      this.view.setUint32(this.pos, Math.floor(value / 0x100000000));
      this.view.setUint32(this.pos + 4, value >>> 0);
      this.pos += 8;
    }
  }

  /** A safe integer < 0, in the fewest bytes. Up to 9 bytes, ensured by the caller. */
  negative(value: number): void {
    if (value >= -0x20) {
      this.bytes[this.pos++] = value & 0xff;
    } else if (value >= -0x80) {
      this.bytes[this.pos++] = 0xd0;
      this.view.setInt8(this.pos++, value);
    } else if (value >= -0x8000) {
      this.bytes[this.pos++] = 0xd1;
      this.view.setInt16(this.pos, value);
      this.pos += 2;
    } else if (value >= -0x80000000) {
      this.bytes[this.pos++] = 0xd2;
      this.view.setInt32(this.pos, value);
      this.pos += 4;
    } else {
      this.bytes[this.pos++] = 0xd3;
      this.view.setBigInt64(this.pos, BigInt(value));
      this.pos += 8;
    }
  }

  string(value: string): void {
    if (value.length <= SHORT_STRING) this.shortString(value);
    else this.longString(value);
  }

  /** The UTF-8 length first (the header comes before the bytes), then the bytes by hand when ASCII. */
  shortString(value: string): void {
    const length = value.length;
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
  }

  /** Written past the longest header, then moved back when the header is shorter. */
  longString(value: string): void {
    this.ensure(5 + value.length * 3);
    const start = this.pos;
    const size = textEncoder.encodeInto(value, this.bytes.subarray(start + 5)).written;
    this.stringHeader(size);
    const headerEnd = this.pos;
    if (headerEnd !== start + 5) this.bytes.copyWithin(headerEnd, start + 5, start + 5 + size);
    this.pos = headerEnd + size;
  }

  stringHeader(size: number): void {
    this.ensure(5);
    if (size < 32) this.bytes[this.pos++] = 0xa0 + size;
    else this.lengthHeader(size, 0xd9);
  }

  extensionHeader(type: number, size: number): void {
    this.ensure(6);
    const fixed = size === 1 ? 0xd4 : size === 2 ? 0xd5 : size === 4 ? 0xd6 : size === 8 ? 0xd7 : size === 16 ? 0xd8 : 0;
    if (fixed !== 0) this.bytes[this.pos++] = fixed;
    else this.lengthHeader(size, 0xc7);
    this.view.setInt8(this.pos++, type);
  }

  bigint(value: bigint): void {
    const text = value.toString();
    const digits = value < 0n ? text.length - 1 : text.length;
    if (digits > MAX_BIGINT_DIGITS) throw new CodecError(`A BigInt of ${digits} digits cannot be stored (at most ${MAX_BIGINT_DIGITS})`);
    const data = textEncoder.encode(text);
    this.extensionHeader(EXT_BIGINT, data.length);
    this.raw(data);
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

// One writer per process: encoding never re-enters itself.
const writer = new Writer();

/** The encoding of `value`, a view of the writer's buffer: valid until the next call. */
export function encodeTransient(value: unknown): Uint8Array {
  writer.encode(value);
  return writer.bytes.subarray(0, writer.pos);
}
