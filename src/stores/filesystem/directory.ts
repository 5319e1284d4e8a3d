/**
 * What lies in a session directory: session files (64 hex digits, the SHA-256 of the
 * key) and temporary files (`<session file>.<12 hex>.tmp`) of writes in progress, or of
 * writes a killed process never finished. Anything else is left alone.
 */
import { randomBytes } from 'node:crypto';
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { readExpiry } from './format.js';

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
