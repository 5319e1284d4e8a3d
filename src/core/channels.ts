import { nodeBuiltin } from './node-builtin.js';

/** The part of `node:diagnostics_channel` sessionkit publishes through. */
export interface PublishChannel {
  readonly hasSubscribers: boolean;
  publish(message: unknown): void;
}

interface DiagnosticsChannels {
  channel(name: string): PublishChannel;
}

// Asked once, at load: undefined where the runtime has no such module (workerd without
// nodejs_compat), and then nothing is published, while `on` listeners still work.
const diagnostics = nodeBuiltin<DiagnosticsChannels>('node:diagnostics_channel');

/** The diagnostics channel `name`, or undefined where the runtime has none. */
export function diagnosticsChannel(name: string): PublishChannel | undefined {
  return diagnostics?.channel(name);
}

/**
 * What the store call channels carry: one object per call, published on
 * `sessionkit:store.call.start`, then on `.end` (with `durationMs`) or `.error` (with
 * `durationMs` and `error`), so that a subscriber tells calls apart by the object, as
 * undici's and node:http's channels do. Never a key or a value: the store's name and action.
 */
export interface StoreCallMessage {
  /** The store's name ('redis', 'postgres', …). */
  readonly store: string;
  /** What was asked of it ('get', 'set', 'delete', …). */
  readonly action: string;
  durationMs?: number;
  error?: unknown;
}

const start = diagnosticsChannel('sessionkit:store.call.start');
const end = diagnosticsChannel('sessionkit:store.call.end');
const failed = diagnosticsChannel('sessionkit:store.call.error');

/** A store call's three channels. */
export interface StoreCallChannels {
  readonly start: PublishChannel;
  readonly end: PublishChannel;
  readonly error: PublishChannel;
}

const STORE_CALL_CHANNELS: StoreCallChannels | undefined = start && end && failed ? { start, end, error: failed } : undefined;

/** The store call channels when anyone subscribes to one of them, else undefined: asked once per store call. */
export function storeCallChannels(): StoreCallChannels | undefined {
  const channels = STORE_CALL_CHANNELS;
  return channels && (channels.start.hasSubscribers || channels.end.hasSubscribers || channels.error.hasSubscribers) ? channels : undefined;
}
