import type { EventSink, SessionEventListener, SessionEventListeners, SessionEventMap, SessionEventName, SessionEvents } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import { diagnosticsChannel, type PublishChannel } from '../core/channels.js';
import { SESSION_EVENT_NAMES } from './listeners.js';

type AnyListener = (event: never) => void;

/**
 * Every event on its diagnostics channel, `sessionkit:session.<name>` (`sessionkit:session.missed`…),
 * for APMs that subscribe with no configuration; empty where the runtime has no
 * `node:diagnostics_channel` (the listeners still work). Shared by every engine of the
 * process: an event's `store` tells them apart.
 */
const CHANNELS = new Map<SessionEventName, PublishChannel>();
for (const name of SESSION_EVENT_NAMES) {
  const channel = diagnosticsChannel(`sessionkit:session.${name}`);
  if (channel) CHANNELS.set(name, channel);
}
const CHANNEL_LIST: readonly PublishChannel[] = [...CHANNELS.values()];

/**
 * Whether any event's channel has a subscriber: a pass over the channels' `hasSubscribers`,
 * once per request. Node tells nobody when a channel gains a subscriber (it only swaps the
 * channel's prototype), so there is no counter to keep without patching its channels; an
 * unsubscribed channel's `hasSubscribers` is a getter that answers false, which V8 inlines.
 */
function anyChannelSubscribed(): boolean {
  for (const channel of CHANNEL_LIST) if (channel.hasSubscribers) return true;
  return false;
}

/**
 * An engine's lifecycle events: its listeners, by event name, and the event's diagnostics
 * channel. A request asks `listening()` once, at load: with no listener and no subscriber
 * it asks nothing more (core/events.ts `EventState`). Otherwise the engine asks
 * `wants(name)` before it builds an event, so an event nobody listens to costs a lookup and
 * a `hasSubscribers`. A listener runs synchronously, inside the request; one that throws is
 * caught, and reported once through the logger (the request goes on).
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

  listening(): boolean {
    // The map holds only names with listeners (an unsubscribe deletes an emptied name).
    return this.#listeners.size > 0 || anyChannelSubscribed();
  }

  wants(name: SessionEventName): boolean {
    return this.#listeners.has(name) || CHANNELS.get(name)?.hasSubscribers === true;
  }

  emit<K extends SessionEventName>(name: K, event: SessionEventMap[K]): void {
    const channel = CHANNELS.get(name);
    // A subscriber that throws is Node's to report (diagnostics_channel raises it as an uncaught exception on the next tick).
    if (channel?.hasSubscribers) channel.publish(event);
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
