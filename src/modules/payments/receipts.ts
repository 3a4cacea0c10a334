import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { NotFound } from '../../errors';
import { queue, QUEUES } from '../../queues';
import type { Principal } from '../auth/tokens';
import { scoped } from '../bills/repo';
import { renderReceipt, ReceiptDocument } from '../documents/receipt-v1';

export interface ReceiptJob {
  paymentId: number;
}

const TEMPLATE = 'receipt-v1';

/** Splits the applied amount over the bill's account codes in proportion, remainder to the last. */
function settledLines(byAccount: Array<{ account_code: string; amount: number }>, applied: number, billAmount: number) {
  let left = applied;
  return byAccount.map((a, i) => {
    const share = i === byAccount.length - 1 ? left : Math.floor((applied * a.amount) / billAmount);
    left -= share;
    return { accountCode: a.account_code, amount: share };
  });
}

export async function receiptDocumentFor(db: Knex, paymentId: number): Promise<ReceiptDocument> {
  const p = await db('payments').where({ id: paymentId }).first();
  if (!p) throw new NotFound('payment_not_found', `No payment ${paymentId}`);
  const bill = await db('bills').where({ id: p.bill_id }).first();
  const opd = await db('opds').where({ id: bill.opd_id }).first();
  const payer = await db('payers').where({ id: bill.payer_id }).first();
  const levy = await db('levy_types').where({ id: bill.levy_type_id }).first();
  const channel = await db('bank_channels').where({ id: p.bank_channel_id }).first();
  const byAccount = await db('bill_lines')
    .where({ bill_id: bill.id })
    .groupBy('account_code')
    .orderBy('account_code')
    .select('account_code', db.raw('sum(amount)::bigint as amount'));
  const [{ cumulative }] = await db('payments')
    .where({ bill_id: bill.id })
    .andWhere('id', '<=', p.id)
    .select(db.raw('coalesce(sum(applied_amount), 0)::bigint as cumulative'));
  const lines = settledLines(byAccount, p.applied_amount, bill.amount).map((l) => ({
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
  const kept = await db('documents').where({ kind: 'receipt', payment_id: paymentId }).first('sha256', 'content');
  const receiptNo = (await db('payments').where({ id: paymentId }).first('receipt_no'))?.receipt_no;
  if (kept) return { ...kept, receiptNo };
  const doc = await receiptDocumentFor(db, paymentId);
  const content = await renderReceipt(doc);
  const sha256 = crypto.createHash('sha256').update(content).digest('hex');
  const bill = await db('payments').where({ id: paymentId }).first('bill_id');
  await db('documents')
    .insert({ kind: 'receipt', template: TEMPLATE, bill_id: bill.bill_id, payment_id: paymentId, sha256, content })
    .onConflict(['kind', 'payment_id'])
    .ignore();
  return { sha256, content, receiptNo: doc.receiptNo };
}

export async function enqueueReceipts(paymentIds: number[]): Promise<void> {
  if (paymentIds.length === 0) return;
  await queue(QUEUES.receipts).addBulk(
    paymentIds.map((id) => ({ name: 'render-receipt', data: { paymentId: id } satisfies ReceiptJob, opts: { jobId: `receipt-${id}` } })),
  );
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

