import { persistCommit } from '../core/commit.js';
import { toSessionManager } from '../engine/engine.js';
import { SessionConfigError } from '../core/errors.js';
import { consoleLogger, type Logger } from '../core/logger.js';
import type { ListSessionsOptions, PendingCommit, RequestContext, RevokeSessionsOptions, SessionManager, UserSession } from '../core/manager.js';
import type { SessionOptions } from '../engine/options.js';
import { assignData, clearData, regenerateSession, SessionObject, sessionClassOf, stateIfOwnedBy, type Session, type SessionClass, type SessionData, type SessionOwner } from '../engine/session.js';
import type { SessionCookieView, SessionFacts } from '../core/session.js';
import type { SessionEventListener, SessionEventName } from '../core/events.js';

/** What a part written at once (persistCommit answered undefined) contributes to the wait. */
const DONE = Promise.resolve();

/**
 * Which fields of the session an entry keeps: a list of names, `{ include: [...] }`,
 * `{ exclude: [...] }` (every field except these that no list claims), or 'auto' (every
 * field no other entry claims; an empty list means the same, as in flask-session-plus).
 */
export type FieldSelection = readonly string[] | { include: readonly string[] } | { exclude: readonly string[] } | 'auto';

/** One entry of flask-session-plus's SESSION_CONFIG: its own cookie, store and options, and its fields. */
export interface MultiSessionEntry extends SessionOptions {
  cookie: NonNullable<SessionOptions['cookie']> & { name: string };
  fields: FieldSelection;
}

export interface MultiSessionOptions {
  sessions: readonly MultiSessionEntry[];
  logger?: Logger;
}

type Part = Session<Record<string, unknown>>;

/**
 * What the composite session shows of itself: the first entry's id, newness and expiry,
 * read through that session's public getters, and a permanent flag of its own that
 * commit hands to every entry.
 */
class CompositeFacts implements SessionFacts {
  permanent: boolean;
  readonly #first: Part;

  constructor(first: Part) {
    this.#first = first;
    this.permanent = first.permanent;
  }

  get id(): string {
    return this.#first.id;
  }

  get isNew(): boolean {
    return this.#first.isNew;
  }

  get expiresAt(): number | undefined {
    return this.#first.expiresAt?.getTime();
  }
}

interface Route {
  explicit: Map<string, number>;
  excluding: { index: number; except: ReadonlySet<string> } | undefined;
  auto: number | undefined;
}

/**
 * Several sessions at once, each with its own cookie and store, seen by the application
 * as ONE session object (flask-session-plus's SESSION_CONFIG). Every field belongs to
 * exactly one entry; on commit each entry's fields go to its own store, and only the
 * entries whose fields changed write and set their cookie. It composes whole engines
 * through their public interface (load, commit, a session's own controls), and reads
 * each store at most once per request.
 *
 *     app.use(sessionkit(multiSession({ sessions: [
 *       { cookie: { name: 'csrf' }, store: cookieStore({ secret }), fields: ['csrf_token'] },
 *       { cookie: { name: 'session' }, store: redisStore({ client }), fields: ['user_id', 'user_data'] },
 *       { cookie: { name: 'data' }, store: cookieStore({ secret }), fields: 'auto' },
 *     ] })));
 */
export class MultiSessionManager<T extends object = SessionData> implements SessionManager<T>, SessionOwner {
  readonly logger: Logger;
  readonly names: readonly string[];
  /** Decided once: every entry loads synchronously, so the composite can too. */
  readonly canLoadSync: boolean;
  /** Some entry holds a lock per request (`lock`): adapters call `finish`. */
  readonly locks: boolean;
  readonly #managers: SessionManager<Record<string, unknown>>[];
  readonly #route: Route;
  readonly #owners = new Map<string, number | undefined>();
  readonly #parts = new WeakMap<object, Part[]>();
  /** The entry whose engine indexes users (`userField`): the one that answers listSessions and revocations. */
  readonly #userEntry: number;
  /** The entry whose engine keeps when the user last proved who they are (`freshness`). */
  readonly #freshEntry: number;

  constructor(options: MultiSessionOptions) {
    const entries = options.sessions;
    if (!isList(entries) || entries.length === 0) {
      throw new SessionConfigError('multiSession: `sessions` must list at least one session.');
    }
    this.logger = options.logger ?? consoleLogger;
    this.names = entries.map((entry, index) => {
      if (!entry.cookie?.name) throw new SessionConfigError(`multiSession: session ${index + 1} needs cookie.name; it also names the session.`);
      return entry.cookie.name;
    });
    const duplicate = this.names.find((name, index) => this.names.indexOf(name) !== index);
    if (duplicate) throw new SessionConfigError(`multiSession: two sessions use the cookie name '${duplicate}'; each needs its own.`);
    this.#route = route(entries, this.names);
    this.#managers = entries.map(({ fields: _fields, ...entry }) =>
      toSessionManager<Record<string, unknown>>({ logger: this.logger, ...entry }),
    );
    this.canLoadSync = this.#managers.every((manager) => manager.canLoadSync);
    this.locks = this.#managers.some((manager) => manager.locks);
    const withUsers = entries.flatMap((entry, index) => (entry.userField === undefined ? [] : [index]));
    if (withUsers.length > 1) {
      throw new SessionConfigError(`multiSession: sessions ${withUsers.map((i) => `'${this.names[i]}'`).join(' and ')} both set userField; one session identifies the user.`);
    }
    // Without one, the first entry answers, and its error says to set userField.
    this.#userEntry = withUsers[0] ?? 0;
    this.#freshEntry = this.#freshnessEntry(entries, withUsers[0]);
  }

  /**
   * The entry that keeps step-up freshness: the one that sets `freshness` (the first, whose
   * error says to set it, when none does). It must be the user's entry when there is one, or a
   * login would never record its time.
   */
  #freshnessEntry(entries: readonly MultiSessionEntry[], userEntry: number | undefined): number {
    const fresh = entries.flatMap((entry, index) => (entry.freshness === true ? [index] : []));
    if (fresh.length > 1) throw new SessionConfigError(`multiSession: sessions ${fresh.map((i) => `'${this.names[i]}'`).join(' and ')} both set freshness; set it on one.`);
    const index = fresh[0];
    if (index !== undefined && userEntry !== undefined && index !== userEntry) {
      throw new SessionConfigError(`multiSession: freshness is set on '${this.names[index]}' but userField on '${this.names[userEntry]}': set freshness on '${this.names[userEntry]}', the session that names the user.`);
    }
    return index ?? 0;
  }

  async finish(session: Session<T> | SessionObject): Promise<void> {
    await Promise.all(this.#partsOf(session).map((part, index) => this.#managers[index]!.finish(part)));
  }

  listSessions(userId: string | number, options: ListSessionsOptions = {}): Promise<UserSession[]> {
    return this.#managers[this.#userEntry]!.listSessions(userId, { current: this.#userPart(options.current) });
  }

  revokeSessions(userId: string | number, options: RevokeSessionsOptions = {}): Promise<number> {
    const except = typeof options.except === 'string' ? options.except : this.#userPart(options.except);
    return this.#managers[this.#userEntry]!.revokeSessions(userId, { except });
  }

  revokeSession(userId: string | number, handle: string): Promise<boolean> {
    return this.#managers[this.#userEntry]!.revokeSession(userId, handle);
  }

  /** Listens to the events of every entry's sessions (each event names its entry's store); returns the function that unsubscribes from all. */
  on<K extends SessionEventName>(name: K, listener: SessionEventListener<K>): () => void {
    const unsubscribes = this.#managers.map((manager) => manager.on(name, listener));
    return () => {
      for (const unsubscribe of unsubscribes) unsubscribe();
    };
  }

  /** The part of a composite session that the user entry's engine knows. */
  #userPart(session: object | undefined): object | undefined {
    return session === undefined ? undefined : this.#partsOf(session)[this.#userEntry];
  }

  async load(cookieHeader: string | undefined, kind: SessionClass = SessionObject): Promise<Session<T>> {
    return this.#compose(await Promise.all(this.#managers.map((manager) => manager.load(cookieHeader))), kind);
  }

  loadSync(cookieHeader: string | undefined, kind: SessionClass = SessionObject): Session<T> {
    if (!this.canLoadSync) throw new Error('sessionkit: loadSync() needs every session of multiSession to read synchronously; call load().');
    return this.#compose(
      this.#managers.map((manager) => manager.loadSync(cookieHeader)),
      kind,
    );
  }

  commit(session: Session<T> | SessionObject, context?: RequestContext): PendingCommit {
    const parts = this.#partsOf(session);
    const data = session as unknown as Record<string, unknown>;
    const permanent = session.permanent;
    const permanentChanged = permanent !== parts[0]!.permanent;
    const commits = parts.map((part, index) => {
      const partData = part as unknown as Record<string, unknown>;
      for (const field of Object.keys(partData)) if (this.#ownerOf(field) !== index || !(field in data)) delete partData[field];
      for (const field of Object.keys(data)) if (this.#ownerOf(field) === index) assignData(partData, { [field]: data[field] });
      if (permanentChanged) part.permanent = permanent;
      return this.#managers[index]!.commit(part, context);
    });
    return {
      // A getter: with Web Crypto a part's cookie is known only once its persist() has resolved.
      get setCookies() {
        return commits.flatMap((pending) => pending.setCookies);
      },
      needsPersist: commits.some((pending) => pending.needsPersist),
      persist: async () => {
        await Promise.all(commits.map((pending) => persistCommit(pending) ?? DONE));
      },
    };
  }

  /** regenerate() and destroy() act on every session at once. */
  regenerate(session: SessionObject, restartClock = false): void {
    for (const part of this.#partsOf(session)) regenerateSession(part as unknown as SessionObject, restartClock);
  }

  /** express-session's regenerate: every entry emptied under a new id, seen through a new composite. */
  renew(session: SessionObject): SessionObject {
    const parts = this.#partsOf(session);
    for (const part of parts) {
      clearData(part);
      part.regenerate();
    }
    return this.#compose(parts, sessionClassOf(session)) as unknown as SessionObject;
  }

  async reload(session: SessionObject): Promise<void> {
    const parts = this.#partsOf(session);
    await Promise.all(parts.map((part) => part.reload()));
    clearData(session);
    this.#fill(session as unknown as Record<string, unknown>, parts);
  }

  touch(session: SessionObject): void {
    for (const part of this.#partsOf(session)) part.touch();
  }

  /** Freshness lives in one entry's session (the one that sets `freshness`). */
  markAuthenticated(session: SessionObject): void {
    this.#partsOf(session)[this.#freshEntry]!.markAuthenticated();
  }

  authenticatedAt(session: SessionObject): number | undefined {
    return this.#partsOf(session)[this.#freshEntry]!.authenticatedAt?.getTime();
  }

  /** The cookie of the first entry: it carries the composite's id and expiry. */
  cookieOf(session: SessionObject): SessionCookieView {
    return this.#partsOf(session)[0]!.cookie;
  }

  /** The entry that owns a field, or undefined when none does. */
  ownerOf(field: string): string | undefined {
    const index = this.#ownerOf(field);
    return index === undefined ? undefined : this.names[index];
  }

  #ownerOf(field: string): number | undefined {
    if (this.#owners.has(field)) return this.#owners.get(field);
    const { explicit, excluding, auto } = this.#route;
    const owner = explicit.get(field) ?? (excluding && !excluding.except.has(field) ? excluding.index : auto);
    if (this.#owners.size < 10_000) this.#owners.set(field, owner); // bounded: field names may come from input
    return owner;
  }

  /** Copies each entry's own fields into the composite. */
  #fill(target: Record<string, unknown>, parts: Part[]): void {
    parts.forEach((part, index) => {
      const partData = part as unknown as Record<string, unknown>;
      for (const field of Object.keys(partData)) if (this.#ownerOf(field) === index) assignData(target, { [field]: partData[field] });
    });
  }

  #compose(parts: Part[], kind: SessionClass): Session<T> {
    const state = new CompositeFacts(parts[0]!);
    const data: Record<string, unknown> = {};
    this.#fill(data, parts);
    const composite = new kind(this, state, data);
    // Proxied so that a field no entry owns fails the moment it is set, naming the field.
    const guarded = new Proxy(composite, {
      set: (target, field, value, receiver) => {
        this.#check(target, field);
        return Reflect.set(target, field, value, receiver);
      },
      defineProperty: (target, field, descriptor) => {
        this.#check(target, field);
        return Reflect.defineProperty(target, field, descriptor);
      },
    });
    this.#parts.set(guarded, parts);
    this.#parts.set(composite, parts);
    return guarded as unknown as Session<T>;
  }

  /** Controls (on the session's prototype) and owned fields may be set; anything else names its mistake. */
  #check(target: object, field: string | symbol): void {
    if (typeof field !== 'string' || field in Object.getPrototypeOf(target) || this.#ownerOf(field) !== undefined) return;
    throw new Error(`sessionkit: no session of multiSession keeps the field '${field}'. Add it to one entry's fields, or give one entry fields: 'auto'.`);
  }

  #partsOf(session: object): Part[] {
    const parts = stateIfOwnedBy(session, this) && this.#parts.get(session);
    if (!parts) throw new TypeError('sessionkit: commit() needs a session returned by load() of the same multiSession.');
    return parts;
  }
}

/** Checks the field lists once, at start-up: a field claimed twice names both sessions. */
function route(entries: readonly MultiSessionEntry[], names: readonly string[]): Route {
  const explicit = new Map<string, number>();
  let excluding: Route['excluding'];
  let auto: number | undefined;
  entries.forEach((entry, index) => {
    const fields = entry.fields;
    const list = isList<string>(fields) ? fields : typeof fields === 'object' && fields !== null && 'include' in fields ? fields.include : undefined;
    if (fields === 'auto' || (list && list.length === 0)) {
      if (auto !== undefined) {
        throw new SessionConfigError(`multiSession: sessions '${names[auto]}' and '${names[index]}' both take every unclaimed field ('auto'); only one may.`);
      }
      auto = index;
    } else if (list) {
      for (const field of list) {
        const other = explicit.get(field);
        if (other !== undefined) {
          throw new SessionConfigError(`multiSession: the field '${field}' is claimed by both '${names[other]}' and '${names[index]}'; give it to one.`);
        }
        explicit.set(field, index);
      }
    } else if (typeof fields === 'object' && fields !== null && 'exclude' in fields) {
      if (excluding) {
        throw new SessionConfigError(`multiSession: sessions '${names[excluding.index]}' and '${names[index]}' both use { exclude }; only one may.`);
      }
      excluding = { index, except: new Set(fields.exclude) };
    } else {
      throw new SessionConfigError(`multiSession: session '${names[index]}' needs fields: a list, { include }, { exclude } or 'auto'.`);
    }
  });
  return { explicit, excluding, auto };
}

/**
 * `Array.isArray` for readonly lists: on its own it narrows `readonly T[]` to `any[]`, and
 * the `any` would flow through everything read from the list after the check.
 */
function isList<T>(value: readonly T[] | object | string): value is readonly T[] {
  return Array.isArray(value);
}

export function multiSession<T extends object = SessionData>(options: MultiSessionOptions): MultiSessionManager<T> {
  return new MultiSessionManager<T>(options);
}
