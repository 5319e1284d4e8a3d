import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SessionConfigError } from '../../core/errors.js';
import { consoleLogger, type Logger } from '../../core/logger.js';
import { isExpired, sweepLimit, wrapStoreError, type Store, type StoreRecord, type SweepOptions } from '../../core/store.js';
import { fileNameOf, list, liveKeys, removeStaleTemporaries, sessionFileNames, STALE_TEMPORARIES, temporaryPath, type Listing } from './directory.js';
import { EXPIRY_OFFSET, decode, encode, expiryBytes, readExpiry, type FileRecord } from './format.js';
import { storeCall } from '../shared/call.js';
import { foreignValue } from '../../core/foreign.js';

export interface FileSystemStoreOptions {
  /** SESSION_FILE_DIR: where session files live. Default ./sessionkit_sessions. Created (0700) if missing. */
  dir?: string;
  /** SESSION_FILE_THRESHOLD: most session files kept; beyond it expired, then soonest-expiring, files go. Default 500. */
  threshold?: number;
  /** SESSION_FILE_MODE: mode of session files. Default 0o600 (owner only). */
  mode?: number;
  /** Where the warning about a corrupt session file goes. Default: console. */
  logger?: Pick<Logger, 'warn'>;
}

/** How far below its threshold a full directory is pruned, so that pruning is rare. */
const PRUNE_TO = 0.9;
/** A sweep with a limit that follows the last one this soon goes on with its listing. */
const RESUME_SWEEP_MS = 60_000;

/**
 * Sessions as files, one per session: Flask-Session's filesystem backend.
 *
 * Every write goes to a temporary file in the same directory that is then renamed into
 * place, so a crash never leaves a half-written session. A process killed between the
 * two leaves its temporary file behind: every listing of the directory (the first write
 * of a process, `deleteExpired()`, the threshold's pruning) removes temporary files older
 * than a minute, which no write still in progress is. Operations on one key are
 * serialised within this process, which makes create and compare-and-set atomic here;
 * several processes sharing one directory get last-writer-wins (use SQLite for that).
 *
 * A session file that is not one (truncated, overwritten by something else) reads as no
 * session, with one warning, and is removed.
 */
export class FileSystemStore implements Store {
  readonly name = 'filesystem';
  readonly dir: string;
  readonly threshold: number;
  readonly mode: number;
  readonly #logger: Pick<Logger, 'warn'>;
  readonly #locks = new Map<string, Promise<unknown>>();
  #fileCount: number | undefined;
  #directoryReady = false;
  /** What the last limited sweep listed as expired and did not reach yet, and when it stopped. */
  #sweepPass: { expired: string[]; at: number } | undefined;

  constructor(options: FileSystemStoreOptions = {}) {
    const threshold = options.threshold ?? 500;
    if (!Number.isInteger(threshold) || threshold < 1) {
      throw new SessionConfigError(`filesystemStore: threshold must be a positive integer, got ${String(options.threshold)}.`);
    }
    const mode = options.mode ?? 0o600;
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
      throw new SessionConfigError(`filesystemStore: mode must be a file mode such as 0o600, got ${String(options.mode)}.`);
    }
    this.dir = options.dir ?? join(process.cwd(), 'sessionkit_sessions');
    this.threshold = threshold;
    this.mode = mode;
    this.#logger = options.logger ?? consoleLogger;
  }

  async get(key: string): Promise<StoreRecord | undefined> {
    const file = await this.#read(key, 'read');
    return file && !isExpired(file) ? file : undefined;
  }

  /** An expired file not swept yet (`Store.getExpired`): read to tell why a session is gone. */
  async getExpired(key: string): Promise<StoreRecord | undefined> {
    const file = await this.#read(key, 'read');
    return file && isExpired(file) ? file : undefined;
  }

  async set(key: string, record: StoreRecord): Promise<string> {
    return this.#locked(this.#path(key), () => this.#write(key, record, 'write'));
  }

  async create(key: string, record: StoreRecord): Promise<boolean> {
    return this.#locked(this.#path(key), async () => {
      if (await this.get(key)) return false;
      await this.#write(key, record, 'create');
      return true;
    });
  }

  async setIf(key: string, record: StoreRecord, expectedVersion: string): Promise<boolean> {
    return this.#locked(this.#path(key), async () => {
      const current = await this.get(key);
      if (!current || current.version !== expectedVersion) return false;
      await this.#write(key, record, 'write');
      return true;
    });
  }

  /**
   * Rewrites only the 8 expiry bytes of the header in place: the data and version stay
   * as they are, and an aligned 8-byte write cannot be torn into a half-old expiry.
   */
  async touch(key: string, expiresAt: number): Promise<void> {
    await this.#locked(this.#path(key), async () => {
      if (!(await this.get(key))) return;
      const handle = await this.#attempt('touch', () => open(this.#path(key), 'r+'));
      try {
        await handle.write(expiryBytes(expiresAt), 0, 8, EXPIRY_OFFSET);
      } finally {
        await handle.close();
      }
    });
  }

  async delete(key: string): Promise<void> {
    await this.#locked(this.#path(key), () => this.#remove(this.#path(key), 'delete'));
  }

  /**
   * Removes expired session files (at most `limit`) and stale temporary files (reported
   * through `onLeftovers`); resolves how many sessions went. A call lists the directory and
   * reads every session file's header once. A call with a limit that follows the last one
   * within a minute goes on with what that listing found expired instead of listing again, so
   * that a run of batches (`sessionkit cleanup`) lists the directory once, not once per batch
   * (which made a sweep quadratic in the directory's size). Each file's expiry is read again
   * before it goes, so a stale listing never removes a live session.
   */
  async deleteExpired(options?: SweepOptions): Promise<number> {
    const limit = sweepLimit(this.name, options);
    const pass = this.#sweepPass;
    this.#sweepPass = undefined;
    const resume = Number.isFinite(limit) && pass !== undefined && Date.now() - pass.at < RESUME_SWEEP_MS;
    const expired = resume ? pass.expired : await this.#expiredFiles(options?.onLeftovers);
    let removed = 0;
    let next = 0;
    while (next < expired.length && removed < limit) if (await this.#removeIfExpired(expired[next++]!)) removed++;
    if (next < expired.length) this.#sweepPass = { expired: expired.slice(next), at: Date.now() };
    return removed;
  }

  /** The session files expired now, by one listing of the directory. */
  async #expiredFiles(onLeftovers: SweepOptions['onLeftovers']): Promise<string[]> {
    const now = Date.now();
    return (await this.#list(onLeftovers)).sessions.filter((file) => isExpired(file, now)).map((file) => file.path);
  }

  /** The expired session files deleteExpired would remove, and the stale temporary files (`onLeftovers`). */
  async countExpired(options?: Pick<SweepOptions, 'onLeftovers'>): Promise<number> {
    const listing = await this.#attempt('scan', () => list(this.dir));
    if (listing.staleTemporaries.length > 0) options?.onLeftovers?.(STALE_TEMPORARIES, listing.staleTemporaries.length);
    const now = Date.now();
    return listing.sessions.filter((file) => isExpired(file, now)).length;
  }

  /**
   * The live keys under `prefix`: one listing of the directory, then the head of every
   * session file (its key is in it, ./format.ts). Files written before keys were
   * stored in them are left out until their session is written again.
   */
  async *keys(prefix: string): AsyncIterable<string> {
    const names = await this.#attempt('list', () => sessionFileNames(this.dir));
    yield* liveKeys(this.dir, names, prefix);
  }

  async #write(key: string, record: StoreRecord, action: string): Promise<string> {
    this.#ensureDirectory();
    const path = this.#path(key);
    const existed = (await this.#read(key, action)) !== undefined;
    const version = randomBytes(8);
    const temporary = temporaryPath(path);
    await this.#attempt(action, async () => {
      try {
        await writeFile(temporary, encode(key, record.expiresAt, version, record.data), { mode: this.mode });
        await rename(temporary, path);
      } catch (error) {
        await unlink(temporary).catch(() => {});
        throw error;
      }
    });
    if (!existed) await this.#counted(+1);
    return version.toString('base64url');
  }

  /** The record in the key's file, or undefined if it is missing; a corrupt file is removed, with a warning. */
  async #read(key: string, action: string): Promise<FileRecord | undefined> {
    const path = this.#path(key);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.#wrap(action, error);
    }
    const file = decode(bytes);
    if (typeof file !== 'string') return file;
    await this.#remove(path, action);
    foreignValue({ logger: this.#logger, storeName: this.name }, key, `${file} at ${path}`, 'The file was removed.');
    return undefined;
  }

  /** Unlinks a file; true if it existed. */
  async #remove(path: string, action: string): Promise<boolean> {
    try {
      await unlink(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw this.#wrap(action, error);
    }
    await this.#counted(-1);
    return true;
  }

  /**
   * Unlinks a session file that is still expired, checked under the file's lock: locks and
   * user indexes are written again over their expired selves, and a sweep that listed one as
   * expired must not remove it once it is live again.
   */
  #removeIfExpired(path: string, remove: () => Promise<boolean> = () => this.#remove(path, 'sweep')): Promise<boolean> {
    return this.#locked(path, async () => {
      // Not one of ours (or gone): 0, as the listing counts it, so a corrupt file goes too.
      const expiresAt = (await readExpiry(path)) ?? 0;
      return isExpired({ expiresAt }) && remove();
    });
  }

  /** Keeps a running count of session files and prunes when it passes the threshold. */
  async #counted(change: number): Promise<void> {
    if (this.#fileCount === undefined) {
      this.#fileCount = (await this.#list()).sessions.length;
      return;
    }
    this.#fileCount += change;
    if (this.#fileCount > this.threshold) await this.#prune();
  }

  /**
   * Removes expired files, then the soonest-expiring ones, down to 90% of the threshold: a
   * prune lists and reads every file, and pruning to the threshold itself made every next
   * new session prune again (18 ms of CPU each at the default 500).
   */
  async #prune(): Promise<void> {
    const files = (await this.#list()).sessions;
    const now = Date.now();
    files.sort((a, b) => a.expiresAt - b.expiresAt);
    const target = Math.min(this.threshold - 1, Math.floor(this.threshold * PRUNE_TO));
    let count = files.length;
    for (const file of files) {
      if (count <= target && !isExpired(file, now)) break;
      if (isExpired(file, now)) {
        // Expired when listed; gone, or live again, by now: either way not to count.
        // Unlinked without counting: this sweep sets the count itself.
        const unlinked = () => unlink(file.path).then(() => true, () => false);
        if (!(await this.#removeIfExpired(file.path, unlinked).catch(() => false))) continue;
      } else await unlink(file.path).catch(() => {});
      count--;
    }
    this.#fileCount = count;
  }

  /** The directory's session files; stale temporary files found on the way are removed (and reported). */
  async #list(onLeftovers?: SweepOptions['onLeftovers']): Promise<Listing> {
    const listing = await this.#attempt('scan', () => list(this.dir));
    const removed = await removeStaleTemporaries(listing);
    if (removed > 0) onLeftovers?.(STALE_TEMPORARIES, removed);
    return listing;
  }

  #path(key: string): string {
    return join(this.dir, fileNameOf(key));
  }

  #ensureDirectory(): void {
    if (this.#directoryReady) return;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw this.#wrap('create directory', error);
    }
    this.#directoryReady = true;
  }

  /** Runs operations on one file (one key) one after another. */
  #locked<R>(key: string, operation: () => Promise<R>): Promise<R> {
    const previous = this.#locks.get(key) ?? Promise.resolve();
    const result = previous.then(operation, operation);
    const settled = result.catch(() => {});
    this.#locks.set(key, settled);
    void settled.then(() => {
      if (this.#locks.get(key) === settled) this.#locks.delete(key);
    });
    return result;
  }

  /** Local disk operations are not time-bounded: a failure is wrapped like any store's. */
  #attempt<R>(action: string, operation: () => Promise<R>): Promise<R> {
    return storeCall({ name: this.name, timeout: Number.POSITIVE_INFINITY }, action, this.#remedy(), operation);
  }

  #wrap(action: string, error: unknown) {
    return wrapStoreError(this.name, action, this.#remedy(), error);
  }

  #remedy(): string {
    return `Check that ${this.dir} exists and is writable by this process.`;
  }
}

export function filesystemStore(options?: FileSystemStoreOptions): FileSystemStore {
  return new FileSystemStore(options);
}
