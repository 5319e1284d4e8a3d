import type { Datastore } from '@google-cloud/datastore';
import { SessionConfigError } from '../../core/errors.js';
import { consoleLogger, type Logger } from '../../core/logger.js';
import { timeoutOption } from '../shared/options.js';

export interface DatastoreStoreOptions {
  /**
   * Your `Datastore` from `@google-cloud/datastore` (project, credentials and endpoint are
   * its settings; GCLOUD_APP_PROJECT_ID is its `projectId`). Borrowed: never closed.
   */
  client: Datastore;
  /** The kind of the session entities. Default 'session', the kind Flask-Session2 uses. */
  kind?: string;
  /** The namespace of the session entities. Default: the client's own `namespace` (else the default namespace). */
  namespace?: string;
  /** Milliseconds one operation may take, the SDK's own retries and a transaction's every call included. Default 5000. */
  timeout?: number;
  /** Where the store's warnings go. Default: console, prefixed '[sessionkit]'. */
  logger?: Pick<Logger, 'warn'>;
}

/** Datastore's rules for a kind: not empty, at most 1500 bytes, not of the reserved form __x__. */
const RESERVED = /^__.*__$/;
const NAMESPACE = /^[0-9A-Za-z._-]{0,100}$/;

/** The options with their defaults, checked: a configuration that cannot work fails here, at start-up. */
export function resolveOptions(options: DatastoreStoreOptions) {
  const client = (options as Partial<DatastoreStoreOptions> | undefined)?.client;
  if (typeof client?.transaction !== 'function' || typeof client.get !== 'function') {
    throw new SessionConfigError(
      "datastoreStore: pass `client`, a Datastore from @google-cloud/datastore, e.g. new Datastore({ projectId: 'my-project' }).",
    );
  }
  const kind = options.kind ?? 'session';
  if (typeof kind !== 'string' || kind === '' || Buffer.byteLength(kind) > 1500 || RESERVED.test(kind)) {
    throw new SessionConfigError(`datastoreStore: kind "${String(kind)}" is not a valid Datastore kind (1-1500 bytes, not of the reserved form __name__).`);
  }
  const namespace = options.namespace ?? client.namespace;
  if (namespace !== undefined && (typeof namespace !== 'string' || !NAMESPACE.test(namespace) || RESERVED.test(namespace))) {
    throw new SessionConfigError(`datastoreStore: namespace "${String(namespace)}" is not a valid Datastore namespace (up to 100 of 0-9 A-Z a-z . _ -).`);
  }
  const timeout = timeoutOption('datastoreStore', options.timeout);
  const logger: Pick<Logger, 'warn'> = options.logger ?? consoleLogger;
  return { client, kind, namespace: namespace === '' ? undefined : namespace, timeout, logger };
}
