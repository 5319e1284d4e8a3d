/**
 * How the store and its Durable Object talk: one HTTP request to the object's `fetch` per
 * store operation. Fetch, not RPC: RPC needs the class to extend `DurableObject` from
 * `cloudflare:workers`, a module that exists only inside workerd, and the store must also
 * load where the object's namespace is reached from outside a Worker (miniflare's proxies
 * in Node). The bytes of a record travel as the body; the rest in the query string.
 */

export const OPERATIONS = ['get', 'getExpired', 'set', 'create', 'setIf', 'touch', 'delete', 'deleteExpired', 'countExpired', 'keys'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** The origin of every request: the object does not read it, but a Request needs an absolute URL. */
const ORIGIN = 'https://sessionkit.durable-object';

/** The parameters an operation may carry besides the record's bytes. */
export interface OperationParams {
  readonly key?: string;
  readonly expiresAt?: number;
  readonly expected?: string;
  readonly limit?: number;
  /** keys: the prefix listed, and the `next` of the page before (none for the first). */
  readonly prefix?: string;
  readonly after?: string;
}

export function operationUrl(operation: Operation, params: OperationParams): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, String(value));
  return `${ORIGIN}/${operation}?${query.toString()}`;
}

/** Headers of a record read: its expiry and version (the body is its data). */
export const EXPIRES_AT_HEADER = 'x-sessionkit-expires-at';
export const VERSION_HEADER = 'x-sessionkit-version';

/** The answer to `keys`: one page of the object's listing, as JSON (a key may hold any character). */
export interface KeysPage {
  readonly keys: string[];
  /** Where the next page starts (its `after`); absent on the last page. */
  readonly next?: string;
}

/** Status of a read that found no live record. */
export const ABSENT_STATUS = 204;
