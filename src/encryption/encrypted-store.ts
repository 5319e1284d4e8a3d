import type { Logger } from '../core/logger.js';
import type { RecordMemo, Store, StoreRecord } from '../core/store.js';
import type { MaybePromise } from '../crypto/primitives.js';
import { foreignValue } from '../core/foreign.js';
import type { RecordSealer, Unopened } from './record-sealer.js';

const REMEDY =
  'If you rotated secrets, keep the old one listed (after the new) until sessions sealed with it have ended; ' +
  'if sessions were stored before encrypt was on, see readPlaintext in docs/security.md.';

/**
 * What an in-process store's memo (StoreRecord.memo) holds for a sealed record: the bytes
 * it opened to, so that reading the record again does not open it again, and the engine's
 * own memo value (`derived`, its decoded payload). The memo is offered only by a store in
 * this process (the memory store), and replaced by the store on every write of the record:
 * only this wrapper puts an OpenedMemo there, with bytes it has itself sealed or opened
 * under that key, and it is used only by the same wrapper, for the same key, while the
 * record still holds those very sealed bytes: a record copied with its memo to another key,
 * or read by an engine with other secrets, is opened again, and fails to open there.
 */
class OpenedMemo implements RecordMemo {
  constructor(
    /** The wrapper and the key it was sealed or opened for: no other wrapper's keys, and no other key, may take it as opened. */
    readonly sealer: RecordSealer,
    readonly key: string,
    readonly sealed: Uint8Array,
    readonly plaintext: Uint8Array,
  ) {}

  /** The engine's own memo value (its decoded payload): empty until the engine leaves one. */
  derived: unknown = undefined;

  /** Whether this memo holds what `record`, read under `key` by `sealer`, opens to. */
  holds(sealer: RecordSealer, key: string, record: StoreRecord): boolean {
    return this.sealed === record.data && this.sealer === sealer && this.key === key;
  }
}

/**
 * A store whose records are sealed at rest (`encrypt`): it seals the bytes of every write
 * with the store key as additional data and opens them on every read, and forwards the
 * rest to the store it wraps. A record that does not open reads as no session, with one
 * warning naming the key by its prefix and handle. Versions, expiry, touch, sweeps and
 * listings are the inner store's, unchanged: none of them looks at the bytes. It has each
 * optional capability its inner store has; the synchronous ones only where sealing is
 * synchronous too (node:crypto).
 */
export class EncryptedStore implements Store {
  readonly name: string;
  declare readonly getSync?: Store['getSync'];
  declare readonly create?: Store['create'];
  declare readonly setIf?: Store['setIf'];
  declare readonly createSync?: Store['createSync'];
  declare readonly setIfSync?: Store['setIfSync'];
  declare readonly touch?: Store['touch'];
  declare readonly deleteExpired?: Store['deleteExpired'];
  declare readonly countExpired?: Store['countExpired'];
  declare readonly getExpired?: Store['getExpired'];
  declare readonly keys?: Store['keys'];
  declare readonly close?: Store['close'];
  readonly #inner: Store;
  readonly #sealer: RecordSealer;
  readonly #logger: Pick<Logger, 'warn'>;

  constructor(inner: Store, sealer: RecordSealer, logger: Pick<Logger, 'warn'>) {
    this.name = inner.name;
    this.#inner = inner;
    this.#sealer = sealer;
    this.#logger = logger;
    if (inner.create) this.create = async (key, record) => inner.create!(key, await this.#sealed(key, record));
    if (inner.setIf) this.setIf = async (key, record, version) => inner.setIf!(key, await this.#sealed(key, record), version);
    // None of these reads or writes a record's bytes.
    if (inner.touch) this.touch = (key, expiresAt) => inner.touch!(key, expiresAt);
    if (inner.deleteExpired) this.deleteExpired = (options) => inner.deleteExpired!(options);
    if (inner.countExpired) this.countExpired = (options) => inner.countExpired!(options);
    if (inner.keys) this.keys = (prefix) => inner.keys!(prefix);
    // Opened as `get` opens: the engine decodes an expired record to tell `expired` from `absolute-end`.
    if (inner.getExpired) this.getExpired = async (key) => this.#opened(key, await inner.getExpired!(key));
    if (inner.close) this.close = () => inner.close!();
    // getSync, createSync and setIfSync where the inner store has them and sealing answers at once.
    if (!sealer.synchronous) return;
    if (inner.getSync) this.getSync = (key) => this.#opened(key, inner.getSync!(key)) as StoreRecord | undefined;
    if (inner.createSync && inner.setIfSync) {
      this.createSync = (key, record) => inner.createSync!(key, this.#sealed(key, record) as StoreRecord);
      this.setIfSync = (key, record, version) => inner.setIfSync!(key, this.#sealed(key, record) as StoreRecord, version);
    }
  }

  async get(key: string): Promise<StoreRecord | undefined> {
    return this.#opened(key, await this.#inner.get(key));
  }

  async set(key: string, record: StoreRecord): Promise<string | undefined> {
    return this.#inner.set(key, await this.#sealed(key, record));
  }

  delete(key: string): Promise<void> {
    return this.#inner.delete(key);
  }

  /** The record the engine wrote, sealed; its memo (if the inner store keeps one) remembers the bytes it was sealed from. */
  #sealed(key: string, record: StoreRecord): MaybePromise<StoreRecord> {
    const sealed = this.#sealer.seal(key, record.data);
    const written = (bytes: Uint8Array): StoreRecord => {
      // A store that keeps memos keeps the written memo's value: what the sealed bytes open to, the engine's own value inside.
      const opened = new OpenedMemo(this.#sealer, key, bytes, record.data);
      opened.derived = record.memo?.derived;
      return { data: bytes, expiresAt: record.expiresAt, memo: { derived: opened } };
    };
    return sealed instanceof Promise ? sealed.then(written) : written(sealed);
  }

  /** The record as the engine reads it: opened, from the memo where it still holds these bytes. */
  #opened(key: string, record: StoreRecord | undefined): MaybePromise<StoreRecord | undefined> {
    if (record === undefined) return undefined;
    const kept = record.memo?.derived;
    if (kept instanceof OpenedMemo && kept.holds(this.#sealer, key, record)) return openedRecord(record, kept);
    const opened = this.#sealer.open(key, record.data);
    return opened instanceof Promise ? opened.then((value) => this.#readable(key, record, value)) : this.#readable(key, record, opened);
  }

  #readable(key: string, record: StoreRecord, opened: Uint8Array | Unopened): StoreRecord | undefined {
    if (typeof opened === 'string') {
      foreignValue({ logger: this.#logger, storeName: this.name }, key, opened, REMEDY);
      return undefined;
    }
    if (!record.memo) return { data: opened, expiresAt: record.expiresAt, version: record.version };
    // Kept as long as the record: bytes of their own, never a view that holds a whole pool
    // slab of node's Buffers alive. The engine's memo value starts empty, as on a first read.
    const memo = new OpenedMemo(this.#sealer, key, record.data, new Uint8Array(opened));
    record.memo.derived = memo;
    return openedRecord(record, memo);
  }
}

function openedRecord(record: StoreRecord, memo: OpenedMemo): StoreRecord {
  return { data: memo.plaintext, expiresAt: record.expiresAt, version: record.version, memo };
}
