import type { RequestContext } from '../core/commit.js';
import type { RecordMemo } from '../core/store.js';
import { NO_ACCOUNT_WORK, type AccountsPlan } from '../accounts/accounts.js';
import type { MaybePromise } from '../crypto/primitives.js';
import type { ChunkedCookies } from './cookie/cookie-chunks.js';
import type { CookieLifetime } from './cookie/cookie-header.js';
import { keepWritten, sameAsLoaded } from './memo/decoded-records.js';
import { dataForEncoding, LAZY_RECORD_BYTES } from './memo/lazy-fields.js';
import type { EngineParts } from './parts.js';
import { equalBytes, isEmpty, makePayload, type Payload } from './payload.js';
import type { StoreAction } from './store-writer.js';
import { absoluteEnd, expiryAt, isRefreshDue, type SessionState } from './session-state.js';

/**
 * What a commit does, decided once (load → decide → persist). A session with data carries
 * its encoded bytes, whatever happens to them; an empty one has none and is deleted (or, if
 * it never existed, left alone).
 */
export type CommitPlan = EmptySessionPlan | SessionWithDataPlan;

interface PlanFacts {
  /** The session object (the store writer merges its data after a lost compare-and-set). */
  readonly session: object;
  readonly state: SessionState;
  /** When the record expires if written now. */
  readonly expiresAt: number;
  readonly now: number;
  /** The accounts feature's part (with `userField`; nothing otherwise). */
  readonly accounts: AccountsPlan;
  /** regenerate() or destroy() left ids whose records go at this commit. */
  readonly retires: boolean;
}

export interface EmptySessionPlan extends PlanFacts {
  readonly action: 'delete' | 'none';
  readonly bytes: undefined;
}

export interface SessionWithDataPlan extends PlanFacts {
  readonly action: Exclude<StoreAction, 'delete'> | 'none';
  readonly bytes: Uint8Array;
  /** What the memory store may keep beside the record for the next read (./memo/decoded-records.ts). */
  readonly memo: RecordMemo | undefined;
}

/** Whether a plan's write goes through at once (`persistAtOnce`): decided with the plan so that only such a write gets a memo. */
type WritesAtOnce = (state: SessionState) => boolean;

/**
 * Decides what a session needs at the end of a request. Nothing is written and no
 * cookie is set for a session that was neither modified nor due for a refresh.
 */
export function planCommit(parts: EngineParts, session: object, state: SessionState, canWriteAtOnce: WritesAtOnce): CommitPlan {
  const { options } = parts;
  const now = Date.now();
  const empty = isEmpty(session);
  const expiresAt = expiryAt(options, state, now);
  // A field of a big session that nobody read is written back as the bytes it was read from.
  const data = state.lazy ? dataForEncoding(session) : (session as Record<string, unknown>);
  const accounts = parts.accounts ? parts.accounts.plan(state, empty ? undefined : data, { now, expiresAt, end: absoluteEnd(options, state) }) : NO_ACCOUNT_WORK;
  const retires = state.retiredIds.length > 0;
  if (empty) {
    state.touchRequested = false;
    return { session, state, expiresAt, now, accounts, retires, action: state.isNew ? 'none' : 'delete', bytes: undefined };
  }
  const payload = makePayload(state.permanent, data, {
    id: parts.carrier.store === undefined ? state.id : undefined,
    createdAt: state.createdAt,
    lifetimeMs: state.lifetimeMs,
    cookie: state.cookieSettings,
    indexedUntil: accounts.indexedUntil,
    signedInAt: accounts.signedInAt,
    authenticatedAt: parts.freshness?.planned(state, data, now),
    bound: state.bound,
  });
  const bytes = encodedBytes(parts, state, payload);
  let action: SessionWithDataPlan['action'];
  if (state.isNew) action = 'create';
  else if (bytes !== state.loadedBytes) action = 'update';
  else action = isRefreshDue(options, state, now) ? 'touch' : 'none';
  state.touchRequested = false;
  const keepsMemo = action === 'update' && state.readWithMemo && !state.lazy && bytes.length < LAZY_RECORD_BYTES && canWriteAtOnce(state);
  // Left in the store's memo as written, from the data just encoded: the next read decodes nothing (./memo/decoded-records.ts).
  const derived = keepsMemo ? keepWritten(options.codec, payload) : undefined;
  return { session, state, expiresAt, now, accounts, retires, action, bytes, memo: derived && { derived } };
}

/** The session's bytes: those it was loaded from when nothing changed (the same array, which tells "unchanged"), or new ones. */
function encodedBytes(parts: EngineParts, state: SessionState, payload: Payload): Uint8Array {
  if (!state.isNew && state.loadedPayload && sameAsLoaded(payload, state.loadedPayload)) {
    // The data it was loaded with, compared without encoding: the bytes it was loaded from.
    return state.loadedBytes!;
  }
  const codec = parts.options.codec;
  // Most requests change nothing: compare in the codec's reusable buffer, copy on change.
  const transient = codec.encodeTransient ? codec.encodeTransient(payload) : codec.encode(payload);
  // Unchanged bytes equal those loaded, which the session owns (a touch may rewrite them).
  if (!state.isNew && equalBytes(transient, state.loadedBytes)) return state.loadedBytes!;
  return codec.encodeTransient ? transient.slice() : transient;
}

/** What a plan does to the session's cookie: sets it, clears it, or leaves it as it is (undefined). */
function cookieChange(parts: EngineParts, plan: CommitPlan): 'set' | 'clear' | undefined {
  const { state, action } = plan;
  if (plan.bytes === undefined) {
    // A deleted, destroyed or never-valid session: make the browser forget the cookie.
    return action === 'delete' || plan.retires || state.cookieReceived || state.heldChunks > 0 ? 'clear' : undefined;
  }
  // A refresh moves the expiry: a persistent cookie must say so, and a cookie that holds
  // the session holds its expiry too. A browser-session cookie with an id stays as it is.
  const refreshesCookie = state.permanent || parts.carrier.store === undefined;
  const sendsCookie = action === 'create' || action === 'update' || (action === 'touch' && refreshesCookie) || state.cookieOwed;
  return sendsCookie ? 'set' : undefined;
}

/** A persistent cookie lives as long as the record: a lifetime, or less near the absolute end. */
function cookieLifetime(plan: CommitPlan): CookieLifetime | undefined {
  return plan.state.permanent ? { from: plan.now, ms: plan.expiresAt - plan.now } : undefined;
}

/** The Set-Cookie value a plan needs, if any: with Web Crypto, a promise of it. */
export function cookieFor(parts: EngineParts, plan: CommitPlan, context: RequestContext): MaybePromise<string> | undefined {
  const change = cookieChange(parts, plan);
  if (change === undefined) return undefined;
  const { cookies, carrier } = parts;
  const state = plan.state;
  const secure = cookies.isSecure(state.cookieSettings, context.secure);
  if (change === 'clear') return cookies.clear(secure, state.cookieSettings);
  const lifetime = cookieLifetime(plan);
  const value = carrier.cookieValue(state.id, plan.bytes!, plan.expiresAt);
  if (typeof value === 'string') return cookies.set(value, secure, state.cookieSettings, lifetime);
  return value.then((text) => cookies.set(text, secure, state.cookieSettings, lifetime));
}

/** `cookieFor` for a sealed session split over several cookies (`parts.chunks`): the Set-Cookie values, or the refusal. */
export function chunkedCookiesFor(parts: EngineParts, plan: CommitPlan, context: RequestContext): MaybePromise<ChunkedCookies> | undefined {
  const change = cookieChange(parts, plan);
  if (change === undefined) return undefined;
  const chunks = parts.chunks!;
  const state = plan.state;
  const settings = state.cookieSettings;
  const secure = parts.cookies.isSecure(settings, context.secure);
  if (change === 'clear') return chunks.clear(state, secure, settings);
  const attributes = { secure, settings, lifetime: cookieLifetime(plan) };
  const value = parts.carrier.cookieValue(state.id, plan.bytes!, plan.expiresAt);
  if (typeof value === 'string') return chunks.set(state, value, attributes);
  return value.then((text) => chunks.set(state, text, attributes));
}
