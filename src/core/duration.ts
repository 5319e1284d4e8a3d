/**
 * Durations as Flask-Session writes them: a number of seconds (PERMANENT_SESSION_LIFETIME
 * accepts an integer), or a string such as '31d', '12h', '90m', '1d12h' or '500ms'.
 */
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;

/** The shortest lifetime of a session: a cookie's Max-Age counts whole seconds. */
export const MIN_LIFETIME_MS = 1000;
/**
 * The longest: ten years. Browsers keep a cookie 400 days at most anyway; the bound keeps
 * every expiry a valid Date and a TTL every store can hold (memcached's is a 32-bit Unix time).
 */
export const MAX_LIFETIME_MS = 3650 * 86_400_000;

/**
 * Whether `ms` can be a session's lifetime: the one rule for the configured lifetimes, one
 * a session sets for itself and one read back from a store (a planted 1e300 would make
 * every later write of that session fail).
 */
export function isLifetimeMs(ms: unknown): ms is number {
  return typeof ms === 'number' && ms >= MIN_LIFETIME_MS && ms <= MAX_LIFETIME_MS;
}

/** Converts seconds or a '31d'-style string to milliseconds; throws naming `what` on bad input. */
export function parseDuration(value: number | string, what: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new TypeError(`sessionkit: ${what} must be a non-negative number of seconds, got ${value}`);
    }
    return Math.round(value * 1000);
  }
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return parseDuration(Number(text), what);
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (!match || match.index !== start) {
      throw new TypeError(
        `sessionkit: ${what} "${value}" is not a duration. Use seconds (2678400) or a string like '31d', '12h', '30m', '1d12h'.`,
      );
    }
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  if (text.length === 0) throw new TypeError(`sessionkit: ${what} is empty; use seconds or a string like '31d'.`);
  return Math.round(total);
}
