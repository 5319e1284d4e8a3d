import type { PendingCommit } from '../core/commit.js';
import type { SessionMigration } from '../core/migration.js';
import { readCookie } from './cookie/cookie-header.js';
import type { EngineParts } from './parts.js';
import { isEmpty } from './payload.js';
import type { SessionReader } from './read.js';
import { clearData, type SessionClass, type SessionObject } from './session.js';
import { freshState, type SessionState } from './session-state.js';

/** What a migration needs of its engine: how to commit a session, and a session's state. */
export interface MigrationEngine {
  commit(session: SessionObject): PendingCommit;
  stateOf(session: object): SessionState;
}

/**
 * The load step of the `migrate` option (core/migration.ts): a request without a usable
 * sessionkit session but with the other library's cookie gets that session's data under a
 * new sessionkit id (never the old id: it is not ours). Requests of one browser that race
 * this one, or come just after it, get the same session (./migration-links.ts).
 */
export class MigrationLoad {
  readonly #migrate: SessionMigration;
  readonly #parts: EngineParts;
  readonly #reader: SessionReader;
  readonly #engine: MigrationEngine;

  constructor(migrate: SessionMigration, parts: EngineParts, reader: SessionReader, engine: MigrationEngine) {
    this.#migrate = migrate;
    this.#parts = parts;
    this.#reader = reader;
    this.#engine = engine;
  }

  /** The session a fresh `session` becomes: the old library's, when the request carries its cookie. */
  async migrated(session: SessionObject, cookieHeader: string | undefined, kind: SessionClass): Promise<SessionObject> {
    const oldValue = readCookie(cookieHeader, this.#migrate.cookieName);
    if (oldValue === undefined) return session;
    const data = await this.#migrate.read(oldValue);
    const links = this.#parts.migrationLinks;
    if (data === undefined) {
      // The old record may have gone moments ago, moved by a request of the same browser.
      const linkedId = links && (await links.linked(oldValue));
      return (linkedId !== undefined && (await this.#join(linkedId, oldValue, kind))) || session;
    }
    const state = freshState(this.#parts.options, this.#engine.stateOf(session).cookieReceived);
    const migrated = this.#reader.session(kind, state, data);
    if (links && !isEmpty(migrated)) {
      // Written before the link that names it, so that whoever follows the link finds it.
      await this.#engine.commit(migrated).persist();
      const linkedId = await links.claim(oldValue, state.id);
      if (linkedId !== state.id) {
        // Another request migrated it first: ours goes, and this request joins that session.
        clearData(migrated);
        await this.#engine.commit(migrated).persist();
        return (await this.#join(linkedId, oldValue, kind)) ?? session;
      }
      state.cookieOwed = true;
    }
    state.migratedFrom = oldValue;
    return migrated;
  }

  /** The migrated session `id` (undefined if it has gone since), for a request that carries only the old cookie. */
  async #join(id: string, oldValue: string, kind: SessionClass): Promise<SessionObject | undefined> {
    const carrier = this.#parts.carrier;
    const record = await carrier.store!.get(carrier.sessionKey(id));
    const session = record && this.#reader.sessionFrom(true, { id, record }, kind);
    if (!session || session.isNew) return undefined;
    const state = this.#engine.stateOf(session);
    state.migratedFrom = oldValue;
    state.cookieOwed = true;
    return session;
  }
}
