/**
 * What the writer and the reader agree on: sessionkit's extension types and the limits both
 * enforce, so that whatever the reader accepts the writer can write back.
 *
 * Extension types owned by sessionkit (0-127 are free for applications; -1 is msgpack's
 * own timestamp, used for Date): Map (1) and Set (2) hold a msgpack array of their entries,
 * BigInt (3) its decimal text (where int64 would overflow; up to MAX_BIGINT_DIGITS digits).
 */
export const EXT_MAP = 1;
export const EXT_SET = 2;
export const EXT_BIGINT = 3;
export const EXT_TIMESTAMP = -1;

/**
 * As @msgpack/msgpack: deeper data is refused (a cycle ends here too) rather than overflowing
 * the stack, by the encoder and the decoder alike. The entries of a Map or Set count their
 * depth from 0 again, as @msgpack/msgpack's (which encoded them on their own) did; the
 * collections themselves may be nested this many deep, which bounds the whole depth.
 */
export const MAX_DEPTH = 100;
export const MAX_NESTED_COLLECTIONS = 10;
/** Longer decimal text makes BigInt() and toString() slow (quadratic): a record of them could stall the process. */
export const MAX_BIGINT_DIGITS = 1024;

/** Strings up to this many bytes are converted by hand; longer ones by TextEncoder/TextDecoder, which win there. */
export const SHORT_STRING = 48;
