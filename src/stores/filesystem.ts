import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isExpired, wrapStoreError, type Store, type StoreRecord } from '../core/store.js';

export interface FileSystemStoreOptions {
  /** SESSION_FILE_DIR: where session files live. Default ./sessionkit_sessions. Created (0700) if missing. */
  dir?: string;
  /** SESSION_FILE_THRESHOLD: most session files kept; beyond it expired, then soonest-expiring, files go. Default 500. */
  threshold?: number;
  /** SESSION_FILE_MODE: mode of session files. Default 0o600 (owner only). */
  mode?: number;
}

// File layout: 4-byte magic, expiresAt (float64), 8-byte version, then the data.
const MAGIC = Buffer.from('SKS1');
const HEADER_BYTES = 4 + 8 + 8;
const EXPIRY_OFFSET = 4;

interface FileRecord {
  expiresAt: number;
  version: string;
  data: Uint8Array;
}

/**
 * Sessions as files, one per session: the seeds' filesystem backend.
 *
 * Every write goes to a temporary file in the same directory that is then renamed into
 * place, so a crash never leaves a half-written session. Operations on one key are
 * serialised within this process, which makes create and compare-and-set atomic here;
 * several processes sharing one directory get last-writer-wins (use SQLite for that).
 */
export class FileSystemStore implements Store {
  readonly name = 'filesystem';
  readonly dir: string;
  readonly threshold: number;
  readonly mode: number;
  readonly #locks = new Map<string, Promise<unknown>>();
  #fileCount: number | undefined;
  #directoryReady = false;

  constructor(options: FileSystemStoreOptions = {}) {
    const threshold = options.threshold ?? 500;
    if (!Number.isInteger(threshold) || threshold < 1) {
      throw new TypeError(`filesystemStore: threshold must be a positive integer, got ${String(options.threshold)}.`);
    }
    const mode = options.mode ?? 0o600;
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
      throw new TypeError(`filesystemStore: mode must be a file mode such as 0o600, got ${String(options.mode)}.`);
    }
    this.dir = options.dir ?? join(process.cwd(), 'sessionkit_sessions');
    this.threshold = threshold;
    this.mode = mode;
  }

  async get(key: string): Promise<StoreRecord | undefined> {
    const file = await this.#read(this.#path(key), 'read');
    return file && !isExpired(file) ? file : undefined;
  }

  async set(key: string, record: StoreRecord): Promise<string> {
    return this.#locked(key, () => this.#write(key, record, 'write'));
  }

  async create(key: string, record: StoreRecord): Promise<boolean> {
    return this.#locked(key, async () => {
      if (await this.get(key)) return false;
      await this.#write(key, record, 'create');
      return true;
    });
  }

  async setIf(key: string, record: StoreRecord, expectedVersion: string): Promise<boolean> {
    return this.#locked(key, async () => {
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
    await this.#locked(key, async () => {
      if (!(await this.get(key))) return;
      const expiry = Buffer.alloc(8);
      expiry.writeDoubleBE(expiresAt);
      const handle = await this.#attempt('touch', () => open(this.#path(key), 'r+'));
      try {
        await handle.write(expiry, 0, 8, EXPIRY_OFFSET);
      } finally {
        await handle.close();
      }
    });
  }

  async delete(key: string): Promise<void> {
    await this.#locked(key, () => this.#remove(this.#path(key), 'delete'));
  }

  async deleteExpired(): Promise<number> {
    const files = await this.#scan();
    const now = Date.now();
    let removed = 0;
    for (const { path, expiresAt } of files) {
      if (expiresAt <= now && (await this.#remove(path, 'sweep'))) removed++;
    }
    return removed;
  }

  async #write(key: string, record: StoreRecord, action: string): Promise<string> {
    this.#ensureDirectory();
    const path = this.#path(key);
    const existed = (await this.#read(path, action)) !== undefined;
    const versionBytes = randomBytes(8);
    const header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(header, 0);
    header.writeDoubleBE(record.expiresAt, EXPIRY_OFFSET);
    versionBytes.copy(header, EXPIRY_OFFSET + 8);
    const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await this.#attempt(action, async () => {
      try {
        await writeFile(temporary, Buffer.concat([header, record.data]), { mode: this.mode });
        await rename(temporary, path);
      } catch (error) {
        await unlink(temporary).catch(() => {});
        throw error;
      }
    });
    if (!existed) await this.#counted(+1);
    return versionBytes.toString('base64url');
  }

  /** The record in a file, or undefined if it is missing; a malformed file is removed. */
  async #read(path: string, action: string): Promise<FileRecord | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.#wrap(action, error);
    }
    if (bytes.length < HEADER_BYTES || !bytes.subarray(0, 4).equals(MAGIC)) {
      await this.#remove(path, action);
      return undefined;
    }
    return {
      expiresAt: bytes.readDoubleBE(EXPIRY_OFFSET),
      version: bytes.subarray(EXPIRY_OFFSET + 8, HEADER_BYTES).toString('base64url'),
      data: new Uint8Array(bytes.buffer, bytes.byteOffset + HEADER_BYTES, bytes.length - HEADER_BYTES),
    };
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

  /** Keeps a running count of session files and prunes when it passes the threshold. */
  async #counted(change: number): Promise<void> {
    if (this.#fileCount === undefined) {
      this.#fileCount = (await this.#scan()).length;
      return;
    }
    this.#fileCount += change;
    if (this.#fileCount > this.threshold) await this.#prune();
  }

  /** Removes expired files, then the soonest-expiring ones, down to the threshold. */
  async #prune(): Promise<void> {
    const files = await this.#scan();
    const now = Date.now();
    files.sort((a, b) => a.expiresAt - b.expiresAt);
    let count = files.length;
    for (const file of files) {
      if (count <= this.threshold && file.expiresAt > now) break;
      await unlink(file.path).catch(() => {});
      count--;
    }
    this.#fileCount = count;
  }

  async #scan(): Promise<{ path: string; expiresAt: number }[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw this.#wrap('scan', error);
    }
    const files: { path: string; expiresAt: number }[] = [];
    for (const name of names) {
      if (!/^[0-9a-f]{64}$/.test(name)) continue; // temporary files and strangers
      const path = join(this.dir, name);
      const header = await readHeader(path);
      files.push({ path, expiresAt: header ?? 0 });
    }
    return files;
  }

  #path(key: string): string {
    // A hash, not the key: keys hold ':' and any unicode, and must never form a path.
    return join(this.dir, createHash('sha256').update(key).digest('hex'));
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

  /** Runs operations on one key one after another. */
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

  async #attempt<R>(action: string, operation: () => Promise<R>): Promise<R> {
    try {
      return await operation();
    } catch (error) {
      throw this.#wrap(action, error);
    }
  }

  #wrap(action: string, error: unknown) {
    return wrapStoreError(this.name, action, `Check that ${this.dir} exists and is writable by this process.`, error);
  }
}

/** The expiry in a session file's header, or undefined if it is not one of ours. */
async function readHeader(path: string): Promise<number | undefined> {
  try {
    const handle = await open(path, 'r');
    try {
      const header = Buffer.alloc(HEADER_BYTES);
      const { bytesRead } = await handle.read(header, 0, HEADER_BYTES, 0);
      if (bytesRead < HEADER_BYTES || !header.subarray(0, 4).equals(MAGIC)) return undefined;
      return header.readDoubleBE(EXPIRY_OFFSET);
    } finally {
      await handle.close();
    }
  } catch {
    return undefined; // removed meanwhile
  }
}

export function filesystemStore(options?: FileSystemStoreOptions): FileSystemStore {
  return new FileSystemStore(options);
}
