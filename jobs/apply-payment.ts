import { Job, UnrecoverableError } from 'bullmq';
import type { Knex } from 'knex';
import { ApplyJob } from '../src/modules/payments/intake';
import { processNotification } from '../src/modules/payments/process';

/**
 * Applies one recorded bank notification to its bill. Safe to run any number of times: the inbox
 * row's status and the payments table's unique key make every run after the first a no-op.
 */
export function applyPaymentProcessor(db: Knex) {
  return async (job: Job<ApplyJob>): Promise<string> => {
    if (!Number.isSafeInteger(job.data?.notificationId)) throw new UnrecoverableError('job has no notification id');
    const outcome = await processNotification(db, job.data.notificationId);
    if (outcome.result === 'missing') throw new UnrecoverableError(`notification ${job.data.notificationId} does not exist`);
    return outcome.result;
  };
}
