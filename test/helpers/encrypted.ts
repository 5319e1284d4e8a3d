import { consoleLogger, type Logger } from '../../src/core/logger.js';
import { primitives } from '#crypto';
import type { Store, StoreCapability } from '../../src/core/store.js';
import { EncryptedStore } from '../../src/encryption/encrypted-store.js';
import { RecordSealer } from '../../src/encryption/record-sealer.js';
import type { StoreFixture } from '../conformance/store-suite.js';

/** Secrets of at least 32 characters, as `encrypt` needs. */
export const ENCRYPT_SECRET_A = 'encrypt-test-secret-A-0123456789abcdef';
export const ENCRYPT_SECRET_B = 'encrypt-test-secret-B-0123456789abcdef';

/** `store` as the engine's `encrypt` option wraps it (src/encryption/encrypt-option.ts). */
export function encrypted(store: Store, options: { secrets?: string[]; readPlaintext?: boolean; logger?: Pick<Logger, 'warn'> } = {}): EncryptedStore {
  const sealer = new RecordSealer(options.secrets ?? [ENCRYPT_SECRET_A], options.readPlaintext ?? false);
  return new EncryptedStore(store, sealer, options.logger ?? consoleLogger);
}

/** The capabilities of a store behind the wrapper: its own, less the synchronous ones where sealing answers with promises (Web Crypto). */
export function encryptedCapabilities(capabilities: readonly StoreCapability[]): StoreCapability[] {
  return capabilities.filter((capability) => primitives.synchronous || !capability.endsWith('Sync'));
}

/** A store test file's fixture, its store wrapped as `encrypt` wraps it: the conformance suites run on it unchanged. */
export function encryptedFixture(setup: () => Promise<StoreFixture>): () => Promise<StoreFixture> {
  return async () => {
    const fixture = await setup();
    return { ...fixture, store: encrypted(fixture.store) };
  };
}
