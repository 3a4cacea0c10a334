import { Job, UnrecoverableError } from 'bullmq';
import type { Knex } from 'knex';
import { storeReceipt, ReceiptJob } from '../src/modules/payments/receipts';

/** Renders a payment's receipt (SSRD) and keeps it with its content hash; idempotent. */
export function renderReceiptProcessor(db: Knex) {
  return async (job: Job<ReceiptJob>): Promise<string> => {
    if (!Number.isSafeInteger(job.data?.paymentId)) throw new UnrecoverableError('job has no payment id');
    const doc = await storeReceipt(db, job.data.paymentId);
    return doc.sha256;
  };
}
