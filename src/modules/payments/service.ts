import type { Knex } from 'knex';
import { AppError } from '../../errors';
import type { Principal } from '../auth/tokens';
import { requireBill } from '../bills/service';

export async function listBillPayments(db: Knex, who: Principal, billNo: string) {
  const bill = await requireBill(db, who, billNo);
  const rows = await db('payments as p')
    .join('bank_channels as c', 'c.id', 'p.bank_channel_id')
    .where('p.bill_id', bill.id)
    .orderBy('p.id')
    .select('p.*', 'c.code as channel_code');
  return rows.map((p) => ({
    id: p.id,
    receipt_no: p.receipt_no,
    payment_ref: p.payment_ref,
    amount: p.amount,
    applied_amount: p.applied_amount,
    credit_amount: p.credit_amount,
    paid_at: p.paid_at,
    source: p.source,
    bank_channel: p.channel_code,
    note: p.note,
  }));
}

function cursorId(cursor: string | undefined): number | undefined {
  if (!cursor) return undefined;
  const m = /^n:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new AppError('invalid_cursor', 'The cursor is not one this API gave out', 400);
  return Number(m[1]);
}

interface NotificationRow {
  id: number;
  channel_code: string;
  source: string;
  status: string;
  reason: string | null;
  trx_id: string;
  payment_ref: string;
  virtual_account: string | null;
  amount: number;
  cumulative: number | null;
  paid_at: Date;
  bill_no: string | null;
  duplicates: number;
  received_at: Date;
  processed_at: Date | null;
}

/** The inbox as finance sees it: what banks said, and what Kasda made of it. */
export async function listNotifications(db: Knex, q: { status?: string; limit?: number; cursor?: string }) {
  const limit = q.limit ?? 50;
  const after = cursorId(q.cursor);
  const rows: NotificationRow[] = await db('bank_notifications as n')
    .join('bank_channels as c', 'c.id', 'n.bank_channel_id')
    .leftJoin('bills as b', 'b.id', 'n.bill_id')
    .modify((qb) => {
      if (q.status) qb.where('n.status', q.status);
      if (after) qb.where('n.id', '<', after);
    })
    .orderBy('n.id', 'desc')
    .limit(limit + 1)
    .select('n.*', 'c.code as channel_code', 'b.bill_no');
  const page = rows.slice(0, limit);
  return {
    data: page.map((n: NotificationRow) => ({
      id: n.id,
      bank_channel: n.channel_code,
      source: n.source,
      status: n.status,
      reason: n.reason,
      trx_id: n.trx_id,
      payment_ref: n.payment_ref,
      virtual_account: n.virtual_account,
      amount: n.amount,
      cumulative: n.cumulative,
      paid_at: n.paid_at,
      bill_no: n.bill_no,
      duplicates: n.duplicates,
      received_at: n.received_at,
      processed_at: n.processed_at,
    })),
    next_cursor: rows.length > limit ? Buffer.from(`n:${page[page.length - 1].id}`).toString('base64url') : null,
  };
}
