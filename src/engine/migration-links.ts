import { primitives } from '#crypto';
import type { AesGcmKey } from '../crypto/primitives.js';
import { SessionConfigError } from '../core/errors.js';
import { DEFAULT_MIGRATION_GRACE_MS, type SessionMigration } from '../core/migration.js';
import type { Store, StoreRecord } from '../core/store.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Links from another library's cookie to the sessionkit session its data moved into, for
 * the migration's grace period (SessionMigration.graceMs). Several requests of one browser
 * may carry the old cookie at once, or arrive just after the first one removed the old
 * record: through the link they all land in the one migrated session, instead of a new
 * anonymous one whose cookie could be the last the browser keeps (a logout).
 *
 * A link's key is a hash of the old cookie value, never the value itself: a store listing
 * shows nothing a client could send. Its record holds the new session's id, as the store's
 * own keys do, and expires with the grace period; with `hashIds`, whose keys hold no id, it
 * holds the id sealed (AES-256-GCM) with a key derived from the old cookie value, which only
 * the browser that carries it can send.
 */
export class MigrationLinks {
  readonly #store: Store;
  readonly #keyOf: (name: string) => string;
  readonly #graceMs: number;
  readonly #sealsIds: boolean;

  constructor(store: Store, keyOf: (name: string) => string, graceMs: number, sealsIds: boolean) {
    this.#store = store;
    this.#keyOf = keyOf;
    this.#graceMs = graceMs;
    this.#sealsIds = sealsIds;
  }

  /** The id of the session the old cookie was migrated into; undefined when none is linked (or the grace period is over). */
  async linked(oldCookieValue: string): Promise<string | undefined> {
    const record = await this.#store.get(this.#key(oldCookieValue));
    return record && this.#idFrom(oldCookieValue, record.data);
  }

  /**
   * Links the old cookie to `id`, unless another request linked it first: resolves the id
   * it is linked to, `id` or the first request's. Atomic where the store has `create`; a
   * store without it leaves a window of one round trip where two requests may both win.
   */
  async claim(oldCookieValue: string, id: string): Promise<string> {
    const key = this.#key(oldCookieValue);
    const link: StoreRecord = { data: await this.#dataOf(oldCookieValue, id), expiresAt: Date.now() + this.#graceMs };
    if (this.#store.create && (await this.#store.create(key, link))) return id;
    // Linked by another request: its id; none (no `create`, or that link expired in between): ours.
    const first = await this.linked(oldCookieValue);
    if (first !== undefined) return first;
    await this.#store.set(key, link);
    return id;
  }

  /** A link record's data: the id, sealed with `hashIds`. */
  async #dataOf(oldCookieValue: string, id: string): Promise<Uint8Array> {
    if (!this.#sealsIds) return encoder.encode(id);
    const iv = primitives.randomBytes(IV_BYTES);
    const sealed = await (await sealKeyOf(oldCookieValue)).seal(iv, NO_DATA, [encoder.encode(id)]);
    const data = new Uint8Array(IV_BYTES + sealed.length);
    data.set(iv);
    data.set(sealed, IV_BYTES);
    return data;
  }

  /** The id a link record holds; undefined for one sealed for another cookie value, or not sealed when it should be. */
  async #idFrom(oldCookieValue: string, data: Uint8Array): Promise<string | undefined> {
    if (!this.#sealsIds) return decoder.decode(data);
    if (data.length < IV_BYTES + TAG_BYTES) return undefined;
    const opened = await (await sealKeyOf(oldCookieValue)).open(data.subarray(0, IV_BYTES), NO_DATA, data.subarray(IV_BYTES));
    return opened && decoder.decode(opened);
  }

  #key(oldCookieValue: string): string {
    return this.#keyOf(`migrated.${primitives.toBase64url(primitives.sha256(oldCookieValue))}`);
  }
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const NO_DATA = new Uint8Array(0);

/** The AES-256-GCM key a link's id is sealed with: derived from the old cookie value (HKDF-SHA256). */
async function sealKeyOf(oldCookieValue: string): Promise<AesGcmKey> {
  return primitives.aesGcm(await primitives.hkdfSha256(encoder.encode(oldCookieValue), 'sessionkit migration link', 32));
}

/** The links of a migration into `store`; undefined with a grace period of 0 (no links kept). `sealsIds`: with `hashIds`. */
export function migrationLinksFor(migrate: SessionMigration, store: Store, keyOf: (name: string) => string, sealsIds: boolean): MigrationLinks | undefined {
  const graceMs = migrate.graceMs ?? DEFAULT_MIGRATION_GRACE_MS;
  if (!(graceMs >= 0) || !Number.isFinite(graceMs)) {
    throw new SessionConfigError(`"migrate": graceMs must be a number of milliseconds, 0 or more (0 keeps no link), got ${String(graceMs)}.`);
  }
  return graceMs === 0 ? undefined : new MigrationLinks(store, keyOf, graceMs, sealsIds);
}
