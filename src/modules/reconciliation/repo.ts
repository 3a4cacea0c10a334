import type { Knex } from 'knex';
import type { MatchCounts } from './matcher';

/** SQL for statement runs, their lines and the exceptions they raise; plain rows out. */
export interface RunRow {
  id: string;
  bank_channel_id: number;
  format: string;
  period_from: string;
  period_to: string;
  settlement_lag_days: number;
  file_name: string | null;
  file_sha256: string;
  bytes: number;
  lines_loaded: number;
  lines_rejected: number;
  lines_skipped: number;
  counts: MatchCounts | null;
  duration_ms: number | null;
  requested_by: string;
  created_at: Date;
}

export type RunWithChannel = RunRow & { channel_code: string };

export const EXCEPTION_OUTCOMES = ['missing_in_system', 'missing_in_bank', 'amount_mismatch', 'duplicate'] as const;
export type ExceptionOutcome = (typeof EXCEPTION_OUTCOMES)[number];

export interface ExceptionRow {
  id: number;
  bank_channel_id: number;
  channel_code: string;
  run_id: string;
  outcome: ExceptionOutcome;
  line_no: number | null;
  payment_id: number | null;
  bill_id: number | null;
  bill_no: string | null;
  receipt_no: string | null;
  virtual_account: string | null;
  bank_reference: string | null;
  occurred_at: Date | null;
  amount: number | null;
  field: string | null;
  bank_value: string | null;
  kasda_value: string | null;
  status: 'open' | 'resolved';
  action: string | null;
  reason: string | null;
  resolved_by: string | null;
  resolved_at: Date | null;
  resolved_bill_no: string | null;
  resolved_payment_id: number | null;
  created_at: Date;
}

export async function insertRun(
  trx: Knex,
  row: Omit<RunRow, 'counts' | 'duration_ms' | 'created_at'>,
): Promise<RunRow> {
  const [run] = await trx('statement_runs').insert(row).returning('*');
  return run;
}

export async function recordCounts(trx: Knex, id: string, counts: MatchCounts, durationMs: number): Promise<void> {
  await trx('statement_runs').where({ id }).update({ counts: JSON.stringify(counts), duration_ms: durationMs });
}

export function findRun(db: Knex, id: string): Promise<RunWithChannel | undefined> {
  return db('statement_runs as r')
    .join('bank_channels as c', 'c.id', 'r.bank_channel_id')
    .where('r.id', id)
    .first('r.*', 'c.code as channel_code');
}

export function findRunOfFile(
  db: Knex,
  key: { bank_channel_id: number; file_sha256: string; format: string; period_from: string; period_to: string },
): Promise<RunRow | undefined> {
  return db('statement_runs').where(key).first();
}

export function rejectedRows(db: Knex, runId: string, limit: number): Promise<Array<{ row: number; reason: string }>> {
  return db('statement_lines')
    .where({ run_id: runId, outcome: 'rejected' })
    .orderBy('line_no')
    .limit(limit)
    .select('line_no as row', 'reject_reason as reason');
}

export interface ExceptionFilter {
  run?: string;
  outcome?: ExceptionOutcome;
  status?: 'open' | 'resolved';
  afterId?: number;
}

/** Exceptions with what a person needs beside them: the channel, the bill and the receipt. */
export function exceptionsQuery(db: Knex, f: ExceptionFilter): Knex.QueryBuilder {
  return db('reconciliation_exceptions as e')
    .join('bank_channels as c', 'c.id', 'e.bank_channel_id')
    .leftJoin('bills as b', 'b.id', 'e.bill_id')
    .leftJoin('bills as rb', 'rb.id', 'e.resolved_bill_id')
    .leftJoin('payments as p', 'p.id', 'e.payment_id')
    .modify((q) => {
      if (f.run) q.where('e.run_id', f.run);
      if (f.outcome) q.where('e.outcome', f.outcome);
      if (f.status) q.where('e.status', f.status);
      if (f.afterId !== undefined) q.where('e.id', '>', f.afterId);
    })
    .orderBy('e.id')
    .select('e.*', 'c.code as channel_code', 'b.bill_no', 'p.receipt_no', 'rb.bill_no as resolved_bill_no');
}

export function findException(db: Knex, id: number): Promise<ExceptionRow | undefined> {
  return exceptionsQuery(db, {}).where('e.id', id).first();
}

/** Guarded: only an open exception is resolved, so two finance staff cannot both resolve it. */
export async function markResolved(
  trx: Knex,
  id: number,
  r: { action: string; reason: string; resolved_by: string; resolved_bill_id: number | null; resolved_payment_id: number | null },
): Promise<boolean> {
  const n = await trx('reconciliation_exceptions')
    .where({ id, status: 'open' })
    .update({ ...r, status: 'resolved', resolved_at: trx.fn.now() });
  return n === 1;
}
