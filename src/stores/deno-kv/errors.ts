/** What a failed Deno KV operation tells the user. */
import { StoreError } from '../../core/store.js';
import { KV_VALUE_LIMIT, MAX_SESSION_BYTES } from './value.js';

/** The refusal of a session too big for one KV value, before anything is sent. */
export function tooBig(storeName: string, action: string, bytes: number): StoreError {
  return new StoreError(
    storeName,
    `${action} refused: the session (${bytes} bytes) does not fit in one Deno KV value, whose limit is ${KV_VALUE_LIMIT} bytes (${MAX_SESSION_BYTES} for the session itself). Keep large data out of the session (store it elsewhere and keep its id), or use another store.`,
  );
}

/** The remedy for a failure KV reported (the messages differ between Deno and @deno/kv). */
export function remedyFor(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/key ?too ?(long|large)/i.test(message)) {
    return 'A Deno KV key may be at most 2048 bytes: shorten the prefix or the keyPrefix.';
  }
  if (/closed|resource/i.test(message)) {
    return 'Is the Deno KV database still open? The store borrows it: close it only after the last request.';
  }
  return 'Is the Deno KV database reachable (its file writable, its KV Connect URL and access token right)?';
}
