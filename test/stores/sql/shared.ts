/**
 * Tests every dialect of the SQL store runs: the contract and HTTP suites, the printed DDL,
 * batched and background deletion of expired rows, race-safe table creation, and the shared
 * outage suite (test/conformance/outage-suite.ts).
 * Each dialect's test file supplies handles and a way to run raw SQL on its database.
 */
import { expect, it } from 'vitest';
import { StoreError, type StoreCapability } from '../../../src/core/store.js';
import { sqlStore, type DialectName, type SqlClient, type SqlStore, type SqlStoreOptions } from '../../../src/stores/sql/index.js';
import { describeSessionsOverHttp } from '../../conformance/http-suite.js';
import { describeStore } from '../../conformance/store-suite.js';
import { describeOutages, type Outageable } from '../../conformance/outage-suite.js';

export const CAPABILITIES: readonly StoreCapability[] = ['create', 'setIf', 'touch', 'deleteExpired', 'countExpired', 'keys', 'getExpired'];
export const quiet = { warn: () => {}, info: () => {} };

let counter = 0;
/** A key or table name unique to this process and call. */
export const unique = (label: string) => `${label}_${process.pid}_${counter++}`;
export const record = (text: string, expiresAt = Date.now() + 60_000) => ({ data: new TextEncoder().encode(text), expiresAt });
export const text = (r: { data: Uint8Array } | undefined) => (r ? new TextDecoder().decode(r.data) : undefined);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A handle of the test's, and how to let go of it. */
export interface Handle {
  client: SqlClient;
  close: () => Promise<void>;
}

export interface SqlTarget {
  dialect: DialectName;
  /** The kind of handle, for the timing line: 'pg Pool', 'Kysely', … */
  label: string;
  /** A new handle on the test database (several at once for the race tests). */
  open(): Promise<Handle>;
  /** Runs SQL (several statements allowed) outside the store; resolves the first column of the first row as text. */
  exec(sql: string): Promise<string>;
  /** Schema for the schema test: created by the test file where the dialect needs it. */
  schema?: string;
}

/**
 * describeStore and describeSessionsOverHttp, on one handle each. The capabilities every
 * dialect has, plus `extra` (getSync, createSync and setIfSync on a synchronous driver: better-sqlite3).
 * `exec` runs SQL outside the store: the suite's records that are not sessions are planted with it.
 */
export function describeSqlConformance(title: string, open: () => Promise<Handle>, exec: SqlTarget['exec'], extra: readonly StoreCapability[] = []) {
  const fixture = async () => {
    const handle = await open();
    const store = sqlStore({ client: handle.client, table: 'conformance' });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await handle.close();
      },
    };
  };
  describeStore(title, fixture, [...CAPABILITIES, ...extra], {
    // A row another program wrote with its own connection, as a row the store wrote is laid out.
    plantRecord: async (key, planted, store) => {
      if (!/^[\w:.-]+$/.test(key)) throw new Error('a key to plant must need no SQL quoting: letters, digits, _ : . - only');
      await exec(
        `DELETE FROM conformance WHERE id = '${key}'; ` +
          `INSERT INTO conformance (id, data, expires_at, version) VALUES ('${key}', ${blobLiteral(store.name, planted.data)}, ${Math.ceil(planted.expiresAt)}, 1)`,
      );
    },
  });
  describeSessionsOverHttp(title, fixture);
}

/** `bytes` as a literal of the binary column type of the SQL store named `storeName` (`sql:<dialect>`). */
function blobLiteral(storeName: string, bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return storeName === 'sql:postgres' ? `'\\x${hex}'::bytea` : `X'${hex}'`;
}

/** The SQL store's own behaviour, for one dialect. Call inside the dialect's describe block. */
export function sqlStoreBehaviour(target: () => SqlTarget) {
  /** A store on a fresh handle (closed after `body`). */
  async function withStore(options: Partial<SqlStoreOptions>, body: (store: SqlStore) => Promise<void>) {
    const handle = await target().open();
    const store = sqlStore({ client: handle.client, ...options });
    try {
      await body(store);
    } finally {
      await store.close();
      await handle.close();
    }
  }
  const rowCount = async (table: string) => Number(await target().exec(`SELECT COUNT(*) FROM ${table}`));

  it('keys reads more ids than batchSize page by page, and takes the prefix literally', async () => {
    await withStore({ table: unique('listed'), batchSize: 2 }, async (store) => {
      const p = unique('k');
      const many = [1, 2, 3, 4, 5].map((n) => `${p}x${n}`);
      // LIKE's wildcards; an id that MySQL's PAD SPACE comparison puts in the range of `${p}y `;
      // code points past U+FFFF, which UTF-16 order would put before U+FFFF.
      const others = [`${p}%a`, `${p}_b`, `${p}y`, `${p}y b`, `${p}\uFFFFq`, `${p}\u{10FFFF}`, `${p}\u{10FFFF}z`];
      for (const id of [...many, ...others]) await store.set(id, record('v'));
      const list = async (prefix: string) => {
        const listed: string[] = [];
        for await (const key of store.keys(prefix)) listed.push(key);
        return listed.sort();
      };
      expect(await list(`${p}x`)).toEqual(many);
      expect(await list(`${p}%`)).toEqual([`${p}%a`]);
      expect(await list(`${p}_`)).toEqual([`${p}_b`]);
      expect(await list(`${p}y `)).toEqual([`${p}y b`]);
      expect(await list(`${p}\uFFFF`)).toEqual([`${p}\uFFFFq`]);
      expect(await list(`${p}\u{10FFFF}`)).toEqual([`${p}\u{10FFFF}`, `${p}\u{10FFFF}z`]);
      expect(await list('')).toEqual([...many, ...others].sort());
    });
  });

  it('is named after its dialect', async () => {
    await withStore({}, async (store) => {
      expect(store.name).toBe(`sql:${target().dialect}`);
      expect(store.dialect).toBe(target().dialect);
    });
  });

  it('prints DDL that, run by hand, gives a table the store uses with createTable: false', async () => {
    const table = unique('migrated');
    const ddl = sqlStore.ddl({ dialect: target().dialect, table });
    expect(ddl).toContain(table);
    await target().exec(ddl);
    await withStore({ table, createTable: false }, async (store) => {
      expect(await store.create('k', record('one'))).toBe(true);
      const version = (await store.get('k'))!.version!;
      expect(await store.setIf('k', record('two'), version)).toBe(true);
      await store.touch('k', Date.now() + 120_000);
      expect(text(await store.get('k'))).toBe('two');
      await store.set('old', record('x', Date.now() - 1000));
      expect(await store.deleteExpired()).toBe(1);
      expect(await rowCount(table)).toBe(1);
    });
  });

  it('with createTable: false and no table, fails with a StoreError that says how to create it', async () => {
    await withStore({ table: unique('missing'), createTable: false }, async (store) => {
      const error = await store.get('k').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).message).toContain(`[sessionkit:sql:${target().dialect}]`);
      expect((error as StoreError).message).toContain('sqlStore.ddl');
    });
  });

  it('uses the schema option for the table', async () => {
    const schema = target().schema;
    if (!schema) return;
    const table = unique('in_schema');
    await withStore({ table, schema }, async (store) => {
      await store.set('k', record('v'));
      expect(await rowCount(`${schema}.${table}`)).toBe(1);
    });
  });

  it('creates the table once when several stores start at the same moment', async () => {
    const table = unique('raced');
    const handles = await Promise.all(Array.from({ length: 6 }, () => target().open()));
    try {
      const stores = handles.map((h) => sqlStore({ client: h.client, table }));
      const results = await Promise.all(stores.map((store, i) => store.create(`k${i}`, record(`v${i}`))));
      expect(results).toEqual(Array(6).fill(true));
      expect(await rowCount(table)).toBe(6);
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
  });

  it('deletes expired rows in bounded batches until none is left', async () => {
    const table = unique('batches');
    await withStore({ table, batchSize: 10 }, async (store) => {
      const past = Date.now() - 1000;
      await Promise.all(Array.from({ length: 25 }, (_, i) => store.set(`dead${i}`, record('d', past))));
      await Promise.all(Array.from({ length: 3 }, (_, i) => store.set(`live${i}`, record('l'))));
      expect(await store.deleteExpired()).toBe(25);
      expect(await rowCount(table)).toBe(3);
      expect(await store.deleteExpired()).toBe(0);
    });
  });

  it('sweeps expired rows in the background every N reads, not before', async () => {
    const table = unique('sweep');
    await withStore({ table, sweepEveryNRequests: 5, batchSize: 2 }, async (store) => {
      await Promise.all(Array.from({ length: 5 }, (_, i) => store.set(`dead${i}`, record('d', Date.now() - 1000))));
      await store.set('live', record('l'));
      for (let i = 0; i < 4; i++) expect(text(await store.get('live'))).toBe('l');
      await sleep(50);
      expect(await rowCount(table)).toBe(6);
      expect(text(await store.get('live'))).toBe('l'); // the 5th read starts the sweep
      const deadline = Date.now() + 5000;
      while ((await rowCount(table)) > 1 && Date.now() < deadline) await sleep(20);
      expect(await rowCount(table)).toBe(1);
    });
  });

  it('keeps ids that differ only in case distinct', async () => {
    await withStore({ table: 'conformance' }, async (store) => {
      const key = unique('CaseKey');
      await store.set(key, record('upper'));
      await store.set(key.toLowerCase(), record('lower'));
      expect(text(await store.get(key))).toBe('upper');
      expect(text(await store.get(key.toLowerCase()))).toBe('lower');
    });
  });

  it('refuses a key longer than the id column instead of truncating it', async () => {
    await withStore({ table: 'conformance' }, async (store) => {
      const long = 'k'.repeat(256);
      await expect(store.set(long, record('x'))).rejects.toThrow(/longer than 255 characters/);
      await expect(store.create(long, record('x'))).rejects.toThrow(/longer than 255 characters/);
      expect(await store.get(long)).toBeUndefined();
    });
  });

  it('never closes the borrowed handle', async () => {
    const handle = await target().open();
    try {
      const store = sqlStore({ client: handle.client, table: 'conformance' });
      await store.set('borrowed', record('v'));
      await store.close();
      const again = sqlStore({ client: handle.client, table: 'conformance' });
      expect(text(await again.get('borrowed'))).toBe('v');
    } finally {
      await handle.close();
    }
  });

  it('reads 1000 times in a row correctly (SESSIONKIT_REPORT_TIMINGS=1 prints the median)', async () => {
    await withStore({ table: 'conformance' }, async (store) => {
      const key = unique('reads');
      await store.set(key, record('payload'.repeat(20)));
      const times: number[] = [];
      for (let i = 0; i < 1000; i++) {
        const started = performance.now();
        const read = await store.get(key);
        times.push(performance.now() - started);
        if (text(read) !== 'payload'.repeat(20)) expect.fail(`read ${i} returned ${String(text(read))}`);
      }
      times.sort((a, b) => a - b);
      if (process.env.SESSIONKIT_REPORT_TIMINGS) {
        const mean = times.reduce((a, b) => a + b, 0) / times.length;
        const ms = (value: number) => `${value.toFixed(3)} ms`;
        console.info(
          `${store.name} via ${target().label}: 1000 reads, median ${ms(times[500]!)}, mean ${ms(mean)}, p99 ${ms(times[990]!)}`,
        );
      }
    });
  });
}

/**
 * The shared outage suite on one kind of handle: server stopped, frozen, back. The servers keep
 * their data over a restart, and the pool's next request must work at once (it drops dead
 * connections and opens new ones).
 */
export function describeSqlOutages(title: string, server: () => Outageable, open: () => Promise<Handle>) {
  describeOutages(
    title,
    server,
    async (timeout) => {
      const handle = await open();
      const store = sqlStore({ client: handle.client, table: 'outage', timeout });
      return {
        store,
        close: async () => {
          await store.close();
          await handle.close();
        },
      };
    },
    { keepsData: true },
  );
}
