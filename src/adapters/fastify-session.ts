import { CONNECT_FLASH_FIELD, replaceFlashes, waitingFlashes } from '../forms/flash.js';
import { assignData, isControlName, SessionObject, sessionData, type Session, type SessionData } from '../engine/session.js';

/** @fastify/session's request API, beside plain property access (what @fastify/passport and @fastify/flash call). */
export interface FastifySessionControls<T extends object = SessionData> {
  /** The session id, as @fastify/session names it. */
  readonly sessionId: string;
  /** A field's value: typed for the fields of `SessionData`, `unknown` for any other name. */
  get<K extends string>(key: K): K extends keyof T ? T[K] | undefined : unknown;
  /** Sets a field; `undefined` removes it. */
  set<K extends string>(key: K, value: K extends keyof T ? T[K] | undefined : unknown): void;
  /** The session's fields, as a plain object. */
  data(): Partial<T>;
}

/** The session Fastify routes see: the application's fields, sessionkit's controls, and @fastify/session's API. */
export type FastifySession<T extends object = SessionData> = Session<T> & FastifySessionControls<T>;

/** The object behind Fastify sessions: a session with @fastify/session's methods on its prototype. */
export class FastifySessionObject extends SessionObject {
  get sessionId(): string {
    return this.id;
  }

  get(key: string): unknown {
    // @fastify/flash's field is the flash() control's name: it reads the same messages.
    if (key === CONNECT_FLASH_FIELD) return waitingFlashes(this);
    return Object.hasOwn(this, key) ? (this as Record<string, unknown>)[key] : undefined;
  }

  set(key: string, value: unknown): void {
    const fields = this as Record<string, unknown>;
    if (key === CONNECT_FLASH_FIELD) {
      replaceFlashes(this, value);
      return;
    }
    if (value === undefined) {
      delete fields[key];
      return;
    }
    if (isControlName(this, key)) {
      throw new Error(`sessionkit: '${key}' is a method of the session and cannot be a field; choose another name.`);
    }
    assignData(this, { [key]: value });
  }

  data(): Record<string, unknown> {
    return sessionData(this);
  }
}
