import type { CsrfPolicy } from '../../core/manager.js';
import { csrfRefusal, sentToken, type CsrfError } from '../../forms/csrf.js';

/** What an adapter reads of a request for the CSRF check, each in its framework's way. */
export interface CsrfRequest {
  readonly method: string | undefined;
  /** The policy's header as the framework gives it. */
  readonly header: string | string[] | null | undefined;
  /** The parsed body, if a body parser made one: an object, FormData or URLSearchParams. */
  readonly body: unknown;
}

/**
 * The CSRF decision for one request (the `csrf` option; adapters ask only when it is on):
 * undefined to go on, else the error to refuse it with, through the framework's error path.
 */
export function csrfRefusalFor(policy: CsrfPolicy, session: object, request: CsrfRequest): CsrfError | undefined {
  return csrfRefusal(session, request.method, sentToken(policy, request.header, request.body));
}

/** A form body a fetch handler may parse for the token: only when the header did not carry one. */
export function isFormBody(contentType: string | null | undefined): boolean {
  return contentType != null && /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(contentType);
}
