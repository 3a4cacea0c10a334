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

/**
 * Session settings of every Kasda connection. Times are UTC on the wire. Statements are planned for
 * their values each time they run (plan_cache_mode): a connection otherwise keeps a generic plan,
 * its foreign-key checks' and triggers' included, made when it first ran them, and Kasda's busy
 * tables (payments, notifications, the ledger) start a region's busiest day small and grow by
 * thousands of rows a minute. A plan made while a table was small scans it whole, every time,
 * until an ANALYZE happens to invalidate it: on a new database the checks of the ledger's foreign
 * keys and its balance grew to a millisecond a line within a minute of issuing. Planning a key
 * lookup costs a few microseconds.
 */
const SESSION = '-c timezone=UTC -c plan_cache_mode=force_custom_plan';

export function createDb(url = config().DATABASE_URL, poolMax = config().DATABASE_POOL_MAX): Knex {
  return knex({
    client: 'pg',
    connection: { connectionString: url, options: SESSION },
    pool: { min: 0, max: poolMax },
    migrations: { migrationSource, tableName: 'knex_migrations' },
  });
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
