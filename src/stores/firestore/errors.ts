/** What a failed Firestore operation tells the user: the document limit, missing rights or database, or where to look. */
import type * as FirestoreLib from '@google-cloud/firestore';
import { StoreError } from '../../core/store.js';

/** The gRPC status codes the store acts on. */
export const Code = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  FAILED_PRECONDITION: 9,
  UNAUTHENTICATED: 16,
} as const;

/** Firestore's maximum document size. */
export const DOCUMENT_LIMIT_BYTES = 1024 * 1024;

export const errorCode = (error: unknown): unknown => (error as { code?: unknown } | undefined)?.code;

export interface ErrorContext {
  readonly storeName: string;
  readonly client: FirestoreLib.Firestore;
  readonly collection: string;
}

/** Where the client sends requests, for messages: project, database, and the emulator if one is named. */
export function describeTarget(client: FirestoreLib.Firestore): string {
  let project = 'of the client';
  try {
    // Not in the SDK's typings, but a getter of every Firestore; it throws until the SDK
    // knows the project (learnt from the first request when the settings do not name it).
    const id = (client as unknown as { projectId?: unknown }).projectId;
    if (typeof id === 'string') project = `"${id}"`;
  } catch {
    // keep 'of the client'
  }
  const emulator = process.env.FIRESTORE_EMULATOR_HOST ? ` on the emulator at ${process.env.FIRESTORE_EMULATOR_HOST}` : '';
  return `Firestore (project ${project}, database "${client.databaseId}"${emulator})`;
}

/** The remedy for `error`, or a whole StoreError when Firestore refused the document as too large. */
export function remedyFor(context: ErrorContext, action: string, error: unknown, bytes?: number): string | StoreError {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : '';
  const where = describeTarget(context.client);
  if (code === Code.INVALID_ARGUMENT && bytes !== undefined && /longer than|too (big|large)|exceeds the maximum/i.test(message)) {
    return new StoreError(
      context.storeName,
      `${action} refused: the session (${bytes} bytes) does not fit in a Firestore document, whose limit is ${DOCUMENT_LIMIT_BYTES} bytes (1 MiB). Keep large data out of the session (store it elsewhere and keep its id), or use another store.`,
      { cause: error },
    );
  }
  if (code === Code.PERMISSION_DENIED || code === Code.UNAUTHENTICATED) {
    return `The client's credentials may not use collection "${context.collection}" in ${where}: give its service account a role that can read and write documents (roles/datastore.user).`;
  }
  if (code === Code.NOT_FOUND && /database/i.test(message)) {
    return `${where} does not exist: create the database, or set databaseId in the client's settings.`;
  }
  if (code === Code.FAILED_PRECONDITION && /index/i.test(message)) {
    return `deleteExpired queries expiresAt: keep the single-field index on "expiresAt" of collection "${context.collection}" (only data and key may be exempted from indexing).`;
  }
  return `Is ${where} up and reachable, and may the client's credentials use collection "${context.collection}"?`;
}
