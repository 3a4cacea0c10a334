import type { Knex } from 'knex';
import type { Principal } from '../auth/tokens';
import { BillStatus, sourcesOf } from './states';

export interface BillRow {
  id: number;
  bill_no: string;
  document_type: string;
  opd_id: number;
  levy_type_id: number;
  levy_type_version_id: number;
  assessment_id: string | null;
  payer_id: number;
  period: string;
  subject_key: string;
  status: BillStatus;
  amount: number;
  paid_amount: number;
  billing_type: string;
  bank_channel_id: number;
  trx_id: string | null;
  virtual_account: string | null;
  issue_date: string;
  due_date: string;
  expires_at: Date | null;
  last_bank_status: string | null;
  last_bank_message: string | null;
  issue_attempts: number;
  issued_at: Date | null;
  last_payment_at: Date | null;
  last_inquired_at: Date | null;
  supersedes_bill_id: number | null;
  dunning_paused_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface BillLineRow {
  id: number;
  bill_id: number;
  line_no: number;
  object_id: number | null;
  account_code: string;
  description: string;
  amount: number;
  calculation: Record<string, unknown>;
}

/** Restricts a query joining payers and opds (by these aliases) to the bills the caller may see. */
export function scoped(
  q: Knex.QueryBuilder,
  who: Principal,
  alias: { payers: string; opds: string } = { payers: 'p', opds: 'o' },
): Knex.QueryBuilder {
  if (who.role === 'payer') q.where(`${alias.payers}.npwrd`, who.npwrd!);
  if (who.role === 'opd_admin') q.where(`${alias.opds}.code`, who.opd!);
  return q;
}

function billsWithJoins(db: Knex) {
  return db('bills as b')
    .join('payers as p', 'p.id', 'b.payer_id')
    .join('opds as o', 'o.id', 'b.opd_id')
    .join('levy_types as lt', 'lt.id', 'b.levy_type_id')
    .join('bank_channels as c', 'c.id', 'b.bank_channel_id')
    .select(
      'b.*',
      'p.npwrd as payer_npwrd',
      'p.name as payer_name',
      'o.code as opd_code',
      'o.name as opd_name',
      'lt.code as levy_type_code',
      'c.code as channel_code',
    );
}

export type BillView = BillRow & {
  payer_npwrd: string;
  payer_name: string;
  opd_code: string;
  opd_name: string;
  levy_type_code: string;
  channel_code: string;
};

export interface BillFilter {
  status?: BillStatus;
  payer?: string;
  levy_type?: string;
  period?: string;
  afterId?: number;
  limit: number;
}

export function listBills(db: Knex, who: Principal, f: BillFilter): Promise<BillView[]> {
  const q = billsWithJoins(db);
  scoped(q, who);
  if (f.status) q.where('b.status', f.status);
  if (f.payer) q.where('p.npwrd', f.payer);
  if (f.levy_type) q.where('lt.code', f.levy_type);
  if (f.period) q.where('b.period', f.period);
  if (f.afterId) q.where('b.id', '>', f.afterId);
  return q.orderBy('b.id').limit(f.limit);
}

export function findBill(db: Knex, who: Principal, billNo: string): Promise<BillView | undefined> {
  return scoped(billsWithJoins(db).where('b.bill_no', billNo), who).first();
}

export function linesOf(db: Knex, billId: number) {
  return db('bill_lines as l')
    .leftJoin('objects as ob', 'ob.id', 'l.object_id')
    .where('l.bill_id', billId)
    .orderBy('l.line_no')
    .select('l.*', 'ob.code as object_code', 'ob.name as object_name') as Promise<
    Array<BillLineRow & { object_code: string | null; object_name: string | null }>
  >;
}

/** Moves a bill to `to` only if it is in a state allowed to reach it; undefined otherwise. */
export async function transition(
  trx: Knex,
  billId: number,
  to: BillStatus,
  patch: Partial<BillRow> = {},
  from: BillStatus[] = sourcesOf(to),
): Promise<BillRow | undefined> {
  const [row] = await trx('bills')
    .where('id', billId)
    .whereIn('status', from)
    .update({ ...patch, status: to, updated_at: trx.fn.now() })
    .returning('*');
  return row;
}

/**
 * Payments moving many bills at once (the apply worker's batches), each a guarded transition like
 * `transition`: a bill takes its new status and paid amount only from one of `from`. Returns the
 * ids of the bills that moved.
 */
export async function transitionPaid(
  trx: Knex,
  moves: Array<{ id: number; status: BillStatus; paid_amount: number; last_payment_at: Date }>,
  from: BillStatus[],
): Promise<Set<number>> {
  if (moves.length === 0) return new Set();
  const { rows } = await trx.raw(
    `UPDATE bills AS b
        SET status = m.status, paid_amount = m.paid_amount, last_payment_at = m.last_payment_at, updated_at = now()
       FROM jsonb_to_recordset(?::jsonb) AS m(id bigint, status text, paid_amount bigint, last_payment_at timestamptz)
      WHERE b.id = m.id AND b.status = ANY(?)
      RETURNING b.id`,
    [JSON.stringify(moves), from],
  );
  return new Set(rows.map((r: { id: number }) => Number(r.id)));
}

/**
 * Allocates `count` consecutive document numbers (bills, receipts, STS) for an OPD and year inside
 * the caller's transaction: the counter row stays locked until it commits, and rolls back with it,
 * so committed numbers have no gaps.
 */
export async function allocateNumbers(
  trx: Knex,
  opdId: number,
  year: number,
  count: number,
  kind: 'bill' | 'receipt' | 'sts' = 'bill',
): Promise<number> {
  const { rows } = await trx.raw(
    `INSERT INTO document_sequences (opd_id, year, kind, last_no) VALUES (?, ?, ?, ?)
     ON CONFLICT (opd_id, year, kind) DO UPDATE SET last_no = document_sequences.last_no + EXCLUDED.last_no
     RETURNING last_no`,
    [opdId, year, kind, count],
  );
  return Number(rows[0].last_no) - count + 1;
}

export function allocateBillNumbers(trx: Knex, opdId: number, year: number, count: number): Promise<number> {
  return allocateNumbers(trx, opdId, year, count, 'bill');
}

export function formatBillNo(opdCode: string, year: number, seq: number): string {
  return `${opdCode}-${year}-${String(seq).padStart(6, '0')}`;
}
