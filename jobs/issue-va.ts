import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Knex } from 'knex';
import { Batches } from '../src/lib/batches';
import type { IssueJob } from '../src/modules/bills/service';
import {
  BankAnswer,
  createAtBank,
  finalizeIssues,
  IssueOutcome,
  IssueRequest,
  PreparedIssue,
  prepareIssues,
} from '../src/modules/bills/issuing';

/** How long a channel's queue pauses after the bank says "too many requests" (996). */
const THROTTLE_PAUSE_MS = 60_000;
/**
 * Most bills one prepare or finalize transaction takes. Each step runs one transaction at a time
 * per process: the bills that arrive while it runs make the next batch larger, and the prepare and
 * finalize steps still run side by side.
 */
const BATCH_MAX = 200;
/**
 * Issue jobs a worker runs at once, per bank call the channel allows in flight: while some bills
 * wait for the bank, others are prepared and finalized. The bank never sees more than the
 * channel's concurrency (createAtBank holds the rest back).
 */
const JOBS_PER_BANK_CALL = 4;

/** The BullMQ concurrency for a channel's issue worker. */
export function issueVaConcurrency(channel: { concurrency: number }): number {
  return Math.max(1, channel.concurrency) * JOBS_PER_BANK_CALL;
}

/**
 * Issues the bills of the jobs a worker runs, in batches: the bills waiting at that moment are
 * prepared in one transaction, each gets its own bank call, and the answers that have come back
 * are finalized in one transaction. A job completes only when its own bill's outcome has committed.
 */
export class IssueBatcher {
  private readonly prepare: Batches<IssueRequest, PreparedIssue | IssueOutcome>;
  private readonly finalize: Batches<BankAnswer, IssueOutcome>;
  /** A bill is in at most one batch at a time: a second job for it waits for the first. */
  private readonly inFlight = new Map<number, Promise<IssueOutcome>>();

  constructor(private readonly db: Knex) {
    this.prepare = new Batches('issue: prepare', (requests) => prepareIssues(db, requests), BATCH_MAX);
    this.finalize = new Batches('issue: finalize', (answers) => finalizeIssues(db, answers), BATCH_MAX);
  }

  async issue(request: IssueRequest): Promise<IssueOutcome> {
    const earlier = this.inFlight.get(request.billId);
    const run = (earlier ?? Promise.resolve()).catch(() => undefined).then(() => this.steps(request));
    this.inFlight.set(request.billId, run);
    try {
      return await run;
    } finally {
      if (this.inFlight.get(request.billId) === run) this.inFlight.delete(request.billId);
    }
  }

  private async steps(request: IssueRequest): Promise<IssueOutcome> {
    const prepared = await this.prepare.add(request);
    if ('kind' in prepared) return prepared;
    const result = await createAtBank(this.db, prepared);
    return this.finalize.add({ prepared, result });
  }
}

/**
 * Creates one bill's VA at its bank (batched with the other jobs the worker is running). Transient
 * failures throw so BullMQ retries with backoff; on the last attempt the bill is left
 * `issue_failed` with the bank's code for an operator.
 */
export function issueVaProcessor(db: Knex, queue: Queue) {
  const batcher = new IssueBatcher(db);
  return async (job: Job<IssueJob>): Promise<string> => {
    if (!Number.isSafeInteger(job.data?.billId)) throw new UnrecoverableError('job has no bill id');
    const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const result = await batcher.issue({ billId: job.data.billId, finalAttempt });
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
