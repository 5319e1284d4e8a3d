import { EXCEPT_TAKES, unavailable, type Accounts } from '../accounts/accounts.js';
import type { ListSessionsOptions, RevokeSessionsOptions, UserSession, UserSessionControls } from '../core/manager.js';
import type { EngineParts } from './parts.js';
import { stateIfOwnedBy, type SessionOwner } from './session.js';
import type { SessionState } from './session-state.js';

/** The engine's API over a user's sessions (`userField`): the user index, or sealed cookies' revocations. */
export class UserControls implements UserSessionControls {
  readonly #parts: () => Promise<EngineParts>;
  readonly #owner: SessionOwner;

  /** `parts` resolves once the engine's store is there (a store chosen by `type` loads late). */
  constructor(parts: () => Promise<EngineParts>, owner: SessionOwner) {
    this.#parts = parts;
    this.#owner = owner;
  }

  /**
   * The live sessions of a user (needs `userField`), most recently active first. Each has
   * an opaque `handle`, never its id. `current` marks the request's own session.
   */
  async listSessions(userId: string | number, options: ListSessionsOptions = {}): Promise<UserSession[]> {
    const accounts = await this.#accountsOrThrow('listSessions');
    const current = options.current === undefined ? undefined : stateIfOwnedBy(options.current, this.#owner)?.id;
    return accounts.list(String(userId), current);
  }

  /**
   * Ends every session of a user, or all but `except` ("log out other devices"): the
   * request's session, its id, or a handle from `listSessions`. Resolves how many it ended;
   * with sealed cookie sessions (`revocations`), which have nothing on the server to count,
   * 0. A request of a revoked session still in flight does not write it back.
   */
  async revokeSessions(userId: string | number, options: RevokeSessionsOptions = {}): Promise<number> {
    const accounts = await this.#accountsOrThrow('revokeSessions');
    const except = options.except;
    const count = await accounts.revokeAll(String(userId), except === undefined || typeof except === 'string' ? except : this.#ownStateOf(except));
    await this.#reportRevoked(count);
    return count;
  }

  /** Ends one session of a user, named by the handle `listSessions` gave; false if it was not live. */
  async revokeSession(userId: string | number, handle: string): Promise<boolean> {
    const ended = await (await this.#accountsOrThrow('revokeSession')).revokeOne(String(userId), handle);
    if (ended) await this.#reportRevoked(1);
    return ended;
  }

  /** The `revoked` event, with how many sessions ended (sealed cookies: 0, nothing on the server counts them). */
  async #reportRevoked(count: number): Promise<void> {
    const { events, carrier } = await this.#parts();
    if (events.wants('revoked')) events.emit('revoked', { store: carrier.name, count, cause: 'revoke' });
  }

  async #accountsOrThrow(method: string): Promise<Accounts> {
    const { accounts, options } = await this.#parts();
    if (accounts) return accounts;
    throw unavailable(method, options.userField !== undefined);
  }

  /** The state of `except`, which must be a session of this engine: anything else would silently keep nothing. */
  #ownStateOf(except: object): SessionState {
    const state = stateIfOwnedBy(except, this.#owner) as SessionState | undefined;
    if (!state) throw new TypeError(`sessionkit: revokeSessions(): except is not a session of this engine. ${EXCEPT_TAKES}`);
    return state;
  }
}
