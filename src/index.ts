export { SessionEngine, type PendingCommit, type RequestContext } from './engine.js';
export type { SessionOptions, CookieOptions, Logger, SameSite } from './options.js';
export type { Session, SessionData, SessionControls } from './session.js';
export { StoreError, wrapStoreError, isExpired, type Store, type StoreRecord, type StoreCapability } from './store.js';
export { SessionConfigError } from './errors.js';
export type { Codec } from './codec/codec.js';
export { STORE_TYPES, type StoreType, type StoreTypeOptions } from './store-types.js';
export { fromFlaskConfig, fromEnv } from './config.js';
export { parseDuration } from './duration.js';
