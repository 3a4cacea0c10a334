import type { Knex } from 'knex';
import { connectorFor, listChannels } from '../../banks/registry';
import { logger } from '../../logger';
import { recordAudit } from '../audit/service';
import { BillRow, transition } from '../bills/repo';
import { requeueStuckBills } from '../bills/service';
import { enqueueApply, recordInbox } from '../payments/intake';
import { processNotification } from '../payments/process';
import { requeueMissingReceipts } from '../payments/receipts';
import { recordBillEvent } from '../bills/events';
import { dispatchDeliveries, requeuePendingDeliveries } from '../webhooks/service';

/**
 * The sweeper finds what a lost notification, a crash or a Redis outage left behind:
 * - bills stuck in draft/issuing, inbox rows never applied, receipts never rendered, webhook
 *   deliveries whose job was lost: queued again;
 * - open bills with no news for a while: asked about at the bank (`inquirybilling`), throttled per
 *   channel to stay clear of the bank's limit, and any payment found goes through the same inbox
 *   and apply path as a notification, marked as found by inquiry;
 * - bills whose VA lapsed unpaid: asked about once more, then expired.
 */
export interface SweepOptions {
  /** Work older than this is considered stuck. */
  stuckAfterMs: number;
  /** Open bills with no news for this long are inquired. */
  quietForMs: number;
  /** Inquiries per second per channel. */
  inquiriesPerSecond: number;
  /** At most this many inquiries per channel per run. */
  inquiryLimit: number;
  now?: () => Date;
}

export interface SweepReport {
  requeued: { bills: number; payments: number; receipts: number; webhooks: number };
  inquired: number;
  foundByInquiry: number;
  expired: number;
  throttledChannels: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function requeuePendingNotifications(db: Knex, olderThanMs: number): Promise<number> {
  const rows = await db('bank_notifications')
    .where({ status: 'pending' })
    .andWhere('received_at', '<', new Date(Date.now() - olderThanMs))
    .select('id', 'bank_channel_id', 'trx_id', 'payment_ref');
  await enqueueApply(rows);
  return rows.length;
}

async function expire(db: Knex, bill: BillRow): Promise<boolean> {
  let delivery: number | null = null;
  const expired = await db.transaction(async (trx) => {
    const moved = await transition(trx, bill.id, 'expired', {}, ['issued', 'partially_paid']);
    if (!moved) return false;
    await recordAudit(trx, {
      actor: 'system:sweeper',
      action: 'bill.expired',
      entityType: 'bill',
      entityId: bill.bill_no,
      before: { status: bill.status, paid_amount: bill.paid_amount },
      after: { status: 'expired', expires_at: bill.expires_at },
    });
    delivery = await recordBillEvent(trx, bill.id, 'bill.expired');
    return true;
  });
  if (delivery) await dispatchDeliveries([delivery]);
  return expired;
}

export async function sweep(db: Knex, opts: SweepOptions): Promise<SweepReport> {
  const now = opts.now ?? (() => new Date());
  const report: SweepReport = {
    requeued: {
      bills: await requeueStuckBills(db, opts.stuckAfterMs),
      payments: await requeuePendingNotifications(db, opts.stuckAfterMs),
      receipts: await requeueMissingReceipts(db, opts.stuckAfterMs),
      webhooks: await requeuePendingDeliveries(db, opts.stuckAfterMs),
    },
    inquired: 0,
    foundByInquiry: 0,
    expired: 0,
    throttledChannels: [],
  };

  for (const channel of await listChannels(db)) {
    const quietSince = new Date(now().getTime() - opts.quietForMs);
    const bills: BillRow[] = await db('bills')
      .where({ bank_channel_id: channel.id })
      .whereIn('status', ['issued', 'partially_paid'])
      .andWhere((q) =>
        q
          .where('expires_at', '<', now())
          .orWhereRaw('greatest(last_inquired_at, last_payment_at, issued_at) < ?', [quietSince]),
      )
      .orderByRaw('last_inquired_at NULLS FIRST, id')
      .limit(opts.inquiryLimit);
    if (bills.length === 0) continue;
    const connector = connectorFor(db, channel);

    for (const bill of bills) {
      const r = await connector.inquireVa(bill.trx_id!, bill.virtual_account!);
      report.inquired += 1;
      await db('bills').where({ id: bill.id }).update({ last_inquired_at: now() });
      if (r.outcome === 'throttled') {
        logger.warn({ channel: channel.code }, 'bank throttled inquiries; the rest wait for the next sweep');
        report.throttledChannels.push(channel.code);
        break;
      }
      if (r.outcome === 'ok' && r.data && r.data.paidAmount > bill.paid_amount) {
        const s = r.data;
        const row = await recordInbox(db, {
          channel,
          source: 'inquiry',
          sourceIp: null,
          raw: JSON.stringify(s),
          decoded: s,
          notification: {
            trxId: bill.trx_id!,
            virtualAccount: s.virtualAccount,
            paymentRef: s.lastPaymentRef ?? `INQ-${bill.trx_id}-${s.paidAmount}`,
            amount: s.paidAmount - bill.paid_amount,
            cumulative: s.paidAmount,
            paidAt: s.lastPaymentAt ?? now(),
            customerName: s.customerName,
          },
          answer: { status: 200, body: null },
        });
        if (row.status === 'pending') {
          const applied = await processNotification(db, row.id);
          if (applied.result === 'applied') report.foundByInquiry += 1;
          logger.info({ bill: bill.bill_no, result: applied.result }, 'payment found by inquiry');
        }
      }
      const fresh: BillRow = await db('bills').where({ id: bill.id }).first();
      if (fresh.expires_at && fresh.expires_at < now() && (await expire(db, fresh))) report.expired += 1;
      if (opts.inquiriesPerSecond > 0) await sleep(1000 / opts.inquiriesPerSecond);
    }
  }
  return report;
}
