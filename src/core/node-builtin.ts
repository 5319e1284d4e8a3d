/**
 * A Node built-in module where the runtime has one (Node, Bun, Deno; Cloudflare Workers
 * with the nodejs_compat flag), or undefined. Asked of `process.getBuiltinModule` instead
 * of imported, so that the core also loads in runtimes without it: a static `node:` import
 * fails the whole module graph there.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the module's type; the value comes from the runtime
export function nodeBuiltin<M>(name: `node:${string}`): M | undefined {
  const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return runtime?.getBuiltinModule?.(name) as M | undefined;
}
