import type { Knex } from 'knex';
import { AppError, Conflict, NotFound } from '../../errors';
import { logger } from '../../logger';
import { queue, QUEUES } from '../../queues';
import type { Principal } from '../auth/tokens';
import { recordAudit } from '../audit/service';
import * as repo from './repo';
import type { BillStatus } from './states';

export interface IssueJob {
  billId: number;
}

/** Queues VA creation for bills, one job per bill on its channel's queue. */
export async function enqueueIssue(bills: Array<{ id: number; channel_code: string; issue_attempts: number }>) {
  const byChannel = new Map<string, typeof bills>();
  for (const b of bills) byChannel.set(b.channel_code, [...(byChannel.get(b.channel_code) ?? []), b]);
  for (const [channel, list] of byChannel) {
    await queue(QUEUES.issueVa(channel)).addBulk(
      list.map((b) => ({
        name: 'issue-va',
        data: { billId: b.id } satisfies IssueJob,
        // The attempt number keeps an operator's retry from being swallowed by the first job's id.
        opts: { jobId: `bill-${b.id}-${b.issue_attempts}` },
      })),
    );
  }
}

function present(b: repo.BillView) {
  return {
    bill_no: b.bill_no,
    document_type: b.document_type,
    levy_type: b.levy_type_code,
    period: b.period,
    status: b.status,
    amount: b.amount,
    paid_amount: b.paid_amount,
    billing_type: b.billing_type,
    trx_id: b.trx_id,
    virtual_account: b.virtual_account,
    bank_channel: b.channel_code,
    issue_date: b.issue_date,
    due_date: b.due_date,
    expires_at: b.expires_at,
    issued_at: b.issued_at,
    last_bank_status: b.last_bank_status,
    last_bank_message: b.last_bank_message,
    payer: { npwrd: b.payer_npwrd, name: b.payer_name },
    opd: { code: b.opd_code, name: b.opd_name },
  };
}

function encodeCursor(id: number): string {
  return Buffer.from(`b:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const m = /^b:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new AppError('invalid_cursor', 'The cursor is not one this API gave out', 400);
  return Number(m[1]);
}

export async function listBills(
  db: Knex,
  who: Principal,
  q: { status?: BillStatus; payer?: string; levy_type?: string; period?: string; limit?: number; cursor?: string },
) {
  const limit = q.limit ?? 50;
  const rows = await repo.listBills(db, who, {
    ...q,
    afterId: q.cursor ? decodeCursor(q.cursor) : undefined,
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  return {
    data: page.map(present),
    next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null,
  };
}

export async function requireBill(db: Knex, who: Principal, billNo: string) {
  // Out of scope looks exactly like absent: a payer learns nothing about others' bill numbers.
  const bill = await repo.findBill(db, who, billNo);
  if (!bill) throw new NotFound('bill_not_found', `No bill ${billNo}`);
  return bill;
}

export async function getBill(db: Knex, who: Principal, billNo: string) {
  const bill = await requireBill(db, who, billNo);
  const lines = await repo.linesOf(db, bill.id);
  return {
    ...present(bill),
    lines: lines.map((l) => ({
      line_no: l.line_no,
      object_code: l.object_code,
      object_name: l.object_name,
      account_code: l.account_code,
      description: l.description,
      amount: l.amount,
      calculation: l.calculation,
    })),
  };
}

/**
 * An operator issues a bill again: one whose issuing failed, or one whose VA expired unpaid. An
 * expired bill keeps its number but gets a new trx_id (the bank never accepts one twice).
 */
export async function retryIssue(db: Knex, who: Principal, billNo: string) {
  const bill = await requireBill(db, who, billNo);
  const moved = await db.transaction(async (trx) => {
    const reissue = bill.status === 'expired';
    const row = await repo.transition(trx, bill.id, 'issuing', reissue ? { trx_id: null } : {}, ['issue_failed', 'expired']);
    if (row) {
      await recordAudit(trx, {
        actor: `${who.role}:${who.sub}`,
        action: reissue ? 'bill.reissue' : 'bill.issue_retry',
        entityType: 'bill',
        entityId: bill.bill_no,
        before: { status: bill.status, trx_id: bill.trx_id, bank_status: bill.last_bank_status },
        after: { status: 'issuing', trx_id: row.trx_id },
      });
    }
    return row;
  });
  if (!moved) {
    throw new Conflict(
      'bill_not_retryable',
      `Bill ${billNo} is ${bill.status}; only a bill whose issuing failed or whose VA expired can be issued again`,
    );
  }
  await enqueueIssue([{ id: moved.id, channel_code: bill.channel_code, issue_attempts: moved.issue_attempts }]).catch((e) => {
    // The bill is in `issuing` and the sweeper picks it up; the operator need not try again.
    logger.warn({ err: e, bill: billNo }, 'could not queue the retry now; the sweeper will');
  });
  return getBill(db, who, billNo);
}

/** Re-queues bills left in draft or issuing (a crash, Redis away) for longer than `olderThanMs`. */
export async function requeueStuckBills(db: Knex, olderThanMs: number): Promise<number> {
  const rows = await db('bills as b')
    .join('bank_channels as c', 'c.id', 'b.bank_channel_id')
    .whereIn('b.status', ['draft', 'issuing'])
    .andWhere('b.updated_at', '<', new Date(Date.now() - olderThanMs))
    .select('b.id', 'b.issue_attempts', 'c.code as channel_code');
  if (rows.length) await enqueueIssue(rows);
  return rows.length;
}
