import type { PendingCommit } from '../core/commit.js';
import type { EventSink, SessionEventName } from '../core/events.js';
import { handleOf } from '../core/handle.js';
import { StoreError } from '../core/store.js';

/** What a commit's plan does to its session (create, update, touch, delete, none). */
export type CommitAction = 'create' | 'update' | 'touch' | 'delete' | 'none';

const EVENT_OF: Readonly<Record<CommitAction, SessionEventName | undefined>> = {
  create: 'created',
  update: 'saved',
  touch: 'touched',
  delete: 'destroyed',
  none: undefined,
};

/** Whether a commit of `action` has anybody to tell: its event's listeners, or the store errors'. */
export function watchesCommit(events: EventSink, action: CommitAction): boolean {
  const name = EVENT_OF[action];
  return (name !== undefined && events.wants(name)) || events.wants('storeError');
}

/** The session a commit wrote, named for its event. */
export interface CommittedSession {
  readonly store: string;
  readonly action: CommitAction;
  readonly id: string;
}

/**
 * `pending`, reporting its event once its store work is done (at once where there is none:
 * a sealed cookie, or nothing to write), and its store error if it fails. Made only when
 * `watchesCommit`.
 */
export function reportedCommit(events: EventSink, session: CommittedSession, pending: PendingCommit): PendingCommit {
  const name = EVENT_OF[session.action];
  const done = () => {
    if (name !== undefined && events.wants(name)) events.emit(name, { handle: handleOf(session.id), store: session.store });
  };
  const failed = (error: unknown): never => {
    reportStoreError(events, error, session.action);
    throw error;
  };
  if (!pending.needsPersist) {
    done();
    return pending;
  }
  const atOnce = pending.persistAtOnce && (() => pending.persistAtOnce!());
  return {
    setCookies: pending.setCookies,
    needsPersist: true,
    persist: () => pending.persist().then(done, failed),
    persistAtOnce: atOnce && (() => {
      const running = atOnce();
      if (running) return running.then(done, failed);
      done();
      return undefined;
    }),
  };
}

/**
 * The `storeError` event of a failed store step (`step`: what the engine was doing), when
 * someone listens: the store's own action and its duration where the store call said
 * (stores/shared/call.ts), else the engine's step.
 */
export function reportStoreError(events: EventSink, error: unknown, step: string): void {
  if (!(error instanceof StoreError) || !events.wants('storeError')) return;
  events.emit('storeError', { store: error.storeName, action: error.action ?? step, durationMs: error.durationMs, error });
}
