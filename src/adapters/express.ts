import type { IncomingMessage, ServerResponse } from 'node:http';
import { SessionEngine, toSessionManager } from '../core/engine.js';
import type { RequestContext, SessionManager } from '../core/manager.js';
import { runWithSession } from '../core/request-context.js';
import { loadForRequest } from './shared/load.js';
import { commitOnResponse } from './shared/node-response.js';
import type { SessionOptions } from '../core/options.js';
import type { Session, SessionData } from '../core/session.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The request's session, typed by sessionkit's `SessionData` interface. */
      session: Session;
    }
  }
}

/** The parts of Express's request we use, so Express 4 and 5 types both fit. */
interface ExpressRequest extends IncomingMessage {
  session?: Session;
  secure?: boolean;
}
type Next = (error?: unknown) => void;
export type SessionMiddleware = (req: ExpressRequest, res: ServerResponse, next: Next) => void;

/**
 * What the engine asks of an Express request. A class rather than an object literal with
 * a getter, which would allocate a new getter function on every request.
 */
class ExpressRequestContext implements RequestContext {
  readonly #req: ExpressRequest;

  constructor(req: ExpressRequest) {
    this.#req = req;
  }

  /** Express works out req.secure (trust proxy) only when a cookie needs it. */
  get secure(): boolean {
    return this.#req.secure === true;
  }
}

/**
 * Express 4 and 5 middleware: `app.use(sessionkit({ store, secret }))`, then
 * `req.session` in every handler. Store failures go to `next(err)`. With
 * `cookie.secure: 'auto'`, the cookie is Secure when `req.secure` says so, which
 * honours Express's `trust proxy` setting.
 *
 * The store write happens before the response is finished, so the next request of
 * the same client always sees it. A handler that streams its body gets its cookie
 * with the headers; later changes to the session are still saved at the end, but a
 * new id (first write, regenerate, destroy) cannot reach the browser after the
 * headers are out: make those calls before streaming.
 */
export function sessionkit(options: SessionOptions | SessionManager = {}): SessionMiddleware {
  const engine = toSessionManager(options);
  return (req, res, next) => {
    if (req.session) {
      next(); // mounted twice: the first instance already owns this request
      return;
    }
    const start = (session: Session) => {
      req.session = session;
      commitOnResponse(engine, session, res, new ExpressRequestContext(req), next);
      runWithSession(session, next);
    };
    loadForRequest(engine, req.headers.cookie, start, next);
  };
}

export { SessionEngine };
export type { Session, SessionData, SessionOptions };
