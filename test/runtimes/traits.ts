/** What the adapter suite must know of the runtime it runs in, for the apps it runs in-process. */
import type { AdapterTraits } from '../conformance/adapter-suite.js';
import { bun, deno } from './runtime.js';

/**
 * better-sqlite3 is a native addon that Bun cannot load and that Deno refuses (it is not
 * built against Node-API): there the closed SQLite file is opened with the runtime's own
 * driver. Nothing else differs: both have node:fs and temporary directories.
 */
export const runtimeTraits: AdapterTraits = bun ? { sqliteDriver: 'bun:sqlite' } : deno ? { sqliteDriver: 'node:sqlite' } : {};
