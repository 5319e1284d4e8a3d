/**
 * Resolves on a later turn of the event loop, so that requests get in between the batches
 * of a sweep (a SQLite handle runs each batch synchronously). setImmediate where the
 * runtime has one (Node, Bun, Deno): a timer would add its 1 ms floor to every batch;
 * workerd has only timers.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}
