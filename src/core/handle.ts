import { primitives } from '#crypto';

/**
 * The opaque name of a session in listings, revocations and messages: derived from its id
 * by a one-way hash, so it can be shown, logged and stored without revealing the id.
 */
export function handleOf(id: string): string {
  return primitives.toBase64url(primitives.sha256(`sessionkit handle\0${id}`)).slice(0, 22);
}
