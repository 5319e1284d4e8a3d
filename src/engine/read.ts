import type { CarriedRecord, Carrier } from '../core/carrier.js';
import { handleOf } from '../core/handle.js';
import type { MaybePromise } from '../crypto/primitives.js';
import type { CheckedData, SessionSchema } from '../schema/session-schema.js';
import { isExpired, type StoreRecord } from '../core/store.js';
import type { StoredAccountFields } from '../accounts/accounts.js';
import type { EngineParts } from './parts.js';
import { isPayload, type Payload } from './payload.js';
import type { ResolvedOptions } from './options.js';
import { assignKeptData, keepDecoded, KeptPayload, keptPayload } from './memo/decoded-records.js';
import { decodeLazily, LAZY_RECORD_BYTES } from './memo/lazy-fields.js';
import { assignData, assignField, sessionData, type SessionClass, type SessionObject, type SessionOwner } from './session.js';
import { absoluteEnd, freshState, loadedState, type SessionState } from './session-state.js';

/** Why a record a cookie opened to gave no session (the rest of core/events.ts `MissReason` is the carrier's or the engine's). */
export type RecordMiss = 'expired' | 'unreadable' | 'absolute-end';

/**
 * Whether a record is small enough to decode (`maxSessionBytes`); one warning when not. A
 * record nobody could have committed here was planted, and the decoder's time and memory
 * grow with its size: it is not decoded at all.
 */
function withinSizeLimit(options: ResolvedOptions, carrier: Carrier, record: StoreRecord): boolean {
  const size = record.data.length;
  const limit = options.maxSessionBytes;
  if (size <= limit) return true;
  options.logger.warn(
    `${carrier.store ? `store "${carrier.name}" returned a session record` : 'a sealed session cookie opened to a session'} of ${size} bytes, ` +
      `over maxSessionBytes (${limit}); starting a fresh session without decoding it. Raise maxSessionBytes if your sessions are that big.`,
  );
  return false;
}

/** A payload this carrier can use: a session's shape, with its id when the cookie holds the session (a sealed cookie has no key to carry it). */
function isUsablePayload(carrier: Carrier, payload: unknown): payload is Payload {
  return isPayload(payload) && (carrier.store !== undefined || typeof payload.i === 'string');
}

/** The payload of a record, or undefined (with one warning) when it cannot be read. */
export function decodeRecord(options: ResolvedOptions, carrier: Carrier, record: StoreRecord): Payload | undefined {
  if (!withinSizeLimit(options, carrier, record)) return undefined;
  try {
    const payload = options.codec.decode(record.data) as Payload;
    if (isUsablePayload(carrier, payload)) return payload;
    throw new Error('not a sessionkit payload');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    options.logger.warn(
      `${carrier.store ? `store "${carrier.name}" returned a session record` : 'a sealed session cookie opened but'} that the ` +
        `${options.codec.name} serializer cannot read (${reason}); starting a fresh session. ` +
        'A changed serializer or a corrupt record causes this.',
    );
    return undefined;
  }
}

/** The account fields of a session whose user index entry must be written anew. */
const NOT_INDEXED: StoredAccountFields = Object.freeze({});

/**
 * Turns what a cookie opened to into a session object: the record decoded (or taken from
 * the store's memo, or with its big fields left encoded), checked against the lifetimes,
 * and read by the features that look at every session (user index, revocations).
 */
export class SessionReader {
  readonly #parts: EngineParts;
  readonly #owner: SessionOwner;

  constructor(parts: EngineParts, owner: SessionOwner) {
    this.#parts = parts;
    this.#owner = owner;
  }

  /**
   * The session `carried` holds, or a fresh one with a new id when there is none to read.
   * `onMiss` (given only when someone listens for the `missed` event) hears why a record
   * that was there gave no session.
   */
  sessionFrom(cookieReceived: boolean, carried: CarriedRecord | undefined, kind: SessionClass, onMiss?: (reason: RecordMiss) => void): SessionObject {
    const { options, carrier, accounts } = this.#parts;
    const record = carried?.record;
    const live = record && !isExpired(record) && withinSizeLimit(options, carrier, record) ? record : undefined;
    const lazyPayload = live && this.#lazilyDecodable(live);
    let payload = lazyPayload;
    let kept: KeptPayload | undefined;
    if (live && !payload) {
      // An in-process store's record this engine read before is kept decoded beside it (./memo/decoded-records.ts).
      const memo = live.memo;
      kept = memo && keptPayload(memo, options.codec);
      if (!kept) {
        payload = decodeRecord(options, carrier, live);
        if (payload && memo) kept = keepDecoded(memo, options.codec, payload);
      }
    }
    // Once kept, a payload is read through `kept` only: the session's data is copied from it.
    const parts = kept?.parts ?? payload;
    const id = carried?.id ?? parts?.i;
    if (!record || !parts || id === undefined) {
      if (record) onMiss?.(!live && isExpired(record) ? 'expired' : 'unreadable');
      return this.session(kind, freshState(options, cookieReceived), undefined);
    }
    const state = loadedState(id, record, parts);
    state.lazy = lazyPayload !== undefined;
    state.loadedPayload = kept;
    state.readWithMemo = live?.memo !== undefined;
    if (this.#pastAbsoluteEnd(state)) {
      // Past its absolute lifetime, however active: a fresh session, and the old record goes.
      onMiss?.('absolute-end');
      const fresh = freshState(options, true);
      if (carrier.store) fresh.retiredIds.push(id);
      return this.session(kind, fresh, undefined);
    }
    const session = this.session(kind, state, kept ?? payload?.d);
    // The user a session names, read from its data as loaded (lazy fields are off with accounts).
    // A record just moved to its hashed key (hashIds) is not indexed under it yet: as if it recorded no index entry.
    accounts?.loaded(state, session as unknown as Readonly<Record<string, unknown>>, carried.moved === true ? NOT_INDEXED : parts);
    this.#parts.freshness?.loaded(state, session as unknown as Readonly<Record<string, unknown>>, parts);
    return session;
  }

  /** With an absolute lifetime: whether the session is past it (a record from before creation times were stored starts its clock now). */
  #pastAbsoluteEnd(state: SessionState): boolean {
    const options = this.#parts.options;
    if (options.absoluteLifetimeMs === undefined) return false;
    state.createdAt ??= Date.now();
    return Date.now() >= absoluteEnd(options, state)!;
  }

  /** A session of `data`: a decoded payload's, or a kept payload's (copied, never shared). */
  session(kind: SessionClass, state: SessionState, data: Record<string, unknown> | KeptPayload | undefined): SessionObject {
    const session = new kind(this.#owner, state, undefined);
    if (data instanceof KeptPayload) this.warnSkipped(assignKeptData(session, data, assignField));
    else if (data) this.warnSkipped(assignData(session, data, state.lazy ? this.#decodeField : undefined));
    return session;
  }

  /**
   * With `schema`: a loaded session whose data the schema gave back (transformed, defaults
   * filled in, an old shape upgraded by onInvalid), or a fresh session in its place. Reads
   * every field, which is why lazy fields are off with a schema. Throws (or rejects) with
   * `onInvalid: 'error'`.
   */
  checked(session: SessionObject, schema: SessionSchema, kind: SessionClass): MaybePromise<SessionObject> {
    const verdict = schema.loaded(sessionData(session), () => `the stored session ${handleOf(session.id)}`);
    const apply = (data: CheckedData): SessionObject => {
      if (!data) return this.session(kind, freshState(this.#parts.options, true), undefined);
      // The schema's output replaces the data as loaded: fields it dropped go, the rest take its values.
      for (const key of Object.keys(session)) if (!Object.hasOwn(data, key)) delete (session as unknown as Record<string, unknown>)[key];
      this.warnSkipped(assignData(session, data));
      return session;
    };
    return verdict instanceof Promise ? verdict.then(apply) : apply(verdict);
  }

  readonly #decodeField = (bytes: Uint8Array): unknown => this.#parts.options.codec.decode(bytes);

  /**
   * A big record's payload with its big fields left encoded (./memo/lazy-fields.ts), or
   * undefined where that does not apply: small records, codecs that cannot split, and
   * engines that read a field of every session they load (userField, revocations), or
   * every field (schema).
   */
  #lazilyDecodable(record: StoreRecord): Payload | undefined {
    const { options, carrier, accounts, schema } = this.#parts;
    if (record.data.length < LAZY_RECORD_BYTES || accounts || schema) return undefined;
    const payload = decodeLazily(options.codec, record.data);
    return payload && isUsablePayload(carrier, payload) ? payload : undefined;
  }

  warnSkipped(skipped: string[] | undefined): void {
    if (!skipped) return;
    this.#parts.options.logger.warn(
      `a stored session has fields named like session controls (${skipped.join(', ')}); they were not loaded, ` +
        'so that they cannot shadow the controls. Rename them in your application.',
    );
  }
}
