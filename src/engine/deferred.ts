import type { CarrierSource } from '../core/carrier.js';
import type { Store } from '../core/store.js';

/**
 * What the engine runs on, made from its store: at once, or — a store chosen by `type` (a
 * promise), or Workers' request context loading — once those have settled. The engine asks
 * `now` on every request (one property read) and waits on `whenReady()` only before the first.
 */
export class DeferredParts<R> {
  #now: R | undefined;
  readonly #ready: Promise<void>;
  /** The application asked for `ready`, and so answers for a store that could not be set up. */
  #readyAsked = false;

  constructor(store: Store | CarrierSource | Promise<Store | CarrierSource>, context: Promise<void> | undefined, make: (store: Store | CarrierSource) => R) {
    if (store instanceof Promise || context) {
      this.#ready = Promise.all([store, context]).then(([loaded]) => {
        this.#now = make(loaded);
      });
      this.#ready.catch((error: unknown) => {
        this.#setUpFailed(error);
      });
    } else {
      this.#now = make(store);
      this.#ready = Promise.resolve();
    }
  }

  /** What the engine runs on, or undefined while its store is still on its way. */
  get now(): R | undefined {
    return this.#now;
  }

  /** Settles when the store is there; the application that asks handles a store that could not be set up itself. */
  get ready(): Promise<void> {
    this.#readyAsked = true;
    return this.#ready;
  }

  /** What the engine runs on, once there; rejects with the set-up's error. */
  async whenReady(): Promise<R> {
    await this.#ready;
    return this.#now!;
  }

  /**
   * A store chosen by `type` that could not be built (an option it refuses, no SQLite
   * driver): every request would fail, forever. Unless the application awaits `ready`, the
   * error is thrown where nothing catches it, which stops a Node process at start-up, as the
   * constructor's own throw would have; every load() rejects with it too, where a runtime
   * only reports it (Workers).
   */
  #setUpFailed(error: unknown): void {
    if (!this.#readyAsked) throw error;
  }
}
