/**
 * A built-in module where the runtime has one (`node:` modules in Node, Bun, Deno and
 * Cloudflare Workers with the nodejs_compat flag; `bun:sqlite` in Bun), or undefined. Asked
 * of `process.getBuiltinModule` (Node 20.16 and 22.3 on) instead of imported, so that the
 * code also loads in runtimes without the module: a static import of one fails the whole
 * module graph there.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the module's type; the value comes from the runtime
export function nodeBuiltin<M>(name: `node:${string}` | 'bun:sqlite'): M | undefined {
  const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return runtime?.getBuiltinModule?.(name) as M | undefined;
}
