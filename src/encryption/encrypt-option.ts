import { isCarrierSource, type CarrierSource } from '../core/carrier.js';
import { describeValue, SessionConfigError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../core/store.js';
import { EncryptedStore } from './encrypted-store.js';
import { RecordSealer } from './record-sealer.js';

/** The `encrypt` option's object form. */
export interface EncryptOptions {
  /**
   * Secrets the records are sealed with, at least 32 characters each: the first seals, all
   * open, so keys rotate without logging anyone out.
   * @default the engine's `secret`
   */
  secret?: string | readonly string[];
  /**
   * For turning `encrypt` on in a live deployment: a record that is not sealed (written
   * before) is read as it is, and sealed on its next write. While on, whoever can write the
   * store can plant a readable session again: turn it off once `lifetime` has passed.
   * @default false: a record that is not sealed is a fresh session, with one warning
   */
  readPlaintext?: boolean;
}

/** SESSION_ENCRYPT: `true` seals with the engine's `secret`, an object with its own. */
export type EncryptOption = boolean | EncryptOptions;

type ResolvedStore = Store | CarrierSource | Promise<Store>;

const KNOWN = new Set(['secret', 'readPlaintext']);

/**
 * The store the engine works with: with `encrypt` on, the given store (or the one `type`
 * is loading) wrapped in an EncryptedStore; else the store itself, untouched, so that an
 * engine without `encrypt` carries no trace of it. Every misconfiguration throws now.
 */
export function withEncryption(store: ResolvedStore, encrypt: unknown, engineSecrets: readonly string[], logger: Logger): ResolvedStore {
  if (encrypt === undefined || encrypt === false) return store;
  const settings = encryptSettings(encrypt);
  if (isCarrierSource(store)) {
    throw new SessionConfigError('"encrypt" is for sessions kept in a store: a sealed cookie session (cookieStore()) is encrypted already. Remove "encrypt".');
  }
  const sealer = sealerFor(settings, engineSecrets);
  return store instanceof Promise ? store.then((loaded) => new EncryptedStore(loaded, sealer, logger)) : new EncryptedStore(store, sealer, logger);
}

function encryptSettings(encrypt: unknown): EncryptOptions {
  if (encrypt === true) return {};
  if (typeof encrypt !== 'object' || encrypt === null || Array.isArray(encrypt)) {
    throw new SessionConfigError(`"encrypt" must be true, false or { secret, readPlaintext }, got ${typeof encrypt === 'string' ? 'a string' : describeValue(encrypt)}.`);
  }
  for (const key of Object.keys(encrypt)) {
    if (!KNOWN.has(key)) throw new SessionConfigError(`unknown encrypt option "${key}". Known: ${[...KNOWN].join(', ')}.`);
  }
  const settings = encrypt as EncryptOptions;
  if (settings.readPlaintext !== undefined && typeof settings.readPlaintext !== 'boolean') {
    throw new SessionConfigError('encrypt.readPlaintext must be true or false.');
  }
  return settings;
}

function sealerFor(settings: EncryptOptions, engineSecrets: readonly string[]): RecordSealer {
  const own = settings.secret;
  // Checked as what it may be: a value from a config file, not the declared type.
  const secrets: readonly unknown[] = own === undefined ? engineSecrets : Array.isArray(own) ? own : [own];
  const source = own === undefined ? 'the engine\'s "secret"' : '"encrypt.secret"';
  if (secrets.length === 0) {
    throw new SessionConfigError('"encrypt" needs secrets to seal with: set the engine\'s "secret", or give encrypt: { secret } (at least 32 random characters each).');
  }
  if (!secrets.every((secret): secret is string => typeof secret === 'string')) {
    throw new SessionConfigError(`"encrypt" seals with ${source}: every entry must be a string.`);
  }
  try {
    return new RecordSealer(secrets, settings.readPlaintext ?? false);
  } catch (error) {
    // "sealing secret 2 is 20 bytes; …" or "… listed twice": the secret is named by its place, never shown.
    throw new SessionConfigError(`"encrypt" seals with ${source}: ${(error as Error).message}`);
  }
}
