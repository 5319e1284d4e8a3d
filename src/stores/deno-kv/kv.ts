/**
 * The part of a Deno KV database the store uses, typed structurally: `Deno.Kv` from
 * `Deno.openKv()` (Deno, Deno Deploy) and `Kv` from `@deno/kv`'s `openKv()` (Node) both
 * fit, and the store needs no library of its own. The application opens the database and
 * passes it in; the store never closes it.
 *
 * Keys are arrays of strings here: the store builds every key as `[...prefix, key]`.
 */
export type KvKey = readonly string[];

/** One stored entry; `value` is whatever was written there (ours are Uint8Array). */
export interface KvEntry {
  readonly key: readonly unknown[];
  readonly value: unknown;
  /** null for a key that holds nothing. */
  readonly versionstamp: string | null;
}

/** KV's own expiry: the entry may be deleted this many milliseconds after the write (eventually). */
export interface KvSetOptions {
  expireIn?: number;
}

export type KvCommitResult = { readonly ok: true; readonly versionstamp: string } | { readonly ok: false };

/** An atomic operation: every check must hold at commit, or nothing is written. */
export interface KvAtomic {
  check(...checks: { key: KvKey; versionstamp: string | null }[]): KvAtomic;
  set(key: KvKey, value: Uint8Array, options?: KvSetOptions): KvAtomic;
  delete(key: KvKey): KvAtomic;
  commit(): Promise<KvCommitResult>;
}

/** A page of `list()`: its entries, and the cursor the next page starts from. */
export interface KvListPage extends AsyncIterable<KvEntry> {
  readonly cursor: string;
}

export interface KvDatabase {
  get(key: KvKey): Promise<KvEntry>;
  set(key: KvKey, value: Uint8Array, options?: KvSetOptions): Promise<KvCommitResult>;
  delete(key: KvKey): Promise<void>;
  atomic(): KvAtomic;
  list(selector: { prefix: KvKey }, options?: { limit?: number; cursor?: string; batchSize?: number }): KvListPage;
}
