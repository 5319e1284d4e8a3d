import { StoreError, type Store, type StoreRecord } from '../core/store.js';

const HOW_TO_CHOOSE =
  'No session store is configured, so sessions cannot be saved. Choose one: pass `store: memoryStore()` ' +
  "(or sqliteStore(), redisStore(), …) or `type: 'memory' | 'filesystem' | 'sqlite' | …` to sessionkit, " +
  'or set SESSION_TYPE in the environment.';

/**
 * Flask-Session's NullSessionInterface: every read is an empty session and the first write
 * fails with an error that says how to choose a real store.
 */
export class NullStore implements Store {
  readonly name = 'null';

  async get(): Promise<StoreRecord | undefined> {
    return undefined;
  }

  async set(): Promise<string> {
    throw new StoreError(this.name, HOW_TO_CHOOSE);
  }

  async create(): Promise<boolean> {
    throw new StoreError(this.name, HOW_TO_CHOOSE);
  }

  async delete(): Promise<void> {
    // Nothing was ever stored; deleting is a no-op like on every other store.
  }
}

export function nullStore(): NullStore {
  return new NullStore();
}
