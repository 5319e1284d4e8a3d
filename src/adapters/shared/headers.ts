/**
 * The three header operations every framework's response offers, in one shape: Web
 * `Headers` has it as is, the adapters wrap node:http, Fastify and Koa responses in it.
 */
export interface HeaderTarget {
  get(name: string): string | null | undefined;
  set(name: string, value: string): void;
  append(name: string, value: string): void;
}

/**
 * Adds a commit's Set-Cookie values and `Vary: Cookie` (a response that depends on the
 * session must not be cached for everyone), keeping the headers the application set.
 */
export function applySessionHeaders(target: HeaderTarget, setCookies: readonly string[]): void {
  const vary = varyWithCookie(target.get('vary') ?? undefined);
  if (vary) target.set('vary', vary);
  for (const cookie of setCookies) target.append('set-cookie', cookie);
}

/** A Vary header value that includes Cookie, keeping what was there; undefined if already covered. */
export function varyWithCookie(existing: string | undefined): string | undefined {
  if (!existing) return 'Cookie';
  return /(^|,)\s*(cookie|\*)\s*(,|$)/i.test(existing) ? undefined : `${existing}, Cookie`;
}
