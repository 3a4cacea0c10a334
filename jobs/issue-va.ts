import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Knex } from 'knex';
import type { IssueJob } from '../src/modules/bills/service';
import { issueBill } from '../src/modules/bills/issuing';

/** How long a channel's queue pauses after the bank says "too many requests" (996). */
const THROTTLE_PAUSE_MS = 60_000;

/**
 * Creates one bill's VA at its bank. Transient failures throw so BullMQ retries with backoff; on
 * the last attempt the bill is left `issue_failed` with the bank's code for an operator.
 */
export function issueVaProcessor(db: Knex, queue: Queue) {
  return async (job: Job<IssueJob>): Promise<string> => {
    if (!Number.isSafeInteger(job.data?.billId)) throw new UnrecoverableError('job has no bill id');
    const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const result = await issueBill(db, job.data.billId, { finalAttempt });
    switch (result.kind) {
      case 'throttled':
        await queue.rateLimit(THROTTLE_PAUSE_MS);
        throw Worker.RateLimitError();
      case 'retry':
        throw new Error(`bank answered ${result.code}: ${result.message}`);
      default:
        return result.kind;
    }
  };
}
