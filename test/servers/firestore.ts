/**
 * A throwaway Firestore (native mode): Google's own emulator as the machine image ships it
 * (see ./google-emulator.ts for the package, the loud skip and the loopback-only settings),
 * in memory on a free loopback port. pause()/resume() brings it back empty. No TTL policies:
 * the emulator does not implement them.
 *
 *   const emulator = await startFirestoreEmulator();
 *   new Firestore(emulator.clientSettings());   // { projectId, host: '127.0.0.1:PORT', ssl: false }
 *   await emulator.reset();                     // every document of the project deleted
 */
import { readFile } from 'node:fs/promises';
import { Firestore } from '@google-cloud/firestore';
import { FIRESTORE_EMULATOR, FIRESTORE_EMULATOR_JAR, GoogleEmulator, JAVA } from './google-emulator.js';
import type { ManagedServerOptions } from './server.js';

export const FIRESTORE_REQUIRES = [JAVA, FIRESTORE_EMULATOR];

export class FirestoreEmulator extends GoogleEmulator {
  constructor(options: ManagedServerOptions = {}) {
    super('firestore-emulator', {
      jar: FIRESTORE_EMULATOR_JAR,
      mainClass: 'com.google.cloud.datastore.emulator.firestore.CloudFirestore',
      args: [],
      websocketPort: true,
    }, options);
  }

  /**
   * Settings for `new Firestore(...)` that reach this emulator and nothing else: its address
   * without TLS (the SDK then sends the emulator's owner token, no Google credentials) and
   * an explicit project id, so the SDK never asks a metadata server for one.
   */
  clientSettings(): { projectId: string; host: string; ssl: false } {
    return { projectId: this.projectId, host: this.hostPort, ssl: false };
  }

  /**
   * One write and read through the SDK before any suite runs: the JVM answers its first
   * document call after seconds of JIT on a loaded 2-core machine (a suite's first read
   * missed the store's 5 s timeout at load 10, 2026-12-07), and the SDK loads its gRPC
   * stack on its first call. Both happen here, where no test's timeout counts.
   */
  protected override async afterFirstStart(): Promise<void> {
    const client = new Firestore(this.clientSettings());
    try {
      const doc = client.collection('warm_up').doc('first');
      await doc.set({ at: Date.now() });
      await doc.get();
      await doc.delete();
    } finally {
      await client.terminate();
    }
  }

  /** Deletes every document of the project's default database (the emulator's own endpoint). */
  async reset(): Promise<void> {
    await this.emulatorRequest('DELETE', `/emulator/v1/projects/${this.projectId}/databases/(default)/documents`);
  }

  /** Resident memory of the emulator's JVM in MB, from /proc. */
  async residentMegabytes(): Promise<number | undefined> {
    if (this.pid === undefined) return undefined;
    const status = await readFile(`/proc/${this.pid}/status`, 'utf8').catch(() => '');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? undefined : Math.round(Number(kb) / 1024);
  }
}

export async function startFirestoreEmulator(options: ManagedServerOptions = {}): Promise<FirestoreEmulator> {
  return new FirestoreEmulator(options).start();
}
