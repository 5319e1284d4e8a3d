import { EncodedValue } from '../codec/codec.js';
import { persistCommit, type PendingCommit, type RequestContext } from '../core/commit.js';
import { CSRF_SYNC_FIELD, csrfToken } from '../forms/csrf.js';
import { adoptConnectFlash, CONNECT_FLASH_FIELD, flash, type FlashMessages } from '../forms/flash.js';
import { defineLazyField } from './memo/lazy-fields.js';
import type { RequestBinding } from '../core/request-binding.js';
import type { SessionCallback, SessionControls, SessionCookieView, SessionFacts } from '../core/session.js';

export type { Session, SessionCallback, SessionControls, SessionData } from '../core/session.js';

export const STATE: unique symbol = Symbol('sessionkit.state');
const OWNER: unique symbol = Symbol('sessionkit.owner');
const BINDING: unique symbol = Symbol('sessionkit.binding');

/** What a session asks of the engine (or composite of engines) that made it. */
export interface SessionOwner {
  /**
   * Gives the session a new id, keeping its data; the engine retires the old one on commit.
   * Its absolute clock keeps running (a login does not restart it) unless `restartClock`
   * (destroy: what is written next is a new session).
   */
  regenerate(session: SessionObject, restartClock?: boolean): void;
  /** A new, empty session to take this one's place; the old id is retired when the new one is committed. */
  renew(session: SessionObject): SessionObject;
  commit(session: SessionObject, context?: RequestContext): PendingCommit;
  /** Replaces the session's data and bookkeeping with what its store holds now. */
  reload(session: SessionObject): Promise<void>;
  /** Asks for the expiry to be refreshed at commit, due or not. */
  touch(session: SessionObject): void;
  /** Records that the session's user proved who they are now (the `freshness` option; throws without it). */
  markAuthenticated(session: SessionObject): void;
  /** When the session's user last proved who they are (epoch ms), or undefined (throws without the `freshness` option). */
  authenticatedAt(session: SessionObject): number | undefined;
  cookieOf(session: SessionObject): SessionCookieView;
}

/**
 * The class a manager makes its sessions with: SessionObject, or an adapter's subclass
 * that adds its framework's session API (Fastify's `get`/`set`/`data`).
 */
export type SessionClass = new (owner: SessionOwner, state: SessionFacts, data: Record<string, unknown> | undefined) => SessionObject;

const ignore = () => {};

/**
 * The object behind every session. The application's fields are its own enumerable
 * properties; everything else lives on the prototype or under symbols, so the data is
 * exactly `Object.keys(session)`. A stored field named like a control (`save`, `cookie`)
 * is never loaded as data, so it can never shadow one.
 */
export class SessionObject implements SessionControls {
  declare [STATE]: SessionFacts;
  declare [OWNER]: SessionOwner;
  declare [BINDING]: RequestBinding<SessionObject> | undefined;

  constructor(owner: SessionOwner, state: SessionFacts, data: Record<string, unknown> | undefined) {
    // Plain assignments: symbol keys are never data (Object.keys, for…in, JSON and the codecs
    // skip them), and defineProperty costs more on every request (bench/RESULTS.md). A spread copy carries
    // them along, as a copy of an express-session session carries its `req`.
    this[STATE] = state;
    this[OWNER] = owner;
    this[BINDING] = undefined;
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

  get cookie(): SessionCookieView {
    return this[OWNER].cookieOf(this);
  }

  regenerate(callback?: SessionCallback): void;
  regenerate(keep: readonly string[]): Promise<void>;
  regenerate(argument?: SessionCallback | readonly string[]): Promise<void> | undefined {
    if (argument === undefined) {
      this[OWNER].regenerate(this);
      return undefined;
    }
    if (typeof argument === 'function') {
      settle(() => {
        this.#replaceWithEmpty([]);
      }, argument);
      return undefined;
    }
    try {
      this.#replaceWithEmpty(argument);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  destroy(): Promise<void>;
  destroy(callback: SessionCallback): void;
  destroy(callback?: SessionCallback): Promise<void> | undefined {
    clearData(this);
    this[OWNER].regenerate(this, true);
    return answer(saveNow(this), callback, true);
  }

  save(): Promise<void>;
  save(callback: SessionCallback): void;
  save(callback?: SessionCallback): Promise<void> | undefined {
    return answer(saveNow(this), callback, true);
  }

  reload(): Promise<void>;
  reload(callback: SessionCallback): void;
  reload(callback?: SessionCallback): Promise<void> | undefined {
    return answer(this[OWNER].reload(this), callback, false);
  }

  touch(): void {
    this[OWNER].touch(this);
  }

  markAuthenticated(): void {
    this[OWNER].markAuthenticated(this);
  }

  get authenticatedAt(): Date | undefined {
    const at = this[OWNER].authenticatedAt(this);
    return at === undefined ? undefined : new Date(at);
  }

  flash(type: string, message: string | readonly string[]): number;
  flash(type: string, format: string, ...values: unknown[]): number;
  flash(type: string): string[];
  flash(): FlashMessages;
  flash(type?: string, ...values: unknown[]): number | string[] | FlashMessages {
    return flash(this, type, values);
  }

  csrfToken(): string {
    return csrfToken(this);
  }

  /**
   * express-session's regenerate: a new, empty session (keeping the fields named in
   * `keep`) takes this one's place on the request. Where no adapter can swap the request's
   * session (one loaded by hand), this one is emptied and given a new id instead.
   */
  #replaceWithEmpty(keep: readonly string[]): void {
    const binding = this[BINDING];
    const kept: Record<string, unknown> = {};
    for (const field of keep) if (Object.hasOwn(this, field)) kept[field] = (this as Record<string, unknown>)[field];
    if (binding?.replace) {
      const next = this[OWNER].renew(this);
      next[BINDING] = binding;
      binding.current = next;
      binding.replace(next);
      assignData(next, kept);
    } else {
      clearData(this);
      this[OWNER].regenerate(this);
      assignData(this, kept);
    }
  }
}

/**
 * Ties a session to its request, for the operations that act at once (`save`,
 * `regenerate(callback)`). Adapters call it once per request.
 */
export function bindToRequest<S extends object>(session: NoInfer<S>, binding: RequestBinding<S>): void {
  (session as unknown as SessionObject)[BINDING] = binding as unknown as RequestBinding<SessionObject>;
}

/** The request a session is bound to, if an adapter bound it. */
export function bindingOf<S extends object>(session: S): RequestBinding<S> | undefined {
  return (session as unknown as SessionObject)[BINDING] as RequestBinding<S> | undefined;
}

/** Commits a session now (the store write, then its cookie on the response). */
async function saveNow(session: SessionObject): Promise<void> {
  const binding = session[BINDING];
  const pending = session[OWNER].commit(session, binding);
  await persistCommit(pending);
  if (pending.setCookies.length > 0) binding?.sendCookies(pending.setCookies);
}

/**
 * Hands an operation's outcome to a callback, or returns its promise. A promise nobody
 * awaits must not end the process on failure: a failed save is retried, and reported, by
 * the request's own commit at the end.
 */
function answer(done: Promise<void>, callback: SessionCallback | undefined, retriedAtCommit: boolean): Promise<void> | undefined {
  if (callback) {
    done.then(() => {
      callback();
    }, callback);
    return undefined;
  }
  if (retriedAtCommit) done.catch(ignore);
  return done;
}

/** Runs synchronous work and calls back on a later turn, as express-session's callbacks are. */
function settle(work: () => void, callback: SessionCallback): void {
  let failure: unknown;
  try {
    work();
  } catch (error) {
    failure = error;
  }
  queueMicrotask(() => {
    callback(failure);
  });
}

/** `regenerate` on the owner of an engine's session, restarting its clock or not (multiSession's destroy). */
export function regenerateSession(session: SessionObject, restartClock: boolean): void {
  session[OWNER].regenerate(session, restartClock);
}

/** Removes every data field of a session (its controls stay). */
export function clearData(session: object): void {
  for (const key of Object.keys(session)) delete (session as Record<string, unknown>)[key];
}

/**
 * The class a session was made with (SessionObject, or an adapter's subclass), read from
 * its prototype: a stored field named `constructor` is data and must not be asked.
 */
export function sessionClassOf(session: object): SessionClass {
  return (Object.getPrototypeOf(session) as { constructor: SessionClass }).constructor;
}

/** A session control's name on this session (`save`, `cookie`, Fastify's `get`): never a data field. */
export function isControlName(session: object, key: string): boolean {
  return key in session && !Object.hasOwn(session, key) && !(key in Object.prototype);
}

/**
 * Copies data fields as own properties, by the rules of `assignField`. `decode` reads a big
 * field left encoded (./lazy-fields.ts). Returns the skipped keys.
 */
export function assignData(target: object, data: Record<string, unknown>, decode?: (bytes: Uint8Array) => unknown): string[] | undefined {
  let skipped: string[] | undefined;
  for (const key of Object.keys(data)) {
    const value = data[key];
    if (decode && value instanceof EncodedValue) {
      // A big field left encoded: decoded when read. Never over a control.
      if (key in target && !Object.hasOwn(target, key) && !(key in Object.prototype) && target instanceof SessionObject) (skipped ??= []).push(key);
      else defineLazyField(target, key, value, decode);
    } else if (!assignField(target, key, value)) {
      (skipped ??= []).push(key);
    }
  }
  return skipped;
}

/**
 * Sets one data field as an own property. A key the target already answers to through
 * Object.prototype (`__proto__`, `constructor`) is defined, never assigned, so a stored
 * `__proto__` key stays a plain field and can never swap a prototype. A key that names a
 * session control (`save`, `cookie`, `permanent`) is skipped (false): it can never shadow
 * one. Every other key is assigned: defineProperty costs about seven times as much, on
 * every request that loads a session.
 */
export function assignField(target: object, key: string, value: unknown): boolean {
  if (!(key in target) || Object.hasOwn(target, key)) {
    // A new key, or one that is already an own data field: a plain assignment is safe.
    (target as Record<string, unknown>)[key] = value;
  } else if (key in Object.prototype || !(target instanceof SessionObject)) {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else if (key === CONNECT_FLASH_FIELD) {
    adoptConnectFlash(target, value); // connect-flash's messages, under the name of the flash() control
  } else if (key === CSRF_SYNC_FIELD && typeof value === 'string') {
    // csrf-sync's token, kept where it reads it: such a session keeps working under csrf-sync.
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    return false;
  }
  return true;
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
