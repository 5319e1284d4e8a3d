/**
 * Throwaway Datastore emulators on free loopback ports, both that the machine image ships
 * (see ./google-emulator.ts for the packages and the loud skip):
 *
 * - `startLegacyDatastoreEmulator()`: the Cloud Datastore emulator (CloudDatastore.jar,
 *   `--testing`: in memory, strongly consistent queries). Contention shows as ABORTED at once.
 *   Reset: `POST /reset`.
 * - `startDatastoreModeEmulator()`: the Firestore emulator in Datastore mode
 *   (`--database-mode=datastore-mode`). Transactions lock pessimistically: a conflicting
 *   transaction waits for the lock and is ABORTED after about 2 s. Reset: `POST /reset` too
 *   (the Firestore-mode `DELETE …/documents` answers 500 in Datastore mode).
 *
 *   const emulator = await startLegacyDatastoreEmulator();
 *   new Datastore({ projectId: emulator.projectId, apiEndpoint: emulator.endpoint });
 *
 * Both come back empty after pause()/resume() (in memory).
 */
import {
  DATASTORE_EMULATOR,
  DATASTORE_EMULATOR_JAR,
  FIRESTORE_EMULATOR,
  FIRESTORE_EMULATOR_JAR,
  GoogleEmulator,
  JAVA,
} from './google-emulator.js';
import type { ManagedServerOptions } from './server.js';

export const LEGACY_DATASTORE_REQUIRES = [JAVA, DATASTORE_EMULATOR];
export const DATASTORE_MODE_REQUIRES = [JAVA, FIRESTORE_EMULATOR];

export abstract class DatastoreEmulator extends GoogleEmulator {
  /** Which emulator this is, for test titles. */
  abstract readonly flavour: 'legacy' | 'firestore-datastore-mode';
  /** Removes every entity. */
  abstract reset(): Promise<void>;
}

export class LegacyDatastoreEmulator extends DatastoreEmulator {
  readonly flavour = 'legacy';

  constructor(options: ManagedServerOptions = {}) {
    super('datastore-emulator', {
      jar: DATASTORE_EMULATOR_JAR,
      mainClass: 'com.google.cloud.datastore.emulator.CloudDatastore',
      args: ['--testing'],
    }, options);
  }

  async reset(): Promise<void> {
    await this.emulatorRequest('POST', '/reset');
  }
}

export class DatastoreModeEmulator extends DatastoreEmulator {
  readonly flavour = 'firestore-datastore-mode';

  constructor(options: ManagedServerOptions = {}) {
    super('firestore-datastore-mode', {
      jar: FIRESTORE_EMULATOR_JAR,
      mainClass: 'com.google.cloud.datastore.emulator.firestore.CloudFirestore',
      args: ['--database-mode=datastore-mode'],
      websocketPort: true,
    }, options);
  }

  async reset(): Promise<void> {
    await this.emulatorRequest('POST', '/reset');
  }
}

export function startLegacyDatastoreEmulator(options: ManagedServerOptions = {}): Promise<LegacyDatastoreEmulator> {
  return new LegacyDatastoreEmulator(options).start();
}

export function startDatastoreModeEmulator(options: ManagedServerOptions = {}): Promise<DatastoreModeEmulator> {
  return new DatastoreModeEmulator(options).start();
}

/** Both emulators, for a test file that runs the same suites on each. */
export const DATASTORE_EMULATORS: readonly {
  flavour: string;
  requires: typeof LEGACY_DATASTORE_REQUIRES;
  start: () => Promise<DatastoreEmulator>;
}[] = [
  { flavour: 'legacy Datastore emulator', requires: LEGACY_DATASTORE_REQUIRES, start: startLegacyDatastoreEmulator },
  { flavour: 'Firestore emulator in Datastore mode', requires: DATASTORE_MODE_REQUIRES, start: startDatastoreModeEmulator },
];
