import type { Knex } from 'knex';
import type { Principal } from '../auth/tokens';
import { revenueSplit } from './revenue-split';

export interface StsRow {
  id: number;
  sts_no: string;
  opd_id: number;
  bank_channel_id: number;
  deposit_date: string;
  year: number;
  seq: number;
  revenue_amount: number;
  credit_amount: number;
  total_amount: number;
  payment_count: number;
  created_by: string;
  created_at: Date;
}

export type StsView = StsRow & {
  opd_code: string;
  opd_name: string;
  channel_code: string;
  channel_name: string;
  bank_name: string;
};

export interface StsLineRow {
  line_no: number;
  account_code: string;
  description: string;
  amount: number;
}

export interface StsPaymentRow {
  payment_id: number;
  receipt_no: string;
  payment_ref: string;
  bill_no: string;
  document_type: string;
  npwrd: string;
  payer_name: string;
  paid_at: Date;
  amount: number;
  applied_amount: number;
  credit_amount: number;
}

export interface PendingGroup {
  opd_id: number;
  opd_code: string;
  bank_channel_id: number;
  channel_code: string;
}

/** Serialises STS runs for one day: a second run waits, then finds the payments already taken. */
export async function lockDay(trx: Knex, day: string): Promise<void> {
  await trx.raw(`SELECT pg_advisory_xact_lock(hashtext(?))`, [`kasda:sts:${day}`]);
}

/** Payments paid in [start, end) on no STS yet, optionally of one channel and one OPD. */
function undeposited(db: Knex, start: Date, end: Date, where: { channelId?: number; opdId?: number }) {
  return db('payments as p')
    .join('bills as b', 'b.id', 'p.bill_id')
    .where('p.paid_at', '>=', start)
    .andWhere('p.paid_at', '<', end)
    .whereNotExists(db('sts_payments as sp').whereRaw('sp.payment_id = p.id'))
    .modify((q) => {
      if (where.channelId !== undefined) q.where('p.bank_channel_id', where.channelId);
      if (where.opdId !== undefined) q.where('b.opd_id', where.opdId);
    });
}

/** The (OPD, channel) pairs with payments still to deposit, in the order their STS are numbered. */
export function pendingGroups(trx: Knex, start: Date, end: Date, channelId?: number): Promise<PendingGroup[]> {
  return undeposited(trx, start, end, { channelId })
    .join('opds as o', 'o.id', 'b.opd_id')
    .join('bank_channels as c', 'c.id', 'p.bank_channel_id')
    .distinct('b.opd_id', 'o.code as opd_code', 'p.bank_channel_id', 'c.code as channel_code')
    .orderBy([{ column: 'opd_code' }, { column: 'channel_code' }]);
}

/** The WIB days in [start, end) that still have payments on no STS. */
export async function daysWithPendingPayments(db: Knex, start: Date, end: Date): Promise<string[]> {
  const rows: Array<{ day: string }> = await undeposited(db, start, end, {})
    .distinct(db.raw(`(p.paid_at AT TIME ZONE 'Asia/Jakarta')::date AS day`))
    .orderBy('day');
  return rows.map((r) => r.day);
}

/**
 * Creates one STS with the group's undeposited payments and its lines per account code. Totals are
 * taken from what was actually attached, so a payment applied meanwhile cannot make them disagree.
 */
export async function createSts(
  trx: Knex,
  s: { stsNo: string; opdId: number; channelId: number; day: string; seq: number; createdBy: string; start: Date; end: Date },
): Promise<StsRow> {
  const [created] = await trx('sts')
    .insert({
      sts_no: s.stsNo,
      opd_id: s.opdId,
      bank_channel_id: s.channelId,
      deposit_date: s.day,
      year: Number(s.day.slice(0, 4)),
      seq: s.seq,
      revenue_amount: 0,
      credit_amount: 0,
      total_amount: 0,
      payment_count: 0,
      created_by: s.createdBy,
    })
    .returning('id');
  const stsId: number = created.id;
  await trx.raw(`INSERT INTO sts_payments (payment_id, sts_id) ?`, [
    undeposited(trx, s.start, s.end, { channelId: s.channelId, opdId: s.opdId }).select('p.id', trx.raw('?::bigint', [stsId])),
  ]);

  const attached = trx('payments as p')
    .join('sts_payments as sp', 'sp.payment_id', 'p.id')
    .where('sp.sts_id', stsId)
    .select('p.id', 'p.bill_id', 'p.applied_amount');
  await trx.raw(
    `INSERT INTO sts_lines (sts_id, line_no, account_code, description, amount)
     SELECT ?, row_number() OVER (ORDER BY s.account_code), s.account_code,
            string_agg(DISTINCT lt.name, '; ' ORDER BY lt.name), sum(s.amount)
       FROM (?) s
       JOIN payments p ON p.id = s.payment_id
       JOIN bills b ON b.id = p.bill_id
       JOIN levy_types lt ON lt.id = b.levy_type_id
      GROUP BY s.account_code
     HAVING sum(s.amount) > 0`,
    [stsId, revenueSplit(trx, attached)],
  );

  const { rows } = await trx.raw(
    `UPDATE sts SET (revenue_amount, credit_amount, total_amount, payment_count) = (
       SELECT coalesce(sum(p.applied_amount), 0), coalesce(sum(p.credit_amount), 0), coalesce(sum(p.amount), 0), count(*)
         FROM sts_payments sp JOIN payments p ON p.id = sp.payment_id
        WHERE sp.sts_id = sts.id)
      WHERE id = ? RETURNING *`,
    [stsId],
  );
  return rows[0];
}

export async function lineTotal(trx: Knex, stsId: number): Promise<number> {
  const [{ total }] = await trx('sts_lines').where('sts_id', stsId).select(trx.raw('coalesce(sum(amount), 0)::bigint AS total'));
  return total;
}

/** STS with their OPD and channel; `who` null is the service itself, seeing every OPD. */
function stsWithJoins(db: Knex, who: Principal | null) {
  return db('sts as s')
    .join('opds as o', 'o.id', 's.opd_id')
    .join('bank_channels as c', 'c.id', 's.bank_channel_id')
    .modify((q) => {
      if (who?.role === 'opd_admin') q.where('o.code', who.opd!);
    })
    .select('s.*', 'o.code as opd_code', 'o.name as opd_name', 'c.code as channel_code', 'c.name as channel_name', 'c.bank_name');
}

export function listSts(db: Knex, who: Principal | null, f: { from: string; to: string; channelId?: number }): Promise<StsView[]> {
  return stsWithJoins(db, who)
    .whereBetween('s.deposit_date', [f.from, f.to])
    .modify((q) => {
      if (f.channelId !== undefined) q.where('s.bank_channel_id', f.channelId);
    })
    .orderBy([{ column: 's.deposit_date' }, { column: 'o.code' }, { column: 's.seq' }]);
}

export function findSts(db: Knex, who: Principal, stsNo: string): Promise<StsView | undefined> {
  return stsWithJoins(db, who).where('s.sts_no', stsNo).first();
}

export function stsById(db: Knex, id: number): Promise<StsView> {
  return stsWithJoins(db, null).where('s.id', id).first();
}

export function linesOfSts(db: Knex, stsId: number): Promise<StsLineRow[]> {
  return db('sts_lines').where('sts_id', stsId).orderBy('line_no').select('line_no', 'account_code', 'description', 'amount');
}

export function paymentsOfSts(db: Knex, stsId: number): Promise<StsPaymentRow[]> {
  return db('sts_payments as sp')
    .join('payments as p', 'p.id', 'sp.payment_id')
    .join('bills as b', 'b.id', 'p.bill_id')
    .join('payers as pr', 'pr.id', 'b.payer_id')
    .where('sp.sts_id', stsId)
    .orderBy([{ column: 'p.paid_at' }, { column: 'p.id' }])
    .select(
      'p.id as payment_id',
      'p.receipt_no',
      'p.payment_ref',
      'b.bill_no',
      'b.document_type',
      'pr.npwrd',
      'pr.name as payer_name',
      'p.paid_at',
      'p.amount',
      'p.applied_amount',
      'p.credit_amount',
    );
}
