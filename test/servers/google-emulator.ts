/**
 * Google's own emulators (Java), as the machine image ships them: the Firestore emulator
 * (Debian package google-cloud-cli-firestore-emulator, also Firestore in Datastore mode) and
 * the legacy Datastore emulator (google-cloud-cli-datastore-emulator). Their apt source is
 * switched off on these machines, so they cannot be installed or upgraded here: the loud skip
 * (and SESSIONKIT_REQUIRE_SERVICES=1's failure) names the package that is missing.
 *
 * The common part of their starters: `java -cp <jar> <main class> start --host=127.0.0.1
 * --port=PORT …` on a free loopback port, healthy when `GET /` answers `Ok`. The Firestore
 * emulator also opens a WebSocket port; it is given a free loopback port too.
 *
 * Both Google SDKs look for a cloud metadata server even against an emulator (traffic that
 * leaves loopback): importing this module sets METADATA_SERVER_DETECTION=none, and clients
 * must be built with an explicit project id ({@link EMULATOR_PROJECT_ID}) and the emulator's
 * address as their endpoint.
 */
import { existsSync } from 'node:fs';
import { getFreePort } from './ports.js';
import { binary, requirePath, type Requirement } from './require-binary.js';
import { ManagedServer, type ManagedServerOptions } from './server.js';

process.env.METADATA_SERVER_DETECTION = 'none';

/** The project id every emulator client uses (never a real project). */
export const EMULATOR_PROJECT_ID = 'sessionkit-test';

export const JAVA = binary('java', 'apt-get install -y openjdk-17-jre-headless');

const SDK = '/usr/lib/google-cloud-sdk/platform';
export const FIRESTORE_EMULATOR_JAR = `${SDK}/cloud-firestore-emulator/cloud-firestore-emulator.jar`;
export const DATASTORE_EMULATOR_JAR = `${SDK}/cloud-datastore-emulator/CloudDatastore.jar`;

/** A jar of one of the emulator packages, which cannot be installed on this machine. */
export function emulatorPackage(debianPackage: string, jar: string): Requirement {
  return {
    name: `${debianPackage} (${jar})`,
    install:
      `apt-get install -y ${debianPackage} — but its apt source is switched off on this machine, so it cannot be ` +
      'installed or upgraded here: use a machine image that ships it',
    find: () => (existsSync(jar) ? jar : undefined),
  };
}

export const FIRESTORE_EMULATOR = emulatorPackage('google-cloud-cli-firestore-emulator', FIRESTORE_EMULATOR_JAR);
export const DATASTORE_EMULATOR = emulatorPackage('google-cloud-cli-datastore-emulator', DATASTORE_EMULATOR_JAR);

export interface EmulatorLaunch {
  jar: string;
  mainClass: string;
  /** Arguments after `start --host=… --port=…`. */
  args: readonly string[];
  /** The Firestore emulator's WebSocket port (`--websocket_port`), given a free port of its own. */
  websocketPort?: boolean;
}

export abstract class GoogleEmulator extends ManagedServer {
  readonly projectId = EMULATOR_PROJECT_ID;

  protected constructor(
    name: string,
    private readonly launchSpec: EmulatorLaunch,
    options: ManagedServerOptions = {},
  ) {
    // A JVM starting on a loaded 2-core machine missed the default 20 s (seen at load 20).
    super(name, { stopTimeoutMs: 5_000, readyTimeoutMs: 60_000, ...options });
  }

  /** `127.0.0.1:PORT`, as DATASTORE_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST would say it. */
  get hostPort(): string {
    return `${this.host}:${this.port}`;
  }

  get endpoint(): string {
    return `http://${this.hostPort}`;
  }

  /** One call to the emulator's own HTTP API (reset, health); rejects on a status other than 200. */
  async emulatorRequest(method: string, path: string): Promise<string> {
    // Generous: the first calls after start-up run in a cold JVM, seconds on a loaded 2-core machine.
    const response = await fetch(`${this.endpoint}${path}`, { method, signal: AbortSignal.timeout(30_000) });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`${this.name}: ${method} ${path} answered ${response.status}: ${text}`);
    return text;
  }

  protected async spawnSpec(port: number) {
    const { jar, mainClass, args, websocketPort } = this.launchSpec;
    const extra = websocketPort ? [`--websocket_port=${await getFreePort()}`] : [];
    return {
      command: requirePath(JAVA),
      args: ['-cp', jar, mainClass, 'start', `--host=${this.host}`, `--port=${port}`, ...args, ...extra],
      cwd: this.dir,
    };
  }

  protected async isReady(): Promise<boolean> {
    return (await this.emulatorRequest('GET', '/')).trim() === 'Ok';
  }
}
