import type { Knex } from 'knex';
import { planForCurrentSizes, withPg } from '../../db';
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
  virtual_account: string | null;
  amount: number;
  cumulative: number | null;
  paid_at: Date;
  bill_id: number | null;
  status: string;
}

/** What applying reads of a bill (it is locked for the whole transaction). */
type LockedBill = Pick<BillRow, 'id' | 'bill_no' | 'status' | 'amount' | 'paid_amount' | 'billing_type' | 'levy_type_version_id' | 'opd_id' | 'levy_type_id' | 'payer_id'>;

// The statements every batch runs go to the bare driver (./pg.ts), as named prepared statements.
const LOCK_INBOX_SQL = `
  SELECT id, bank_channel_id, source, trx_id, payment_ref, virtual_account, amount, cumulative, paid_at, bill_id, status
    FROM bank_notifications WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`;
const LOCK_BILLS_SQL = `
  SELECT id, bill_no, status, amount, paid_amount, billing_type, levy_type_version_id, opd_id, levy_type_id, payer_id
    FROM bills WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`;
// The batch's earlier payments (by business key), the bills' payments found by inquiry, and the
// payment policies of the bills' levy versions, in one round trip.
const CONTEXT_SQL = `
  SELECT 'earlier' AS kind, p.id, p.bank_channel_id, p.trx_id, p.payment_ref, NULL::bigint AS bill_id, NULL::bigint AS cumulative_reported, NULL::jsonb AS payment_policy
    FROM payments p JOIN unnest($1::bigint[], $2::text[], $3::text[]) AS k(bank_channel_id, trx_id, payment_ref)
      ON p.bank_channel_id = k.bank_channel_id AND p.trx_id = k.trx_id AND p.payment_ref = k.payment_ref
  UNION ALL
  SELECT 'inquiry', p.id, NULL, NULL, NULL, p.bill_id, p.cumulative_reported, NULL
    FROM payments p WHERE p.bill_id = ANY($4::bigint[]) AND p.source = 'inquiry'
  UNION ALL
  SELECT 'policy', v.id, NULL, NULL, NULL, NULL, NULL, v.payment_policy
    FROM levy_type_versions v WHERE v.id = ANY($5::bigint[])
  ORDER BY 1, 2`;
const MARK_APPLIED_SQL = `UPDATE bank_notifications SET status = 'applied', reason = NULL, processed_at = now() WHERE id = ANY($1::bigint[])`;
const INSERT_PAYMENTS_SQL = `
  INSERT INTO payments (bank_channel_id, bill_id, notification_id, trx_id, payment_ref, receipt_no, amount, applied_amount,
                        credit_amount, cumulative_reported, source, note, paid_at, virtual_account)
  SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[],
                       $9::bigint[], $10::bigint[], $11::text[], $12::text[], $13::timestamptz[], $14::text[])
  RETURNING id, notification_id`;

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
  bill: LockedBill;
  applied: number;
  credit: number;
  paid: number;
  status: 'paid' | 'partially_paid';
  note: string | null;
  paidDay: string;
}

const key = (p: { bank_channel_id: number; trx_id: string; payment_ref: string }) => `${p.bank_channel_id}\u0000${p.trx_id}\u0000${p.payment_ref}`;

async function applyBatch(trx: Knex, ids: number[]): Promise<{ done: Map<number, ApplyResult>; deferred: number[] }> {
  const done = new Map<number, ApplyResult>();
  const deferred: number[] = [];
  // The payments written below check their notification and bill by key; the inbox rows and the
  // bills are locked by key; their ledger postings ask for the ledger's tables.
  await planForCurrentSizes(trx, ['bank_notifications', 'bills', 'payments']);
  // Locked in id order, then the bills in id order: concurrent batches cannot deadlock.
  const rows = await withPg(trx, async (pg) => (await pg.query<InboxRow>({ name: 'kasda-apply-lock-inbox', text: LOCK_INBOX_SQL, values: [ids] })).rows);
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

  const billIds = [...byBill.keys()].sort((a, b) => a - b);
  const { bills, earlier, inquiries, versions } = await withPg(trx, async (pg) => {
    const locked = (await pg.query<LockedBill>({ name: 'kasda-apply-lock-bills', text: LOCK_BILLS_SQL, values: [billIds] })).rows;
    const context = (
      await pg.query<{
        kind: 'earlier' | 'inquiry' | 'policy';
        id: number;
        bank_channel_id: number;
        trx_id: string;
        payment_ref: string;
        bill_id: number;
        cumulative_reported: number | null;
        payment_policy: { partial_allowed?: boolean };
      }>({
        name: 'kasda-apply-context',
        text: CONTEXT_SQL,
        values: [
          batch.map((n) => n.bank_channel_id),
          batch.map((n) => n.trx_id),
          batch.map((n) => n.payment_ref),
          billIds,
          [...new Set(locked.map((b) => b.levy_type_version_id))],
        ],
      })
    ).rows;
    return {
      bills: new Map(locked.map((b) => [b.id, b])),
      earlier: new Set(context.filter((c) => c.kind === 'earlier').map(key)),
      inquiries: context.filter((c) => c.kind === 'inquiry'),
      versions: new Map(context.filter((c) => c.kind === 'policy').map((c) => [c.id, c.payment_policy])),
    };
  });

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
  await withPg(trx, (pg) => pg.query({ name: 'kasda-apply-mark', text: MARK_APPLIED_SQL, values: [plans.map((p) => p.n.id)] }));
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
  const column = <T>(f: (p: Plan) => T) => plans.map(f);
  const inserted = await withPg(trx, async (pg) =>
    (
      await pg.query<{ id: number; notification_id: number }>({
        name: 'kasda-apply-payments',
        text: INSERT_PAYMENTS_SQL,
        values: [
          column((p) => p.n.bank_channel_id),
          column((p) => p.bill.id),
          column((p) => p.n.id),
          column((p) => p.n.trx_id),
          column((p) => p.n.payment_ref),
          column((p) => receiptNos.get(p)!),
          column((p) => p.n.amount),
          column((p) => p.applied),
          column((p) => p.credit),
          column((p) => p.n.cumulative),
          column((p) => p.n.source),
          column((p) => p.note),
          column((p) => p.n.paid_at),
          column((p) => p.n.virtual_account),
        ],
      })
    ).rows,
  );
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
