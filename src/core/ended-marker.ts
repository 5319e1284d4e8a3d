import type { StoreRecord } from './store.js';

/**
 * The small record left where a session in a store was revoked (revokeSessions,
 * revokeSession, or maxSessionsPerUser making room), so that a later request with its
 * cookie can be reported `missed` as `revoked` rather than `unknown`: the session's own
 * record is deleted, and nothing else would tell a revoked id from one that never existed.
 *
 * It is named after the session's stored name (its id, or with `hashIds` the id's hash:
 * never a raw id there), beside the `lock.` and `user.` records, and its name holds a dot,
 * which no session's name does: tools that count sessions skip it. Its bytes are fixed and
 * say nothing of the session, so reading one is a length check and a comparison.
 */
export function endedMarkerName(storedName: string): string {
  return `ended.${storedName}`;
}

const REVOKED = new TextEncoder().encode('sessionkit: revoked');

/** The marker of a revoked session, which lives until `expiresAt`: no longer than the session could have. */
export function revokedMarker(expiresAt: number): StoreRecord {
  return { data: REVOKED, expiresAt };
}

/** Whether `record` is a revoked session's marker: anything else under its name (planted, corrupt) is not. */
export function isRevokedMarker(record: StoreRecord): boolean {
  const data = record.data;
  if (data.length !== REVOKED.length) return false;
  for (let i = 0; i < data.length; i++) if (data[i] !== REVOKED[i]) return false;
  return true;
}
