/**
 * Random bytes for record versions and nonces, which stores make on every write. They
 * come from the Web Crypto RNG in blocks: a node:crypto `randomBytes(8)` call per write
 * costs far more (`node bench/store-call.mjs`, bench/RESULTS.md), one getRandomValues of a block serves 512
 * eight-byte versions. The bytes are as random as the RNG's; each is handed out once.
 */
const BLOCK_BYTES = 4096;
let block = new Uint8Array(0);
let used = 0;

/** `length` (at most 4096) fresh random bytes, a copy of their own. */
export function randomBytes(length: number): Uint8Array {
  if (used + length > block.length) {
    block = crypto.getRandomValues(new Uint8Array(BLOCK_BYTES));
    used = 0;
  }
  used += length;
  return block.slice(used - length, used);
}

/** Node stores' view of such bytes as a Buffer (no copy). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
