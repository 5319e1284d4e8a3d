/**
 * The writes of one store key from this process, one at a time.
 *
 * Concurrent requests of one session each read the record, then write it with
 * compare-and-set; when several write at once, all but one lose and merge again, and a
 * busy session can lose that race `maxConflictRetries` times in a row. Writers of one
 * process need not race each other at all: here they wait for their turn, so each write
 * loses at most once (to a write that landed after it read, which it learns from
 * `queued`), and only writers in other processes can make the store refuse it again.
 * Waiting also keeps a hot session's store traffic at one write at a time, instead of
 * a crowd of retries that every other user's requests queue behind at the store.
 *
 * Bounded by the writes in flight: a key has a line only while a write of it runs, one
 * waiter per request, and the line goes when it empties. No line is made for a store
 * that writes synchronously (the engine's merge there reads and writes without a turn
 * in between, see store-writer.ts).
 */

/** The writes of one key: the one running, and those waiting for it in arrival order. */
interface Line {
  readonly waiting: Array<() => void>;
}

export class WriteQueue {
  readonly #lines = new Map<string, Line>();

  /**
   * Runs `write` once no other write of `key` from this process is running. `queued` is
   * true when it had to wait: a write of the key landed (or failed) after it arrived.
   */
  run<T>(key: string, write: (queued: boolean) => Promise<T>): Promise<T> {
    const line = this.#lines.get(key);
    if (line === undefined) {
      const fresh: Line = { waiting: [] };
      this.#lines.set(key, fresh);
      return this.#head(key, fresh, write, false);
    }
    return new Promise<void>((resolve) => line.waiting.push(resolve)).then(() => this.#head(key, line, write, true));
  }

  /** How many keys have a write running: for tests and diagnostics. */
  get activeKeys(): number {
    return this.#lines.size;
  }

  /** Runs the line's head, then lets the next in line go, or removes the line. Plain promises, no async frame: every write of a network store passes here. */
  #head<T>(key: string, line: Line, write: (queued: boolean) => Promise<T>, queued: boolean): Promise<T> {
    let running: Promise<T>;
    try {
      running = write(queued);
    } catch (error) {
      // A store method that throws instead of rejecting must not leave the line held.
      running = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    running.then(
      () => this.#next(key, line),
      () => {
        // A store that times out or is down would fail each waiter only after the one
        // before it: let them all go at once, so none waits longer than its own attempt.
        for (const release of line.waiting.splice(0)) release();
        this.#next(key, line);
      },
    );
    return running;
  }

  #next(key: string, line: Line): void {
    const next = line.waiting.shift();
    if (next) next();
    else if (this.#lines.get(key) === line) this.#lines.delete(key);
  }
}

/** One queue per store object, shared by every engine of the process that writes to it. */
const queues = new WeakMap<object, WriteQueue>();

/**
 * Whether the requests of one process may take turns here. Not in Cloudflare's workerd: a
 * request whose write is started from another request's settled promise fails there (each of
 * a session's concurrent requests but the first answered 500 in test/runtimes/workerd), so on
 * Workers the writes of one isolate race in the store and merge, as those of separate
 * processes do.
 */
export const TAKES_TURNS = (globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent !== 'Cloudflare-Workers';

export function writeQueueOf(store: object): WriteQueue {
  let queue = queues.get(store);
  if (!queue) queues.set(store, (queue = new WriteQueue()));
  return queue;
}
