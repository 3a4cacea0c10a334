import type { Knex } from 'knex';
import { BankChannelRow, connectorFor, virtualAccountFor } from '../../banks/registry';
import type { BankResult, VaCreated } from '../../banks/types';
import { addDays, endOfJakartaDay, jakartaDate } from '../../lib/time';
import { logger } from '../../logger';
import { recordAudit } from '../audit/service';
import type { LevyTypeVersion } from '../levy-types/schema';
import { BillRow, transition } from './repo';
import { account } from '../ledger/accounts';
import { post } from '../ledger/service';
import { dispatchDeliveries } from '../webhooks/service';
import { recordBillEvent } from './events';

/**
 * Issuing a bill creates its VA at the bank. The bank call happens outside any transaction; the
 * steps before and after it are each one short transaction, so a crash in between leaves the bill
 * in `issuing` with its trx_id recorded, and the retry asks the bank again with the same trx_id (the
 * connector inquires before re-creating, so the bank never gets two bills for one).
 */
export type IssueOutcome =
  | { kind: 'issued'; bill: BillRow }
  | { kind: 'failed'; code: string; message: string }
  | { kind: 'skipped'; status: string }
  | { kind: 'retry'; code: string; message: string }
  | { kind: 'throttled'; code: string; message: string };

const ACTOR = 'system:issuer';

async function prepare(db: Knex, billId: number) {
  return db.transaction(async (trx) => {
    const bill: BillRow | undefined = await trx('bills').where({ id: billId }).forUpdate().first();
    if (!bill || (bill.status !== 'draft' && bill.status !== 'issuing')) return { skipped: bill?.status ?? 'missing' };
    // One connection: queries in a transaction run one after another, so the channel, the levy
    // version's payment policy and the payer come in one round trip (every VA pays for each one).
    const {
      rows: [context],
    } = await trx.raw(
      `SELECT to_jsonb(c) AS channel, v.payment_policy, p.name, p.email, p.phone
         FROM bank_channels c, levy_type_versions v, payers p
        WHERE c.id = ? AND v.id = ? AND p.id = ?`,
      [bill.bank_channel_id, bill.levy_type_version_id, bill.payer_id],
    );
    const channel: BankChannelRow = context.channel;
    const version: Pick<LevyTypeVersion, 'payment_policy'> = context;
    const payer: { name: string; email: string | null; phone: string | null } = context;

    let trxId = bill.trx_id;
    if (!trxId) {
      // A trx_id is never reused: each new one is recorded forever in bank_references.
      const { rows } = await trx.raw(
        `INSERT INTO bank_references (bank_channel_id, trx_id, bill_id)
         SELECT ?, ? || '-' || (count(*) + 1), ? FROM bank_references WHERE bill_id = ?
         RETURNING trx_id`,
        [channel.id, bill.bill_no, bill.id, bill.id],
      );
      trxId = rows[0].trx_id as string;
    }
    const virtualAccount = bill.virtual_account ?? virtualAccountFor(channel, bill.id);
    // The VA lives until N days after the due date; a bill re-issued after that counts from today.
    const today = jakartaDate();
    const from = bill.due_date > today ? bill.due_date : today;
    const expiresAt = endOfJakartaDay(addDays(from, version.payment_policy.va_valid_days_after_due));
    const updated = await trx('bills')
      .where({ id: bill.id })
      .update({
        status: 'issuing',
        trx_id: trxId,
        virtual_account: virtualAccount,
        expires_at: expiresAt,
        issue_attempts: bill.issue_attempts + 1,
        updated_at: trx.fn.now(),
      })
      .returning('*');
    if (bill.status === 'draft') {
      await recordAudit(trx, {
        actor: ACTOR,
        action: 'bill.issuing',
        entityType: 'bill',
        entityId: bill.bill_no,
        before: { status: bill.status },
        after: { status: 'issuing', trx_id: trxId },
      });
    }
    return {
      bill: updated[0] as BillRow,
      channel,
      request: {
        trxId,
        amount: bill.amount,
        billingType: bill.billing_type as 'c',
        customerName: payer.name,
        customerEmail: payer.email,
        customerPhone: payer.phone,
        virtualAccount,
        expiresAt,
        description: `${bill.document_type} ${bill.bill_no}`.slice(0, 100),
      },
    };
  });
}

async function fail(db: Knex, bill: BillRow, result: BankResult<unknown>): Promise<IssueOutcome> {
  await db.transaction(async (trx) => {
    const moved = await transition(trx, bill.id, 'issue_failed', {
      last_bank_status: result.code,
      last_bank_message: result.message,
    });
    if (moved) {
      await recordAudit(trx, {
        actor: ACTOR,
        action: 'bill.issue_failed',
        entityType: 'bill',
        entityId: bill.bill_no,
        before: { status: bill.status },
        after: { status: 'issue_failed', bank_status: result.code, bank_message: result.message },
      });
    }
  });
  return { kind: 'failed', code: result.code, message: result.message };
}

/** The receivable the bill creates, against revenue per account code; booked once per bill. */
async function bookIssuedBill(trx: Knex, bill: BillRow): Promise<void> {
  if (bill.amount === 0) return;
  // An STRD was booked when it was made (the receivable it took over, plus interest). Whether it
  // was, the levy's code and the lines per account come in one round trip.
  const {
    rows: [found],
  }: { rows: Array<{ booked: boolean; levy: string; by_account: Array<{ account_code: string; amount: number }> }> } = await trx.raw(
    `SELECT EXISTS (SELECT 1 FROM ledger_entries WHERE kind IN ('bill_issued', 'strd') AND bill_id = :bill) AS booked,
            (SELECT code FROM levy_types WHERE id = :levy) AS levy,
            coalesce((SELECT json_agg(a ORDER BY a.account_code)
                        FROM (SELECT account_code, sum(amount)::bigint AS amount FROM bill_lines WHERE bill_id = :bill GROUP BY account_code) a),
                     '[]') AS by_account`,
    { bill: bill.id, levy: bill.levy_type_id },
  );
  if (found.booked) return;
  const levy = { code: found.levy };
  const byAccount = found.by_account;
  await post(trx, {
    kind: 'bill_issued',
    description: `${bill.document_type} ${bill.bill_no}`,
    billId: bill.id,
    occurredAt: bill.issued_at ?? new Date(),
    lines: [
      { account: account.receivable(bill.payer_id, levy.code), billId: bill.id, debit: bill.amount },
      ...byAccount.map((l) => ({ account: account.revenue(l.account_code), credit: l.amount })),
    ],
  });
}

export async function issueBill(db: Knex, billId: number, opts: { finalAttempt: boolean }): Promise<IssueOutcome> {
  const prepared = await prepare(db, billId);
  if ('skipped' in prepared) return { kind: 'skipped', status: String(prepared.skipped) };
  const { bill, channel, request } = prepared;

  const result: BankResult<VaCreated> = await connectorFor(db, channel).createVa(request);
  const note = { last_bank_status: result.code, last_bank_message: result.message };

  switch (result.outcome) {
    case 'ok': {
      let delivery: number | null = null;
      const issued = await db.transaction(async (trx) => {
        const row = await transition(trx, bill.id, 'issued', {
          ...note,
          virtual_account: result.data?.virtualAccount ?? request.virtualAccount,
          issued_at: new Date(),
        });
        if (row) {
          await bookIssuedBill(trx, row);
          await recordAudit(trx, {
            actor: ACTOR,
            action: 'bill.issued',
            entityType: 'bill',
            entityId: bill.bill_no,
            before: { status: 'issuing' },
            after: { status: 'issued', trx_id: row.trx_id, virtual_account: row.virtual_account },
          });
          delivery = await recordBillEvent(trx, row.id, 'bill.issued');
        }
        return row;
      });
      if (delivery) await dispatchDeliveries([delivery]);
      return issued ? { kind: 'issued', bill: issued } : { kind: 'skipped', status: 'not issuing' };
    }
    case 'throttled':
      await db('bills').where({ id: bill.id }).update(note);
      return { kind: 'throttled', code: result.code, message: result.message };
    case 'duplicate_reference':
      // Someone else holds this trx_id at the bank: drop it (it stays recorded) and take a new one.
      logger.warn({ bill: bill.bill_no, trx_id: bill.trx_id }, 'trx_id already used at the bank; a new one will be taken');
      await db('bills').where({ id: bill.id, status: 'issuing' }).update({ ...note, trx_id: null });
      return opts.finalAttempt ? fail(db, bill, result) : { kind: 'retry', code: result.code, message: result.message };
    case 'transient':
    case 'timeout':
      if (opts.finalAttempt) return fail(db, bill, result);
      await db('bills').where({ id: bill.id }).update(note);
      return { kind: 'retry', code: result.code, message: result.message };
    default:
      return fail(db, bill, result);
  }
}
