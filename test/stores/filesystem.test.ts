import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSystemStore } from '../../src/stores/filesystem.js';
import { describeSessionsOverHttp } from '../conformance/http-suite.js';
import { describeStore } from '../conformance/store-suite.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sessionkit-fs-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const fixture = async () => ({ store: new FileSystemStore({ dir: join(tempDir(), 'sessions'), threshold: 10_000 }) });
describeStore('filesystem', fixture, ['create', 'setIf', 'touch', 'deleteExpired']);
describeSessionsOverHttp('filesystem', fixture);

describe('FileSystemStore', () => {
  const record = (expiresAt = Date.now() + 60_000) => ({ data: new Uint8Array([1, 2, 3]), expiresAt });
  const files = (dir: string) => readdirSync(dir);

  it('writes files with mode 0600 by default, in a 0700 directory', async () => {
    const dir = join(tempDir(), 'default-mode');
    const store = new FileSystemStore({ dir });
    await store.set('session:abc', record());
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, files(dir)[0]!)).mode & 0o777).toBe(0o600);
  });

  it('honours a custom mode', async () => {
    const dir = tempDir();
    const store = new FileSystemStore({ dir, mode: 0o640 });
    await store.set('k', record());
    expect(statSync(join(dir, files(dir)[0]!)).mode & 0o777).toBe(0o640);
  });

  it('keeps at most threshold files, dropping expired ones first', async () => {
    const dir = tempDir();
    const store = new FileSystemStore({ dir, threshold: 5 });
    await store.set('expired', record(Date.now() - 1));
    for (let i = 0; i < 10; i++) await store.set(`live${i}`, record(Date.now() + 60_000 + i * 1000));
    expect(files(dir).length).toBeLessThanOrEqual(5);
    expect(await store.get('live9')).toBeDefined(); // the latest-expiring survive
  });

  it('reads a corrupt or truncated file as absent', async () => {
    const dir = tempDir();
    const store = new FileSystemStore({ dir });
    await store.set('k', record());
    const [name] = files(dir);
    writeFileSync(join(dir, name!), 'garbage');
    expect(await store.get('k')).toBeUndefined();
    writeFileSync(join(dir, name!), Buffer.from('SKS1'));
    expect(await store.get('k')).toBeUndefined();
  });

  it('leaves no temporary files behind after many concurrent writes', async () => {
    const dir = tempDir();
    const store = new FileSystemStore({ dir });
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.set(`k${i % 10}`, record())));
    expect(files(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(files(dir)).toHaveLength(10);
  });

  it('never uses the raw key as a file name', async () => {
    const dir = tempDir();
    const store = new FileSystemStore({ dir });
    await store.set('session:../../etc/passwd', record());
    expect(files(dir)).toHaveLength(1);
    expect(files(dir)[0]).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports an unusable directory as a StoreError naming the directory', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), 'x');
    const store = new FileSystemStore({ dir: join(dir, 'file', 'sessions') });
    await expect(store.set('k', record())).rejects.toThrow(/\[sessionkit:filesystem\].*file\/sessions/);
  });

  it('validates its options', () => {
    expect(() => new FileSystemStore({ threshold: 0 })).toThrow(/threshold/);
    expect(() => new FileSystemStore({ mode: 0o1777 })).toThrow(/mode/);
  });
});
