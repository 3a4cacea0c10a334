import type { Knex } from 'knex';
import { jakartaDate } from '../../lib/time';
import { logger } from '../../logger';
import { recordAudit } from '../audit/service';
import { allocateNumbers, BillRow, transition } from '../bills/repo';
import type { BillStatus } from '../bills/states';
import { recordBillEvent } from '../bills/events';
import { account } from '../ledger/accounts';
import { post } from '../ledger/service';

/**
 * Applying one inbox row to its bill, exactly once: the inbox row and the bill row are locked, the
 * unique (channel, trx_id, payment_ref) key on payments is the final guard, and every effect
 * (payment, bill status, ledger, audit) commits together or not at all.
 */
export type ApplyResult =
  | { result: 'applied'; paymentId: number; billId: number; status: string; webhookDelivery: number | null }
  | { result: 'duplicate' | 'exception' | 'applied_before'; reason?: string }
  | { result: 'missing' };

const OPEN: BillStatus[] = ['issued', 'partially_paid'];

export interface InboxRow {
  id: number;
  bank_channel_id: number;
  source: 'callback' | 'inquiry' | 'statement';
  trx_id: string;
  payment_ref: string;
  amount: number;
  cumulative: number | null;
  paid_at: Date;
  bill_id: number | null;
  status: string;
}

async function markInbox(trx: Knex, id: number, status: string, reason: string | null = null) {
  await trx('bank_notifications').where({ id }).update({ status, reason, processed_at: trx.fn.now() });
}

export async function applyNotification(db: Knex, notificationId: number): Promise<ApplyResult> {
  const outcome = await db.transaction(async (trx): Promise<ApplyResult> => {
    const n: InboxRow | undefined = await trx('bank_notifications').where({ id: notificationId }).forUpdate().first();
    if (!n) return { result: 'missing' };
    if (n.status !== 'pending') return { result: 'applied_before' };
    if (n.bill_id === null) {
      await markInbox(trx, n.id, 'exception', 'no bill for this trx_id');
      return { result: 'exception', reason: 'no bill for this trx_id' };
    }

    const bill: BillRow = await trx('bills').where({ id: n.bill_id }).forUpdate().first();
    const earlier = await trx('payments')
      .where({ bank_channel_id: n.bank_channel_id, trx_id: n.trx_id, payment_ref: n.payment_ref })
      .first('id');
    if (earlier) {
      await markInbox(trx, n.id, 'duplicate');
      return { result: 'duplicate' };
    }
    // A payment found by inquiry covers everything the bank had counted by then; a late
    // notification for one of those payments must not be counted again.
    if (n.cumulative !== null && n.source !== 'inquiry') {
      const covering = await trx('payments')
        .where({ bill_id: bill.id, source: 'inquiry' })
        .andWhere('cumulative_reported', '>=', n.cumulative)
        .first('id');
      if (covering) {
        await markInbox(trx, n.id, 'duplicate', `already counted by inquiry (payment ${covering.id})`);
        return { result: 'duplicate' };
      }
    }

    const outstanding = bill.amount - bill.paid_amount;
    const version = await trx('levy_type_versions').where({ id: bill.levy_type_version_id }).first('payment_policy');
    const partialAllowed = Boolean(version.payment_policy.partial_allowed);
    let reason: string | null = null;
    if (!OPEN.includes(bill.status)) reason = `bill is ${bill.status}`;
    else if (!partialAllowed && n.amount < outstanding) reason = `partial payment of ${n.amount} on a bill that must be paid in full (${outstanding})`;
    else if (bill.billing_type === 'c' && n.amount !== outstanding) reason = `fixed bill expects ${outstanding}, got ${n.amount}`;
    if (reason) {
      await markInbox(trx, n.id, 'exception', reason);
      logger.warn({ notification: n.id, bill: bill.bill_no, reason }, 'payment kept as an exception for finance');
      return { result: 'exception', reason };
    }

    // Whatever exceeds the outstanding amount is the payer's credit, never lost.
    const applied = Math.min(n.amount, outstanding);
    const credit = n.amount - applied;
    const paid = bill.paid_amount + applied;
    const expectedCumulative = bill.paid_amount + n.amount;
    const note =
      n.cumulative !== null && n.cumulative !== expectedCumulative
        ? `bank reports cumulative ${n.cumulative}, Kasda counts ${expectedCumulative}`
        : null;
    if (note) logger.warn({ notification: n.id, bill: bill.bill_no, note }, 'cumulative amount differs from the bank');

    const paidDay = jakartaDate(n.paid_at);
    const seq = await allocateNumbers(trx, bill.opd_id, Number(paidDay.slice(0, 4)), 1, 'receipt');
    const opd = await trx('opds').where({ id: bill.opd_id }).first('code');
    const [payment] = await trx('payments')
      .insert({
        bank_channel_id: n.bank_channel_id,
        bill_id: bill.id,
        notification_id: n.id,
        trx_id: n.trx_id,
        payment_ref: n.payment_ref,
        receipt_no: `${opd.code}-NTPD-${paidDay.slice(0, 4)}-${String(seq).padStart(6, '0')}`,
        amount: n.amount,
        applied_amount: applied,
        credit_amount: credit,
        cumulative_reported: n.cumulative,
        source: n.source,
        note,
        paid_at: n.paid_at,
      })
      .returning(['id', 'receipt_no']);

    const status = paid >= bill.amount ? 'paid' : 'partially_paid';
    // A second installment keeps a partially paid bill where it is; that too is a guarded update.
    const moved = await transition(trx, bill.id, status, { paid_amount: paid, last_payment_at: n.paid_at }, OPEN);
    if (!moved) throw new Error(`bill ${bill.bill_no} could not move from ${bill.status} to ${status}`);

    const levy = await trx('levy_types').where({ id: bill.levy_type_id }).first('code');
    const channel = await trx('bank_channels').where({ id: n.bank_channel_id }).first('code');
    await post(trx, {
      kind: 'payment',
      description: `${payment.receipt_no} NTB ${n.payment_ref} for ${bill.bill_no}`,
      billId: bill.id,
      paymentId: payment.id,
      occurredAt: n.paid_at,
      lines: [
        { account: account.clearing(channel.code), debit: n.amount },
        { account: account.receivable(bill.payer_id, levy.code), billId: bill.id, credit: applied },
        { account: account.payerCredit(bill.payer_id), credit },
      ],
    });
    await recordAudit(trx, [
      {
        actor: `bank:${channel.code}`,
        action: 'payment.applied',
        entityType: 'payment',
        entityId: payment.id,
        after: { bill_no: bill.bill_no, payment_ref: n.payment_ref, amount: n.amount, applied, credit, source: n.source },
      },
      {
        actor: `bank:${channel.code}`,
        action: `bill.${status}`,
        entityType: 'bill',
        entityId: bill.bill_no,
        before: { status: bill.status, paid_amount: bill.paid_amount },
        after: { status, paid_amount: paid, payment_ref: n.payment_ref },
      },
    ]);
    await markInbox(trx, n.id, 'applied');
    const webhookDelivery = await recordBillEvent(trx, bill.id, `bill.${status}`, {
      payment: { receipt_no: payment.receipt_no, payment_ref: n.payment_ref, amount: n.amount, paid_at: n.paid_at },
    });
    return { result: 'applied', paymentId: payment.id, billId: bill.id, status, webhookDelivery };
  });
  return outcome;
}
