/**
 * `sessions.of(req)` on Express, Koa and Fastify: the session the middleware put on the
 * request, typed with the factory's session data (the `schema`'s output). Those frameworks
 * declare `req.session` once for every application, so the factory cannot type it per
 * application; the value it returns can. A request the middleware did not run for (a route
 * mounted before it) is a mistake in the application's set-up, told as such.
 */
export function sessionOf<S>(session: S | null | undefined, mount: string): S {
  if (session === undefined || session === null) {
    throw new Error(`sessionkit: sessions.of() found no session on this request: the session middleware did not run for it (${mount} before the route).`);
  }
  return session;
}
