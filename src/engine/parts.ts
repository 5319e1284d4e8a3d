import type { Accounts } from '../accounts/accounts.js';
import { CookieRevocations } from '../accounts/cookie-revocations.js';
import { SealedAccounts } from '../accounts/sealed-accounts.js';
import { UserField } from '../accounts/user-field.js';
import { UserSessions } from '../accounts/user-sessions.js';
import type { Carrier } from '../core/carrier.js';
import type { EventSink } from '../core/events.js';
import type { StoreRecord } from '../core/store.js';
import { SessionLocks } from '../lock/session-lock.js';
import { CookieChunks } from './cookie/cookie-chunks.js';
import type { CookieWriter } from './cookie/cookie-header.js';
import { migrationLinksFor, type MigrationLinks } from './migration-links.js';
import type { ResolvedOptions } from './options.js';
import type { Payload } from './payload.js';
import { StoreWriter } from './store-writer.js';
import { Freshness } from '../freshness/freshness.js';
import { SessionSchema } from '../schema/session-schema.js';
import { ClientBinding } from '../events/client-binding.js';

/**
 * Everything the engine works with once its carrier is there: made once, at construction,
 * or when a store chosen by `type` has loaded. The opt-in features are here, each present
 * only when its option is on; load, commit and persist read them from this one object.
 */
export interface EngineParts {
  readonly options: ResolvedOptions;
  readonly carrier: Carrier;
  readonly cookies: CookieWriter;
  /** With `cookieStore({ chunk: true })`: a session's cookies read and written in chunks. Undefined otherwise. */
  readonly chunks: CookieChunks | undefined;
  /** Writes to the carrier's store; undefined for sealed cookies (the cookie is the write). */
  readonly writer: StoreWriter | undefined;
  /**
   * With `userField`: the user index of sessions in a store, or (sealed cookies with
   * `revocations`) the users' revocation times. Undefined otherwise.
   */
  readonly accounts: Accounts | undefined;
  /** With `lock` and a store: the per-session locks. */
  readonly locks: SessionLocks | undefined;
  /** Old cookie → migrated session, for the migration's grace period (`migrate` with a store). */
  readonly migrationLinks: MigrationLinks | undefined;
  /** With `freshness`: when each session's user last proved who they are (a login noticed through `userField`). */
  readonly freshness: Freshness | undefined;
  /** With `schema`: the check of loaded sessions (and, with `validateWrites`, of writes). */
  readonly schema: SessionSchema | undefined;
  /** The engine's lifecycle events: always there (a listener may come at any time), asked `wants(name)` before an event is made. */
  readonly events: EventSink;
  /** With `bind`: binds a signed-in session to where its user signed in, and tells of requests from elsewhere. */
  readonly binding: ClientBinding | undefined;
}

/** What the engine made before its carrier was there, for the parts. */
export interface PartTools {
  readonly cookies: CookieWriter;
  /** Reads a record's payload, warning once if it cannot. */
  readonly decode: (record: StoreRecord) => Payload | undefined;
  readonly events: EventSink;
}

/** The parts for `carrier`: the writer, and each feature its options turn on. */
export function partsFor(options: ResolvedOptions, carrier: Carrier, { cookies, decode, events }: PartTools): EngineParts {
  const store = carrier.store;
  const { userField, listedFields, lifetimeMs, maxConflictRetries, codec, revocations, keyPrefix, lock, migrate, logger, sessionLimit, hashIds, freshness, bind } = options;
  const field = userField && new UserField(userField, (message) => logger.warn(message));
  const accountsFor = (): Accounts | undefined => {
    if (!field) return undefined;
    if (store) return new UserSessions(carrier, store, { codec, decode, userField: field, listedFields, lifetimeMs, maxConflictRetries, limit: sessionLimit, events });
    return revocations && new SealedAccounts(new CookieRevocations(revocations, (name) => keyPrefix + name, { codec, userField: field, maxConflictRetries }), sessionLimit);
  };
  return {
    options,
    carrier,
    cookies,
    chunks: chunksFor(options, carrier, cookies),
    writer: store && new StoreWriter(carrier, store, { codec, maxConflictRetries, decode, events }),
    accounts: accountsFor(),
    locks: store && lock ? new SessionLocks(store, lock, logger) : undefined,
    migrationLinks: store && migrate ? migrationLinksFor(migrate, store, (name) => carrier.key(name), hashIds !== undefined) : undefined,
    freshness: freshness ? new Freshness(field && ((data) => field.of(data))) : undefined,
    schema: options.schema && new SessionSchema(options.schema),
    events,
    binding: field && bind ? new ClientBinding(bind, events, carrier.name, (data) => field.of(data) !== undefined) : undefined,
  };
}

function chunksFor(options: ResolvedOptions, carrier: Carrier, cookies: CookieWriter): CookieChunks | undefined {
  const { maxChunks, maxCookieBytes } = carrier;
  if (maxChunks === undefined || maxCookieBytes === undefined) return undefined;
  return new CookieChunks(options.cookie, cookies, { maxChunks, maxCookieBytes }, options.logger);
}
