/**
 * How session data becomes bytes in a store and back. A codec never produces or runs
 * code: decoding yields plain data only, and must not touch any prototype.
 */
export interface Codec {
  /** Name used in warnings, e.g. 'msgpack'. */
  readonly name: string;
  encode(value: unknown): Uint8Array;
  /**
   * Optional: like `encode`, but the bytes may be a view of a buffer the codec reuses, valid
   * only until its next call. The engine uses it to check whether a session changed (most
   * requests) without allocating, and copies the bytes only when it keeps them.
   */
  encodeTransient?(value: unknown): Uint8Array;
  /** Throws on bytes it cannot read; the engine turns that into a fresh session. */
  decode(bytes: Uint8Array): unknown;
}
