import type { Knex } from 'knex';
import type pg from 'pg';

/**
 * The `pg` client under a knex pool or transaction, for the payment path's hot statements: through
 * knex each query costs about three times the CPU of the same query on the bare driver (query
 * building, bindings, events), and these run for every notification. Inside a transaction this is
 * the transaction's own connection, so the statements stay part of it.
 */
interface PoolClient {
  acquireConnection(): Promise<pg.ClientBase>;
  releaseConnection(connection: pg.ClientBase): Promise<void>;
}

export async function withPg<T>(db: Knex, fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  const pool = db.client as PoolClient;
  const connection = await pool.acquireConnection();
  try {
    return await fn(connection);
  } finally {
    await pool.releaseConnection(connection);
  }
}
