import type * as FirestoreLib from '@google-cloud/firestore';
import { SessionConfigError } from '../../core/errors.js';
import { consoleLogger, type Logger } from '../../core/logger.js';
import { sweepBatchSizeOption, timeoutOption } from '../shared/options.js';

export interface FirestoreStoreOptions {
  /**
   * SESSION_FIRESTORE (flask-session-plus: `client`): your `Firestore` from
   * `@google-cloud/firestore` (project, database and credentials are its settings). Borrowed:
   * the store never terminates it.
   */
  client: FirestoreLib.Firestore;
  /**
   * SESSION_FIRESTORE_COLLECT (flask-session-plus: `collection`): the collection holding one
   * document per session. A nested path ('apps/web/sessions') works too. Default 'sessions'.
   */
  collection?: string;
  /** Expired documents deleteExpired() queries and deletes per round. Default 500. */
  sweepBatchSize?: number;
  /** Milliseconds one operation may take, the SDK's own retries included. Default 5000. */
  timeout?: number;
  /** Where the store's warnings go. Default: console, prefixed '[sessionkit]'. */
  logger?: Pick<Logger, 'warn'>;
}

/** The options with their defaults, checked: a configuration that cannot work fails here, at start-up. */
export function resolveOptions(options: FirestoreStoreOptions, lib: typeof FirestoreLib) {
  const client = options?.client;
  if (typeof client?.collection !== 'function' || typeof client.bulkWriter !== 'function') {
    throw new SessionConfigError(
      "firestoreStore: pass `client`, a Firestore from @google-cloud/firestore, e.g. new Firestore({ projectId: 'my-project' }).",
    );
  }
  if (!(client instanceof lib.Firestore)) {
    // Preconditions need a Timestamp of the client's own copy of the library.
    throw new SessionConfigError(
      'firestoreStore: `client` comes from another copy of @google-cloud/firestore than the one sessionkit loads (two versions installed, e.g. one inside firebase-admin). Make them one (npm dedupe, or the same version range) so that both load the same module.',
    );
  }
  const path = options.collection ?? 'sessions';
  let collection: FirestoreLib.CollectionReference;
  try {
    collection = client.collection(path);
  } catch (error) {
    throw new SessionConfigError(`firestoreStore: collection "${String(path)}" is not a collection path (${(error as Error).message}).`);
  }
  const sweepBatchSize = sweepBatchSizeOption('firestoreStore', options.sweepBatchSize, 10_000);
  const timeout = timeoutOption('firestoreStore', options.timeout);
  const logger: Pick<Logger, 'warn'> = options.logger ?? consoleLogger;
  return { client, collection, sweepBatchSize, timeout, logger };
}
