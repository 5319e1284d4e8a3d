import type { EventSink, SessionEventListener, SessionEventListeners, SessionEventMap, SessionEventName, SessionEvents } from '../core/events.js';
import type { Logger } from '../core/logger.js';

type AnyListener = (event: never) => void;

/**
 * An engine's lifecycle events: its listeners, by event name. The engine asks `wants(name)`
 * before it builds an event, so an event nobody listens to costs a lookup and nothing else.
 * A listener runs synchronously, inside the request; one that throws is caught, and
 * reported once through the logger (the request goes on).
 */
export class EngineEvents implements SessionEvents, EventSink {
  readonly #listeners = new Map<SessionEventName, AnyListener[]>();
  readonly #logger: Pick<Logger, 'warn'>;
  #reportedFailure = false;

  constructor(logger: Pick<Logger, 'warn'>, initial: SessionEventListeners | undefined) {
    this.#logger = logger;
    if (!initial) return;
    for (const [name, listener] of Object.entries(initial) as [SessionEventName, AnyListener | undefined][]) {
      if (listener) this.#add(name, listener);
    }
  }

  on<K extends SessionEventName>(name: K, listener: SessionEventListener<K>): () => void {
    this.#add(name, listener);
    return () => {
      const listeners = this.#listeners.get(name);
      const at = listeners?.indexOf(listener) ?? -1;
      if (at < 0) return;
      // A copy: an emit under way goes on over the list it started with.
      const rest = listeners!.filter((_, index) => index !== at);
      if (rest.length === 0) this.#listeners.delete(name);
      else this.#listeners.set(name, rest);
    };
  }

  #add(name: SessionEventName, listener: AnyListener): void {
    this.#listeners.set(name, [...(this.#listeners.get(name) ?? []), listener]);
  }

  wants(name: SessionEventName): boolean {
    return this.#listeners.has(name);
  }

  emit<K extends SessionEventName>(name: K, event: SessionEventMap[K]): void {
    const listeners = this.#listeners.get(name) as SessionEventListener<K>[] | undefined;
    if (!listeners) return;
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#listenerFailed(name, error);
      }
    }
  }

  #listenerFailed(name: SessionEventName, error: unknown): void {
    if (this.#reportedFailure) return;
    this.#reportedFailure = true;
    // Once: a listener that throws on every request would otherwise fill the log.
    this.#logger.warn(
      `a "${name}" session event listener threw (${error instanceof Error ? error.message : String(error)}); the request went on. ` +
        'Catch errors in your listeners; later failures of listeners are not reported.',
    );
  }
}
