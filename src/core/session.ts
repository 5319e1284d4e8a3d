/**
 * What every layer knows of a session: the application's data type, the controls every
 * session object has, and the facts a session shows. The engine's session object
 * (engine/session.ts) implements them; adapters and composites see only these.
 */

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

/** express-session's callback: called once the operation is done, with the error if it failed. */
export type SessionCallback = (error?: unknown) => void;

/** A SameSite attribute: a browser sends the cookie cross-site only when it is 'none' (and Secure). */
export type SameSite = 'lax' | 'strict' | 'none' | false;

/**
 * A session's cookie as express-session shows it (`req.session.cookie`), settable per
 * session: what is set here is stored with the session, so a refresh keeps it.
 */
export interface SessionCookieView {
  /** Milliseconds until the cookie expires; null for a browser-session cookie. */
  maxAge: number | null;
  /** When the cookie expires; null for a browser-session cookie. */
  expires: Date | null;
  /** The lifetime the cookie was given, in milliseconds; null for a browser-session cookie. */
  readonly originalMaxAge: number | null;
  httpOnly: boolean;
  secure: boolean | 'auto';
  sameSite: SameSite;
  path: string;
  domain: string | undefined;
  toJSON(): Record<string, unknown>;
}

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
  /** The session's cookie, express-session style: `cookie.maxAge = 30 * 86400e3` remembers this session for 30 days. */
  readonly cookie: SessionCookieView;
  /**
   * Without a callback (sessionkit's own form): moves the data to a new id and deletes the
   * old record at commit — call it at login and whenever privileges change, so that an id
   * seen before is worthless after. With a callback (express-session's form, which
   * Passport uses): a new, EMPTY session takes this one's place on the request
   * (`req.session`), and the callback runs once it has. With a list of fields
   * (@fastify/session's form): the same, keeping those fields, and a promise.
   */
  regenerate(callback?: SessionCallback): void;
  regenerate(keep: readonly string[]): Promise<void>;
  /**
   * Clears every field and deletes the stored record now; the cookie is cleared. Resolves
   * (or calls back) once the record is gone.
   */
  destroy(): Promise<void>;
  destroy(callback: SessionCallback): void;
  /** Writes the session to its store now, and its cookie to the response; resolves (or calls back) after the write. */
  save(): Promise<void>;
  save(callback: SessionCallback): void;
  /** Reads the session again from its store, replacing its data. */
  reload(): Promise<void>;
  reload(callback: SessionCallback): void;
  /** Refreshes the session's expiry at the end of the request, even if no refresh is due yet. */
  touch(): void;
  /**
   * Records that the user proved who they are now (a password, a second factor): what
   * `requireFresh` compares with. Kept across `regenerate()`, never moved by a refresh or
   * `touch()`. Needs the `freshness` option (with `userField`, a login records it too).
   */
  markAuthenticated(): void;
  /** When the user last proved who they are, or undefined if never (needs the `freshness` option). */
  readonly authenticatedAt: Date | undefined;
  /**
   * Flash messages, connect-flash's API: `flash(type, message)` keeps a message (an array
   * keeps each; more arguments are formatted into the first, as `util.format` does) and
   * answers how many of that type wait; `flash(type)` takes that type's messages, once;
   * `flash()` takes them all, by type. Kept in the `_flashes` field until read.
   */
  flash(type: string, message: string | readonly string[]): number;
  flash(type: string, format: string, ...values: unknown[]): number;
  flash(type: string): string[];
  flash(): Record<string, string[]>;
  /**
   * The session's CSRF token, made on first use and kept in the `csrf_token` field: put it
   * in every form (`<input type="hidden" name="_csrf">`) or send it in the `x-csrf-token`
   * header; with the `csrf` option, unsafe requests without it are refused. `regenerate()`
   * makes the next call return a new one.
   */
  csrfToken(): string;
}

/** A session as the application sees it: its data fields plus the controls. */
export type Session<T extends object = SessionData> = Partial<T> & SessionControls;

/**
 * The class a manager makes a request's sessions with, as managers and adapters see it: the
 * engine's SessionObject, or an adapter's subclass of it (Fastify's `get`/`set`/`data`).
 */
export type SessionKind = new (owner: never, state: SessionFacts, data: Record<string, unknown> | undefined) => SessionControls;
