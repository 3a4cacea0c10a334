import type { Knex } from 'knex';
import { findChannel } from '../../banks/registry';
import type { BankNotification } from '../../banks/types';
import { AppError, Conflict, NotFound, ValidationFailed } from '../../errors';
import { logger } from '../../logger';
import { recordAudit } from '../audit/service';
import type { Principal } from '../auth/tokens';
import type { BillRow } from '../bills/repo';
import { formulaInjection } from '../imports/csv';
import { mismatch, recordInbox } from '../payments/intake';
import { processNotification } from '../payments/process';
import { ExceptionOutcome, ExceptionRow, findException, markResolved } from './repo';

/**
 * Finance resolves each exception with an action and a reason; who, when and why are kept on the
 * exception and in the audit trail. `link_to_bill` applies a credit the bank made and Kasda never
 * heard of to its bill through the ordinary inbox and apply path (as a notification from the
 * statement), so the payment, the ledger, the receipt and the payer's webhook follow as always.
 * The other actions record a decision; the money they concern is moved outside Kasda.
 */
export const ACTIONS = ['link_to_bill', 'mark_refund', 'accept_difference', 'write_off'] as const;
export type Action = (typeof ACTIONS)[number];

const ALLOWED: Record<ExceptionOutcome, readonly Action[]> = {
  missing_in_system: ['link_to_bill', 'mark_refund', 'write_off'],
  amount_mismatch: ['accept_difference', 'mark_refund', 'write_off'],
  duplicate: ['mark_refund', 'accept_difference', 'write_off'],
  missing_in_bank: ['accept_difference', 'write_off'],
};

export interface Resolution {
  action: string;
  reason: string;
  billNo?: string | null;
}

export function exceptionView(e: ExceptionRow) {
  return {
    id: e.id,
    outcome: e.outcome,
    status: e.status,
    bank_channel: e.channel_code,
    run_id: e.run_id,
    line_no: e.line_no,
    occurred_at: e.occurred_at,
    virtual_account: e.virtual_account,
    bank_reference: e.bank_reference,
    amount: e.amount,
    difference: e.field ? { field: e.field, bank: e.bank_value, kasda: e.kasda_value } : null,
    bill_no: e.bill_no,
    payment: e.payment_id ? { id: e.payment_id, receipt_no: e.receipt_no } : null,
    resolution:
      e.status === 'resolved'
        ? { action: e.action, reason: e.reason, by: e.resolved_by, at: e.resolved_at, bill_no: e.resolved_bill_no, payment_id: e.resolved_payment_id }
        : null,
    created_at: e.created_at,
  };
}

/** Checks what a person asked for before anything is touched; throws with a stable code. */
function checkResolution(e: ExceptionRow, r: Resolution): { action: Action; reason: string; billNo: string | null } {
  if (!(ACTIONS as readonly string[]).includes(r.action)) {
    throw new ValidationFailed(`action must be one of ${ACTIONS.join(', ')}`, { field: 'action' });
  }
  const action = r.action as Action;
  const reason = r.reason.trim();
  if (reason.length < 3 || reason.length > 500) throw new ValidationFailed('reason must be 3 to 500 characters', { field: 'reason' });
  const formula = formulaInjection(reason);
  if (formula) throw new ValidationFailed(`reason ${formula}`, { field: 'reason' });
  const billNo = r.billNo?.trim() || null;
  if (billNo && action !== 'link_to_bill') throw new ValidationFailed('bill_no goes only with link_to_bill', { field: 'bill_no' });
  if (e.status === 'resolved') {
    throw new Conflict('exception_resolved', `Exception ${e.id} was resolved by ${e.resolved_by} (${e.action})`);
  }
  if (!ALLOWED[e.outcome].includes(action)) {
    throw new Conflict('resolution_not_allowed', `A ${e.outcome} exception can be resolved by ${ALLOWED[e.outcome].join(', ')}, not ${action}`, {
      allowed: ALLOWED[e.outcome],
    });
  }
  return { action, reason, billNo };
}

/**
 * The credit, as a notification from the statement, through the inbox and the apply path. Safe to
 * repeat: the inbox keeps one row per (channel, trx_id, reference), and a payment applied by an
 * earlier attempt is found again.
 */
async function linkToBill(db: Knex, e: ExceptionRow, billNo: string | null): Promise<{ billId: number; paymentId: number }> {
  const bill: BillRow | undefined = billNo
    ? await db('bills').where({ bill_no: billNo }).first()
    : e.bill_id
      ? await db('bills').where({ id: e.bill_id }).first()
      : undefined;
  if (!bill) {
    if (billNo) throw new NotFound('bill_not_found', `No bill ${billNo}`);
    throw new Conflict('bill_unknown', `No bill carries VA ${e.virtual_account ?? '(none)'}: name the bill with bill_no`);
  }
  if (bill.status !== 'issued' && bill.status !== 'partially_paid') {
    throw new Conflict('link_not_applicable', `Bill ${bill.bill_no} is ${bill.status}: it takes no payment`);
  }
  if (bill.bank_channel_id !== e.bank_channel_id || !bill.trx_id) {
    throw new Conflict('link_not_applicable', `Bill ${bill.bill_no} has no VA on the statement's bank channel`);
  }
  if (e.amount === null || e.occurred_at === null) throw new Conflict('link_not_applicable', 'The statement line has no amount or date');
  const channel = await findChannel(db, e.bank_channel_id);
  const notification: BankNotification = {
    trxId: bill.trx_id,
    virtualAccount: e.virtual_account ?? bill.virtual_account ?? '',
    // A line without a bank reference still needs a stable one: the inbox is keyed on it.
    paymentRef: e.bank_reference ?? `STMT-${e.id}`,
    amount: e.amount,
    cumulative: null,
    paidAt: e.occurred_at,
    customerName: null,
  };
  const reason = mismatch(bill, notification);
  if (reason) throw new Conflict('link_not_applicable', `The credit cannot go to bill ${bill.bill_no}: ${reason}`);
  const decoded = { run_id: e.run_id, line_no: e.line_no, exception_id: e.id, bill_no: bill.bill_no };
  const inbox = await recordInbox(db, {
    channel,
    source: 'statement',
    sourceIp: null,
    raw: JSON.stringify({ ...decoded, virtual_account: e.virtual_account, amount: e.amount, bank_reference: e.bank_reference, posted_at: e.occurred_at }),
    decoded,
    notification,
    answer: { status: 200, body: null },
  });
  const outcome = await processNotification(db, inbox.id);
  if (outcome.result === 'applied') return { billId: bill.id, paymentId: outcome.paymentId };
  const earlier = await db('payments')
    .where({ bank_channel_id: channel.id, trx_id: notification.trxId, payment_ref: notification.paymentRef })
    .first('id');
  if (earlier) return { billId: bill.id, paymentId: earlier.id };
  const why = 'reason' in outcome && outcome.reason ? outcome.reason : outcome.result;
  throw new Conflict('link_not_applicable', `The credit could not be applied to bill ${bill.bill_no}: ${why}`, { notification_id: inbox.id });
}

export async function resolveException(db: Knex, who: Principal, id: number, r: Resolution): Promise<ExceptionRow> {
  const e = await findException(db, id);
  if (!e) throw new NotFound('exception_not_found', `No reconciliation exception ${id}`);
  const { action, reason, billNo } = checkResolution(e, r);
  const linked = action === 'link_to_bill' ? await linkToBill(db, e, billNo) : null;
  const actor = `${who.role}:${who.sub}`;
  await db.transaction(async (trx) => {
    const done = await markResolved(trx, id, {
      action,
      reason,
      resolved_by: actor,
      resolved_bill_id: linked?.billId ?? null,
      resolved_payment_id: linked?.paymentId ?? null,
    });
    if (!done) throw new Conflict('exception_resolved', `Exception ${id} was resolved meanwhile`);
    await recordAudit(trx, {
      actor,
      action: 'reconciliation.exception_resolved',
      entityType: 'reconciliation_exception',
      entityId: id,
      before: { status: 'open', outcome: e.outcome, amount: e.amount, bank_reference: e.bank_reference },
      after: { status: 'resolved', action, reason, bill_id: linked?.billId ?? null, payment_id: linked?.paymentId ?? null },
    });
  });
  logger.info({ exception: id, action, actor }, 'reconciliation exception resolved');
  return (await findException(db, id))!;
}

/** For the bulk import: the error's code and message, or rethrown when it is not the caller's fault. */
export function resolutionError(e: unknown): { code: string; reason: string } {
  if (e instanceof AppError) return { code: e.code, reason: e.message };
  throw e;
}
