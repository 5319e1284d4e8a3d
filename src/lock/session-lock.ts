/**
 * The opt-in per-session lock (`lock: true`): serialises the writing requests of one
 * session, where by default the last writer of a key wins.
 *
 * One lock for every store, built only on the store contract (`create`, `get`, `setIf`),
 * so it needs nothing a backend offers beyond what the engine already relies on: one key
 * (so it works on Redis Cluster), compare-and-set by version (Memcached's cas, DynamoDB's
 * and Firestore's conditions, SQL's UPDATE … WHERE version). On SQL the lock is a row in
 * the sessions table taken by INSERT-if-absent and compare-and-set, not SELECT … FOR
 * UPDATE or an advisory lock: those hold a pooled connection for as long as the lock is
 * held or awaited, so a burst of requests of one session would drain the pool and stall
 * every other user's requests behind it.
 *
 * The record under the lock key holds a random 128-bit token of the holder, expiring at
 * now + lease:
 * - acquire: `create` (insert if absent). A record that expired reads as absent (store
 *   contract), so `create` succeeds over it: that is how a request that died lets go.
 *   A record holding the RELEASED marker (empty bytes) is taken with `setIf` on its
 *   version; of several takers exactly one wins, since every write changes the version.
 *   Anything else is held: wait (exponential backoff with jitter) and try again until
 *   `waitMs` is spent, then fail with {@link SessionLockTimeoutError}.
 * - release: read the record; if it no longer holds our token (our lease ran out and
 *   another request took over) do nothing; else `setIf` it to RELEASED on the version
 *   just read, so a takeover in between (which changes the version) wins. A plain
 *   `delete` could remove the next holder's lock; an already-past expiry is not written
 *   either (Redis refuses PX 0 and Memcached counts whole seconds), so the marker
 *   simply lives one more lease.
 *
 * Fencing: the token is checked on release; the session's data is fenced by the record's
 * own version (store-writer.ts writes with compare-and-set). A holder whose lease ran out
 * while it still worked cannot overwrite a newer write wholesale: its compare-and-set
 * loses. Note that the engine's merge after a lost race then re-applies the keys this
 * request changed, so the lease must outlast every healthy request (see the defaults).
 *
 * Within one process the requests of a session first queue on an in-process FIFO
 * mutex, and only the head of the queue takes the store lock (which is what keeps other
 * processes out). So waiting in-process costs no store round trips and no polling, and
 * it is the whole lock for stores that live in this process (memory, SQLite). The queue
 * honours the lease as the store does: once the head's lease has run out, the next
 * waiter goes ahead (a timer of the head's, and, should that timer never fire, as in
 * workerd once the head's request was cancelled, the next request that joins or gives up
 * waiting); the late head's release then leaves its successor's place alone, as its
 * token check leaves the successor's store lock alone.
 *
 * Expiry is compared with the clock of the process that reads (Redis counts the TTL on
 * the server): app servers whose clocks disagree by more than a small part of the lease
 * shorten or lengthen it.
 */
import { primitives } from '#crypto';
import { delay } from '../core/delay.js';
import { parseDuration } from '../core/duration.js';
import { describeValue, SessionConfigError } from '../core/errors.js';
import { consoleLogger, type Logger } from '../core/logger.js';
import { StoreError, type Store, type StoreRecord } from '../core/store.js';

/** Seconds, or a string such as '5s' or '500ms' (see duration.ts). */
export type Duration = number | string;

/** The `lock` option as the application writes it. */
export type LockOption = boolean | { wait?: Duration; lease?: Duration };

/** How long a request waits for the lock, and how long a lock lasts when nobody releases it. */
export interface LockSettings {
  waitMs: number;
  leaseMs: number;
}

/** A lock this request holds. */
export interface HeldLock {
  /** How long the request waited for it: 0 when it was free at once, else the time in the queue and store retries. */
  readonly waitedMs: number;
  /**
   * Gives the lock back. Idempotent. Never rejects because the lock already ran out or
   * was taken over (then there is nothing to give back); rejects only for a store fault,
   * and even then the next request of this process may go ahead (the store lock then
   * ends with its lease).
   */
  release(): Promise<void>;
}

// Defaults. The lease bounds how long a request that died (process killed, machine
// gone) blocks its session: 10 s is far beyond a healthy request that writes a session,
// yet short enough that its user is back within seconds. A request waits at most 5 s:
// well under the usual 30-60 s of proxies and browsers, so a queue of one user's
// requests fails with a clear error instead of timing out somewhere else.
const DEFAULT_WAIT_MS = 5_000;
const DEFAULT_LEASE_MS = 10_000;
// Below a second a slow store round trip or a garbage collection pause ends the lease of
// a healthy request.
const MIN_LEASE_MS = 1_000;
const KNOWN_LOCK_OPTIONS = new Set(['wait', 'lease']);

/** Pauses between attempts at a lock held in another process: 5 ms, doubling, at most 100 ms. */
const FIRST_PAUSE_MS = 5;
const MAX_PAUSE_MS = 100;
const TOKEN_BYTES = 16;
/** The data of a released lock. A holder's token is never empty. */
const RELEASED = new Uint8Array(0);

/**
 * The `lock` option resolved: undefined when off; defaults for `true`; SessionConfigError
 * for anything that cannot work.
 */
export function resolveLockOption(value: LockOption | undefined): LockSettings | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { waitMs: DEFAULT_WAIT_MS, leaseMs: DEFAULT_LEASE_MS };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SessionConfigError(`lock must be true, false or { wait, lease }, got ${describeValue(value)}.`);
  }
  for (const key of Object.keys(value)) {
    if (!KNOWN_LOCK_OPTIONS.has(key)) {
      throw new SessionConfigError(`unknown lock option "${key}". Known: ${[...KNOWN_LOCK_OPTIONS].join(', ')}.`);
    }
  }
  const waitMs = value.wait === undefined ? DEFAULT_WAIT_MS : lockDuration(value.wait, 'lock.wait');
  const leaseMs = value.lease === undefined ? DEFAULT_LEASE_MS : lockDuration(value.lease, 'lock.lease');
  if (leaseMs < MIN_LEASE_MS) {
    throw new SessionConfigError(
      `lock.lease must be at least one second, got ${describeValue(value.lease)}: a shorter lease runs out under healthy ` +
        'requests. It only bounds how long a request that died blocks its session.',
    );
  }
  // A wait longer than the lease is fine: a waiter may outlast a dead holder's lease.
  return { waitMs, leaseMs };
}

function lockDuration(value: Duration, what: string): number {
  if (typeof value !== 'number' && typeof value !== 'string') {
    throw new SessionConfigError(`${what} must be seconds or a string like '5s' or '500ms', got ${describeValue(value)}.`);
  }
  try {
    return parseDuration(value, what);
  } catch (error) {
    // parseDuration says what is wrong; the options' error class says it is the configuration.
    throw new SessionConfigError((error as Error).message.replace(/^sessionkit: /, ''));
  }
}

/** A request waited `waitMs` for the lock of its session and gave up. */
export class SessionLockTimeoutError extends StoreError {
  override readonly name = 'SessionLockTimeoutError';
  constructor(
    storeName: string,
    readonly waitedMs: number,
    readonly leaseMs: number,
  ) {
    // The lock key is left out on purpose: it holds the session id, which logs must not.
    super(
      storeName,
      `waited ${waitedMs} ms for the lock of this session, held by another request of the same session, and gave up. ` +
        `Raise lock.wait if requests of one session legitimately queue this long; otherwise requests of one session ` +
        `take longer than expected while they hold the lock (a request that died holds it for lock.lease, ${leaseMs} ms).`,
    );
  }
}

/** One request in the in-process queue of a lock key; `grant` makes it the head. */
interface Waiter {
  grant: () => void;
  /** Once it holds the store lock: when its lease runs out (epoch ms), and the timer that then lets the next waiter in. */
  leaseEndsAt?: number;
  leaseTimer?: ReturnType<typeof setTimeout>;
}

/**
 * The per-session locks of one process on one store. `acquire` waits its turn among this
 * process's requests of the session (FIFO), then takes the store lock against other
 * processes.
 */
export class SessionLocks {
  readonly #store: Store & Required<Pick<Store, 'create' | 'setIf'>>;
  readonly #settings: LockSettings;
  readonly #logger: Pick<Logger, 'warn'>;
  // Lock key → its waiters, the head holding (or taking) the lock. A key is removed when
  // its queue empties, so the map holds only sessions with a request in flight.
  readonly #queues = new Map<string, Waiter[]>();

  constructor(store: Store, settings: LockSettings, logger: Pick<Logger, 'warn'> = consoleLogger) {
    if (typeof store.create !== 'function' || typeof store.setIf !== 'function') {
      throw new SessionConfigError(
        `lock needs a store with insert-if-absent (create) and compare-and-set (setIf); the ${store.name} store lacks ` +
          `${typeof store.create !== 'function' ? 'create' : 'setIf'}. Use a store with compare-and-set (every sessionkit store but null and workers-kv; on Workers: d1 or durable-object), or turn lock off.`,
      );
    }
    this.#store = store as Store & Required<Pick<Store, 'create' | 'setIf'>>;
    this.#settings = checkedSettings(settings);
    this.#logger = logger;
  }

  /** How many lock keys have requests in this process's queue: for diagnostics and tests. */
  get queuedKeys(): number {
    return this.#queues.size;
  }

  /**
   * Waits for the lock under `lockKey` (at most `waitMs`, in-process queue and store
   * together), then holds it for at most `leaseMs` unless released. Rejects with
   * {@link SessionLockTimeoutError} when the wait is spent, or a StoreError for a fault.
   */
  async acquire(lockKey: string, settings: Partial<LockSettings> = {}): Promise<HeldLock> {
    const { waitMs, leaseMs } = checkedSettings({ ...this.#settings, ...settings });
    const started = Date.now();
    const deadline = started + waitMs;
    const queued = this.#queues.has(lockKey);
    const waiter = await this.#enqueue(lockKey, waitMs, leaseMs);
    let taken: Taken;
    try {
      taken = await this.#take(lockKey, deadline, started, leaseMs);
    } catch (error) {
      this.#dequeue(lockKey, waiter);
      throw error;
    }
    const token = taken.token;
    this.#holdFor(lockKey, waiter, leaseMs);
    let released: Promise<void> | undefined;
    return {
      waitedMs: queued || taken.retried ? Date.now() - started : 0,
      release: () => (released ??= this.#release(lockKey, token, leaseMs).finally(() => this.#dequeue(lockKey, waiter))),
    };
  }

  /** Joins the key's queue; resolves when this waiter is its head, rejects when `waitMs` passes first. */
  #enqueue(lockKey: string, waitMs: number, leaseMs: number): Promise<Waiter> {
    this.#endLapsedLease(lockKey);
    let queue = this.#queues.get(lockKey);
    if (!queue) this.#queues.set(lockKey, (queue = []));
    const waiter: Waiter = { grant: () => {} };
    queue.push(waiter);
    if (queue.length === 1) return Promise.resolve(waiter);
    const own = queue;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // A lapsed head goes first: then this waiter may be the head (granted, resolved).
        this.#endLapsedLease(lockKey);
        if (own[0] === waiter) return;
        own.splice(own.indexOf(waiter), 1);
        reject(new SessionLockTimeoutError(this.#store.name, waitMs, leaseMs));
      }, waitMs);
      waiter.grant = () => {
        clearTimeout(timer);
        resolve(waiter);
      };
    });
  }

  /**
   * The head holds the store lock now: when its lease runs out, the next waiter goes
   * ahead, as another process would (the store lock has lapsed by then too: its lease
   * counted from the write, before this).
   */
  #holdFor(lockKey: string, waiter: Waiter, leaseMs: number): void {
    waiter.leaseEndsAt = Date.now() + leaseMs;
    const timer = setTimeout(() => this.#dequeue(lockKey, waiter), leaseMs);
    // On Node, a lock nobody gives back must not keep the process alive until its lease ends.
    (timer as { unref?: () => void }).unref?.();
    waiter.leaseTimer = timer;
  }

  /**
   * The head leaves if its lease has run out though its timer never fired: workerd drops
   * the timers (and the release) of a request that was cancelled, which would otherwise
   * hold the session's queue in that isolate for good.
   */
  #endLapsedLease(lockKey: string): void {
    const head = this.#queues.get(lockKey)?.[0];
    if (head?.leaseEndsAt !== undefined && head.leaseEndsAt <= Date.now()) this.#dequeue(lockKey, head);
  }

  /**
   * The head leaves (released, or its lease ran out); the next waiter becomes the head, or
   * the key goes when nobody waits. Anyone else is no longer the head (a holder whose lease
   * ran out, releasing late): nothing happens, so its successor keeps its place.
   */
  #dequeue(lockKey: string, waiter: Waiter): void {
    const queue = this.#queues.get(lockKey);
    if (!queue || queue[0] !== waiter) return;
    clearTimeout(waiter.leaseTimer);
    queue.shift();
    const next = queue[0];
    if (next) next.grant();
    else this.#queues.delete(lockKey);
  }

  /** Takes the store lock; resolves our token, and whether it was held by another when first tried. */
  async #take(lockKey: string, deadline: number, started: number, leaseMs: number): Promise<Taken> {
    const store = this.#store;
    const token = primitives.randomBytes(TOKEN_BYTES);
    let pauseMs = FIRST_PAUSE_MS;
    for (let retried = false; ; retried = true) {
      // The lease counts from each attempt, not from the start of the wait.
      if (await store.create(lockKey, { data: token, expiresAt: Date.now() + leaseMs })) return { token, retried };
      const current = await store.get(lockKey);
      if (current && isReleased(current) && current.version !== undefined) {
        if (await store.setIf(lockKey, { data: token, expiresAt: Date.now() + leaseMs }, current.version)) return { token, retried };
      }
      // Held (or just taken by another waiter, or gone in between: the next round sees).
      // Never a tight loop, even when a foreign value under the key reads as absent.
      const left = deadline - Date.now();
      if (left <= 0) throw new SessionLockTimeoutError(store.name, Date.now() - started, leaseMs);
      // Half fixed, half random: waiters of several processes spread out, none spins.
      await delay(Math.min(left, pauseMs / 2 + (Math.random() * pauseMs) / 2));
      pauseMs = Math.min(MAX_PAUSE_MS, pauseMs * 2);
    }
  }

  async #release(lockKey: string, token: Uint8Array, leaseMs: number): Promise<void> {
    const store = this.#store;
    const current = await store.get(lockKey);
    if (current && sameBytes(current.data, token) && current.version !== undefined) {
      // false: the lease ran out between the read and this write and another request took
      // the lock; its version changed, so its lock stays.
      if (await store.setIf(lockKey, { data: RELEASED, expiresAt: Date.now() + leaseMs }, current.version)) return;
    }
    // Gone or another's: the lease ran out first (or the store's create and setIf are not
    // atomic between the processes sharing it, as with one directory of the filesystem store).
    this.#logger.warn(
      `lock: a request of a session on the ${store.name} store no longer held its lock when it released it: it held it ` +
        `longer than lock.lease (${leaseMs} ms), so another request may have written the session meanwhile. ` +
        'Raise lock.lease, or find out what makes the request slow.',
    );
  }
}

/** The store lock taken: our token, and whether another held it when we first tried. */
interface Taken {
  readonly token: Uint8Array;
  readonly retried: boolean;
}

function checkedSettings(settings: LockSettings): LockSettings {
  const { waitMs, leaseMs } = settings;
  if (!Number.isFinite(waitMs) || waitMs < 0) throw new SessionConfigError(`lock wait must be a non-negative number of milliseconds, got ${waitMs}.`);
  if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw new SessionConfigError(`lock lease must be a positive number of milliseconds, got ${leaseMs}.`);
  return { waitMs, leaseMs };
}

const isReleased = (record: StoreRecord) => record.data.length === 0;

const sameBytes = (a: Uint8Array, b: Uint8Array) => primitives.equalBytes(a, b);

