import type { Store, StoreRecord } from '../../src/core/store.js';
import { MemoryStore } from '../../src/stores/memory.js';

/**
 * A real MemoryStore that also counts the calls the engine makes, so tests can assert
 * "one read, no write" without a mock: every call still does its real work. Only the
 * asynchronous methods are offered, so the engine's every read and write goes through a
 * counted call (pass a MemoryStore subclass as `inner` to slow them down).
 */
export class CountingStore implements Store {
  readonly name = 'counting-memory';
  readonly calls = { get: 0, set: 0, delete: 0, create: 0, setIf: 0, touch: 0 };

  constructor(readonly inner: MemoryStore = new MemoryStore()) {}

  reset(): void {
    for (const key of Object.keys(this.calls) as (keyof CountingStore['calls'])[]) this.calls[key] = 0;
  }

  get writes(): number {
    const { set, delete: del, create, setIf, touch } = this.calls;
    return set + del + create + setIf + touch;
  }

  get(key: string) {
    this.calls.get++;
    return this.inner.get(key);
  }
  set(key: string, record: StoreRecord) {
    this.calls.set++;
    return this.inner.set(key, record);
  }
  delete(key: string) {
    this.calls.delete++;
    return this.inner.delete(key);
  }
  create(key: string, record: StoreRecord) {
    this.calls.create++;
    return this.inner.create(key, record);
  }
  setIf(key: string, record: StoreRecord, version: string) {
    this.calls.setIf++;
    return this.inner.setIf(key, record, version);
  }
  touch(key: string, expiresAt: number) {
    this.calls.touch++;
    return this.inner.touch(key, expiresAt);
  }
}
