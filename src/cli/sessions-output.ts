/**
 * What `sessionkit sessions` prints without --json: a user's sessions as one line each
 * (handle, times, the fields the application lists), and one summary line for revoke and
 * count. Handles only: an id printed would be a cookie in a log.
 */
import type { UserSession } from '../core/manager.js';

export const SESSIONS_PREFIX = 'sessionkit sessions';

/** What a count found, and whether a signal stopped it early. */
export interface Counted {
  readonly sessions: number;
  readonly interrupted: boolean;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** An instant to the second, in UTC. */
function time(ms: number | undefined): string {
  return ms === undefined ? 'unknown' : `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** The listed fields as `name=value`, values as JSON (strings quoted, so a space cannot split them). */
function fields(values: Readonly<Record<string, unknown>>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}=${JSON.stringify(value) ?? String(value)}`)
    .join(' ');
}

export function sessionLines(store: string, user: string, sessions: readonly UserSession[]): string {
  const head = `${SESSIONS_PREFIX}: user ${user} has ${plural(sessions.length, 'live session')} in ${store}${sessions.length > 0 ? ':' : '.'}`;
  const lines = sessions.map(
    (session) =>
      `  ${session.handle}  last active ${time(session.lastActiveAt)}  created ${time(session.createdAt)}  expires ${time(session.expiresAt)}${
        Object.keys(session.fields).length > 0 ? `  ${fields(session.fields)}` : ''
      }`,
  );
  return [head, ...lines].join('\n');
}

export function revokedLine(user: string, revoked: number, handle: string | undefined): string {
  if (handle === undefined) return `${SESSIONS_PREFIX}: ended ${plural(revoked, 'session')} of user ${user}.`;
  return revoked === 0
    ? `${SESSIONS_PREFIX}: user ${user} has no live session ${handle}; nothing was ended.`
    : `${SESSIONS_PREFIX}: ended session ${handle} of user ${user}.`;
}

export function countLine(store: string, user: string | undefined, { sessions, interrupted }: Counted): string {
  const whose = user === undefined ? `${store} holds` : `user ${user} has`;
  const line = `${SESSIONS_PREFIX}: ${whose} ${plural(sessions, 'live session')}${user === undefined ? '' : ` in ${store}`}.`;
  return interrupted ? `${line.slice(0, -1)} so far (interrupted before the end).` : line;
}
