/**
 * deleteExpired's query: the keys of the entities of one kind and namespace whose
 * `expiresAt` is before `now`, a page of up to `size` ({@link SWEEP_BATCH}) at a time (each page
 * is then deleted in one commit, Datastore's limit of mutations).
 */
import type { Datastore, Query } from '@google-cloud/datastore';
import type * as DatastoreLibrary from '@google-cloud/datastore';
import { loadOptional } from '../shared/load-optional.js';

/** Keys per deleteExpired page: Datastore's limit of mutations in one commit. */
export const SWEEP_BATCH = 500;

export function expiredQuery(
  client: Datastore,
  target: { storeName: string; kind: string; namespace: string | undefined },
  { now, cursor, size = SWEEP_BATCH }: { now: Date; cursor: string | undefined; size?: number },
): Query {
  const query = client.createQuery(target.namespace ?? '', target.kind).select('__key__').limit(size);
  const { PropertyFilter } = loadOptional<typeof DatastoreLibrary>('@google-cloud/datastore', target.storeName);
  const filter = new PropertyFilter('expiresAt', '<', now);
  query.filter(filter);
  // The SDK recognises a filter by its class: one from another copy of the library than the
  // client's would be dropped without a word, and the query would match every session.
  if (!query.entityFilters.includes(filter)) {
    throw new Error('the client did not accept the expiresAt filter (is a second copy of @google-cloud/datastore installed?)');
  }
  return cursor ? query.start(cursor) : query;
}
