// Several variants of one framework served by one bench/server.mjs process, and a session
// cookie for each: what same-process.mjs and instructions.mjs both start from.
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;

/**
 * Starts bench/server.mjs with `variants` (one framework), under `wrapper` if given (e.g.
 * ['taskset', '-c', '0'] or valgrind's command line; the wrapper must exec node in its own
 * process, so that the pid is the server's). Resolves the child and each variant's URL.
 */
export async function startVariants(variants, { wrapper = [], nodeArgs = [] } = {}) {
  const command = [...wrapper, process.execPath, ...nodeArgs, 'bench/server.mjs', variants.join(',')];
  const child = spawn(command[0], command.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr.on('data', (chunk) => (errors += chunk));
  const ports = [];
  await new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`${variants.join(',')}: the server exited (${code}) before it was ready:\n${errors.slice(-2000)}`)));
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      for (const match of buffered.matchAll(/PORT (\d+)\n/g)) ports.push(Number(match[1]));
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
      if (ports.length === variants.length) resolve();
    });
  });
  child.removeAllListeners('exit');
  return { child, pid: child.pid, urls: new Map(variants.map((variant, index) => [variant, `http://127.0.0.1:${ports[index]}`])) };
}

/**
 * `count` session cookies per variant from its /login. Variants whose /login sets none (none,
 * floor) are sent a session variant's cookies, so that every variant parses the same header.
 */
export async function cookiesFor(urls, count) {
  const cookies = new Map();
  for (const [variant, url] of urls) {
    const list = [];
    for (let i = 0; i < count; i++) {
      const response = await fetch(`${url}/login`);
      list.push(response.headers.getSetCookie().map((line) => line.split(';')[0]).join('; '));
    }
    cookies.set(variant, list);
  }
  const donor = [...cookies.values()].find((list) => list[0] !== '');
  for (const [variant, list] of cookies) if (list[0] === '' && donor) cookies.set(variant, donor);
  return cookies;
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(middle)] : (sorted[middle - 1] + sorted[middle]) / 2;
};
