/**
 * What lies in a session directory: session files (64 hex digits, the SHA-256 of the
 * key) and temporary files (`<session file>.<12 hex>.tmp`) of writes in progress, or of
 * writes a killed process never finished. Anything else is left alone.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isExpired } from '../../core/store.js';
import { readExpiry, readHeader } from './format.js';

const SESSION_FILE = /^[0-9a-f]{64}$/;
const TEMPORARY_FILE = /^[0-9a-f]{64}\.[0-9a-f]{12}\.tmp$/;

/**
 * A temporary file older than this is a leftover: a write finishes in milliseconds, so a
 * minute leaves an in-flight write of another process sharing the directory (or of a
 * disk under heavy load) alone while still clearing what kill -9 left behind.
 */
export const STALE_TEMPORARY_MS = 60_000;

/** How sweeps report the temporary files they remove (`onLeftovers`). */
export const STALE_TEMPORARIES = 'stale temporary files';

/** The name of a key's session file: a hash, not the key, for keys hold ':' and any unicode and must never form a path. */
export function fileNameOf(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function temporaryPath(path: string): string {
  return `${path}.${randomBytes(6).toString('hex')}.tmp`;
}

export interface Listing {
  /** Session files and the expiry in their header (0 for one that is not ours). */
  sessions: { path: string; expiresAt: number }[];
  /** Temporary files last modified more than STALE_TEMPORARY_MS ago. */
  staleTemporaries: string[];
}

/** Lists the directory; a missing directory is an empty one. Other errors are thrown as they are. */
export async function list(dir: string, now = Date.now()): Promise<Listing> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { sessions: [], staleTemporaries: [] };
    throw error;
  }
  const listing: Listing = { sessions: [], staleTemporaries: [] };
  for (const name of names) {
    const path = join(dir, name);
    if (SESSION_FILE.test(name)) {
      listing.sessions.push({ path, expiresAt: (await readExpiry(path)) ?? 0 });
    } else if (TEMPORARY_FILE.test(name) && (await modifiedBefore(path, now - STALE_TEMPORARY_MS))) {
      listing.staleTemporaries.push(path);
    }
  }
  return listing;
}

/**
 * The keys of the live session files among `names` (of sessionFileNames) that start with
 * `prefix`, reading the head of each file. A file whose key is not readable (the first
 * layout, cut short) or does not hash to its name (garbled, or planted under another
 * file's name) is skipped, as is one removed meanwhile.
 */
export async function* liveKeys(dir: string, names: readonly string[], prefix: string): AsyncIterable<string> {
  const now = Date.now();
  for (const name of names) {
    const header = await readHeader(join(dir, name));
    if (header?.key === undefined || !header.key.startsWith(prefix) || isExpired(header, now) || fileNameOf(header.key) !== name) continue;
    yield header.key;
  }
}

/** The names of the session files in `dir`; a missing directory is an empty one. */
export async function sessionFileNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => SESSION_FILE.test(name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Removes the stale temporary files of a listing; resolves how many were there to remove. */
export async function removeStaleTemporaries(listing: Listing): Promise<number> {
  let removed = 0;
  for (const path of listing.staleTemporaries) {
    // Gone meanwhile (another process swept it, or its write completed): nothing to do.
    if (await unlink(path).then(() => true, () => false)) removed++;
  }
  return removed;
}

async function modifiedBefore(path: string, time: number): Promise<boolean> {
  try {
    return (await stat(path)).mtimeMs < time;
  } catch {
    return false; // renamed into place or removed meanwhile
  }
}
