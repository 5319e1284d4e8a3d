import { primitives } from '#crypto';

/**
 * The name a session's records go by in its store with `hashIds`: SHA-256 of the id, as
 * base64url (43 characters). Plain, not keyed: an id is at least 128 random bits, so its hash
 * cannot be inverted or guessed with or without a key, and a key would rename every record
 * when the secret rotates. Its domain prefix differs from a handle's (./handle.ts), so a
 * handle shown in a listing or a log is never a store key.
 */
export function hashedId(id: string): string {
  return primitives.toBase64url(primitives.sha256(`sessionkit store key\0${id}`));
}
