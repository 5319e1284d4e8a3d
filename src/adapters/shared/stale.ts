import type { ServerResponse } from 'node:http';
import { staleBody, type StaleOutcome } from '../../freshness/check.js';

/**
 * What a `requireFresh` guard answers when the application gives no `onStale`: 401 and a
 * small JSON body saying why (`never-authenticated` or `stale`), for a client to turn into a
 * re-authentication prompt. Pages usually redirect instead, through `onStale`.
 */
export const STALE_STATUS = 401;

/** The answer on a node:http response (Express, node:http). */
export function sendStale(res: ServerResponse, outcome: StaleOutcome): void {
  res.statusCode = STALE_STATUS;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(staleBody(outcome)));
}

/** The answer as a Web Response (fetch handlers). */
export function staleResponse(outcome: StaleOutcome): Response {
  return new Response(JSON.stringify(staleBody(outcome)), { status: STALE_STATUS, headers: { 'content-type': 'application/json; charset=utf-8' } });
}
