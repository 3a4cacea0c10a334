import { Job, UnrecoverableError } from 'bullmq';
import type { Knex } from 'knex';
import { storeReceipt, ReceiptJob } from '../src/modules/payments/receipts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Spaces calls to at most `perSecond`, across every job the process runs at once. */
function pacer(perSecond: number): () => Promise<void> {
  let next = 0;
  return async () => {
    const now = Date.now();
    const at = Math.max(now, next);
    next = at + 1000 / perSecond;
    if (at > now) await sleep(at - now);
  };
}

/**
 * Renders payments' receipts (SSRD) and keeps each with its content hash; idempotent. A job carries
 * one payment or a batch's; the process renders at most `perSecond` receipts a second whatever the
 * jobs' sizes, so a burst's receipts trail its payments instead of competing with them.
 */
export function renderReceiptProcessor(db: Knex, perSecond: number) {
  const pace = pacer(perSecond);
  return async (job: Job<ReceiptJob>): Promise<string> => {
    const data = job.data as Partial<{ paymentId: unknown; paymentIds: unknown }> | undefined;
    const ids = Array.isArray(data?.paymentIds) ? data.paymentIds : [data?.paymentId];
    if (ids.length === 0 || !ids.every((id) => Number.isSafeInteger(id))) throw new UnrecoverableError('job has no payment id');
    let sha256 = '';
    for (const id of ids as number[]) {
      await pace();
      sha256 = (await storeReceipt(db, id)).sha256;
    }
    return ids.length === 1 ? sha256 : `${ids.length} receipts`;
  };
}
