import knex, { Knex } from 'knex';
import pg from 'pg';
import { config } from './config';
import { migrationSource } from '../migrations';

// bigint (int8) columns hold rupiah; parse them to numbers explicitly and refuse anything that
// would not be exact. Dates (no time) stay as 'YYYY-MM-DD' strings: they are days in the levy's
// time zone, not instants.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${v} is outside the safe integer range`);
  return n;
});
pg.types.setTypeParser(pg.types.builtins.DATE, (v: string) => v);
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v: string) => v);

export type Db = Knex;

export function createDb(url = config().DATABASE_URL, poolMax = config().DATABASE_POOL_MAX): Knex {
  return knex({
    client: 'pg',
    connection: { connectionString: url, options: '-c timezone=UTC' },
    pool: { min: 0, max: poolMax },
    migrations: { migrationSource, tableName: 'knex_migrations' },
  });
}

interface PoolClient {
  acquireConnection(): Promise<pg.ClientBase>;
  releaseConnection(connection: pg.ClientBase): Promise<void>;
}

/**
 * The `pg` client under a knex pool or transaction, for the statements that run for every payment
 * or VA: through knex each query costs about three times the CPU of the same query on the bare
 * driver (query building, bindings, events). Inside a transaction this is the transaction's own
 * connection, so the statements stay part of it.
 */
export async function withPg<T>(db: Knex, fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  const pool = db.client as PoolClient;
  const connection = await pool.acquireConnection();
  try {
    return await fn(connection);
  } finally {
    await pool.releaseConnection(connection);
  }
}

/**
 * Inserts rows given column by column, one array per column (`INSERT … SELECT FROM unnest(…)`), as
 * a named prepared statement: the same statement text whatever the number of rows, so a connection
 * parses it once, where a multi-row VALUES list is a new statement, parsed and planned again, for
 * every count of rows. Rows go in, and come back from RETURNING, in array order.
 */
export async function insertColumns<R>(db: Knex, name: string, text: string, columns: unknown[][]): Promise<R[]> {
  return withPg(db, async (client) => (await client.query({ name, text, values: columns })).rows as R[]);
}

let shared: Knex | undefined;

/** The process-wide connection pool. */
export function db(): Knex {
  shared ??= createDb();
  return shared;
}

export async function closeDb(): Promise<void> {
  if (shared) {
    const d = shared;
    shared = undefined;
    await d.destroy();
  }
}

/** The transactions planForCurrentSizes has set. */
const planned = new WeakSet<Knex>();

/** Past this size, a plan made for a key lookup in the table is an index scan, and stays right as it grows. */
export const SETTLED_TABLE_BYTES = 1 << 20;
/** How often a process asks again about a table still small. */
const SETTLED_RECHECK_MS = 5_000;

/** Per pool, by its settings: a transaction's knex client is an object of its own, but shares the pool's config. */
const settledTables = new WeakMap<object, { settled: Set<string>; checkedAt: Map<string, number> }>();

/** Whether every one of the tables is past SETTLED_TABLE_BYTES: cached once true, asked again every few seconds until then. */
async function tablesSettled(trx: Knex, tables: readonly string[]): Promise<boolean> {
  const pool = trx.client.config as object;
  let known = settledTables.get(pool);
  if (!known) settledTables.set(pool, (known = { settled: new Set(), checkedAt: new Map() }));
  const open = tables.filter((t) => !known.settled.has(t));
  if (open.length === 0) return true;
  const now = Date.now();
  if (open.some((t) => now - (known.checkedAt.get(t) ?? -Infinity) < SETTLED_RECHECK_MS)) return false;
  for (const t of open) known.checkedAt.set(t, now);
  const { rows } = await trx.raw('SELECT t AS name, pg_relation_size(t::regclass) AS bytes FROM unnest(?::text[]) AS t', [open]);
  for (const r of rows as Array<{ name: string; bytes: number }>) if (Number(r.bytes) >= SETTLED_TABLE_BYTES) known.settled.add(r.name);
  return open.every((t) => known.settled.has(t));
}

/**
 * Plans the rest of the transaction's statements, foreign-key checks and the ledger's balance
 * trigger included, for their values and the tables as they are now, while any of `tables` (those
 * the transaction's rows point at or are looked up in by key) is small. A connection otherwise
 * keeps a generic plan of each foreign-key check from its first few runs, and these tables start a
 * new database, or a region's first busy day, nearly empty and grow by thousands of rows a minute:
 * the check of every ledger line then read all of ledger_entries, until an ANALYZE happened to
 * invalidate the plan (a millisecond a line within a minute of issuing). Once each is past a
 * megabyte, a plan made from then on is an index scan and stays one, and planning every statement
 * and every foreign-key check again (a quarter of PostgreSQL's time on these paths) buys nothing,
 * so the transaction is left to the plan cache. For the transactions that write such rows, not for
 * bulk loads against reference data. Inside a transaction only: it ends with it.
 */
export async function planForCurrentSizes(trx: Knex, tables: readonly string[]): Promise<void> {
  // A payment batch asks before its payments and again when it posts them to the ledger.
  if (planned.has(trx) || (await tablesSettled(trx, tables))) return;
  await trx.raw('SET LOCAL plan_cache_mode = force_custom_plan');
  planned.add(trx);
}

export async function migrateLatest(d: Knex = db()): Promise<string[]> {
  const [, applied] = (await d.migrate.latest()) as [number, string[]];
  return applied;
}

/** Runs statements on the server's maintenance database, for creating and dropping databases. */
async function onServer<T>(url: string, fn: (client: pg.Client, name: string) => Promise<T>): Promise<T> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.slice(1));
  u.pathname = '/postgres';
  const client = new pg.Client({ connectionString: u.toString() });
  await client.connect();
  try {
    return await fn(client, name);
  } finally {
    await client.end();
  }
}

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Creates the database named in the URL if it does not exist (first runs, the demo, tests). */
export function ensureDatabase(url = config().DATABASE_URL, template?: string): Promise<void> {
  return onServer(url, async (client, name) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${quoted(name)}${template ? ` TEMPLATE ${quoted(template)}` : ''}`);
    }
  });
}

/** Drops the database named in the URL, closing its connections (the demo's reset, tests). */
export function dropDatabase(url: string): Promise<void> {
  return onServer(url, async (client, name) => {
    await client.query(`DROP DATABASE IF EXISTS ${quoted(name)} WITH (FORCE)`);
  });
}
