import { describeValue, SessionConfigError } from '../core/errors.js';
import type { SessionEventListeners, SessionEventName } from '../core/events.js';

/** Every event's name, as the `events` option and `on` take them. */
export const SESSION_EVENT_NAMES: readonly SessionEventName[] = [
  'created', 'loaded', 'missed', 'saved', 'touched', 'regenerated', 'destroyed', 'revoked',
  'conflict', 'lockWaited', 'lockTimedOut', 'storeError', 'suspicious',
];

/** The `events` option checked at start-up: known names, each with a function. */
export function resolveEventListeners(value: unknown): SessionEventListeners | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) {
    throw new SessionConfigError(`events must be an object of listeners by event name, such as { missed: (event) => … }, got ${describeValue(value)}.`);
  }
  for (const [name, listener] of Object.entries(value)) {
    if (!(SESSION_EVENT_NAMES as readonly string[]).includes(name)) {
      throw new SessionConfigError(`events.${name} is not a session event; the events are ${SESSION_EVENT_NAMES.join(', ')}.`);
    }
    if (typeof listener !== 'function') throw new SessionConfigError(`events.${name} must be a function, got ${describeValue(listener)}.`);
  }
  return value;
}
