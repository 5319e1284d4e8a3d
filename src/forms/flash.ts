/**
 * Flash messages: a message kept in the session until it is read once, for the page after a
 * redirect ("Saved.", "Wrong password"). connect-flash's API (`req.flash`), which Passport's
 * `failureFlash` and `successFlash` call, on every adapter's session.
 *
 * Stored in one data field, `_flashes`, as Flask keeps them: a list of `[type, message]`
 * pairs in the order they were added. Not `flash`, as connect-flash names its field: that
 * name is the session's method, and a data field of the same name would shadow it. Flask's
 * field and shape mean a session shared with a Flask application (same store and
 * serializer) shows the same messages on both sides. A session whose messages have all been
 * read loses the field, so reading them leaves an otherwise empty session empty.
 */
import { nodeBuiltin } from '../core/node-builtin.js';

/** The data field the messages live in. */
export const FLASH_FIELD = '_flashes';

/** connect-flash's field; a stored one is adopted into `_flashes` when a session loads. */
export const CONNECT_FLASH_FIELD = 'flash';

/** Messages by type, as `flash()` returns them. */
export type FlashMessages = Record<string, string[]>;

type FlashPair = [type: string, message: string];
type Fields = Record<string, unknown>;

const format = nodeBuiltin<typeof import('node:util')>('node:util')?.format ?? ((...values: unknown[]) => values.map(String).join(' '));

/**
 * `flash(type, message)` adds (an array adds each; more values are formatted into the
 * first, as `util.format` does) and answers how many messages of that type are waiting;
 * `flash(type)` takes that type's messages; `flash()` takes them all, by type.
 */
export function flash(session: object, type: string | undefined, values: readonly unknown[]): number | string[] | FlashMessages {
  const fields = session as Fields;
  if (type === undefined) return takeAll(fields);
  if (values.length === 0) return takeType(fields, type);
  const [first] = values;
  const added = values.length > 1 ? [format(...values)] : Array.isArray(first) ? first.map(String) : [String(first)];
  const pairs = pairsOf(fields);
  for (const message of added) pairs.push([type, message]);
  fields[FLASH_FIELD] = pairs;
  return pairs.filter(([kind]) => kind === type).length;
}

function takeType(fields: Fields, type: string): string[] {
  const pairs = pairsOf(fields);
  const taken = pairs.filter(([kind]) => kind === type).map(([, message]) => message);
  if (taken.length > 0) keep(fields, pairs.filter(([kind]) => kind !== type));
  return taken;
}

function takeAll(fields: Fields): FlashMessages {
  const all = waitingFlashes(fields);
  if (Object.hasOwn(fields, FLASH_FIELD)) delete fields[FLASH_FIELD];
  return all;
}

/** The waiting messages by type, left in place: connect-flash's `flash` field as @fastify/flash reads it with `session.get('flash')`. */
export function waitingFlashes(session: object): FlashMessages {
  const all: FlashMessages = {};
  for (const [type, message] of pairsOf(session as Fields)) (all[type] ??= []).push(message);
  return all;
}

/** `session.set('flash', { type: [messages] })`, as @fastify/flash writes it: the waiting messages replaced. */
export function replaceFlashes(session: object, messages: unknown): void {
  delete (session as Fields)[FLASH_FIELD];
  adoptConnectFlash(session, messages);
}

function keep(fields: Fields, pairs: FlashPair[]): void {
  if (pairs.length > 0) fields[FLASH_FIELD] = pairs;
  else delete fields[FLASH_FIELD];
}

/** The stored pairs, a copy; anything in the field that is not a `[type, message]` pair is left out. */
function pairsOf(fields: Fields): FlashPair[] {
  const stored = Object.hasOwn(fields, FLASH_FIELD) ? fields[FLASH_FIELD] : undefined;
  if (!Array.isArray(stored)) return [];
  return stored.filter((pair): pair is FlashPair => Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && typeof pair[1] === 'string');
}

/**
 * A stored connect-flash field (`{ type: [messages] }`) met while a session loads: its
 * messages join `_flashes`, so an application moving from connect-flash keeps the messages
 * waiting at the switch, and the old field is gone from the next write.
 */
export function adoptConnectFlash(session: object, stored: unknown): void {
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) return;
  for (const [type, messages] of Object.entries(stored)) {
    if (Array.isArray(messages) && messages.length > 0) flash(session, type, [messages]);
  }
}
