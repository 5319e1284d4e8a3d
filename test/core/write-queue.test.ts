import { describe, expect, it } from 'vitest';
import { WriteQueue, writeQueueOf } from '../../src/engine/write-queue.js';

/** A write the test finishes by hand: `finish()` resolves it, `fail()` rejects it. */
function gate() {
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return { done, finish, fail };
}

/** Lets every queued promise callback run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('WriteQueue', () => {
  it('runs the writes of one key one at a time, in arrival order, and tells the later ones they waited', async () => {
    const queue = new WriteQueue();
    const started: string[] = [];
    const gates = [gate(), gate(), gate()] as const;
    const runs = gates.map((g, index) =>
      queue.run('k', async (queued) => {
        started.push(`${index}:${queued}`);
        await g.done;
        return index;
      }),
    );
    await settle();
    expect(started).toEqual(['0:false']);
    gates[0].finish();
    await settle();
    expect(started).toEqual(['0:false', '1:true']);
    gates[2].finish(); // the third is done early, but still waits for its turn
    await settle();
    expect(started).toEqual(['0:false', '1:true']);
    gates[1].finish();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    expect(started).toEqual(['0:false', '1:true', '2:true']);
  });

  it('runs writes of different keys at the same time', async () => {
    const queue = new WriteQueue();
    const a = gate();
    const started: string[] = [];
    const first = queue.run('a', async (queued) => {
      started.push(`a:${queued}`);
      await a.done;
    });
    const second = queue.run('b', async (queued) => {
      started.push(`b:${queued}`);
    });
    await second;
    expect(started).toEqual(['a:false', 'b:false']);
    a.finish();
    await first;
  });

  it('holds a key only while a write of it runs', async () => {
    const queue = new WriteQueue();
    const g = gate();
    const runs = [queue.run('k', () => g.done), queue.run('k', async () => {})];
    expect(queue.activeKeys).toBe(1);
    g.finish();
    await Promise.all(runs);
    expect(queue.activeKeys).toBe(0);
    await queue.run('k', async (queued) => expect(queued).toBe(false));
    expect(queue.activeKeys).toBe(0);
  });

  it('a failed write rejects its own caller only, and lets every waiter go at once (a store that is down fails each once, not one after another)', async () => {
    const queue = new WriteQueue();
    const head = gate();
    const waiting = [gate(), gate()] as const;
    const started: number[] = [];
    const failed = queue.run('k', () => head.done);
    const runs = waiting.map((g, index) =>
      queue.run('k', async () => {
        started.push(index);
        await g.done;
        return index;
      }),
    );
    head.fail(new Error('store timed out'));
    await expect(failed).rejects.toThrow('store timed out');
    await settle();
    // Both run now, neither waiting for the other.
    expect(started).toEqual([0, 1]);
    // A write arriving now starts a new line of its own, not behind them.
    let late: boolean | undefined;
    await queue.run('k', async (queued) => {
      late = queued;
    });
    expect(late).toBe(false);
    waiting[1].finish();
    waiting[0].finish();
    expect(await Promise.all(runs)).toEqual([0, 1]);
    expect(queue.activeKeys).toBe(0);
  });

  it('a write that throws instead of rejecting rejects, and does not hold its key', async () => {
    const queue = new WriteQueue();
    await expect(
      queue.run('k', () => {
        throw new Error('thrown at once');
      }),
    ).rejects.toThrow('thrown at once');
    expect(queue.activeKeys).toBe(0);
  });

  it('one queue per store object, shared by all who write to it', () => {
    const store = {};
    expect(writeQueueOf(store)).toBe(writeQueueOf(store));
    expect(writeQueueOf(store)).not.toBe(writeQueueOf({}));
  });
});
