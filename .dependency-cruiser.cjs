/**
 * The layers of src/ (see ARCHITECTURE.md), checked by `npm run lint`: no import cycle,
 * type-only imports included, and each layer imports only the layers below it.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'An import cycle, type-only imports included.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'crypto-is-the-floor',
      severity: 'error',
      comment: 'The crypto primitives (node:crypto or Web Crypto behind #crypto) import nothing else of sessionkit.',
      from: { path: '^src/crypto/' },
      to: { path: '^src/', pathNot: '^src/crypto/' },
    },
    {
      name: 'codec-knows-only-crypto',
      severity: 'error',
      comment: 'The serializers turn values into bytes and back; they know nothing of sessions or stores.',
      from: { path: '^src/codec/' },
      to: { path: '^src/', pathNot: ['^src/codec/', '^src/crypto/'] },
    },
    {
      name: 'core-is-the-contract',
      severity: 'error',
      comment:
        'src/core is what every layer imports: the store contract, the manager and session types, errors, durations. It imports only the layers below it.',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: ['^src/core/', '^src/crypto/', '^src/codec/'] },
    },
    {
      name: 'features-know-only-the-contract',
      severity: 'error',
      comment:
        'The opt-in features (accounts: user index and sealed-cookie revocations; the per-session lock; step-up freshness; the schema check; forms: flash messages and CSRF tokens) see a session through their own narrow views: they never import the engine that wires them, nor each other.',
      from: { path: '^src/(accounts|lock|freshness|schema|forms)/' },
      to: { path: '^src/', pathNot: ['^src/$1/', '^src/core/', '^src/crypto/', '^src/codec/'] },
    },
    {
      name: 'events-know-only-the-contract',
      severity: 'error',
      comment:
        'The lifecycle events (the emitter, what a load and a commit report, bind) are a feature: they see sessions through the contract only, never the engine that calls them.',
      from: { path: '^src/events/' },
      to: { path: '^src/', pathNot: ['^src/events/', '^src/core/', '^src/crypto/', '^src/codec/'] },
    },
    {
      name: 'encryption-wraps-the-contract',
      severity: 'error',
      comment:
        'Encryption at rest (`encrypt`) is a store around a store: it knows the contract and the crypto, and words its one warning as every store does (stores/shared/foreign.ts, key-name.ts: the key by prefix and handle). Nothing of the engine, the features or any store.',
      from: { path: '^src/encryption/' },
      to: { path: '^src/', pathNot: ['^src/(encryption|core|crypto|codec)/', '^src/stores/shared/(foreign|key-name)\\.ts$'] },
    },
    {
      name: 'otel-reads-the-contract',
      severity: 'error',
      comment: 'sessionkit/otel listens through the contract (events, the store call channels, the manager): nothing of the engine, a store or an adapter.',
      from: { path: '^src/otel/' },
      to: { path: '^src/', pathNot: ['^src/(otel|core)/'] },
    },
    {
      name: 'engine-knows-no-adapter-or-store',
      severity: 'error',
      comment:
        'The engine works on the contract and wires the features; it knows no framework and no store. Its one way out is the store registry, which names stores but loads none (a store chosen by `type`).',
      from: { path: '^src/engine/' },
      to: { path: '^src/', pathNot: ['^src/(engine|core|crypto|codec|accounts|lock|encryption|freshness|schema|events|forms)/', '^src/config/store-registry\\.ts$'] },
    },
    {
      name: 'compose-builds-on-the-engine',
      severity: 'error',
      comment: 'multiSession composes engines: it knows no adapter, store or configuration.',
      from: { path: '^src/compose/' },
      to: { path: '^src/(adapters|stores|config|connect|maintenance|cli)/' },
    },
    {
      name: 'adapters-know-no-store',
      severity: 'error',
      comment: 'An adapter knows nothing of stores or configuration: importing one loads no store.',
      from: { path: '^src/adapters/' },
      to: { path: '^src/(stores|config)/' },
    },
    {
      name: 'stores-know-only-the-contract',
      severity: 'error',
      comment: 'A store implements the contract in src/core and knows nothing of adapters, configuration or other stores.',
      from: { path: '^src/stores/([^/.]+)' },
      to: { path: '^src/(adapters|config|engine|accounts|lock|compose)/' },
    },
    {
      name: 'stores-stay-apart',
      severity: 'error',
      comment:
        'Stores share code through src/stores/shared/, never by importing each other. The exceptions: sqlite/index.ts is the sql store on its SQLite drivers; d1/ and durable-object/ (the rule below).',
      from: { path: '^src/stores/([^/.]+)', pathNot: ['^src/stores/sqlite/index\\.ts$', '^src/stores/(d1|durable-object)/'] },
      to: { path: '^src/stores/', pathNot: ['^src/stores/$1', '^src/stores/shared/'] },
    },
    {
      name: 'workers-sql-stores-reuse-only-the-driver-free-sql',
      severity: 'error',
      comment:
        "D1 and the Durable Object are the sql store's SQLite dialect over a binding: they reuse its session logic (table-store.ts, settings.ts, the connection contract, the SQLite dialect), never its Node drivers (index.ts, options.ts, kysely.ts, the other dialects), whose node: imports a Worker cannot load.",
      from: { path: '^src/stores/(d1|durable-object)/' },
      to: {
        path: '^src/stores/',
        pathNot: ['^src/stores/$1/', '^src/stores/shared/', '^src/stores/sql/(table-store|settings|connection)\\.ts$', '^src/stores/sql/dialects/sqlite\\.ts$'],
      },
    },
    {
      name: 'connect-knows-only-core-and-store-plumbing',
      severity: 'error',
      comment:
        'sessionkit/connect bridges express-session stores: it implements the store contract with the shared store plumbing and knows nothing of adapters, configuration or any store.',
      from: { path: '^src/connect/' },
      to: { path: '^src/', pathNot: ['^src/connect/', '^src/core/', '^src/crypto/', '^src/codec/', '^src/stores/shared/'] },
    },
    {
      name: 'maintenance-knows-only-the-core',
      severity: 'error',
      comment: 'src/maintenance/ (cleanupSessions) works on any Store through the contract: it knows no store, adapter or configuration.',
      from: { path: '^src/maintenance/' },
      to: { path: '^src/', pathNot: ['^src/maintenance/', '^src/core/', '^src/crypto/', '^src/codec/'] },
    },
    {
      name: 'cli-loads-stores-through-the-registry',
      severity: 'error',
      comment:
        'The sessionkit bin builds its store by name through config/store-registry.ts, as an application does: it imports no store (only the shared plumbing, for client libraries) and no adapter.',
      from: { path: '^src/cli/' },
      to: { path: '^src/(adapters|connect|stores)/', pathNot: '^src/stores/shared/' },
    },
    {
      name: 'nothing-imports-the-cli',
      severity: 'error',
      comment: 'src/cli/ is a program (the bin), never a library module.',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
