import type { Carrier, CarrierRefusal } from '../core/carrier.js';
import { endedMarkerName, isRevokedMarker } from '../core/ended-marker.js';
import { foreignValue, SHARED_KEYSPACE_REMEDY } from '../core/foreign.js';
import type { Store, StoreRecord } from '../core/store.js';
import type { ResolvedOptions } from './options.js';
import { isPayload } from './payload.js';

type EndedOptions = Pick<ResolvedOptions, 'codec' | 'maxSessionBytes' | 'absoluteLifetimeMs' | 'logger'>;

/**
 * Why a verified session id names no record in its store, for the `missed` event alone:
 * `StoreCarrier.refusal` asks only when someone listens for it, and only for a cookie that
 * opened to nothing, so an application without listeners never pays these reads. Two reads
 * at once: the marker a revocation left (core/ended-marker.ts), and the expired record where
 * the store still holds one (`Store.getExpired`: not Redis or memcached, whose records
 * expire by themselves). Neither changes what the store holds or what `get` answers.
 */
export class EndedSessions {
  readonly #options: EndedOptions;

  constructor(options: EndedOptions) {
    this.#options = options;
  }

  /** `revoked`, `expired`, `absolute-end`, or `unknown` (never existed, destroyed, or a store that cannot tell; a failed read too). */
  async reason(carrier: Carrier, store: Store, id: string): Promise<CarrierRefusal> {
    const markerKey = carrier.key(endedMarkerName(carrier.storedName(id)));
    try {
      const [marker, expired] = await Promise.all([store.get(markerKey), store.getExpired?.(carrier.sessionKey(id))]);
      if (marker && this.#isMarker(store, markerKey, marker)) return 'revoked';
      return expired ? this.#expiredReason(expired) : 'unknown';
    } catch {
      // The request has its fresh session already; a store failing now only leaves the reason untold.
      return 'unknown';
    }
  }

  #isMarker(store: Store, key: string, record: StoreRecord): boolean {
    if (isRevokedMarker(record)) return true;
    foreignValue({ logger: this.#options.logger, storeName: store.name }, key, `${record.data.length} bytes that are not a revocation marker`, SHARED_KEYSPACE_REMEDY);
    return false;
  }

  /**
   * An expired record: `absolute-end` when its absolute end came no later than its expiry
   * (the expiry was capped there), else `expired`. Decoded as every record is, bounded by
   * `maxSessionBytes` and the codec's own limits; one that cannot be read is just `expired`.
   */
  #expiredReason(record: StoreRecord): 'expired' | 'absolute-end' {
    const { codec, maxSessionBytes, absoluteLifetimeMs } = this.#options;
    if (absoluteLifetimeMs === undefined || record.data.length > maxSessionBytes) return 'expired';
    let createdAt: unknown;
    try {
      const payload: unknown = codec.decode(record.data);
      createdAt = isPayload(payload) ? payload.t : undefined;
    } catch {
      return 'expired';
    }
    return typeof createdAt === 'number' && createdAt + absoluteLifetimeMs <= record.expiresAt ? 'absolute-end' : 'expired';
  }
}
