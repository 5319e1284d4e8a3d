/**
 * How session data becomes bytes in a store and back. A codec never produces or runs
 * code: decoding yields plain data only, and must not touch any prototype.
 */
export interface Codec {
  /** Name used in warnings, e.g. 'msgpack'. */
  readonly name: string;
  /** Bytes the caller owns: never a view of a buffer the codec reuses. */
  encode(value: unknown): Uint8Array;
  /**
   * Optional: like `encode`, but the bytes may be a view of a buffer the codec reuses, valid
   * only until its next call. The engine uses it to check whether a session changed (most
   * requests) without allocating, and copies the bytes only when it keeps them.
   */
  encodeTransient?(value: unknown): Uint8Array;
  /** Throws on bytes it cannot read; the engine turns that into a fresh session. */
  decode(bytes: Uint8Array): unknown;
  /**
   * Optional, with `EncodedValue` support in `encode`/`encodeTransient`: the entries of an
   * encoded map (an object), each value still encoded (a view of `bytes`, decoded with
   * `decode`). Checks the structure of the whole map as `decode` would, without building
   * the values: a field a request never reads need never be decoded, nor encoded again.
   * Throws where `decode` would, and on bytes that do not hold a map.
   */
  decodeEntries?(bytes: Uint8Array): [string, Uint8Array][];
  /**
   * Optional: decoding what `encode` made of plain data (strings without lone surrogates,
   * numbers other than -0, booleans, null, dense arrays and plain objects of those) gives
   * the same data back, keys in the same order. The engine then keeps a session it writes
   * to the memory store in decoded form, instead of decoding it on the next read
   * (../decoded-records.ts). msgpack's encoder makes -0 an integer 0, undefined nil and a
   * lone surrogate U+FFFD: such data is never kept that way.
   */
  readonly roundTripsPlainData?: boolean;
}

/**
 * What the msgpack codec throws for bytes it cannot read and values it cannot write: the one
 * error a record planted in a store can cause, which the engine turns into a fresh session.
 */
export class CodecError extends Error {
  override readonly name = 'CodecError';
}

/**
 * A value already encoded by the codec that is given it: `encode` writes these bytes as
 * they are, in the value's place. Only a codec with `decodeEntries` understands it.
 */
export class EncodedValue {
  constructor(readonly bytes: Uint8Array) {}
}
