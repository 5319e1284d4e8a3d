import { SpanKind, type Meter, type Span, type Tracer } from '@opentelemetry/api';
import type { StoreCallMessage } from '../core/channels.js';
import { nodeBuiltin } from '../core/node-builtin.js';
import { endWithError } from './errors.js';

interface Subscriptions {
  subscribe(name: string, onMessage: (message: unknown) => void): void;
  unsubscribe(name: string, onMessage: (message: unknown) => void): boolean;
}

/** A store's name as the semantic conventions' `db.system` value, where one applies; the store's own name otherwise. */
const DB_SYSTEMS: Readonly<Record<string, string>> = {
  redis: 'redis',
  memcached: 'memcached',
  mongodb: 'mongodb',
  dynamodb: 'aws.dynamodb',
  'sql:postgres': 'postgresql',
  'sql:mysql': 'mysql',
  'sql:sqlite': 'sqlite',
  sqlite: 'sqlite',
  firestore: 'gcp.firestore',
};

function attributesOf(message: StoreCallMessage): Record<string, string> {
  return { 'db.system': DB_SYSTEMS[message.store] ?? message.store, 'db.operation': message.action, 'sessionkit.store': message.store };
}

/**
 * A span per store call (client kind, `db.system`, `db.operation`, `error.type` on failure)
 * and the `db.client.operation.duration` histogram, from the store call diagnostics channels
 * (core/channels.ts). Where the runtime has no `node:diagnostics_channel` there are none.
 */
export function instrumentStoreCalls(tracer: Tracer, meter: Meter): () => void {
  const channels = nodeBuiltin<Subscriptions>('node:diagnostics_channel');
  if (!channels) return () => {};
  const duration = meter.createHistogram('db.client.operation.duration', { description: 'Duration of session store calls', unit: 's' });
  const spans = new WeakMap<object, Span>();
  const onStart = (message: unknown) => {
    const call = message as StoreCallMessage;
    spans.set(call, tracer.startSpan(`${call.action} ${call.store}`, { kind: SpanKind.CLIENT, attributes: attributesOf(call) }));
  };
  const onEnd = (message: unknown) => {
    const call = message as StoreCallMessage;
    duration.record((call.durationMs ?? 0) / 1000, attributesOf(call));
    spans.get(call)?.end();
  };
  const onError = (message: unknown) => {
    const call = message as StoreCallMessage;
    const type = call.error instanceof Error ? call.error.name : 'Error';
    duration.record((call.durationMs ?? 0) / 1000, { ...attributesOf(call), 'error.type': type });
    const span = spans.get(call);
    if (span) endWithError(span, call.error);
  };
  const handlers: [string, (message: unknown) => void][] = [
    ['sessionkit:store.call.start', onStart],
    ['sessionkit:store.call.end', onEnd],
    ['sessionkit:store.call.error', onError],
  ];
  for (const [name, handler] of handlers) channels.subscribe(name, handler);
  return () => {
    for (const [name, handler] of handlers) channels.unsubscribe(name, handler);
  };
}
