import type { Knex } from 'knex';
import { logger } from '../../logger';
import { applyNotification, ApplyResult } from './apply';
import { enqueueReceipts } from './receipts';
import { dispatchDeliveries } from '../webhooks/service';

/**
 * Applies an inbox row, then starts what follows a payment once it has committed: the receipt and
 * the payer's webhook.
 * Follow-ups that cannot be queued now are found later by the sweeper.
 */
export async function processNotification(db: Knex, notificationId: number): Promise<ApplyResult> {
  const outcome = await applyNotification(db, notificationId);
  if (outcome.result === 'applied') {
    await enqueueReceipts([outcome.paymentId]).catch((e) =>
      logger.warn({ err: e, payment: outcome.paymentId }, 'could not queue the receipt now; the sweeper will'),
    );
    if (outcome.webhookDelivery) await dispatchDeliveries([outcome.webhookDelivery]);
  }
  return outcome;
}
