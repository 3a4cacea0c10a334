import type { Knex } from 'knex';
import { jakartaDate } from '../../lib/time';
import { logger } from '../../logger';
import { recordAudit, type AuditEntry } from '../audit/service';
import { allocateNumbers, BillRow, transitionPaid } from '../bills/repo';
import type { BillStatus } from '../bills/states';
import { recordBillEvents } from '../bills/events';
import { account } from '../ledger/accounts';
import { postMany } from '../ledger/service';

/**
 * Applying inbox rows to their bills, exactly once: the inbox rows and the bill rows are locked, the
 * unique (channel, trx_id, payment_ref) key on payments is the final guard, and every effect
 * (payment, bill status, ledger, audit) commits together or not at all.
 *
 * Rows are applied in batches, one transaction each: under load the apply worker hands over every
 * row that arrived while the previous batch ran. Each decision is the same as for a row alone (a
 * batch takes at most one row per bill; a second row for a bill waits for the next batch, so it sees
 * the first one's effect), and the writes are set-based, so a batch costs a constant number of
 * statements and one commit. That matters because receipt numbers are gapless per OPD and year:
 * their counter row stays locked from allocation until commit, which serialises every payment of
 * the OPD. It is therefore allocated last, just before the writes that need the numbers.
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

/** Applies the rows, in as many transactions as rows for the same bill need; a result per id. */
export async function applyNotifications(db: Knex, notificationIds: number[]): Promise<Map<number, ApplyResult>> {
  const results = new Map<number, ApplyResult>();
  let pending = [...new Set(notificationIds)];
  while (pending.length) {
    const { done, deferred } = await db.transaction((trx) => applyBatch(trx, pending));
    for (const [id, r] of done) results.set(id, r);
    pending = deferred;
  }
  return results;
}

interface Plan {
  n: InboxRow;
  bill: BillRow;
  applied: number;
  credit: number;
  paid: number;
  status: 'paid' | 'partially_paid';
  note: string | null;
  paidDay: string;
}

async function applyBatch(trx: Knex, ids: number[]): Promise<{ done: Map<number, ApplyResult>; deferred: number[] }> {
  const done = new Map<number, ApplyResult>();
  const deferred: number[] = [];
  // Locked in id order, then the bills in id order: concurrent batches cannot deadlock.
  const rows: InboxRow[] = await trx('bank_notifications').whereIn('id', ids).orderBy('id').forUpdate();
  const found = new Set(rows.map((n) => n.id));
  for (const id of ids) if (!found.has(id)) done.set(id, { result: 'missing' });

  const byBill = new Map<number, InboxRow>();
  for (const n of rows) {
    if (n.status !== 'pending') done.set(n.id, { result: 'applied_before' });
    else if (n.bill_id === null) {
      await markInbox(trx, n.id, 'exception', 'no bill for this trx_id');
      done.set(n.id, { result: 'exception', reason: 'no bill for this trx_id' });
    } else if (byBill.has(n.bill_id)) deferred.push(n.id);
    else byBill.set(n.bill_id, n);
  }
  const batch = [...byBill.values()];
  if (batch.length === 0) return { done, deferred };

  const bills = new Map<number, BillRow>(
    (await trx('bills').whereIn('id', [...byBill.keys()]).orderBy('id').forUpdate()).map((b: BillRow) => [b.id, b]),
  );
  const { rows: earlierRows } = await trx.raw(
    `SELECT p.bank_channel_id, p.trx_id, p.payment_ref
       FROM payments p
       JOIN jsonb_to_recordset(?::jsonb) AS k(bank_channel_id bigint, trx_id text, payment_ref text)
      USING (bank_channel_id, trx_id, payment_ref)`,
    [JSON.stringify(batch.map((n) => ({ bank_channel_id: n.bank_channel_id, trx_id: n.trx_id, payment_ref: n.payment_ref })))],
  );
  const key = (p: { bank_channel_id: number; trx_id: string; payment_ref: string }) => `${p.bank_channel_id}\u0000${p.trx_id}\u0000${p.payment_ref}`;
  const earlier = new Set(earlierRows.map(key));
  const inquiries: Array<{ id: number; bill_id: number; cumulative_reported: number | null }> = await trx('payments')
    .whereIn('bill_id', [...byBill.keys()])
    .andWhere({ source: 'inquiry' })
    .orderBy('id')
    .select('id', 'bill_id', 'cumulative_reported');
  const versions = new Map<number, { partial_allowed?: boolean }>(
    (
      await trx('levy_type_versions')
        .whereIn('id', [...new Set([...bills.values()].map((b) => b.levy_type_version_id))])
        .select('id', 'payment_policy')
    ).map((v: { id: number; payment_policy: { partial_allowed?: boolean } }) => [v.id, v.payment_policy]),
  );

  const plans: Plan[] = [];
  for (const n of batch) {
    const bill = bills.get(n.bill_id!)!;
    if (earlier.has(key(n))) {
      await markInbox(trx, n.id, 'duplicate');
      done.set(n.id, { result: 'duplicate' });
      continue;
    }
    // A payment found by inquiry covers everything the bank had counted by then; a late
    // notification for one of those payments must not be counted again.
    if (n.cumulative !== null && n.source !== 'inquiry') {
      const covering = inquiries.find((p) => p.bill_id === bill.id && p.cumulative_reported !== null && p.cumulative_reported >= n.cumulative!);
      if (covering) {
        await markInbox(trx, n.id, 'duplicate', `already counted by inquiry (payment ${covering.id})`);
        done.set(n.id, { result: 'duplicate' });
        continue;
      }
    }

    const outstanding = bill.amount - bill.paid_amount;
    const partialAllowed = Boolean(versions.get(bill.levy_type_version_id)?.partial_allowed);
    let reason: string | null = null;
    if (!OPEN.includes(bill.status)) reason = `bill is ${bill.status}`;
    else if (!partialAllowed && n.amount < outstanding) reason = `partial payment of ${n.amount} on a bill that must be paid in full (${outstanding})`;
    else if (bill.billing_type === 'c' && n.amount !== outstanding) reason = `fixed bill expects ${outstanding}, got ${n.amount}`;
    if (reason) {
      await markInbox(trx, n.id, 'exception', reason);
      logger.warn({ notification: n.id, bill: bill.bill_no, reason }, 'payment kept as an exception for finance');
      done.set(n.id, { result: 'exception', reason });
      continue;
    }

    // Whatever exceeds the outstanding amount is the payer's credit, never lost.
    const applied = Math.min(n.amount, outstanding);
    const paid = bill.paid_amount + applied;
    const expectedCumulative = bill.paid_amount + n.amount;
    const note =
      n.cumulative !== null && n.cumulative !== expectedCumulative
        ? `bank reports cumulative ${n.cumulative}, Kasda counts ${expectedCumulative}`
        : null;
    if (note) logger.warn({ notification: n.id, bill: bill.bill_no, note }, 'cumulative amount differs from the bank');
    plans.push({
      n,
      bill,
      applied,
      credit: n.amount - applied,
      paid,
      status: paid >= bill.amount ? 'paid' : 'partially_paid',
      note,
      paidDay: jakartaDate(n.paid_at),
    });
  }
  if (plans.length === 0) return { done, deferred };

  // A second installment keeps a partially paid bill where it is; that too is a guarded update.
  const moved = await transitionPaid(
    trx,
    plans.map((p) => ({ id: p.bill.id, status: p.status, paid_amount: p.paid, last_payment_at: p.n.paid_at })),
    OPEN,
  );
  const stuck = plans.find((p) => !moved.has(p.bill.id));
  if (stuck) throw new Error(`bill ${stuck.bill.bill_no} could not move from ${stuck.bill.status} to ${stuck.status}`);
  await trx('bank_notifications')
    .whereIn('id', plans.map((p) => p.n.id))
    .update({ status: 'applied', reason: null, processed_at: trx.fn.now() });
  const codes = await codesOf(trx, plans);

  // Receipt numbers last: from here to the commit, every other payment of these OPDs waits.
  const receiptNos = new Map<Plan, string>();
  const groups = new Map<string, Plan[]>();
  for (const p of plans) {
    const g = `${String(p.bill.opd_id).padStart(12, '0')}:${p.paidDay.slice(0, 4)}`;
    groups.set(g, [...(groups.get(g) ?? []), p]);
  }
  for (const g of [...groups.keys()].sort()) {
    const members = groups.get(g)!;
    const { opd_id: opdId } = members[0].bill;
    const year = members[0].paidDay.slice(0, 4);
    const first = await allocateNumbers(trx, opdId, Number(year), members.length, 'receipt');
    members.forEach((p, i) => receiptNos.set(p, `${codes.opd.get(opdId)}-NTPD-${year}-${String(first + i).padStart(6, '0')}`));
  }
  const inserted: Array<{ id: number; notification_id: number }> = await trx('payments')
    .insert(
      plans.map((p) => ({
        bank_channel_id: p.n.bank_channel_id,
        bill_id: p.bill.id,
        notification_id: p.n.id,
        trx_id: p.n.trx_id,
        payment_ref: p.n.payment_ref,
        receipt_no: receiptNos.get(p)!,
        amount: p.n.amount,
        applied_amount: p.applied,
        credit_amount: p.credit,
        cumulative_reported: p.n.cumulative,
        source: p.n.source,
        note: p.note,
        paid_at: p.n.paid_at,
      })),
    )
    .returning(['id', 'notification_id']);
  const paymentIds = new Map(inserted.map((r) => [Number(r.notification_id), r.id]));

  await postMany(
    trx,
    plans.map((p) => ({
      kind: 'payment' as const,
      description: `${receiptNos.get(p)} NTB ${p.n.payment_ref} for ${p.bill.bill_no}`,
      billId: p.bill.id,
      paymentId: paymentIds.get(p.n.id)!,
      occurredAt: p.n.paid_at,
      lines: [
        { account: account.clearing(codes.channel.get(p.n.bank_channel_id)!), debit: p.n.amount },
        { account: account.receivable(p.bill.payer_id, codes.levy.get(p.bill.levy_type_id)!), billId: p.bill.id, credit: p.applied },
        { account: account.payerCredit(p.bill.payer_id), credit: p.credit },
      ],
    })),
  );
  await recordAudit(
    trx,
    plans.flatMap((p): AuditEntry[] => {
      const actor = `bank:${codes.channel.get(p.n.bank_channel_id)}`;
      return [
        {
          actor,
          action: 'payment.applied',
          entityType: 'payment',
          entityId: paymentIds.get(p.n.id)!,
          after: { bill_no: p.bill.bill_no, payment_ref: p.n.payment_ref, amount: p.n.amount, applied: p.applied, credit: p.credit, source: p.n.source },
        },
        {
          actor,
          action: `bill.${p.status}`,
          entityType: 'bill',
          entityId: p.bill.bill_no,
          before: { status: p.bill.status, paid_amount: p.bill.paid_amount },
          after: { status: p.status, paid_amount: p.paid, payment_ref: p.n.payment_ref },
        },
      ];
    }),
  );
  const deliveries = await recordBillEvents(
    trx,
    plans.map((p) => ({
      billId: p.bill.id,
      type: `bill.${p.status}` as const,
      extra: { payment: { receipt_no: receiptNos.get(p), payment_ref: p.n.payment_ref, amount: p.n.amount, paid_at: p.n.paid_at } },
    })),
  );
  plans.forEach((p, i) => {
    done.set(p.n.id, { result: 'applied', paymentId: paymentIds.get(p.n.id)!, billId: p.bill.id, status: p.status, webhookDelivery: deliveries[i] });
  });
  return { done, deferred };
}

/** The codes that name ledger accounts and receipts, for every OPD, levy and channel in the batch. */
async function codesOf(trx: Knex, plans: Plan[]) {
  const ids = (f: (p: Plan) => number) => [...new Set(plans.map(f))];
  const { rows } = await trx.raw(
    `SELECT 'opd' AS kind, id, code FROM opds WHERE id = ANY(?)
     UNION ALL SELECT 'levy', id, code FROM levy_types WHERE id = ANY(?)
     UNION ALL SELECT 'channel', id, code FROM bank_channels WHERE id = ANY(?)`,
    [ids((p) => p.bill.opd_id), ids((p) => p.bill.levy_type_id), ids((p) => p.n.bank_channel_id)],
  );
  const of = (kind: string) => new Map<number, string>(rows.filter((r: { kind: string }) => r.kind === kind).map((r: { id: number; code: string }) => [Number(r.id), r.code]));
  return { opd: of('opd'), levy: of('levy'), channel: of('channel') };
}
