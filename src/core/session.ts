import { generateId } from './ids.js';
import type { ResolvedOptions } from './options.js';

/**
 * The data an application keeps in its sessions. Declare your fields by merging into
 * this interface once, and every adapter's `session` is typed:
 *
 *     declare module 'sessionkit' {
 *       interface SessionData { userId: string; cart: string[] }
 *     }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface SessionData {}

/** What a session object shows of its state: all that a composite of sessions has too. */
export interface SessionFacts {
  /** The id the cookie carries after this request. */
  readonly id: string;
  /** No record exists under `id` yet. */
  readonly isNew: boolean;
  /** Expiry of the stored record as read or last written; undefined for a new session. */
  readonly expiresAt: number | undefined;
  permanent: boolean;
}

/** The engine's bookkeeping for one session, kept off the data under a symbol. */
export interface SessionState extends SessionFacts {
  id: string;
  isNew: boolean;
  /** The stored payload as it was read, to detect changes (nested ones too) by comparison. */
  loadedBytes: Uint8Array | undefined;
  version: string | undefined;
  expiresAt: number | undefined;
  /** Ids whose records must be deleted on commit (after regenerate() or destroy()). */
  retiredIds: string[];
  /** The request carried a valid cookie for a session: clearing it needs a Set-Cookie. */
  cookieReceived: boolean;
}

/** The state of a session that has no record yet: a fresh random id, nothing loaded. */
export function freshState(options: Pick<ResolvedOptions, 'idLength' | 'permanent'>, cookieReceived: boolean): SessionState {
  return {
    id: generateId(options.idLength),
    isNew: true,
    loadedBytes: undefined,
    version: undefined,
    expiresAt: undefined,
    permanent: options.permanent,
    retiredIds: [],
    cookieReceived,
  };
}

/**
 * Whether an unmodified session's expiry should be pushed out now: refreshEachRequest,
 * throttled so that it happens at most once per touchAfter (the expiry was last set a
 * lifetime before it falls).
 */
export function isRefreshDue(
  options: Pick<ResolvedOptions, 'refreshEachRequest' | 'lifetimeMs' | 'touchAfterMs'>,
  state: SessionState,
  now: number,
): boolean {
  if (!options.refreshEachRequest || state.expiresAt === undefined) return false;
  const lastRefresh = state.expiresAt - options.lifetimeMs;
  return now - lastRefresh >= options.touchAfterMs;
}

export const STATE: unique symbol = Symbol('sessionkit.state');

/** What a session asks of the engine (or composite of engines) that made it. */
export interface SessionOwner {
  /** Gives the session a new id; the engine retires the old one on commit. */
  regenerate(session: SessionObject): void;
}
const OWNER: unique symbol = Symbol('sessionkit.owner');

/** Methods and properties every session has, beside the application's own data. */
export interface SessionControls {
  /** The session id (not the cookie value, which may carry a signature). */
  readonly id: string;
  /** True until the session has been saved to the store once. */
  readonly isNew: boolean;
  /** When the stored record expires, or undefined before it is first saved. */
  readonly expiresAt: Date | undefined;
  /**
   * Permanent sessions get a cookie that lives as long as the server-side record;
   * non-permanent ones a browser-session cookie. Defaults to the `permanent` option.
   */
  permanent: boolean;
  /**
   * Moves the data to a new id and deletes the old record: call it at login, and
   * whenever privileges change, so that an id seen before login is worthless after.
   */
  regenerate(): void;
  /** Clears every field and deletes the stored record; the cookie is cleared. */
  destroy(): void;
}

/** A session as the application sees it: its data fields plus the controls. */
export type Session<T extends object = SessionData> = Partial<T> & SessionControls;

/**
 * The object behind every session. The application's fields are its own enumerable
 * properties; everything else lives on the prototype or under symbols, so the data is
 * exactly `Object.keys(session)`.
 */
export class SessionObject implements SessionControls {
  declare [STATE]: SessionFacts;
  declare [OWNER]: SessionOwner;

  constructor(owner: SessionOwner, state: SessionFacts, data: Record<string, unknown> | undefined) {
    Object.defineProperty(this, STATE, { value: state, enumerable: false });
    Object.defineProperty(this, OWNER, { value: owner, enumerable: false });
    if (data) assignData(this, data);
  }

  get id(): string {
    return this[STATE].id;
  }

  get isNew(): boolean {
    return this[STATE].isNew;
  }

  get expiresAt(): Date | undefined {
    const expiresAt = this[STATE].expiresAt;
    return expiresAt === undefined ? undefined : new Date(expiresAt);
  }

  get permanent(): boolean {
    return this[STATE].permanent;
  }

  set permanent(value: boolean) {
    this[STATE].permanent = Boolean(value);
  }

  regenerate(): void {
    this[OWNER].regenerate(this);
  }

  destroy(): void {
    for (const key of Object.keys(this)) delete (this as Record<string, unknown>)[key];
    this[OWNER].regenerate(this);
  }
}

/**
 * Copies data fields as own properties. A key the target already answers to (`__proto__`,
 * `constructor`, a session control such as `id`) is defined, never assigned, so a stored
 * `__proto__` key stays a plain field and can never swap a prototype or reach a setter.
 * Every other key is assigned: defineProperty costs about seven times as much, on every
 * request that loads a session.
 */
export function assignData(target: object, data: Record<string, unknown>): void {
  const fields = target as Record<string, unknown>;
  for (const key of Object.keys(data)) {
    if (key in target) {
      Object.defineProperty(target, key, { value: data[key], writable: true, enumerable: true, configurable: true });
    } else {
      fields[key] = data[key];
    }
  }
}

/**
 * The state behind a session, if `owner` made it: an engine only ever commits its own
 * sessions, and reads its own bookkeeping only through this.
 */
export function stateIfOwnedBy(session: object, owner: SessionOwner): SessionFacts | undefined {
  const object = session as Partial<SessionObject>;
  return object[OWNER] === owner ? object[STATE] : undefined;
}

/** The application's fields of a session, as a plain object. */
export function sessionData(session: object): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  assignData(data, session as Record<string, unknown>);
  return data;
}
