/**
 * The test Worker of the Durable Object store: the object class as an application exports
 * it, a subclass that sweeps half a second after a write, for the alarm test, and one
 * bound without SQLite storage.
 */
import { SessionDurableObject } from '../../src/stores/durable-object/index.js';

export { SessionDurableObject };

export class QuickSweepObject extends SessionDurableObject {
  override readonly sweepIntervalMs = 500;
}

export default { fetch: () => new Response('sessionkit durable-object test worker') };

/** Bound without SQLite storage (key-value storage): the store must say what to declare. */
export class KeyValueStorageObject extends SessionDurableObject {}
