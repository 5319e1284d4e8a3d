import { handleOf } from './handle.js';

/** Session ids are base64url, so neither separator can occur in one: what follows the last is the id. */
const SEPARATORS = /[:.]/g;

/**
 * How a message names a store key without the session id in it (an id in a log is a
 * cookie anyone who reads the log can send): the key's readable prefix (`session:`,
 * `session:lock.`) and the handle of the id, the same handle listSessions() shows, so an
 * operator can still match the warning to a session.
 */
export function keyForMessages(key: string): string {
  let idStart = 0;
  for (const separator of key.matchAll(SEPARATORS)) idStart = separator.index + 1;
  return `${key.slice(0, idStart)}<handle ${handleOf(key.slice(idStart))}>`;
}
