import type { Knex } from 'knex';
import { logger } from '../../logger';
import { applyNotifications, ApplyResult } from './apply';
import { enqueueReceipts } from './receipts';
import { dispatchDeliveries } from '../webhooks/service';

/**
 * Applies inbox rows, then starts what follows a payment once it has committed: the receipt and
 * the payer's webhook.
 * Follow-ups that cannot be queued now are found later by the sweeper.
 */
export async function processNotification(db: Knex, notificationId: number): Promise<ApplyResult> {
  return (await processNotifications(db, [notificationId])).get(notificationId)!;
}

/** The same for a batch of rows; the follow-ups of all of them are queued together. */
export async function processNotifications(db: Knex, notificationIds: number[]): Promise<Map<number, ApplyResult>> {
  const outcomes = await applyNotifications(db, notificationIds);
  const applied = [...outcomes.values()].flatMap((o) => (o.result === 'applied' ? [o] : []));
  if (applied.length) {
    await enqueueReceipts(applied.map((o) => o.paymentId)).catch((e) =>
      logger.warn({ err: e, payments: applied.map((o) => o.paymentId) }, 'could not queue the receipts now; the sweeper will'),
    );
    const deliveries = applied.flatMap((o) => (o.webhookDelivery ? [o.webhookDelivery] : []));
    if (deliveries.length) await dispatchDeliveries(deliveries);
  }
  return outcomes;
}
