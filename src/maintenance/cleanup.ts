/**
 * `cleanupSessions`: removes a store's expired sessions in bounded batches, the API behind
 * `npx sessionkit cleanup` (Flask-Session's `flask session_cleanup`). Each batch is one
 * `deleteExpired({ limit: batchSize })`, so no single request to the backend holds it for
 * long; a dry run asks `countExpired()` instead and removes nothing.
 */
import { SessionConfigError } from '../core/errors.js';
import type { Store } from '../core/store.js';

export interface CleanupOptions {
  /** Expired sessions removed per batch: one `deleteExpired({ limit })` each. Default 1000. */
  batchSize?: number;
  /** Stop after this many batches even if expired sessions are left (a bounded run). Default: no bound. */
  maxBatches?: number;
  /** Count what would be removed and remove nothing. */
  dryRun?: boolean;
  /** Called after every batch with the totals so far. */
  onProgress?: (progress: CleanupProgress) => void;
  /** Stops the run between batches; the summary then says `aborted: true`. */
  signal?: AbortSignal;
}

export interface CleanupProgress {
  /** Expired sessions removed so far. */
  readonly removed: number;
  /** Batches done so far. */
  readonly batches: number;
  /** Milliseconds since the run started. */
  readonly ms: number;
}

export interface CleanupSummary extends CleanupProgress {
  /** The store's name, as in its errors: 'sqlite', 'sql:postgres', 'dynamodb', … */
  readonly store: string;
  readonly dryRun: boolean;
  /**
   * A dry run: the expired sessions a run would remove now. `undefined` when the store
   * cannot count them (it has no `countExpired`: Redis and memcached expire records
   * themselves); `note` then says so. A real run: `undefined`.
   */
  readonly expired: number | undefined;
  /** What the store removed (a dry run: would remove) besides sessions, e.g. `{ 'stale temporary files': 2 }`. */
  readonly leftovers: Readonly<Record<string, number>>;
  /** Stopped by `signal`, or by `maxBatches`, with expired sessions possibly left. */
  readonly stopped: 'signal' | 'maxBatches' | undefined;
  /** Something the numbers alone do not say (a store that cannot count). */
  readonly note: string | undefined;
}

export const DEFAULT_BATCH_SIZE = 1000;

/**
 * Removes expired sessions from `store` in batches of `batchSize`, until a batch removes
 * fewer (the store is clean), `maxBatches` are done or `signal` is aborted. Rejects with
 * the store's StoreError when the backend fails (`onProgress` has seen how far it got),
 * and with a SessionConfigError for a store that cannot remove expired sessions.
 */
export async function cleanupSessions(store: Store, options: CleanupOptions = {}): Promise<CleanupSummary> {
  const batchSize = positiveInteger('batchSize', options.batchSize ?? DEFAULT_BATCH_SIZE);
  const maxBatches = options.maxBatches === undefined ? Infinity : positiveInteger('maxBatches', options.maxBatches);
  if (typeof store.deleteExpired !== 'function') {
    throw new SessionConfigError(
      `the ${store.name} store cannot remove expired sessions (it has no deleteExpired): its backend must expire them, or there is nothing to clean up.`,
    );
  }
  const started = performance.now();
  const leftovers: Record<string, number> = {};
  const onLeftovers = (what: string, count: number) => {
    leftovers[what] = (leftovers[what] ?? 0) + count;
  };
  const elapsed = () => Math.round(performance.now() - started);
  const summary = (fields: Partial<CleanupSummary>): CleanupSummary => ({
    store: store.name,
    dryRun: options.dryRun ?? false,
    removed: 0,
    batches: 0,
    ms: elapsed(),
    expired: undefined,
    leftovers,
    stopped: undefined,
    note: undefined,
    ...fields,
  });

  if (options.dryRun) {
    if (typeof store.countExpired !== 'function') {
      return summary({ note: `the ${store.name} store cannot count expired sessions without removing them; nothing was counted.` });
    }
    const expired = await store.countExpired({ onLeftovers });
    return summary({ expired });
  }

  let removed = 0;
  let batches = 0;
  for (;;) {
    if (options.signal?.aborted) return summary({ removed, batches, stopped: 'signal' });
    if (batches >= maxBatches) return summary({ removed, batches, stopped: 'maxBatches' });
    const count = await store.deleteExpired({ limit: batchSize, onLeftovers });
    removed += count;
    batches++;
    options.onProgress?.({ removed, batches, ms: elapsed() });
    if (count < batchSize) return summary({ removed, batches });
    // In-process stores (memory, SQLite) answer without I/O: without this turn of the event
    // loop a sweep run inside an application would hold every request until it ended.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new SessionConfigError(`cleanupSessions: ${name} must be a positive integer, got ${String(value)}.`);
  return value;
}
