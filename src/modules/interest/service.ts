import type { Knex } from 'knex';
import { connectorFor, findChannel } from '../../banks/registry';
import type { BankResult, VaRequest } from '../../banks/types';
import { formatDecimalId } from '../../lib/format';
import { formatRupiah, splitProportionally } from '../../lib/money';
import { addDays, CalendarDate, endOfJakartaDay } from '../../lib/time';
import { logger } from '../../logger';
import { recordAudit } from '../audit/service';
import { recordBillEvent } from '../bills/events';
import { allocateBillNumbers, BillRow, formatBillNo, transition } from '../bills/repo';
import { enqueueIssue } from '../bills/service';
import { account } from '../ledger/accounts';
import { post } from '../ledger/service';
import { versionById } from '../levy-types/repo';
import type { LevyTypeVersion } from '../levy-types/schema';
import { accountCodesFor } from '../levy-types/service';
import { dispatchDeliveries } from '../webhooks/service';
import { InterestCalculation, interestFor } from './rules';

/**
 * Dunning and late interest, run as of a date (monthly on a schedule, or by hand):
 * - a reminder before the due date and a warning after it are recorded per bill;
 * - an overdue bill gets an STRD (principal + interest) that supersedes it. While the old VA is
 *   live and unpaid, the STRD takes it over and the bank re-prices it (`updatebilling`, every field
 *   sent); otherwise the old VA is deactivated and the STRD gets a new trx_id;
 * - an open STRD is re-priced as more months of interest fall due, up to the rule's cap.
 * Bills under objection or an installment plan (`dunning_paused_reason`) are left alone.
 * The bank is asked first and the database changed after it agreed, so a crash in between is
 * repaired by the next run sending the same request again.
 */
export interface DunningReport {
  asOf: CalendarDate;
  reminders: number;
  warnings: number;
  strdCreated: number;
  repriced: number;
  paused: number;
  failures: Array<{ bill_no: string; code: string; message: string }>;
}

export interface DunningRule {
  reminder_days_before_due: number;
  warning_days_after_due: number;
  strd_days_after_due: number;
  strd_due_days: number;
}

type Version = LevyTypeVersion & { dunning_rule: DunningRule };

const ACTOR = 'system:dunning';

async function recordStage(db: Knex, billId: number, stage: 'reminder' | 'warning' | 'strd', dueOn: CalendarDate): Promise<boolean> {
  const rows = await db('bill_dunning').insert({ bill_id: billId, stage, due_on: dueOn }).onConflict(['bill_id', 'stage']).ignore().returning('id');
  return rows.length > 0;
}

async function vaRequest(db: Knex, bill: BillRow, amount: number, expiresAt: Date, description: string): Promise<VaRequest> {
  const payer = await db('payers').where({ id: bill.payer_id }).first();
  return {
    trxId: bill.trx_id!,
    amount,
    billingType: bill.billing_type as VaRequest['billingType'],
    customerName: payer.name,
    customerEmail: payer.email,
    customerPhone: payer.phone,
    virtualAccount: bill.virtual_account!,
    expiresAt,
    description: description.slice(0, 100),
  };
}

function interestLine(calc: InterestCalculation, fines: string) {
  return {
    account_code: fines,
    description: `Bunga ${formatDecimalId(calc.rate_per_month_bp / 100)}% × ${calc.months} bulan × ${formatRupiah(calc.principal)}`,
    amount: calc.amount,
    calculation: JSON.stringify(calc),
  };
}

/** The unpaid principal per account code, split like a receipt splits a payment. */
async function outstandingByAccount(db: Knex, bill: BillRow): Promise<Array<{ account_code: string; amount: number }>> {
  const lines: Array<{ account_code: string; amount: number }> = await db('bill_lines')
    .where({ bill_id: bill.id })
    .whereRaw(`coalesce(calculation->>'kind', '') <> 'interest'`)
    .groupBy('account_code')
    .orderBy('account_code')
    .select('account_code', db.raw('sum(amount)::bigint as amount'));
  const shares = splitProportionally(bill.amount - bill.paid_amount, lines.map((l) => l.amount));
  return lines.map((l, i) => ({ account_code: l.account_code, amount: shares[i] }));
}

async function createStrd(db: Knex, bill: BillRow, version: Version, asOf: CalendarDate, report: DunningReport): Promise<void> {
  const outstanding = bill.amount - bill.paid_amount;
  const calc = interestFor(version.interest_rule, version.rounding, outstanding, bill.due_date, asOf);
  if (!calc) return;
  const channel = await findChannel(db, bill.bank_channel_id);
  const connector = connectorFor(db, channel);
  const amount = outstanding + calc.amount;
  const strdDue = addDays(asOf, version.dunning_rule.strd_due_days);
  const levy = await db('levy_types').where({ id: bill.levy_type_id }).first('code', 'kind');
  // The demand for arrears is an STRD for a levy (retribusi) and an STPD for a tax (pajak).
  const arrearsDocument = levy.kind === 'pajak' ? 'STPD' : 'STRD';
  const expiresAt = endOfJakartaDay(addDays(strdDue, version.payment_policy.va_valid_days_after_due));
  const vaLive = bill.trx_id !== null && bill.status !== 'expired' && bill.expires_at !== null && bill.expires_at > new Date();
  const takeover = vaLive && bill.paid_amount === 0;

  let bank: BankResult<unknown> | undefined;
  if (takeover) {
    bank = await connector.updateVa(await vaRequest(db, bill, amount, expiresAt, `${arrearsDocument} atas ${bill.document_type} ${bill.bill_no}`));
  } else if (vaLive) {
    bank = await connector.deactivateVa(bill.trx_id!, bill.virtual_account!);
    if (bank.outcome === 'not_found' || bank.outcome === 'expired') bank = { ...bank, outcome: 'ok' };
  }
  if (bank && bank.outcome !== 'ok') {
    report.failures.push({ bill_no: bill.bill_no, code: bank.code, message: bank.message });
    return;
  }

  const opd = await db('opds').where({ id: bill.opd_id }).first('id', 'code');
  const fines = accountCodesFor(version, Number(asOf.slice(0, 4))).fines;
  const principalLines = await outstandingByAccount(db, bill);

  const created = await db.transaction(async (trx) => {
    const current: BillRow = await trx('bills').where({ id: bill.id }).forUpdate().first();
    if (current.status !== bill.status || current.paid_amount !== bill.paid_amount) return null;
    const year = Number(asOf.slice(0, 4));
    const seq = await allocateBillNumbers(trx, opd.id, year, 1);
    // Superseded first: in the same update the old bill lets go of the trx_id the STRD takes over.
    await transition(trx, bill.id, 'superseded', takeover ? { trx_id: null } : {}, ['issued', 'partially_paid', 'expired']);
    const [strd] = await trx('bills')
      .insert({
        bill_no: formatBillNo(opd.code, year, seq),
        document_type: arrearsDocument,
        opd_id: bill.opd_id,
        levy_type_id: bill.levy_type_id,
        levy_type_version_id: bill.levy_type_version_id,
        payer_id: bill.payer_id,
        period: bill.period,
        subject_key: `strd:${bill.id}`,
        status: takeover ? 'issued' : 'draft',
        amount,
        billing_type: bill.billing_type,
        bank_channel_id: bill.bank_channel_id,
        trx_id: takeover ? bill.trx_id : null,
        virtual_account: takeover ? bill.virtual_account : null,
        issue_date: asOf,
        due_date: strdDue,
        expires_at: takeover ? expiresAt : null,
        issued_at: takeover ? new Date() : null,
        last_bank_status: bank?.code ?? null,
        last_bank_message: bank?.message ?? null,
        supersedes_bill_id: bill.id,
      })
      .returning('*');
    if (takeover) {
      await trx('bank_references').where({ bank_channel_id: bill.bank_channel_id, trx_id: bill.trx_id }).update({ bill_id: strd.id });
    }
    await trx('bill_lines').insert([
      ...principalLines.map((l, i) => ({
        bill_id: strd.id,
        line_no: i + 1,
        account_code: l.account_code,
        description: `Pokok ${bill.document_type} ${bill.bill_no} yang belum dibayar`,
        amount: l.amount,
        calculation: JSON.stringify({ kind: 'principal', from_bill: bill.bill_no, amount: l.amount }),
      })),
      { bill_id: strd.id, line_no: principalLines.length + 1, ...interestLine(calc, fines) },
    ]);
    // The unpaid receivable moves to the STRD, and the interest is booked as fines revenue.
    await post(trx, {
      kind: 'strd',
      description: `STRD ${strd.bill_no} supersedes ${bill.bill_no}`,
      billId: strd.id,
      occurredAt: new Date(),
      lines: [
        { account: account.receivable(bill.payer_id, levy.code), billId: bill.id, credit: outstanding },
        { account: account.receivable(bill.payer_id, levy.code), billId: strd.id, debit: amount },
        { account: account.revenue(fines), credit: calc.amount },
      ],
    });
    await recordStage(trx, bill.id, 'strd', addDays(bill.due_date, version.dunning_rule.strd_days_after_due));
    await recordAudit(trx, [
      {
        actor: ACTOR,
        action: 'bill.superseded',
        entityType: 'bill',
        entityId: bill.bill_no,
        before: { status: bill.status, paid_amount: bill.paid_amount },
        after: { status: 'superseded', by: strd.bill_no },
      },
      {
        actor: ACTOR,
        action: takeover ? 'bill.issued' : 'bill.created',
        entityType: 'bill',
        entityId: strd.bill_no,
        after: { status: strd.status, amount, interest: calc.amount, supersedes: bill.bill_no, trx_id: strd.trx_id },
      },
    ]);
    const delivery = takeover ? await recordBillEvent(trx, strd.id, 'bill.issued') : null;
    return { strd: strd as BillRow, delivery };
  });
  if (!created) return;
  report.strdCreated += 1;
  if (created.delivery) await dispatchDeliveries([created.delivery]);
  if (!takeover) {
    await enqueueIssue([{ id: created.strd.id, channel_code: channel.code, issue_attempts: 0 }]).catch((e) =>
      logger.warn({ err: e, bill: created.strd.bill_no }, 'could not queue the STRD now; the sweeper will'),
    );
  }
}

async function reprice(db: Knex, strd: BillRow, version: Version, asOf: CalendarDate, report: DunningReport): Promise<void> {
  if (strd.status !== 'issued' || strd.paid_amount !== 0 || !strd.trx_id) return;
  const original: BillRow = await db('bills').where({ id: strd.supersedes_bill_id }).first();
  const line = await db('bill_lines').where({ bill_id: strd.id }).whereRaw(`calculation->>'kind' = 'interest'`).first();
  const principal = strd.amount - line.amount;
  const calc = interestFor(version.interest_rule, version.rounding, principal, original.due_date, asOf);
  if (!calc || calc.amount <= line.amount) return;
  const amount = principal + calc.amount;
  const channel = await findChannel(db, strd.bank_channel_id);
  const bank = await connectorFor(db, channel).updateVa(
    await vaRequest(db, strd, amount, strd.expires_at!, `STRD ${strd.bill_no}`),
  );
  if (bank.outcome !== 'ok') {
    report.failures.push({ bill_no: strd.bill_no, code: bank.code, message: bank.message });
    return;
  }
  const levy = await db('levy_types').where({ id: strd.levy_type_id }).first('code');
  const done = await db.transaction(async (trx) => {
    const moved = await trx('bills')
      .where({ id: strd.id, status: 'issued', paid_amount: 0, amount: strd.amount })
      .update({ amount, last_bank_status: bank.code, last_bank_message: bank.message, updated_at: trx.fn.now() })
      .returning('id');
    if (moved.length === 0) return false;
    const fines = line.account_code as string;
    await trx('bill_lines').where({ id: line.id }).update(interestLine(calc, fines));
    await post(trx, {
      kind: 'interest',
      description: `Interest on STRD ${strd.bill_no} to ${calc.months} months`,
      billId: strd.id,
      occurredAt: new Date(),
      lines: [
        { account: account.receivable(strd.payer_id, levy.code), billId: strd.id, debit: calc.amount - line.amount },
        { account: account.revenue(fines), credit: calc.amount - line.amount },
      ],
    });
    await recordAudit(trx, {
      actor: ACTOR,
      action: 'bill.repriced',
      entityType: 'bill',
      entityId: strd.bill_no,
      before: { amount: strd.amount, interest: line.amount },
      after: { amount, interest: calc.amount, months: calc.months },
    });
    return true;
  });
  if (done) report.repriced += 1;
}

/** One dunning run as of a Jakarta calendar date. */
export async function runDunning(db: Knex, asOf: CalendarDate): Promise<DunningReport> {
  const report: DunningReport = { asOf, reminders: 0, warnings: 0, strdCreated: 0, repriced: 0, paused: 0, failures: [] };
  const versions = new Map<number, Version>();
  let afterId = 0;
  for (;;) {
    const bills: BillRow[] = await db('bills')
      .whereIn('status', ['issued', 'partially_paid', 'expired'])
      .andWhere('id', '>', afterId)
      .orderBy('id')
      .limit(500);
    if (bills.length === 0) break;
    afterId = bills[bills.length - 1].id;
    for (const bill of bills) {
      if (bill.dunning_paused_reason) {
        report.paused += 1;
        continue;
      }
      let version = versions.get(bill.levy_type_version_id);
      if (!version) {
        version = (await versionById(db, bill.levy_type_version_id)) as Version;
        versions.set(bill.levy_type_version_id, version);
      }
      if (bill.supersedes_bill_id) {
        await reprice(db, bill, version, asOf, report);
        continue;
      }
      const rule = version.dunning_rule;
      const reminderOn = addDays(bill.due_date, -rule.reminder_days_before_due);
      if (asOf >= reminderOn && asOf <= bill.due_date && (await recordStage(db, bill.id, 'reminder', reminderOn))) report.reminders += 1;
      const warningOn = addDays(bill.due_date, rule.warning_days_after_due);
      if (asOf >= warningOn && (await recordStage(db, bill.id, 'warning', warningOn))) report.warnings += 1;
      if (asOf >= addDays(bill.due_date, rule.strd_days_after_due)) await createStrd(db, bill, version, asOf, report);
    }
  }
  return report;
}
