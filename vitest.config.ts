import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The store registry loads stores through the package's own subpath exports
// (sessionkit/stores/<name>); tests run the sources, so those resolve into src/ here.
const storeSources = fileURLToPath(new URL('./src/stores/', import.meta.url));
// The core's crypto (package.json "imports": node:crypto on Node): SESSIONKIT_CRYPTO=web
// runs the tests on the Web Crypto implementation that Cloudflare Workers get.
const crypto = process.env.SESSIONKIT_CRYPTO === 'web' ? 'web' : 'node';
const cryptoSource = fileURLToPath(new URL(`./src/crypto/${crypto}.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^sessionkit\/stores\/(.+)$/, replacement: `${storeSources}$1` },
      { find: /^#crypto$/, replacement: cryptoSource },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Run by its own script (npm run test:workerd, in npm test), not again in every Node run.
    exclude: ['**/node_modules/**', 'test/runtimes/workerd/**'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores: more workers only make the server-backed suites fight for CPU.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    pool: 'forks',
  },
});
