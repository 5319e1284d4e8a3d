/**
 * sessionkit/connect: the express-session ecosystem both ways, and the way out of it.
 *
 * - `fromConnectStore(store)`: any express-session store as a sessionkit store.
 * - `toConnectStore(store)`: any sessionkit store as an express-session store.
 * - `expressSessionMigration({ secret, store })`: the `migrate` option that moves live
 *   express-session sessions into sessionkit without logging anyone out.
 */
export type { ConnectCallback, ConnectCookieFields, ConnectSession, ConnectStore } from './connect-store.js';
export { ConnectStoreAdapter, fromConnectStore, type FromConnectStoreOptions } from './from-connect-store.js';
export { toConnectStore, type ExpressSessionModule, type SessionkitConnectStore, type ToConnectStoreOptions } from './to-connect-store.js';
export { expressSessionMigration, type ExpressSessionMigrationOptions } from './migration.js';
export { connectStoreId } from './record.js';
