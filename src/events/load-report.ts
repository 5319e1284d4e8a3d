import type { CarriedRecord, Carrier } from '../core/carrier.js';
import type { EventSink, MissReason } from '../core/events.js';
import { handleOf } from '../core/handle.js';

/**
 * One load's `loaded` or `missed` event, made only when someone listens for either
 * (`loadReport`): the reasons a record gave no session come in while the session is made
 * (`miss`), the carrier is asked why a cookie opened to nothing only then.
 */
export class LoadReport {
  readonly #events: EventSink;
  #reason: MissReason | undefined;

  constructor(events: EventSink) {
    this.#events = events;
  }

  /** Why the record the cookie opened to gave no session (the last reason heard wins: a revocation comes after the read). */
  readonly miss = (reason: MissReason): void => {
    this.#reason = reason;
  };

  /** Emits the load's event for the session it gave (`id`, `isNew`) from what the cookie value opened to. */
  done(carrier: Carrier, session: { readonly id: string; readonly isNew: boolean }, cookieValue: string | undefined, carried: CarriedRecord | undefined): void {
    const events = this.#events;
    const store = carrier.name;
    if (!session.isNew) {
      if (events.wants('loaded')) events.emit('loaded', { handle: handleOf(session.id), store });
      return;
    }
    if (!events.wants('missed')) return;
    const handle = handleOf(session.id);
    const known = this.#reason ?? (cookieValue === undefined ? 'no-cookie' : carried ? 'unreadable' : undefined);
    if (known !== undefined || cookieValue === undefined) {
      events.emit('missed', { handle, store, reason: known ?? 'no-cookie' });
      return;
    }
    const refused = carrier.refusal(cookieValue);
    if (typeof refused === 'string') events.emit('missed', { handle, store, reason: refused });
    // With Web Crypto the signature is checked again with a promise: the event follows the request.
    else void refused.then((reason) => events.emit('missed', { handle, store, reason }), () => {});
  }
}

/** A report for one load, or undefined (nothing made) when nobody listens for `loaded` or `missed`. */
export function loadReport(events: EventSink): LoadReport | undefined {
  return events.wants('loaded') || events.wants('missed') ? new LoadReport(events) : undefined;
}
