/**
 * Meta-tests on the published shape: the exports map points at files the build made,
 * and importing the core or a store module loads no optional peer library.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { entries } from '../../tsup.config.js';

const root = new URL('../..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  exports: Record<string, string | { import: { types: string; default: string }; require: { types: string; default: string } }>;
  peerDependencies: Record<string, string>;
};
const OPTIONAL_LIBRARIES = Object.keys(pkg.peerDependencies);

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
}

/**
 * Every import an ESM script makes, as [specifier, resolved URL]. A resolve hook records
 * them; it appends to a file, synchronously: hooks run on their own thread, and on Node 24
 * what that thread writes to stdout can be lost when the process exits.
 */
function esmImports(script: string): [string, string][] {
  const log = join(mkdtempSync(join(tmpdir(), 'sessionkit-resolve-')), 'imports.txt');
  const hook = `data:text/javascript,${encodeURIComponent(
    `import { appendFileSync } from 'node:fs'; export async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, s + '\\t' + r.url + '\\n'); return r; }`,
  )}`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(hook)});`;
  try {
    node(['--import', `data:text/javascript,${encodeURIComponent(register)}`, '--input-type=module', '-e', script]);
    return readFileSync(log, 'utf8').split('\n').filter(Boolean).map((line) => line.split('\t') as [string, string]);
  } finally {
    rmSync(dirname(log), { recursive: true, force: true });
  }
}

beforeAll(() => {
  if (!existsSync(`${root}dist/index.js`) || !existsSync(`${root}dist/cli.js`)) execFileSync('npx', ['tsup', '--silent'], { cwd: root, stdio: 'inherit' });
}, 120_000);

describe('package shape', () => {
  it('every build entry has a subpath export and every export file exists', () => {
    const subpaths = Object.keys(pkg.exports).filter((key) => key !== './package.json');
    expect(subpaths.sort()).toEqual(Object.keys(entries).map((name) => (name === 'index' ? '.' : `./${name}`)).sort());
    for (const target of Object.values(pkg.exports)) {
      if (typeof target === 'string') continue;
      for (const file of [target.import.types, target.import.default, target.require.types, target.require.default]) {
        expect(existsSync(`${root}${file}`), file).toBe(true);
      }
    }
  });

  it.each(Object.keys(entries).filter((name) => name !== 'express'))(
    'importing %s (CommonJS) loads no optional library',
    (name) => {
      const loaded = node([
        '-e',
        `require('./dist/${name}.cjs'); console.log(JSON.stringify(Object.keys(require.cache)))`,
      ]);
      const modules = JSON.parse(loaded) as string[];
      // sessionkit/otel is the OpenTelemetry instrumentation: its one peer, the API, is what it is imported for.
      const ownPeer = name === 'otel' ? '@opentelemetry/api' : undefined;
      for (const library of OPTIONAL_LIBRARIES.filter((optional) => optional !== ownPeer)) {
        expect(modules.filter((file) => file.includes(`/node_modules/${library}/`))).toEqual([]);
      }
    },
  );

  it.each(Object.entries(entries).filter(([name]) => name.startsWith('stores/')))(
    '%s exports at run time its store class and factory, nothing that only the tests use',
    async (_name, source) => {
      const exported = Object.keys((await import(/* @vite-ignore */ `${root}${source}`)) as object);
      // The Durable Object store also exports the object class the Worker must export.
      expect(exported.filter((name) => !/Store$/i.test(name) && name !== 'SessionDurableObject')).toEqual([]);
    },
  );

  it('every exported error class keeps its name in both builds (a crash log names the class, not "_class")', () => {
    // Lists [entry, export, class name, instance name] for every export that is an Error subclass.
    const lister = (load: string) =>
      `const found = []; for (const entry of ${JSON.stringify(Object.keys(entries))}) { const m = ${load}; ` +
      'for (const [key, value] of Object.entries(m)) if (typeof value === "function" && value.prototype instanceof Error) ' +
      'found.push([entry, key, value.name, Object.create(value.prototype).constructor.name]); } console.log(JSON.stringify(found));';
    const esm = JSON.parse(node(['--input-type=module', '-e', `(async () => { ${lister('await import(`./dist/${entry}.js`)')} })()`])) as string[][];
    const cjs = JSON.parse(node(['-e', lister('require(`./dist/${entry}.cjs`)')])) as string[][];
    expect(esm.map(([, key]) => key)).toContain('SessionConfigError');
    expect(cjs.map(([entry, key]) => `${entry}:${key}`).sort()).toEqual(esm.map(([entry, key]) => `${entry}:${key}`).sort());
    for (const [entry, key, className, constructorName] of [...esm, ...cjs]) {
      expect([className, constructorName], `${entry}: ${key}`).toEqual([key, key]);
    }
  });

  it('importing the core (ESM) resolves no optional library', () => {
    const imports = esmImports("await import('./dist/index.js'); await import('./dist/stores/sqlite.js');");
    const specifiers = imports.map(([specifier]) => specifier);
    for (const library of OPTIONAL_LIBRARIES) expect(specifiers).not.toContain(library);
    expect(specifiers).toContain('cookie'); // the hook works: it sees the core's own dependency
  });

  it.each(['express', 'fastify', 'koa', 'hono', 'web', 'node'])('importing the %s adapter loads no store, in either module format', (name) => {
    // Store code may sit in a shared chunk, not only in dist/stores/: look inside every
    // file the import loaded for the source markers the build leaves ("// src/stores/…").
    const storeCode = (files: string[]) => files.filter((file) => file.includes('/dist/') && /^\/\/ src\/stores\//m.test(readFileSync(file, 'utf8')));
    const cjs = JSON.parse(node(['-e', `require('./dist/${name}.cjs'); console.log(JSON.stringify(Object.keys(require.cache)))`])) as string[];
    expect(cjs.some((file) => file.includes('/dist/'))).toBe(true); // the listing works: it sees the adapter itself
    expect(storeCode(cjs)).toEqual([]);
    const esm = esmImports(`await import('./dist/${name}.js')`).map(([, url]) => url);
    expect(esm.some((url) => url.endsWith(`/dist/${name}.js`))).toBe(true); // the hook works: it sees the adapter
    expect(storeCode(esm.filter((url) => url.startsWith('file:')).map((url) => new URL(url).pathname))).toEqual([]);
  });

  it.each([
    ['ESM', "const { SessionEngine } = await import('./dist/index.js');"],
    ['CommonJS', "const { SessionEngine } = require('./dist/index.cjs');"],
  ])('a store chosen by name (%s) is loaded then, through the package\'s own subpath export, and works', (_format, load) => {
    const script =
      `${load} const engine = new SessionEngine({ type: 'memory', logger: { warn() {}, info() {} } }); ` +
      'const before = engine.store; await engine.ready; const session = await engine.load(undefined); session.n = 1; ' +
      'const pending = engine.commit(session); await pending.persist(); ' +
      "const again = await engine.load(pending.setCookies[0].split(';')[0]); " +
      'console.log(JSON.stringify([before === undefined, engine.store.name, again.n]));';
    const output = _format === 'ESM'
      ? node(['--input-type=module', '-e', script])
      : node(['-e', `(async () => { ${script} })().catch((e) => { console.error(e); process.exit(1); })`]);
    expect(JSON.parse(output)).toEqual([true, 'memory', 1]);
  });

  // Node 22.16+ has a SQLite of its own (node:sqlite): there the store needs no library at all.
  const [nodeMajor = 0, nodeMinor = 0] = process.versions.node.split('.').map(Number);
  const builtinSqlite = nodeMajor > 22 || (nodeMajor === 22 && nodeMinor >= 16);
  const quiet = 'logger: { warn() {}, info() {} }';
  it.each([
    ['better-sqlite3', 'sqlite store chosen by name', `const { SessionEngine } = await import('./dist/index.js'); try { const engine = new SessionEngine({ type: 'sqlite', storeOptions: { path: 'x.db' }, ${quiet} }); await engine.ready; console.log('driver ' + engine.store.driver) } catch (e) { console.log(e.message) }`],
    ['better-sqlite3', 'sqlite', "const { sqliteStore } = await import('./dist/stores/sqlite.js'); try { console.log('driver ' + sqliteStore({ path: 'x.db' }).driver) } catch (e) { console.log(e.message) }"],
    ['memcache-client', 'memcached', "const { memcachedStore } = await import('./dist/stores/memcached.js'); try { memcachedStore({ servers: '127.0.0.1:11211' }) } catch (e) { console.log(e.message) }"],
  ])('without %s installed, the %s store fails with the npm install line (or, for SQLite on Node 22.16+, opens on node:sqlite)', (library, _store, script) => {
    // A consumer project that has sessionkit's own dependencies but not the optional one:
    // the package under its own name, exports and imports, so that it reaches itself
    // (a store chosen by name) and its #crypto.
    const consumer = mkdtempSync(join(tmpdir(), 'sessionkit-consumer-'));
    try {
      cpSync(`${root}dist`, join(consumer, 'dist'), { recursive: true });
      const { name, type, exports, imports } = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as Record<string, unknown>;
      writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name, type, exports, imports }));
      for (const dependency of ['cookie']) {
        mkdirSync(dirname(join(consumer, 'node_modules', dependency)), { recursive: true });
        symlinkSync(`${root}node_modules/${dependency}`, join(consumer, 'node_modules', dependency));
      }
      const output = execFileSync(
        process.execPath,
        ['--input-type=module', '-e', script],
        { cwd: consumer, encoding: 'utf8' },
      );
      expect(output).toMatch(library === 'better-sqlite3' && builtinSqlite ? /^driver node:sqlite$/m : new RegExp(`npm install ${library}`));
    } finally {
      rmSync(consumer, { recursive: true, force: true });
    }
  });

  it('the packed package has the sessionkit bin: npx sessionkit cleanup --help, and a cleanup through it', () => {
    // The tarball npm would publish, unpacked where npm installs it, with the link npm makes in node_modules/.bin.
    const consumer = mkdtempSync(join(tmpdir(), 'sessionkit-bin-'));
    try {
      const [{ filename }] = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', consumer], { cwd: root, encoding: 'utf8' })) as [{ filename: string }];
      const installed = join(consumer, 'node_modules', 'sessionkit');
      mkdirSync(installed, { recursive: true });
      execFileSync('tar', ['-xzf', join(consumer, filename), '-C', installed, '--strip-components', '1']);
      for (const dependency of ['cookie']) {
        mkdirSync(dirname(join(consumer, 'node_modules', dependency)), { recursive: true });
        symlinkSync(`${root}node_modules/${dependency}`, join(consumer, 'node_modules', dependency));
      }
      const packed = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
      expect(packed.bin).toEqual({ sessionkit: './dist/cli.js' });
      mkdirSync(join(consumer, 'node_modules', '.bin'));
      symlinkSync('../sessionkit/dist/cli.js', join(consumer, 'node_modules', '.bin', 'sessionkit'));
      writeFileSync(join(consumer, 'package.json'), '{"name":"consumer","private":true}');
      const npx = (args: string[]) => execFileSync('npx', ['--no-install', 'sessionkit', ...args], { cwd: consumer, encoding: 'utf8', env: { PATH: process.env.PATH } });

      expect(npx(['cleanup', '--help'])).toMatch(/^Usage: sessionkit cleanup \[options\]/);
      // The filesystem store needs no optional library: the bin loads it through the package's own export.
      mkdirSync(join(consumer, 'sessionkit_sessions'));
      expect(npx(['cleanup', '--type', 'filesystem'])).toMatch(/^sessionkit cleanup: removed 0 expired sessions from filesystem in 1 batch/);
      // A client library that is not installed is a settings error (exit 2) with the npm install line.
      const missing = spawnSync('npx', ['--no-install', 'sessionkit', 'cleanup', '--type', 'dynamodb', '--region', 'eu-west-1'], { cwd: consumer, encoding: 'utf8', env: { PATH: process.env.PATH } });
      expect(missing.status, missing.stderr).toBe(2);
      expect(missing.stderr).toContain('npm install @aws-sdk/client-dynamodb');
    } finally {
      rmSync(consumer, { recursive: true, force: true });
    }
  }, 60_000);

  it('the packed package ships the license, the README and the build, and no sources or docs', () => {
    const [{ files }] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' })) as [{ files: { path: string }[] }];
    const paths = files.map((file) => file.path);
    expect(paths).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/cli.js']));
    expect(readFileSync(`${root}LICENSE`, 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) 2026 sessionkit contributors\n/);
    expect(paths.filter((path) => !/^(dist\/|LICENSE$|README\.md$|package\.json$)/.test(path))).toEqual([]);
  });

  it('package.json points to the repository, its home page and its issues', () => {
    const { repository, homepage, bugs } = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as Record<string, unknown>;
    expect(repository).toEqual({ type: 'git', url: 'git+https://github.com/sessionkit/sessionkit.git' });
    expect(homepage).toBe('https://github.com/sessionkit/sessionkit#readme');
    expect(bugs).toEqual({ url: 'https://github.com/sessionkit/sessionkit/issues' });
  });
});
