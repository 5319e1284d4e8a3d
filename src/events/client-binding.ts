import { primitives } from '#crypto';
import type { RequestContext } from '../core/commit.js';
import { describeValue, SessionConfigError } from '../core/errors.js';
import type { BoundPart, EventSink, EventState } from '../core/events.js';
import { handleOf } from '../core/handle.js';

/** The `bind` option: which parts of the request a signed-in session is compared on. */
export interface BindOption {
  ip?: boolean;
  userAgent?: boolean;
}

export type ResolvedBind = Readonly<Record<BoundPart, boolean>>;

/** The `bind` option checked at start-up: needs `userField` (a session is bound when its user signs in), and one part at least. */
export function resolveBind(value: unknown, userField: unknown): ResolvedBind | undefined {
  if (value === undefined) return undefined;
  const { ip, userAgent } = (typeof value === 'object' && value !== null ? value : {}) as BindOption;
  const valid = typeof value === 'object' && value !== null && Object.keys(value).every((key) => key === 'ip' || key === 'userAgent');
  if (!valid || (ip !== undefined && typeof ip !== 'boolean') || (userAgent !== undefined && typeof userAgent !== 'boolean') || !(ip || userAgent)) {
    throw new SessionConfigError(`bind must be { ip?: boolean, userAgent?: boolean } with at least one true, got ${describeValue(value)}.`);
  }
  if (userField === undefined) {
    throw new SessionConfigError('bind needs userField: a session is bound to the address and user agent its user signed in from. Set userField too.');
  }
  return { ip: ip === true, userAgent: userAgent === true };
}

/** What a bound session keeps: its id, and the fingerprint of the request its user signed in from (payload key `b`). */
export interface BindingState extends Readonly<EventState> {
  readonly id: string;
  bound: string | undefined;
}

/** A part of the fingerprint: a short one-way hash (the store never holds an address or a user agent), empty when unknown or not bound. */
function fingerprintOf(value: string | undefined): string {
  return value === undefined || value === '' ? '' : primitives.toBase64url(primitives.sha256(`sessionkit bind\0${value}`)).slice(0, 16);
}

/**
 * The `bind` option: a session remembers where its user signed in (a hash of the address
 * and of the user agent, each when bound), and a later request from elsewhere is a
 * `suspicious` event. Never a logout: addresses change with mobile networks and proxies,
 * user agents with browser updates, and logging such users out is worse than the risk.
 */
export class ClientBinding {
  readonly #parts: ResolvedBind;
  readonly #events: EventSink;
  readonly #store: string;
  readonly #signedIn: (data: Readonly<Record<string, unknown>>) => boolean;

  /** `signedIn`: whether a session's data names its user (`userField`). */
  constructor(parts: ResolvedBind, events: EventSink, store: string, signedIn: (data: Readonly<Record<string, unknown>>) => boolean) {
    this.#parts = parts;
    this.#events = events;
    this.#store = store;
    this.#signedIn = signedIn;
  }

  /** At commit: binds a session whose user just signed in, unbinds one signed out, compares a bound one with this request. */
  check(state: BindingState, data: Readonly<Record<string, unknown>>, context: RequestContext): void {
    if (!this.#signedIn(data)) {
      state.bound = undefined;
      return;
    }
    const current = `${this.#parts.ip ? fingerprintOf(context.clientAddress) : ''}.${this.#parts.userAgent ? fingerprintOf(context.userAgent) : ''}`;
    const bound = state.bound;
    if (bound === undefined) {
      state.bound = current;
      return;
    }
    if (bound === current || state.unheard || !this.#events.wants('suspicious')) return;
    const changed = changedParts(bound, current);
    if (changed.length > 0) this.#events.emit('suspicious', { handle: handleOf(state.id), store: this.#store, changed });
  }
}

/** The parts known on both sides that differ: an address or user agent unknown at either end is no evidence. */
function changedParts(bound: string, current: string): BoundPart[] {
  const [boundIp = '', boundAgent = ''] = bound.split('.');
  const [ip = '', agent = ''] = current.split('.');
  const changed: BoundPart[] = [];
  if (boundIp !== '' && ip !== '' && boundIp !== ip) changed.push('ip');
  if (boundAgent !== '' && agent !== '' && boundAgent !== agent) changed.push('userAgent');
  return changed;
}
