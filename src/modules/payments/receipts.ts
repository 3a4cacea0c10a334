import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { NotFound } from '../../errors';
import { planForCurrentSizes } from '../../db';
import { splitProportionally } from '../../lib/money';
import { queue, QUEUES } from '../../queues';
import type { Principal } from '../auth/tokens';
import { scoped } from '../bills/repo';
import { renderReceipt, ReceiptDocument } from '../documents/receipt-v1';

/** One payment's receipt, or the receipts of the payments one apply batch committed. */
export type ReceiptJob = { paymentId: number } | { paymentIds: number[] };

/** Most receipts one job carries. */
const RECEIPTS_PER_JOB = 200;

const TEMPLATE = 'receipt-v1';

/** Splits the applied amount over the bill's account codes in proportion, remainder to the last. */
function settledLines(byAccount: Array<{ account_code: string; amount: number }>, applied: number) {
  const shares = splitProportionally(applied, byAccount.map((a) => a.amount));
  return byAccount.map((a, i) => ({ accountCode: a.account_code, amount: shares[i] }));
}

export async function receiptDocumentFor(db: Knex, paymentId: number): Promise<ReceiptDocument> {
  // One query for the payment and everything it names; receipts are rendered for every payment.
  const p = await db('payments as p')
    .join('bills as bill', 'bill.id', 'p.bill_id')
    .join('opds as opd', 'opd.id', 'bill.opd_id')
    .join('payers as payer', 'payer.id', 'bill.payer_id')
    .join('levy_types as levy', 'levy.id', 'bill.levy_type_id')
    .join('bank_channels as channel', 'channel.id', 'p.bank_channel_id')
    .where('p.id', paymentId)
    .first(
      'p.*',
      'bill.bill_no',
      'bill.document_type',
      'bill.period',
      'bill.amount as bill_amount',
      'bill.virtual_account',
      'opd.pemda_name',
      'opd.name as opd_name',
      'opd.address as opd_address',
      'opd.head_name',
      'opd.head_nip',
      'opd.head_title',
      'payer.npwrd',
      'payer.name as payer_name',
      'payer.address as payer_address',
      'levy.name as levy_name',
      'channel.bank_name',
      'channel.name as channel_name',
    );
  if (!p) throw new NotFound('payment_not_found', `No payment ${paymentId}`);
  const bill = { id: p.bill_id, bill_no: p.bill_no, document_type: p.document_type, period: p.period, amount: p.bill_amount, virtual_account: p.virtual_account };
  const opd = { pemda_name: p.pemda_name, name: p.opd_name, address: p.opd_address, head_name: p.head_name, head_nip: p.head_nip, head_title: p.head_title };
  const payer = { npwrd: p.npwrd, name: p.payer_name, address: p.payer_address };
  const levy = { name: p.levy_name };
  const channel = { bank_name: p.bank_name, name: p.channel_name };
  const byAccount = await db('bill_lines')
    .where({ bill_id: bill.id })
    .groupBy('account_code')
    .orderBy('account_code')
    .select('account_code', db.raw('sum(amount)::bigint as amount'));
  const [{ cumulative }] = await db('payments')
    .where({ bill_id: bill.id })
    .andWhere('id', '<=', p.id)
    .select(db.raw('coalesce(sum(applied_amount), 0)::bigint as cumulative'));
  const lines = settledLines(byAccount, p.applied_amount).map((l) => ({
    ...l,
    description: `${levy.name} ${bill.period}`,
  }));
  if (p.credit_amount > 0) {
    lines.push({ accountCode: '-', description: 'Kelebihan bayar, dicatat sebagai kredit wajib retribusi', amount: p.credit_amount });
  }
  return {
    pemdaName: opd.pemda_name,
    opd: { name: opd.name, address: opd.address, headName: opd.head_name, headNip: opd.head_nip, headTitle: opd.head_title },
    receiptNo: p.receipt_no,
    billNo: bill.bill_no,
    documentType: bill.document_type,
    period: bill.period,
    levyName: levy.name,
    payer: { npwrd: payer.npwrd, name: payer.name, address: payer.address },
    lines,
    paymentRef: p.payment_ref,
    paidAt: p.paid_at,
    amount: p.amount,
    cumulativePaid: cumulative,
    billAmount: bill.amount,
    outstanding: bill.amount - cumulative,
    virtualAccount: bill.virtual_account,
    bankName: channel.bank_name,
    channelName: channel.name,
    // The receipt speaks of how Kasda learnt of the payment; a bank callback is a notification.
    source: p.source === 'callback' ? 'notification' : p.source,
    generatedAt: p.paid_at,
  };
}

/** Renders and keeps the receipt once; later calls return the kept one. */
export async function storeReceipt(db: Knex, paymentId: number): Promise<{ sha256: string; content: Buffer; receiptNo: string }> {
  const kept = await db('payments as p')
    .leftJoin('documents as d', function () {
      this.on('d.payment_id', 'p.id').andOnVal('d.kind', 'receipt');
    })
    .where('p.id', paymentId)
    .first('p.receipt_no', 'p.bill_id', 'd.sha256', 'd.content');
  if (kept?.sha256) return { sha256: kept.sha256, content: kept.content, receiptNo: kept.receipt_no };
  const doc = await receiptDocumentFor(db, paymentId);
  const content = await renderReceipt(doc);
  const sha256 = crypto.createHash('sha256').update(content).digest('hex');
  await db.transaction(async (trx) => {
    // The kept receipt checks its payment and bill by key, and payments grow by thousands a minute.
    await planForCurrentSizes(trx, ['payments', 'bills', 'documents']);
    await trx('documents')
      .insert({ kind: 'receipt', template: TEMPLATE, bill_id: kept.bill_id, payment_id: paymentId, sha256, content })
      .onConflict(['kind', 'payment_id'])
      .ignore();
  });
  return { sha256, content, receiptNo: doc.receiptNo };
}

/**
 * Queues the receipts of these payments: one job for a lone payment, else one job per up to 200
 * payments, named by the payments it carries. Rendering is idempotent (a kept receipt is returned
 * as it is), so a job run twice, or a receipt also asked for on request, renders nothing twice.
 */
export async function enqueueReceipts(paymentIds: number[]): Promise<void> {
  const ids = [...new Set(paymentIds)].sort((a, b) => a - b);
  if (ids.length === 0) return;
  if (ids.length === 1) {
    await queue(QUEUES.receipts).add('render-receipt', { paymentId: ids[0] } satisfies ReceiptJob, { jobId: `receipt-${ids[0]}` });
    return;
  }
  const jobs = [];
  for (let i = 0; i < ids.length; i += RECEIPTS_PER_JOB) {
    const chunk = ids.slice(i, i + RECEIPTS_PER_JOB);
    const digest = crypto.createHash('sha256').update(chunk.join(',')).digest('hex').slice(0, 12);
    jobs.push({
      name: 'render-receipts',
      data: { paymentIds: chunk } satisfies ReceiptJob,
      opts: { jobId: `receipts-${chunk[0]}-${chunk[chunk.length - 1]}-${digest}` },
    });
  }
  await queue(QUEUES.receipts).addBulk(jobs);
}

/** Payments whose receipt job was lost (Redis away, a crash): queue them again. */
export async function requeueMissingReceipts(db: Knex, olderThanMs: number): Promise<number> {
  const ids: number[] = await db('payments as p')
    .leftJoin('documents as d', function () {
      this.on('d.payment_id', 'p.id').andOnVal('d.kind', 'receipt');
    })
    .whereNull('d.id')
    .andWhere('p.created_at', '<', new Date(Date.now() - olderThanMs))
    .pluck('p.id');
  await enqueueReceipts(ids);
  return ids.length;
}

/** A payment's receipt, if the caller may see the bill it paid. */
export async function receiptFor(db: Knex, who: Principal, by: { paymentId?: number; billNo?: string }) {
  const q = db('payments as p')
    .join('bills as b', 'b.id', 'p.bill_id')
    .join('payers as pr', 'pr.id', 'b.payer_id')
    .join('opds as o', 'o.id', 'b.opd_id')
    .orderBy('p.id', 'desc')
    .first('p.id');
  if (by.paymentId !== undefined) q.where('p.id', by.paymentId);
  if (by.billNo !== undefined) q.where('b.bill_no', by.billNo);
  scoped(q, who, { payers: 'pr', opds: 'o' });
  const row = await q;
  if (!row) throw new NotFound('receipt_not_found', 'No receipt: the payment does not exist or the bill has none yet');
  const stored = await storeReceipt(db, row.id);
  return { pdf: stored.content, fileName: `SSRD-${stored.receiptNo}.pdf` };
}

