import type { PendingCommit } from '../core/commit.js';
import type { SessionMigration } from '../core/migration.js';
import type { SessionState } from './session-state.js';

/** A migrated session's commit: once it is saved, the old record goes and the browser forgets the old cookie. */
export function finishMigration(pending: PendingCommit, state: SessionState, migrate: SessionMigration): PendingCommit {
  const oldValue = state.migratedFrom!;
  return {
    // A getter: with Web Crypto the new cookie is known only once persist() has resolved.
    get setCookies() {
      return [...pending.setCookies, migrate.clearCookie];
    },
    needsPersist: true,
    persist: async () => {
      await pending.persist();
      if (state.migratedFrom !== oldValue) return; // an earlier commit of this request finished it
      await migrate.remove(oldValue);
      state.migratedFrom = undefined;
    },
  };
}
