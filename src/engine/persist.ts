import type { PendingCommit } from '../core/commit.js';
import { StoreError } from '../core/store.js';
import type { CommitPlan } from './commit-plan.js';
import type { ChunkedCookies } from './cookie/cookie-chunks.js';
import { utf8Length } from './cookie/cookie-header.js';
import { finishMigration } from './migration-commit.js';
import type { EngineParts } from './parts.js';
import { equalBytes } from './payload.js';
import type { WriteAtOnce, StoreAction, Written } from './store-writer.js';
import type { SessionState } from './session-state.js';

const NOTHING_TO_PERSIST = async () => {};
const ignore = () => {};
/** The Set-Cookie values of a commit that sets no cookie: one frozen array, not one per request. */
const NO_SET_COOKIES: readonly string[] = Object.freeze([]);
/** The commit of an unchanged session that needs no cookie: shared, as it is the common case. */
const NOTHING_TO_COMMIT: PendingCommit = Object.freeze({ setCookies: NO_SET_COOKIES, needsPersist: false, persist: NOTHING_TO_PERSIST });

/**
 * Carries out commit plans: the Set-Cookie values at once, the store work when the adapter
 * runs `persist()` (or `persistAtOnce()`, without a promise, where the store writes synchronously).
 */
export class Persister {
  readonly #parts: EngineParts;

  constructor(parts: EngineParts) {
    this.#parts = parts;
  }

  /** The pending commit of `plan`, once its Set-Cookie value (or a chunked session's values) is known. */
  pendingCommit(plan: CommitPlan, setCookie: string | ChunkedCookies | undefined): PendingCommit {
    const { carrier, options } = this.#parts;
    const oversized = this.#oversized(plan, setCookie);
    if (oversized) return refused(carrier.name, oversized);
    const setCookies = setCookie === undefined ? NO_SET_COOKIES : typeof setCookie === 'string' ? [setCookie] : setCookie.setCookies;
    const pending = this.#storeWork(plan, setCookie, setCookies);
    return plan.state.migratedFrom === undefined ? pending : finishMigration(pending, plan.state, options.migrate!);
  }

  #storeWork(plan: CommitPlan, setCookie: string | ChunkedCookies | undefined, setCookies: readonly string[]): PendingCommit {
    const { state, action } = plan;
    if (this.#parts.carrier.store === undefined) {
      // The cookie is the write: the session is saved the moment its cookie is decided.
      state.retiredIds.length = 0;
      if (action !== 'none') written(state, action, { bytes: plan.bytes, version: undefined }, plan.expiresAt);
      return setCookie === undefined ? NOTHING_TO_COMMIT : { setCookies, needsPersist: false, persist: NOTHING_TO_PERSIST };
    }
    if (action === 'none' && !plan.retires && plan.accounts.remove === undefined) {
      const writing = state.writing;
      // Nothing left to write, but a save()/destroy() nobody awaited is still writing:
      // the response waits for it, so the next request sees it (and its failure is reported).
      if (writing) return { setCookies, needsPersist: true, persist: () => writing };
      return setCookie === undefined ? NOTHING_TO_COMMIT : { setCookies, needsPersist: false, persist: NOTHING_TO_PERSIST };
    }
    const persist = () => this.#persist(plan);
    // persistAtOnce only where the store writes synchronously: a network store's commit makes no closure it never calls.
    return this.#parts.writer!.writesAtOnce ? { setCookies, needsPersist: true, persist, persistAtOnce: () => this.#persistAtOnce(plan) } : { setCookies, needsPersist: true, persist };
  }

  /** Why the session cannot be kept (over `maxSessionBytes`, or a sealed cookie over the browser's limit); undefined when it fits. */
  #oversized(plan: CommitPlan, setCookie: string | ChunkedCookies | undefined): string | undefined {
    const { options, carrier } = this.#parts;
    const bytes = plan.bytes;
    if (bytes !== undefined && bytes.length > options.maxSessionBytes) {
      return (
        `the session is ${bytes.length} bytes serialized, over maxSessionBytes (${options.maxSessionBytes}); it was not saved. ` +
        'Keep less in the session (large data belongs in your database), or raise maxSessionBytes.'
      );
    }
    // Chunks were cut to fit; only their number has a limit.
    if (typeof setCookie === 'object') return setCookie.refusal;
    if (setCookie !== undefined && carrier.maxCookieBytes !== undefined && utf8Length(setCookie) > carrier.maxCookieBytes) {
      return (
        `the session is ${bytes!.length} bytes serialized and its Set-Cookie header would be ${utf8Length(setCookie)} bytes, ` +
        `over the ${carrier.maxCookieBytes}-byte cookie limit. Keep large data in a server-side store.`
      );
    }
    return undefined;
  }

  /**
   * Whether `persistAtOnce` writes a create or an update of this session at once: on a store
   * that writes synchronously, with nothing before it (no earlier write in flight, no retired
   * ids, no user index). The plan asks it too, so that it makes a memo only for a write that takes one.
   */
  readonly canWriteAtOnce = (state: SessionState): boolean => {
    const writer = this.#parts.writer;
    return writer !== undefined && writer.writesAtOnce && !state.writing && state.retiredIds.length === 0 && this.#parts.accounts?.writesAround !== true;
  };

  /**
   * Runs a commit's store work. Writes of one session run one after another: a commit made
   * while an earlier `save()` is still writing waits for it, then does only what is left
   * (a session that save created is updated or left alone, never created twice).
   */
  #persist(plan: CommitPlan): Promise<void> {
    const state = plan.state;
    const run = this.#writeSession(plan, state.writing);
    state.writing = run;
    const done = () => {
      if (state.writing === run) state.writing = undefined;
    };
    run.then(done, done);
    return run;
  }

  /**
   * `#persist`, without a promise where it can be (a create or an update, `canWriteAtOnce`).
   * Everything else, and an update that lost its compare-and-set, goes through `#persist`.
   */
  #persistAtOnce(plan: CommitPlan): Promise<void> | undefined {
    const { state, action } = plan;
    const now = (action === 'update' || (action === 'create' && state.isNew)) && this.canWriteAtOnce(state);
    if (!now) return this.#persist(plan);
    let result: Written | undefined;
    try {
      result = this.#parts.writer!.writeAtOnce(plan as WriteAtOnce);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (!result) return this.#persist(plan);
    written(state, action, result, plan.expiresAt);
    return undefined;
  }

  async #writeSession(plan: CommitPlan, previous: Promise<void> | undefined): Promise<void> {
    if (previous) await previous.catch(ignore);
    const { state, bytes } = plan;
    let next = plan.action;
    if (next === 'create' && !state.isNew) next = bytes && equalBytes(bytes, state.loadedBytes) ? 'none' : 'update';
    const writer = this.#parts.writer!;
    const accounts = this.#parts.accounts;
    if (accounts && !(await accounts.beforeWrite(state, plan.accounts))) return;
    // Taken only here: a commit whose persist() never runs (the cookie decision made
    // when a streamed response sent its headers) leaves them for the final commit.
    if (state.retiredIds.length > 0) await writer.retire(state);
    if (next !== 'none') {
      const result = await writer.write({ ...plan, action: next });
      if (result) written(state, next, result, plan.expiresAt);
    }
    if (accounts) await accounts.afterWrite(state, plan.accounts);
  }
}

/** Records what was written: the state a later commit of the same session compares with. */
function written(state: SessionState, action: StoreAction, { bytes, version }: Written, expiresAt: number): void {
  if (action === 'delete') {
    state.isNew = true;
    return;
  }
  state.expiresAt = expiresAt;
  if (action === 'touch') return;
  state.isNew = false;
  state.loadedBytes = bytes;
  state.loadedPayload = undefined;
  state.version = version;
}

/**
 * A commit decided once `awaited` has settled: a Set-Cookie value still being signed or
 * sealed (Web Crypto), or a write checked by an asynchronous validator (`validateWrites`). It
 * always has something to do, and its `setCookies` is complete once `persist()` has resolved;
 * if `awaited` rejects, nothing is written and no cookie is set.
 */
export function decidedAfter<V>(awaited: Promise<V>, decide: (value: V) => PendingCommit): PendingCommit {
  const setCookies: string[] = [];
  return {
    setCookies,
    needsPersist: true,
    persist: async () => {
      const pending = decide(await awaited);
      setCookies.push(...pending.setCookies);
      if (pending.needsPersist) await pending.persist();
    },
  };
}

/** A commit that writes nothing, sets no cookie and fails with `error` (a session `validateWrites` refused). */
export function refusedCommit(error: unknown): PendingCommit {
  return { setCookies: [], needsPersist: true, persist: () => Promise.reject(error instanceof Error ? error : new Error(String(error))) };
}

/** A commit whose `first` work runs before the commit's own (whose Set-Cookie it then carries). */
export function thenPersist(first: () => Promise<void>, pending: PendingCommit): PendingCommit {
  return {
    setCookies: pending.setCookies,
    needsPersist: true,
    persist: async () => {
      await first();
      if (pending.needsPersist) await pending.persist();
    },
  };
}

/**
 * A commit that writes nothing and fails with `message`: a session too big to keep (browsers
 * would drop an oversized cookie without a word) is refused loudly instead.
 */
function refused(carrierName: string, message: string): PendingCommit {
  const error = new StoreError(carrierName, message);
  return { setCookies: [], needsPersist: true, persist: () => Promise.reject(error) };
}
