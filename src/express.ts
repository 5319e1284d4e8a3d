import type { IncomingMessage, ServerResponse } from 'node:http';
import { SessionEngine, type PendingCommit } from './engine.js';
import type { SessionOptions } from './options.js';
import type { Session, SessionData } from './session.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The request's session, typed by sessionkit's `SessionData` interface. */
      session: Session<SessionData>;
    }
  }
}

/** The parts of Express's request we use, so Express 4 and 5 types both fit. */
interface ExpressRequest extends IncomingMessage {
  session?: Session<SessionData>;
  secure?: boolean;
}
type Next = (error?: unknown) => void;
export type SessionMiddleware = (req: ExpressRequest, res: ServerResponse, next: Next) => void;

/**
 * Express 4 and 5 middleware: `app.use(sessionkit({ store, secret }))`, then
 * `req.session` in every handler. Store failures go to `next(err)`.
 *
 * The store write happens before the response is finished, so the next request of
 * the same client always sees it. A handler that streams its body gets its cookie
 * with the headers; later changes to the session are still saved at the end, but a
 * new id (first write, regenerate, destroy) cannot reach the browser after the
 * headers are out: make those calls before streaming.
 */
export function sessionkit(options: SessionOptions | SessionEngine = {}): SessionMiddleware {
  const engine = options instanceof SessionEngine ? options : new SessionEngine(options);
  return (req, res, next) => {
    if (req.session) {
      next(); // mounted twice: the first instance already owns this request
      return;
    }
    engine.load(req.headers.cookie).then((session) => {
      req.session = session;
      hookResponse(engine, req, res, session, next);
      next();
    }, next);
  };
}

function hookResponse(engine: SessionEngine, req: ExpressRequest, res: ServerResponse, session: Session, next: Next) {
  const originalWriteHead = res.writeHead;
  const originalEnd = res.end;
  const context = () => ({ secure: req.secure === true });
  let ending = false;

  // Headers leave before end() when a handler streams: decide the cookie then.
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (!ending) applyHeaders(res, engine.commit(session, context()));
    return (originalWriteHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];

  res.end = function (this: ServerResponse, ...args: unknown[]) {
    if (ending) return (originalEnd as (...a: unknown[]) => ServerResponse).apply(this, args);
    ending = true;
    const pending = engine.commit(session, context());
    pending.persist().then(
      () => {
        if (!res.headersSent) applyHeaders(res, pending);
        (originalEnd as (...a: unknown[]) => ServerResponse).apply(res, args);
      },
      (error: unknown) => {
        res.end = originalEnd;
        res.writeHead = originalWriteHead;
        if (res.headersSent) res.destroy(error instanceof Error ? error : new Error(String(error)));
        else next(error);
      },
    );
    return res;
  } as ServerResponse['end'];
}

function applyHeaders(res: ServerResponse, pending: PendingCommit): void {
  appendHeader(res, 'Vary', 'Cookie');
  if (pending.setCookie) appendHeader(res, 'Set-Cookie', pending.setCookie);
}

function appendHeader(res: ServerResponse, name: string, value: string): void {
  const existing = res.getHeader(name);
  if (existing === undefined) {
    res.setHeader(name, value);
  } else if (name === 'Vary') {
    const text = String(existing);
    if (!/(^|,)\s*(cookie|\*)\s*(,|$)/i.test(text)) res.setHeader(name, `${text}, ${value}`);
  } else {
    res.setHeader(name, [...(Array.isArray(existing) ? existing : [String(existing)]), value]);
  }
}

export { SessionEngine };
export type { Session, SessionData, SessionOptions };
