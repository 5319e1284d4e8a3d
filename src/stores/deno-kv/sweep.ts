/**
 * deleteExpired and countExpired for Deno KV: KV has no query on a value's contents, so a
 * sweep lists the store's prefix a page (`batchSize` entries) at a time and reads each
 * session's expiry from its header. Every expired entry is deleted with a check on the
 * versionstamp it was listed with, so a session written again since the listing (a create
 * over an expired session, a lock taken again) stays. Foreign values are left alone.
 *
 * A sweep reads every session under the prefix. KV's own expiry (`expireIn`, set on every
 * write) removes expired entries by itself, so on Deno Deploy a sweep is rarely needed.
 */
import { isExpired } from '../../core/store.js';
import type { KvDatabase, KvEntry, KvKey } from './kv.js';
import { decodeValue } from './value.js';

/** KV's smallest limit on checks in one atomic operation across its versions. */
const DELETES_PER_COMMIT = 10;

export interface SweepTarget {
  readonly kv: KvDatabase;
  readonly prefix: KvKey;
  readonly batchSize: number;
  /** The store's own operation runner: timeout and error wrapping. */
  run<T>(action: string, operation: () => Promise<T>): Promise<T>;
}

interface Listed {
  readonly key: KvKey;
  readonly versionstamp: string;
}

/** The expired entries of the prefix, page by page: each page's listing is one bounded operation. */
async function* expiredPages(target: SweepTarget): AsyncGenerator<Listed[]> {
  let cursor: string | undefined;
  for (;;) {
    const page = await target.run('sweep (list)', async () => {
      const listing = target.kv.list({ prefix: target.prefix }, { limit: target.batchSize, cursor });
      const entries: KvEntry[] = [];
      for await (const entry of listing) entries.push(entry);
      // A short page is the last; @deno/kv has no cursor for an empty one (it throws).
      return { entries, cursor: entries.length < target.batchSize ? '' : listing.cursor };
    });
    const now = Date.now();
    yield page.entries.flatMap((entry) => {
      const stored = decodeValue(entry.value);
      return stored && isExpired(stored, now) && entry.versionstamp ? [{ key: entry.key as KvKey, versionstamp: entry.versionstamp }] : [];
    });
    if (!page.cursor) return;
    cursor = page.cursor;
  }
}

/** Deletes expired entries, at most `limit`; resolves how many it deleted. */
export async function sweepExpired(target: SweepTarget, limit: number): Promise<number> {
  let removed = 0;
  for await (const expired of expiredPages(target)) {
    const wanted = expired.slice(0, limit - removed);
    for (let start = 0; start < wanted.length; start += DELETES_PER_COMMIT) {
      const chunk = wanted.slice(start, start + DELETES_PER_COMMIT);
      removed += await target.run('sweep (delete)', () => deleteUnchanged(target.kv, chunk));
    }
    if (removed >= limit) return removed;
  }
  return removed;
}

/** How many expired entries a sweep would delete now. */
export async function countExpired(target: SweepTarget): Promise<number> {
  let count = 0;
  for await (const expired of expiredPages(target)) count += expired.length;
  return count;
}

/**
 * Deletes the entries still at their listed versionstamp: all in one commit when none
 * changed (the usual case), else one by one, so that one rewritten session does not keep
 * the others.
 */
async function deleteUnchanged(kv: KvDatabase, entries: readonly Listed[]): Promise<number> {
  if ((await deleteAll(kv, entries)).ok) return entries.length;
  if (entries.length === 1) return 0;
  const results = await Promise.all(entries.map((entry) => deleteAll(kv, [entry])));
  return results.filter((result) => result.ok).length;
}

function deleteAll(kv: KvDatabase, entries: readonly Listed[]) {
  const operation = kv.atomic().check(...entries.map(({ key, versionstamp }) => ({ key, versionstamp })));
  for (const { key } of entries) operation.delete(key);
  return operation.commit();
}
