import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSystemStore } from '../../src/stores/filesystem/index.js';
import { describeSessionsOverHttp } from '../conformance/http-suite.js';
import { describePlantedRecords } from '../conformance/planted-record-suite.js';
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

/** Whether a session file exists for `key`, expired or not (get reads expired ones as absent). */
function fileExists(store: FileSystemStore, key: string): boolean {
  return existsSync(join(store.dir, createHash('sha256').update(key).digest('hex')));
}

const fixture = async () => ({ store: new FileSystemStore({ dir: join(tempDir(), 'sessions'), threshold: 10_000 }) });
describeStore('filesystem', fixture, ['create', 'setIf', 'touch', 'deleteExpired', 'countExpired', 'keys', 'getExpired'], {
  // A session file cut short inside its header, as a full disk or another program leaves it.
  plantForeignValue: async (key, store) => {
    if (!(store instanceof FileSystemStore)) throw new Error('the filesystem fixture builds FileSystemStores');
    const dir = store.dir;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, createHash('sha256').update(key).digest('hex')), 'SKS1\0\0');
  },
});
describeSessionsOverHttp('filesystem', fixture);
describePlantedRecords('filesystem', fixture);

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

  it('prunes a full directory to 90% of its threshold, so that the next new sessions do not prune again', async () => {
    const dir = tempDir();
    const store = new FileSystemStore({ dir, threshold: 100 });
    for (let i = 0; i < 101; i++) await store.set(`s${i}`, record(Date.now() + 60_000 + i));
    expect(files(dir).length).toBe(90);
    for (let i = 101; i < 111; i++) await store.set(`s${i}`, record(Date.now() + 60_000 + i));
    expect(files(dir).length).toBe(100);
    expect(await store.get('s110')).toBeDefined();
  });

  it('limited sweeps in a row go on with the first one\'s listing, and never remove a file that is live again', async () => {
    const dir = tempDir();
    const store = new FileSystemStore({ dir });
    for (let i = 0; i < 6; i++) await store.set(`old${i}`, record(Date.now() - 1000));
    expect(await store.deleteExpired({ limit: 2 })).toBe(2);
    // Expired after the listing: left for the next pass, which a run of batches reaches at its end.
    for (let i = 0; i < 3; i++) await store.set(`new${i}`, record(Date.now() - 1000));
    // Two of the listed files are written again, live: the stale listing must leave them.
    const survivors = [];
    for (let i = 0; i < 6; i++) if (fileExists(store, `old${i}`)) survivors.push(`old${i}`);
    for (const key of survivors.slice(0, 2)) await store.set(key, record());
    // The rest of the first listing: its two files still expired go, the two live again stay.
    expect(await store.deleteExpired({ limit: 2 })).toBe(2);
    for (const key of survivors.slice(0, 2)) expect(await store.get(key)).toBeDefined();
    for (let i = 0; i < 3; i++) expect(fileExists(store, `new${i}`)).toBe(true);
    expect(await store.deleteExpired({ limit: 10 })).toBe(3); // a new listing: the three that expired later
    expect(readdirSync(dir).length).toBe(2);
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

  /** A session file in the first layout (magic SKS1, no key), as files written before keys were stored. */
  const firstLayoutFile = (expiresAt: number, data: number[]) => {
    const header = Buffer.alloc(20);
    header.write('SKS1', 0);
    header.writeDoubleBE(expiresAt, 4);
    return Buffer.concat([header, Buffer.from(data)]);
  };
  const nameOf = (key: string) => createHash('sha256').update(key).digest('hex');
  const listed = async (store: FileSystemStore, prefix: string) => {
    const keys: string[] = [];
    for await (const key of store.keys(prefix)) keys.push(key);
    return keys.sort();
  };

  it('a file of the first layout (no key in it) still reads and touches, is not listed, and is listed once written again', async () => {
    const dir = tempDir();
    const store = new FileSystemStore({ dir });
    writeFileSync(join(dir, nameOf('session:old')), firstLayoutFile(Date.now() + 60_000, [7, 8, 9]));
    expect([...((await store.get('session:old'))?.data ?? [])]).toEqual([7, 8, 9]);
    const later = Date.now() + 120_000;
    await store.touch('session:old', later);
    expect((await store.get('session:old'))?.expiresAt).toBe(later);
    await store.set('session:new', record());
    expect(await listed(store, 'session:')).toEqual(['session:new']);
    await store.set('session:old', record());
    expect(await listed(store, 'session:')).toEqual(['session:new', 'session:old']);
  });

  it('a listing skips planted and garbled files, and reads a key longer than its first read', async () => {
    const dir = tempDir();
    const warnings: string[] = [];
    const store = new FileSystemStore({ dir, logger: { warn: (message) => warnings.push(message) } });
    const long = `session:${'é'.repeat(600)}`;
    await store.set(long, record());
    await store.set('session:live', record());
    await store.set('session:copied', record());
    const copied = readFileSync(join(dir, nameOf('session:copied')));
    // The same bytes under another key's name: its key does not hash to the name.
    writeFileSync(join(dir, nameOf('session:planted')), copied);
    // A key length far past the end of the file.
    const huge = Buffer.from(copied);
    huge.writeUInt32BE(0xffffffff, 20);
    writeFileSync(join(dir, nameOf('session:huge-length')), huge);
    writeFileSync(join(dir, nameOf('session:cut')), copied.subarray(0, 30));
    writeFileSync(join(dir, nameOf('session:garbage')), 'not a session at all');
    writeFileSync(join(dir, 'README'), 'not a session file name');
    expect(await listed(store, 'session:')).toEqual([long, 'session:copied', 'session:live'].sort());
    expect(await listed(store, '')).toEqual([long, 'session:copied', 'session:live'].sort());
    expect(warnings, 'a listing reads quietly').toEqual([]);
    expect(await store.get('session:huge-length')).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/shorter than the key its header announces/)]);
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

describe('FileSystemStore: what a process killed mid-write leaves behind', () => {
  const writer = fileURLToPath(new URL('./fixtures/filesystem-writer.ts', import.meta.url));
  const temporaries = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.tmp'));
  const twoMinutesAgo = () => new Date(Date.now() - 120_000);
  const ATTEMPTS = 12;

  /** Runs the writer process and kills it with SIGKILL mid-write until it leaves temporary files (almost always the first time). */
  async function killedMidWrite(dir: string): Promise<string[]> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const child = spawn(process.execPath, ['--import', 'tsx', writer, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', () => resolve());
        child.on('exit', (code) => reject(new Error(`the writer exited with ${String(code)} before writing`)));
      });
      await new Promise((resolve) => setTimeout(resolve, 20 + ((attempt * 37) % 150)));
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      const left = temporaries(dir);
      if (left.length > 0) return left;
    }
    throw new Error(`${ATTEMPTS} kill -9 mid-write left no temporary file`);
  }

  it('deleteExpired removes the temporary files of a killed process once stale, never a fresh one', async () => {
    const dir = tempDir();
    const left = await killedMidWrite(dir);
    const store = new FileSystemStore({ dir });
    // Fresh: they could be another process's writes in progress.
    await store.deleteExpired();
    expect(temporaries(dir)).toEqual(left);
    for (const name of left) utimesSync(join(dir, name), twoMinutesAgo(), twoMinutesAgo());
    await store.deleteExpired();
    expect(temporaries(dir)).toEqual([]);
    // The sessions that were written completely are still there and readable.
    expect(await store.get('session:w0')).toBeDefined();
  }, 60_000);

  it('the next process removes stale leftovers with its first write, without deleteExpired', async () => {
    const dir = tempDir();
    const left = await killedMidWrite(dir);
    for (const name of left) utimesSync(join(dir, name), twoMinutesAgo(), twoMinutesAgo());
    const store = new FileSystemStore({ dir });
    await store.set('session:after-restart', { data: new Uint8Array([1]), expiresAt: Date.now() + 60_000 });
    expect(temporaries(dir)).toEqual([]);
  }, 60_000);

  it('the threshold sweep removes stale leftovers too', async () => {
    const dir = tempDir();
    const left = await killedMidWrite(dir);
    const store = new FileSystemStore({ dir, threshold: 100 });
    await store.set('session:first', { data: new Uint8Array([1]), expiresAt: Date.now() + 60_000 }); // counts the files
    for (const name of left) utimesSync(join(dir, name), twoMinutesAgo(), twoMinutesAgo());
    expect(temporaries(dir)).toEqual(left);
    // Enough new sessions to pass the threshold of 100 (the writer left up to 64).
    for (let i = 0; i < 101; i++) await store.set(`session:more${i}`, { data: new Uint8Array([1]), expiresAt: Date.now() + 60_000 });
    expect(temporaries(dir)).toEqual([]);
  }, 60_000);

  it('a corrupt session file reads as no session with one warning, and is removed', async () => {
    const dir = tempDir();
    const warnings: string[] = [];
    const store = new FileSystemStore({ dir, logger: { warn: (message) => warnings.push(message) } });
    await store.set('session:k', { data: new Uint8Array([1, 2, 3]), expiresAt: Date.now() + 60_000 });
    const [name] = readdirSync(dir);
    writeFileSync(join(dir, name!), 'SKS1 cut short');
    expect(await store.get('session:k')).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/filesystem store: session:<handle [A-Za-z0-9_-]+> holds a 14-byte file, shorter than the header/)]);
    expect(readdirSync(dir)).toEqual([]);
    expect(await store.get('session:k')).toBeUndefined();
    expect(warnings).toHaveLength(1);
  });
});
