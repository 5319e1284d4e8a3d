/**
 * 1 MiB: the default ceiling of a session's serialized size, read and written
 * (`maxSessionBytes`): far above any session a cookie id should point to, far below what
 * would stall a server to decode. A record over it is never decoded.
 */
export const DEFAULT_MAX_SESSION_BYTES = 1_048_576;
