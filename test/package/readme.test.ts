/**
 * The TypeScript of the README and of the docs, as an application sees the installed
 * package, so that the documentation cannot drift from the code.
 *
 * Every ```ts block of README.md and of every Markdown page under docs/ (PAGES below) is
 * written into a consumer project: a temporary directory
 * whose node_modules/sessionkit is this package (a link to the repository, so only its
 * exports map and the built dist/ are reachable: nothing resolves into src/), and whose
 * other node_modules (express, fastify, koa, hono, redis, …) are this repository's. Each
 * block is type-checked on its own (one program per block, so each may
 * `declare module 'sessionkit'` with its own fields) under `strict`, once with
 * module/moduleResolution node16 and once with bundler. A failure names the page and line
 * (README.md:42, docs/frameworks.md:17) and the compiler's message.
 *
 * Marking blocks (the same on every page): an HTML comment on the line before the fence (GitHub does not show it),
 * `;`-separated:
 *
 *   <!-- readme: run; GET /login -> 302; GET / -> Hello, testuser -->
 *     A complete program. It is also run once, with tsx from the consumer project, in a
 *     fresh working directory, with PORT (a free port: the program must listen on it),
 *     SESSION_SECRET, and REDIS_URL (a throwaway redis-server from test/servers/redis.ts) if
 *     the block reads REDIS_URL. Once the port accepts connections the steps are requested
 *     in order, with the cookies the earlier ones set and no redirect following: `-> 302`
 *     expects that status, any other text a body that contains it (with a status below
 *     400). A step may send a form: `POST /login username=ada&password=x -> 302` posts that
 *     urlencoded body. Then the program is stopped. A run block needs at least one step.
 *   <!-- readme: context=express-app -->
 *     A fragment that continues the Express application of the quickstart. The
 *     declarations of CONTEXTS[name] (types only: such a block is never run) are put before
 *     it. Keep these few: prefer a complete block. (The directive's name stays `readme:` on
 *     docs pages too.)
 *   <!-- readme: file=examples/deno-kv/main.ts -->
 *     The whole of a program for another runtime (Deno, Bun, Workers), which its own test
 *     runs there (test/stores/*-example.test.ts, test/runtimes/). The block must be that
 *     file exactly; it is not type-checked here, against Node's types.
 *
 * The check runs against dist/: `npm test` builds it first (test:package); after changing
 * src/, run `npm run build` before running this file alone.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar } from '../helpers/http.js';
import { getFreePort, LOOPBACK } from '../servers/ports.js';
import { REDIS_REQUIRES, startRedis } from '../servers/redis.js';
import { describeWithServer } from '../servers/suite.js';

const root = new URL('../..', import.meta.url).pathname;

/** README.md and every Markdown page under docs/, as paths from the repository root. */
const PAGES = [
  'README.md',
  ...readdirSync(`${root}docs`, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.md'))
    .map((path) => `docs/${path}`)
    .sort(),
];

/** Declarations a `context=` fragment is checked after (types only, one line each). */
const CONTEXTS: Record<string, string[]> = {
  // The Express application of the quickstart, with a store and a secret.
  'express-app': [
    "declare const app: import('express').Express;",
    "declare const store: import('sessionkit/stores/memory').MemoryStore;",
    'declare const secret: string;',
  ],
};

/** The consumer project's tsconfig (also what tsx reads when it runs a block). */
const TSCONFIG = {
  compilerOptions: {
    strict: true,
    target: 'es2022',
    module: 'node16',
    moduleResolution: 'node16',
    moduleDetection: 'force',
    esModuleInterop: true,
    skipLibCheck: true,
    types: ['node'],
    noEmit: true,
  },
};

/** The module settings each block is checked under. */
const SETTINGS: { name: string; options: ts.CompilerOptions }[] = [
  { name: 'node16', options: {} },
  { name: 'bundler', options: { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler } },
];

interface Step {
  method: string;
  path: string;
  /** An urlencoded form body to send, if any. */
  form: string | undefined;
  /** A status, or a text the body contains. */
  expect: number | string;
}

interface Block {
  /** Where the code comes from, in messages: README.md, a docs/ page, or a probe of this file. */
  origin: string;
  /** Line (in origin) of the block's first line of code. */
  line: number;
  code: string;
  context: string | undefined;
  /** Defined for a run block. */
  steps: Step[] | undefined;
  /** For a block that shows an example file (`file=`): its path in the repository. */
  file?: string;
}

/** The ```ts blocks of one page, with the directives of the comment before each. */
function pageBlocks(page: string, text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
    const end = lines.findIndex((line, j) => j > i && line.startsWith('```'));
    if (end < 0) throw new Error(`${page}:${i + 1}: the code block is never closed`);
    const block: Block = { origin: page, line: i + 2, code: lines.slice(i + 1, end).join('\n') + '\n', context: undefined, steps: undefined };
    const marker = /^<!--\s*readme:(.*)-->\s*$/.exec(lines[i - 1] ?? '');
    if (marker) parseDirectives(marker[1]!, block, i);
    blocks.push(block);
    i = end;
  }
  return blocks;
}

function parseDirectives(text: string, block: Block, fenceIndex: number): void {
  const where = `${block.origin}:${fenceIndex}`;
  for (const part of text.split(';').map((p) => p.trim()).filter(Boolean)) {
    const step = /^([A-Z]+)\s+(\/\S*)(?:\s+(\S+=\S*))?\s+->\s+(.+)$/.exec(part);
    if (part === 'run') block.steps = [];
    else if (part.startsWith('file=')) block.file = part.slice('file='.length);
    else if (part.startsWith('context=')) {
      block.context = part.slice('context='.length);
      if (!(block.context in CONTEXTS)) throw new Error(`${where}: unknown context '${block.context}' (known: ${Object.keys(CONTEXTS).join(', ')})`);
    } else if (step && block.steps) {
      const expected = step[4]!.trim();
      block.steps.push({ method: step[1]!, path: step[2]!, form: step[3], expect: /^\d{3}$/.test(expected) ? Number(expected) : expected });
    } else throw new Error(`${where}: cannot read '${part}' (directives: run; METHOD /path -> status or text; context=name; file=path)`);
  }
  if (block.steps?.length === 0) throw new Error(`${where}: a run block needs at least one step (METHOD /path -> status or text)`);
  if (block.steps && block.context) throw new Error(`${where}: a block with a context is a fragment and cannot run`);
  if (block.file && (block.steps || block.context)) throw new Error(`${where}: a file= block is run by its own test, with no context`);
}

const allBlocks = PAGES.flatMap((page) => pageBlocks(page, readFileSync(`${root}${page}`, 'utf8')));
/** The blocks checked here; the example files are checked by their own runtime's tests. */
const blocks = allBlocks.filter((block) => block.file === undefined);
const fileBlocks = allBlocks.filter((block) => block.file !== undefined);

describe('README and docs: the pages read', () => {
  it('are the README and the docs/ pages, with code in both', () => {
    expect(PAGES[0]).toBe('README.md');
    expect(PAGES).toContain('docs/README.md');
    const origins = new Set(allBlocks.map((block) => block.origin));
    expect(origins.has('README.md')).toBe(true);
    expect([...origins].filter((origin) => origin.startsWith('docs/')).length).toBeGreaterThan(3);
  });
});

describe('README and docs: the programs for other runtimes are their example files, exactly', () => {
  it('shows at least the Deno, Bun and Workers examples', () => {
    expect(fileBlocks.map((block) => block.file).sort()).toEqual(expect.arrayContaining([expect.stringMatching(/^examples\//)]));
    expect(fileBlocks.length).toBeGreaterThanOrEqual(3);
  });
  it.each(fileBlocks.map((block) => [`${block.origin}:${block.line} = ${block.file!}`, block] as const))('%s', (_title, block) => {
    expect(block.code).toBe(readFileSync(`${root}${block.file!}`, 'utf8'));
  });
});

/** The consumer project: package.json, tsconfig.json and node_modules with sessionkit in it. */
let consumer = '';

beforeAll(() => {
  if (!existsSync(`${root}dist/index.d.ts`)) execBuild();
  consumer = mkdtempSync(join(tmpdir(), 'sessionkit-readme-'));
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'readme-consumer', private: true, type: 'module' }));
  writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  const modules = join(consumer, 'node_modules');
  mkdirSync(modules);
  for (const entry of readdirSync(`${root}node_modules`)) {
    if (entry !== 'sessionkit' && entry !== '.bin') symlinkSync(`${root}node_modules/${entry}`, join(modules, entry));
  }
  symlinkSync(root, join(modules, 'sessionkit'));
}, 120_000);

afterAll(() => {
  if (consumer) rmSync(consumer, { recursive: true, force: true });
});

function execBuild(): void {
  const { status } = spawnSync('npx', ['tsup', '--silent'], { cwd: root, stdio: 'inherit' });
  if (status !== 0) throw new Error('npx tsup failed');
}

// Parsed declaration files, shared by every program: only the blocks themselves differ.
const sourceFiles = new Map<string, ts.SourceFile | undefined>();

/** Type-checks one block on its own; returns the compiler's messages, page lines for the block's own. */
function typeCheck(block: Block, setting: (typeof SETTINGS)[number], extension = 'ts'): string[] {
  const context = block.context ? CONTEXTS[block.context]! : [];
  const file = join(consumer, `${block.origin.replace(/\W/g, '-')}-${block.line}.${extension}`);
  writeFileSync(file, context.join('\n') + (context.length ? '\n' : '') + block.code);
  const { options, errors } = ts.convertCompilerOptionsFromJson(TSCONFIG.compilerOptions, consumer);
  expect(errors).toEqual([]);
  Object.assign(options, setting.options);
  const host = ts.createCompilerHost(options);
  const parse = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    if (fileName === file) return parse(fileName, languageVersion, onError, shouldCreate);
    const format = typeof languageVersion === 'object' ? `${languageVersion.languageVersion}/${languageVersion.impliedNodeFormat}` : languageVersion;
    const key = `${fileName}\0${format}`;
    if (!sourceFiles.has(key)) sourceFiles.set(key, parse(fileName, languageVersion, onError, shouldCreate));
    return sourceFiles.get(key);
  };
  const program = ts.createProgram({ rootNames: [file], options, host });
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ');
    if (!diagnostic.file || diagnostic.start === undefined) return `TS${diagnostic.code}: ${message}`;
    const position = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const where = diagnostic.file.fileName === file
      ? position.line < context.length
        ? `(context ${block.context})`
        : `${block.origin}:${block.line + position.line - context.length}:${position.character + 1}`
      : `${diagnostic.file.fileName}:${position.line + 1}`;
    return `${where} TS${diagnostic.code}: ${message}`;
  });
}

const title = (block: Block) => `${block.origin}:${block.line}${block.context ? ` (context ${block.context})` : ''}${block.steps ? ' (run)' : ''}`;

describe('README and docs: every TypeScript block type-checks under --strict against the built package', () => {
  it('finds the blocks', () => {
    expect(blocks.length).toBeGreaterThan(5);
  });

  it.each(SETTINGS.map((setting) => [setting.name, setting] as const))(
    'the check fails on a field a block did not declare (%s)',
    (_name, setting) => {
      const block: Block = {
        origin: 'probe',
        line: 1,
        code: [
          "import express from 'express';",
          "import { sessionkit } from 'sessionkit/express';",
          "declare module 'sessionkit' { interface SessionData { declared: string } }",
          "express().use(sessionkit({})).get('/', (req) => { req.session.declared = 'yes'; req.session.cartTotal = 1; });",
        ].join('\n'),
        context: undefined,
        steps: undefined,
      };
      const messages = typeCheck(block, setting);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatch(/^probe:4:\d+ TS2339: Property 'cartTotal' does not exist/);
    },
  );

  it.each(SETTINGS.map((setting) => [setting.name, setting] as const))(
    "the session's type is the schema's output, with no SessionData declared: Express (SessionRequest, of), Hono, Koa (the chain, of) and Fastify (sessionPlugin's of) (%s)",
    (_name, setting) => {
      const block: Block = {
        origin: 'probe',
        line: 1,
        code: [
          "import express from 'express';",
          "import { Hono } from 'hono';",
          "import Koa from 'koa';",
          "import fastify from 'fastify';",
          "import { z } from 'zod';",
          "import { sessionkit, type SessionRequest } from 'sessionkit/express';",
          "import { sessionkit as honoSessions } from 'sessionkit/hono';",
          "import { sessionkit as koaSessions } from 'sessionkit/koa';",
          "import { sessionPlugin } from 'sessionkit/fastify';",
          "const schema = z.object({ cart: z.array(z.object({ sku: z.string(), qty: z.number() })) });",
          'const sessions = sessionkit({ schema });',
          "express().use(sessions).get('/', (req: SessionRequest<typeof sessions>, res) => { const qty: number | undefined = req.session.cart?.[0]?.qty; res.send(String(qty)); req.session.cartTotal = 1; });",
          "new Hono().use(honoSessions({ schema })).get('/', (c) => { const sku: string | undefined = c.get('session').cart?.[0]?.sku; c.get('session').cartTotal = 1; return c.text(sku ?? ''); });",
          "express().get('/', (req) => { const qty: number | undefined = sessions.of(req).cart?.[0]?.qty; sessions.of(req).cartTotal = qty; });",
          'const koa = koaSessions({ schema });',
          "new Koa().use(koa).use((ctx) => { const qty: number | undefined = ctx.session.cart?.[0]?.qty; koa.of(ctx).cartTotal = qty; ctx.session.cartTotal = qty; });",
          'const plugin = sessionPlugin({ schema });',
          "void fastify().register(plugin).get('/', async (request) => { const sku: string | undefined = plugin.of(request).get('cart')?.[0]?.sku; plugin.of(request).cartTotal = 1; return sku; });",
        ].join('\n'),
        context: undefined,
        steps: undefined,
      };
      const messages = typeCheck(block, setting);
      // The fields the schema declares are typed (a wrong type would add a message); one it does not declare is refused.
      expect(messages.map((message) => message.replace(/^probe:(\d+):\d+ (TS\d+).*$/s, '$1 $2'))).toEqual(['12 TS2339', '13 TS2339', '14 TS2339', '16 TS2339', '16 TS2339', '18 TS2339']);
      expect(messages.every((message) => message.includes("Property 'cartTotal' does not exist"))).toBe(true);
    },
  );

  // Whichever one subpath an application imports, `declare module 'sessionkit'` finds the
  // package root (TS2664 otherwise), from ESM and from CommonJS (.cts) alike.
  const subpaths = Object.keys((JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { exports: Record<string, unknown> }).exports)
    .filter((key) => key !== '.' && key !== './package.json')
    .map((key) => `sessionkit${key.slice(1)}`);
  it.each(SETTINGS.flatMap((setting) => [...subpaths.map((subpath) => [subpath, setting.name, 'ts'] as const), ...(setting.name === 'node16' ? subpaths.map((subpath) => [subpath, setting.name, 'cts'] as const) : [])]))(
    "augmenting 'sessionkit' with only %s imported (%s, .%s)",
    (subpath, settingName, extension) => {
      const block: Block = {
        origin: 'probe',
        line: 1,
        code: `import '${subpath}';\ndeclare module 'sessionkit' {\n  interface SessionData { probe: string }\n}\n`,
        context: undefined,
        steps: undefined,
      };
      expect(typeCheck(block, SETTINGS.find((setting) => setting.name === settingName)!, extension)).toEqual([]);
    },
  );

  for (const setting of SETTINGS) {
    it.each(blocks.map((block) => [title(block), block] as const))(`%s (${setting.name})`, (_title, block) => {
      const messages = typeCheck(block, setting);
      expect(messages, `the block at ${block.origin}:${block.line} does not type-check (${setting.name}):\n${messages.join('\n')}\n`).toEqual([]);
    });
  }
});

/** The environment a run block gets, beside PORT and its working directory. */
const SECRET = `readme-${Math.random().toString(36).slice(2)}-0123456789abcdef0123456789abcdef`;

/** Resolves once something accepts connections on the port; rejects if the program exits first. */
async function waitForPort(port: number, exited: () => string | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const gone = exited();
    if (gone !== undefined) throw new Error(`the program exited before listening on PORT (${gone})`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, LOOPBACK);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        resolve(false);
      });
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on PORT=${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs a block with tsx, requests its steps, stops it. */
async function runBlock(block: Block, env: Record<string, string>): Promise<void> {
  const dir = mkdtempSync(join(consumer, `run-${block.line}-`));
  const file = join(dir, 'main.ts');
  writeFileSync(file, block.code);
  const port = await getFreePort();
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: dir,
    env: { ...process.env, ...env, PORT: String(port), SESSION_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exit: string | undefined;
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const closed = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = signal ? `signal ${signal}` : `exit code ${code ?? '?'}`;
      resolve();
    });
  });
  const fail = (why: string) => new Error(`${block.origin}:${block.line}: ${why}\n--- the program's output:\n${output}`);
  try {
    try {
      await waitForPort(port, () => exit, 20_000);
    } catch (error) {
      throw fail((error as Error).message);
    }
    const jar = new CookieJar();
    for (const step of block.steps!) {
      const label = `${step.method} ${step.path}${step.form ? ` ${step.form}` : ''} -> ${String(step.expect)}`;
      let status: number;
      let body: string;
      try {
        const form = step.form === undefined ? {} : { body: step.form, headers: { 'content-type': 'application/x-www-form-urlencoded' } };
        const response = await jar.fetch(`http://${LOOPBACK}:${port}${step.path}`, { method: step.method, signal: AbortSignal.timeout(10_000), ...form });
        status = response.status;
        body = await response.text();
      } catch (error) {
        throw fail(`${label}: ${(error as Error).message}`);
      }
      const ok = typeof step.expect === 'number' ? status === step.expect : status < 400 && body.includes(step.expect);
      if (!ok) throw fail(`${label}: got ${status} ${JSON.stringify(body.slice(0, 300))}`);
    }
  } finally {
    if (exit === undefined) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await closed;
      clearTimeout(killer);
    }
  }
}

const runBlocks = blocks.filter((block) => block.steps);
const needsRedis = (block: Block) => block.code.includes('REDIS_URL');

describe('README and docs: the complete programs run and serve', () => {
  it('there are some', () => {
    expect(runBlocks.length).toBeGreaterThan(0);
  });
  it.each(runBlocks.filter((block) => !needsRedis(block)).map((block) => [title(block), block] as const))('%s', async (_title, block) => {
    await runBlock(block, {});
  }, 60_000);
});

if (runBlocks.some(needsRedis)) describeWithServer('README and docs: the complete programs on Redis run and serve', { requires: REDIS_REQUIRES, start: () => startRedis() }, (redis) => {
  it.each(runBlocks.filter(needsRedis).map((block) => [title(block), block] as const))('%s', async (_title, block) => {
    await runBlock(block, { REDIS_URL: redis().url });
  }, 60_000);
});
