/**
 * sessionkit/otel: OpenTelemetry spans and metrics for sessions, from the lifecycle events
 * (`on`) and the store call diagnostics channels, with `@opentelemetry/api` as an optional
 * peer. Nothing here is on the request path of an application that does not call
 * `instrumentSessions`.
 */
import { trace, metrics, type Meter, type Tracer } from '@opentelemetry/api';
import type { SessionEvents } from '../core/events.js';
import { managerBehind, type SessionManager } from '../core/manager.js';
import { instrumentManager } from './manager-spans.js';
import { instrumentStoreCalls } from './store-spans.js';

export interface InstrumentOptions {
  /** Where spans go: the global tracer provider's `sessionkit` tracer by default. */
  tracer?: Tracer;
  /** Where metrics go: the global meter provider's `sessionkit` meter by default. */
  meter?: Meter;
}

/** The scope name spans and metrics are reported under. */
export const INSTRUMENTATION_NAME = 'sessionkit';

/**
 * Spans for each request's session load and commit and for each store call, and metrics:
 * sessions created, loaded, missed by reason, conflicts, revocations, lock waits, and the
 * store calls' duration histogram (`db.client.operation.duration`). `target` is an engine,
 * multiSession, or what an adapter's factory returns (`sessionkit()` of Express, Fastify's
 * `app.sessions`, Koa, Hono, `withSession`, `webSessions()`): that carries the manager it
 * runs on, whose load and commit get the spans. Returns the function that stops it all.
 */
export function instrumentSessions(target: SessionEvents | SessionManager, options: InstrumentOptions = {}): () => void {
  const tracer = options.tracer ?? trace.getTracer(INSTRUMENTATION_NAME);
  const meter = options.meter ?? metrics.getMeter(INSTRUMENTATION_NAME);
  const stops = [countEvents(target, meter), instrumentStoreCalls(tracer, meter)];
  const manager = managerBehind(target);
  if (manager) stops.push(instrumentManager(manager, tracer));
  return () => {
    for (const stop of stops) stop();
  };
}

/** The counters, fed by the lifecycle events. */
function countEvents(target: SessionEvents, meter: Meter): () => void {
  const sessions = (name: string, description: string) => meter.createCounter(`sessionkit.sessions.${name}`, { description, unit: '{session}' });
  const created = sessions('created', 'Sessions written for the first time');
  const loaded = sessions('loaded', 'Requests whose cookie opened to a live session');
  const missed = sessions('missed', 'Requests that got a fresh session, by reason');
  const revoked = sessions('revoked', 'Sessions ended by revokeSessions/revokeSession or the per-user limit');
  const conflicts = meter.createCounter('sessionkit.sessions.conflicts', { description: 'Writes merged after a lost compare-and-set', unit: '{write}' });
  const lockWaits = meter.createCounter('sessionkit.lock.waits', { description: 'Requests that waited for their session lock', unit: '{request}' });
  const offs = [
    target.on('created', (event) => created.add(1, { 'sessionkit.store': event.store })),
    target.on('loaded', (event) => loaded.add(1, { 'sessionkit.store': event.store })),
    target.on('missed', (event) => missed.add(1, { 'sessionkit.store': event.store, 'sessionkit.miss.reason': event.reason })),
    target.on('revoked', (event) => revoked.add(event.count, { 'sessionkit.store': event.store, 'sessionkit.revoke.cause': event.cause })),
    target.on('conflict', (event) => conflicts.add(1, { 'sessionkit.store': event.store })),
    target.on('lockWaited', (event) => lockWaits.add(1, { 'sessionkit.store': event.store, 'sessionkit.lock.timed_out': false })),
    target.on('lockTimedOut', (event) => lockWaits.add(1, { 'sessionkit.store': event.store, 'sessionkit.lock.timed_out': true })),
  ];
  return () => {
    for (const off of offs) off();
  };
}
