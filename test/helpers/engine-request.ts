import type { SessionEngine } from '../../src/engine/engine.js';
import type { Session } from '../../src/engine/session.js';

/**
 * One request against an engine, as an adapter makes it: load the session the cookie names,
 * let `handler` work on it, commit, persist. Resolves the session, its Set-Cookie line, and
 * the cookie the browser holds afterwards.
 */
export function requestsOf<T extends object>(engine: SessionEngine<T>) {
  return async function request(cookie: string | undefined, handler: (session: Session<T>) => unknown = () => undefined) {
    const session = await engine.load(cookie);
    await handler(session);
    const pending = engine.commit(session);
    await pending.persist();
    const setCookie = pending.setCookies[0];
    return { session, setCookie, cookie: setCookie ? setCookie.split(';')[0] : cookie };
  };
}
