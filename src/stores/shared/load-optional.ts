import { createRequire } from 'node:module';

const requireFromHere = createRequire(import.meta.url);

/**
 * Loads a store's client library (an optional peer dependency) only when the store is
 * built without a client of the user's, and says exactly what to install if it is missing.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the module's type; the value comes from require()
export function loadOptional<T>(library: string, storeName: string): T {
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
