/**
 * Sets key → value in a map used as a cache of at most `max` entries, dropping the oldest
 * insertion first (Maps iterate in insertion order). Cheaper than an LRU and enough for
 * caches whose misses only cost time, never correctness.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  if (map.size >= max && !map.has(key)) map.delete(map.keys().next().value as K);
  map.set(key, value);
}
