import type { UserSessions } from '../accounts/user-sessions.js';
import { handleOf } from '../core/handle.js';
import { SessionConfigError } from '../core/errors.js';
import type { ListSessionsOptions, RevokeSessionsOptions, UserSession, UserSessionControls } from '../core/manager.js';
import type { EngineParts } from './parts.js';
import { stateIfOwnedBy, type SessionOwner } from './session.js';
import type { SessionState } from './session-state.js';

const EXCEPT_TAKES = 'Pass the request\'s session (except: req.session), its id (req.session.id), or a handle from listSessions().';
/** Session ids are at least 16 random bytes and handles 22 characters, both base64url: nothing else can name a session. */
const SESSION_NAME = /^[A-Za-z0-9_-]{22,}$/;

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
    const users = await this.#usersOrThrow('listSessions');
    const current = options.current === undefined ? undefined : stateIfOwnedBy(options.current, this.#owner)?.id;
    return users.list(String(userId), current);
  }

  /**
   * Ends every session of a user, or all but `except` ("log out other devices"): the
   * request's session, its id, or a handle from `listSessions`. Resolves how many it ended;
   * with sealed cookie sessions (`revocations`), which have nothing on the server to count,
   * 0. A request of a revoked session still in flight does not write it back.
   */
  async revokeSessions(userId: string | number, options: RevokeSessionsOptions = {}): Promise<number> {
    const { revocations } = await this.#parts();
    const except = options.except;
    if (revocations) {
      if (typeof except === 'string') {
        throw new TypeError(
          'sessionkit: revokeSessions(): a sealed cookie session is kept by sealing its cookie again, so except must be the session itself ' +
            '(except: req.session), not its id or a handle.',
        );
      }
      const keep = except === undefined ? undefined : this.#ownStateOf(except);
      await revocations.revokeAll(String(userId), Date.now(), keep);
      // Nothing on the server to count: every session that signed in earlier is refused from now on.
      return 0;
    }
    const users = await this.#usersOrThrow('revokeSessions');
    const kept = except === undefined ? undefined : typeof except === 'string' ? keptByText(except) : keptHandle(this.#ownStateOf(except).id);
    return users.revoke(String(userId), (handle) => kept?.(handle) !== true);
  }

  /** Ends one session of a user, named by the handle `listSessions` gave; false if it was not live. */
  async revokeSession(userId: string | number, handle: string): Promise<boolean> {
    const users = await this.#usersOrThrow('revokeSession');
    return (await users.revoke(String(userId), (candidate) => candidate === handle)) > 0;
  }

  async #usersOrThrow(method: string): Promise<UserSessions> {
    const { users, options } = await this.#parts();
    if (users) return users;
    throw new SessionConfigError(
      options.userField
        ? `${method}() needs sessions kept in a store: sealed cookie sessions are not on the server` +
            (method === 'revokeSessions' ? '. Give the engine revocations: { store } to revoke them.' : '; revokeSessions() with revocations: { store } works for them.')
        : `${method}() needs the userField option: name the session field that identifies the user, e.g. userField: 'user_id'.`,
    );
  }

  /** The state of `except`, which must be a session of this engine: anything else would silently keep nothing. */
  #ownStateOf(except: object): SessionState {
    const state = stateIfOwnedBy(except, this.#owner) as SessionState | undefined;
    if (!state) throw new TypeError(`sessionkit: revokeSessions(): except is not a session of this engine. ${EXCEPT_TAKES}`);
    return state;
  }
}

/** What `except` as a session object keeps: the handle of its id. */
function keptHandle(id: string): (handle: string) => boolean {
  const kept = handleOf(id);
  return (handle) => handle === kept;
}

/**
 * What `except` as text keeps: a handle from listSessions, or a session id (what
 * express-session's users write: `except: req.session.id`), recognised through the handle
 * it hashes to; a handle cannot also be the id of another session (its hash would have to
 * collide). Text that can be neither (a signed cookie value, a user id) is refused.
 */
function keptByText(except: string): (handle: string) => boolean {
  if (!SESSION_NAME.test(except)) throw new TypeError(`sessionkit: revokeSessions(): except names no session. ${EXCEPT_TAKES}`);
  const ofId = handleOf(except);
  return (handle) => handle === except || handle === ofId;
}
