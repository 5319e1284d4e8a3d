import type * as NodeModule from 'node:module';
import { nodeBuiltin } from '../../core/node-builtin.js';

// Made on first use, not imported: a module-level `node:` import would stop every bundle
// that shares a chunk with this file from loading in Workers.
let requireFromHere: NodeJS.Require | undefined;

/**
 * Loads a store's client library (an optional peer dependency) only when the store is
 * built without a client of the user's, and says exactly what to install if it is missing.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the module's type; the value comes from require()
export function loadOptional<T>(library: string, storeName: string): T {
  const here: unknown = import.meta.url; // undefined in Workers
  if (typeof here === 'string') requireFromHere ??= nodeBuiltin<typeof NodeModule>('node:module')?.createRequire(here);
  if (!requireFromHere) {
    throw new Error(`sessionkit: the ${storeName} store loads ${library} with require(), which this runtime does not have; pass your own client instead.`);
  }
  try {
    return requireFromHere(library) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') {
      throw new Error(`sessionkit: the ${storeName} store needs ${library}. Install it with: npm install ${library}`, {
        cause: error,
      });
    }
    throw error;
  }
}
