import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { AppError, NotFound } from '../../errors';
import { jakartaDate } from '../../lib/time';
import { logger } from '../../logger';
import { recordAudit } from '../audit/service';
import type { Principal } from '../auth/tokens';
import { allocateNumbers } from '../bills/repo';
import { renderSts, StsDocument } from '../documents/sts-v1';
import { assertDay, dayRange, instantsOf } from '../reports/range';
import * as repo from './repo';

const TEMPLATE = 'sts-v1';

export function formatStsNo(opdCode: string, year: number, seq: number): string {
  return `${opdCode}-STS-${year}-${String(seq).padStart(6, '0')}`;
}

function summary(s: repo.StsView) {
  return {
    sts_no: s.sts_no,
    date: s.deposit_date,
    opd: { code: s.opd_code, name: s.opd_name },
    bank_channel: { code: s.channel_code, name: s.channel_name, bank_name: s.bank_name },
    revenue_amount: s.revenue_amount,
    credit_amount: s.credit_amount,
    total_amount: s.total_amount,
    payment_count: s.payment_count,
    created_by: s.created_by,
    created_at: s.created_at,
  };
}

async function channelIdOf(db: Knex, code: string | undefined): Promise<number | undefined> {
  if (code === undefined) return undefined;
  const row = await db('bank_channels').where({ code }).first('id');
  if (!row) throw new NotFound('bank_channel_not_found', `No bank channel ${code}`);
  return row.id;
}

export interface StsRun {
  date: string;
  created: ReturnType<typeof summary>[];
  existing: ReturnType<typeof summary>[];
}

/**
 * Deposits a WIB day's payments: one STS per OPD and bank channel for the payments on no STS yet,
 * numbered without gaps per OPD and year. Running it again makes nothing new unless payments for
 * that day arrived since (found later by inquiry or statement); those get an STS of their own.
 */
export async function generateSts(db: Knex, q: { date: string; channel?: string }, actor: string): Promise<StsRun> {
  const day = assertDay(q.date, 'date');
  if (day > jakartaDate()) throw new AppError('sts_date_in_future', `${day} has not begun in Jakarta yet`, 400);
  const channelId = await channelIdOf(db, q.channel);
  const { start, end } = instantsOf({ from: day, to: day });
  const year = Number(day.slice(0, 4));

  const createdIds = await db.transaction(async (trx) => {
    await repo.lockDay(trx, day);
    const ids: number[] = [];
    for (const g of await repo.pendingGroups(trx, start, end, channelId)) {
      const seq = await allocateNumbers(trx, g.opd_id, year, 1, 'sts');
      const sts = await repo.createSts(trx, {
        stsNo: formatStsNo(g.opd_code, year, seq),
        opdId: g.opd_id,
        channelId: g.bank_channel_id,
        day,
        seq,
        createdBy: actor,
        start,
        end,
      });
      // The split gives every rupiah of revenue to an account code; a bill without lines would not.
      const lines = await repo.lineTotal(trx, sts.id);
      if (lines !== sts.revenue_amount) {
        throw new Error(`STS ${sts.sts_no}: lines add up to ${lines}, revenue is ${sts.revenue_amount}`);
      }
      await recordAudit(trx, {
        actor,
        action: 'sts.created',
        entityType: 'sts',
        entityId: sts.sts_no,
        after: {
          date: day,
          bank_channel: g.channel_code,
          payments: sts.payment_count,
          revenue_amount: sts.revenue_amount,
          credit_amount: sts.credit_amount,
          total_amount: sts.total_amount,
        },
      });
      ids.push(sts.id);
    }
    return ids;
  });

  for (const id of createdIds) await keepStsPdf(db, id);
  const all = await repo.listSts(db, null, { from: day, to: day, channelId });
  const created = new Set(createdIds);
  if (created.size) logger.info({ date: day, sts: all.filter((s) => created.has(s.id)).map((s) => s.sts_no) }, 'STS created');
  return {
    date: day,
    created: all.filter((s) => created.has(s.id)).map(summary),
    existing: all.filter((s) => !created.has(s.id)).map(summary),
  };
}

/** The STS register: every STS whose deposit day is in the range, oldest first. */
export async function listSts(db: Knex, who: Principal, q: { from?: string; to?: string; channel?: string }) {
  const range = dayRange(q);
  const rows = await repo.listSts(db, who, { ...range, channelId: await channelIdOf(db, q.channel) });
  return { ...range, data: rows.map(summary) };
}

async function requireSts(db: Knex, who: Principal, stsNo: string): Promise<repo.StsView> {
  const sts = await repo.findSts(db, who, stsNo);
  if (!sts) throw new NotFound('sts_not_found', `No STS ${stsNo}`);
  return sts;
}

export async function getSts(db: Knex, who: Principal, stsNo: string) {
  const sts = await requireSts(db, who, stsNo);
  const [lines, payments] = await Promise.all([repo.linesOfSts(db, sts.id), repo.paymentsOfSts(db, sts.id)]);
  return {
    ...summary(sts),
    lines,
    payments: payments.map((p) => ({
      receipt_no: p.receipt_no,
      payment_ref: p.payment_ref,
      bill_no: p.bill_no,
      payer: { npwrd: p.npwrd, name: p.payer_name },
      paid_at: p.paid_at,
      amount: p.amount,
      applied_amount: p.applied_amount,
      credit_amount: p.credit_amount,
    })),
  };
}

async function stsDocumentFor(db: Knex, sts: repo.StsView): Promise<StsDocument> {
  const [opd, lines, payments] = await Promise.all([
    db('opds').where({ id: sts.opd_id }).first(),
    repo.linesOfSts(db, sts.id),
    repo.paymentsOfSts(db, sts.id),
  ]);
  return {
    pemdaName: opd.pemda_name,
    opd: {
      name: opd.name,
      address: opd.address,
      headName: opd.head_name,
      headNip: opd.head_nip,
      headTitle: opd.head_title,
      treasurerName: opd.treasurer_name,
      treasurerNip: opd.treasurer_nip,
    },
    stsNo: sts.sts_no,
    depositDate: sts.deposit_date,
    bankName: sts.bank_name,
    channelName: sts.channel_name,
    lines: lines.map((l) => ({ accountCode: l.account_code, description: l.description, amount: l.amount })),
    revenue: sts.revenue_amount,
    credit: sts.credit_amount,
    total: sts.total_amount,
    payments: payments.map((p) => ({
      receiptNo: p.receipt_no,
      paymentRef: p.payment_ref,
      billNo: p.bill_no,
      payerName: p.payer_name,
      npwrd: p.npwrd,
      paidAt: p.paid_at,
      applied: p.applied_amount,
      credit: p.credit_amount,
      amount: p.amount,
    })),
    createdAt: sts.created_at,
  };
}

/** Renders an STS once and keeps it with its hash; later calls return the kept file. */
async function keepStsPdf(db: Knex, stsId: number): Promise<Buffer> {
  const kept = await db('documents').where({ kind: 'sts', sts_id: stsId }).first('content');
  if (kept) return kept.content;
  const sts = await repo.stsById(db, stsId);
  const content = await renderSts(await stsDocumentFor(db, sts));
  const sha256 = crypto.createHash('sha256').update(content).digest('hex');
  await db('documents').insert({ kind: 'sts', template: TEMPLATE, sts_id: stsId, sha256, content }).onConflict(['kind', 'sts_id']).ignore();
  return content;
}

export async function stsPdf(db: Knex, who: Principal, stsNo: string): Promise<{ pdf: Buffer; fileName: string }> {
  const sts = await requireSts(db, who, stsNo);
  return { pdf: await keepStsPdf(db, sts.id), fileName: `STS-${sts.sts_no}.pdf` };
}
