import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { AppError, Conflict } from '../../errors';
import { canonicalJson } from '../../lib/canonical-json';
import { logger } from '../../logger';
import type { Principal } from '../auth/tokens';

/**
 * `Idempotency-Key`, the way Stripe does it. The first request with a key records it (in flight);
 * its work and the stored answer commit in one transaction, so a retry after any crash either finds
 * the answer or finds nothing done. Same key and same request → the first answer again; same key
 * and another request → `idempotency_key_reused`; a key whose request is still running →
 * `idempotency_key_in_flight` (retry shortly). Only successes are kept: a request that failed
 * released its key, so it may be corrected and sent again with it. Keys are scoped to the caller
 * and kept for a day.
 */
const LOCK_MS = 30_000;
const KEEP = '24 hours';

export interface HandlerResult {
  status: number;
  body: unknown;
  /** Side effects that must wait for the commit (queueing a job). */
  afterCommit?: () => Promise<void>;
}

export interface IdempotentResult {
  status: number;
  body: unknown;
  replayed: boolean;
}

export class IdempotencyKeyReused extends Conflict {
  constructor(key: string) {
    super('idempotency_key_reused', `Idempotency-Key ${key} was used for a different request; use a new key for a new request`);
  }
}

export class IdempotencyKeyInFlight extends AppError {
  constructor(key: string) {
    super('idempotency_key_in_flight', `A request with Idempotency-Key ${key} is still being processed; retry shortly`, 409, { retryable: true });
  }
}

const principalKey = (who: Principal) => `${who.role}:${who.sub}:${who.opd ?? who.npwrd ?? ''}`;

export function requestHash(method: string, path: string, body: unknown): string {
  return crypto.createHash('sha256').update(canonicalJson({ method, path, body })).digest('hex');
}

interface KeyRow {
  request_hash: string;
  locked_by: string | null;
  locked_until: Date | null;
  response_status: number | null;
  response_body: unknown;
  completed_at: Date | null;
  lapsed: boolean;
}

/** Takes the key for this request, or answers from it. Returns the lock token when the caller runs. */
async function acquire(db: Knex, principal: string, key: string, method: string, path: string, hash: string): Promise<{ token: string } | IdempotentResult> {
  // Expired keys are cleared a few at a time by new ones, so the table needs no job of its own.
  await db.raw(
    `DELETE FROM idempotency_keys WHERE (principal, key) IN
       (SELECT principal, key FROM idempotency_keys WHERE created_at < now() - interval '${KEEP}' LIMIT 100)`,
  );
  const token = crypto.randomUUID();
  const { rows } = await db.raw(
    `INSERT INTO idempotency_keys (principal, key, request_method, request_path, request_hash, locked_by, locked_until)
     VALUES (?, ?, ?, ?, ?, ?, now() + ? * interval '1 millisecond')
     ON CONFLICT (principal, key) DO NOTHING RETURNING key`,
    [principal, key, method, path, hash, token, LOCK_MS],
  );
  if (rows.length) return { token };

  const row: KeyRow | undefined = await db('idempotency_keys')
    .where({ principal, key })
    .first('*', db.raw('coalesce(locked_until <= now(), false) as lapsed'));
  // Completed meanwhile and purged: vanishingly rare; the caller retries and starts afresh.
  if (!row) throw new IdempotencyKeyInFlight(key);
  if (row.request_hash !== hash) throw new IdempotencyKeyReused(key);
  if (row.completed_at) return { status: row.response_status!, body: row.response_body, replayed: true };
  if (!row.lapsed) throw new IdempotencyKeyInFlight(key);
  // The request holding it died before finishing (its transaction rolled back): take it over.
  const taken = await db('idempotency_keys')
    .where({ principal, key, locked_by: row.locked_by })
    .whereNull('completed_at')
    .update({ locked_by: token, locked_until: db.raw(`now() + ? * interval '1 millisecond'`, [LOCK_MS]) });
  if (!taken) throw new IdempotencyKeyInFlight(key);
  return { token };
}

/** Runs `handler` in a transaction at most once per (caller, key); without a key, simply once. */
export async function idempotent(
  db: Knex,
  who: Principal,
  request: { key?: string; method: string; path: string; body: unknown },
  handler: (trx: Knex.Transaction) => Promise<HandlerResult>,
): Promise<IdempotentResult> {
  const { key } = request;
  let token: string | undefined;
  const principal = principalKey(who);
  if (key !== undefined) {
    const acquired = await acquire(db, principal, key, request.method, request.path, requestHash(request.method, request.path, request.body));
    if (!('token' in acquired)) return acquired;
    token = acquired.token;
  }
  let result: HandlerResult;
  try {
    result = await db.transaction(async (trx) => {
      const r = await handler(trx);
      if (key !== undefined) {
        const stored = await trx('idempotency_keys')
          .where({ principal, key, locked_by: token })
          .update({
            response_status: r.status,
            response_body: JSON.stringify(r.body),
            completed_at: trx.fn.now(),
            locked_by: null,
            locked_until: null,
          });
        // Another request took the key over while this one overran its lock: let that one win.
        if (!stored) throw new IdempotencyKeyInFlight(key);
      }
      return r;
    });
  } catch (e) {
    if (key !== undefined && !(e instanceof IdempotencyKeyInFlight)) {
      await db('idempotency_keys').where({ principal, key, locked_by: token }).whereNull('completed_at').delete();
    }
    throw e;
  }
  await result.afterCommit?.().catch((e) => logger.warn({ err: e }, 'post-commit step failed; the sweeper will catch up'));
  return { status: result.status, body: result.body, replayed: false };
}
