/**
 * A seeded generator of numbers in [0, 1) (xorshift32): a randomized test that fails names
 * its seed, and the same seed gives the same input again.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}
