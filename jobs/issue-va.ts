import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Knex } from 'knex';
import { logger } from '../src/logger';
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
/** Most bills one prepare or finalize transaction takes. */
const BATCH_MAX = 200;
/**
 * Transactions of each step one process runs at once. One per step: the bills that arrive while it
 * runs make the next batch larger, and the prepare and finalize steps still run side by side.
 */
const BATCHES_IN_FLIGHT = 1;
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

interface Waiting<I, O> {
  item: I;
  resolve(o: O): void;
  reject(e: unknown): void;
}

/**
 * Gathers what the running jobs hand to one step into batches: whatever arrives while batches run
 * goes into the next one, so under load each transaction carries many bills, and a lone bill is
 * still handled at once. If a batch fails, its items are tried one by one, so only an item that
 * fails alone fails its job.
 */
class Batches<I, O> {
  private waiting: Array<Waiting<I, O>> = [];
  private running = 0;

  constructor(
    private readonly step: string,
    private readonly run: (items: I[]) => Promise<O[]>,
  ) {}

  add(item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.running < BATCHES_IN_FLIGHT && this.waiting.length) {
      const batch = this.waiting.splice(0, BATCH_MAX);
      this.running += 1;
      void this.flush(batch).finally(() => {
        this.running -= 1;
        this.drain();
      });
    }
  }

  private async flush(batch: Array<Waiting<I, O>>): Promise<void> {
    try {
      const results = await this.run(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(results[i]));
    } catch (e) {
      if (batch.length === 1) {
        batch[0].reject(e);
        return;
      }
      logger.warn({ err: e, step: this.step, bills: batch.length }, 'issue batch failed; taking its bills one by one');
      for (const w of batch) {
        await this.run([w.item]).then(([result]) => w.resolve(result), w.reject);
      }
    }
  }
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
    this.prepare = new Batches('prepare', (requests) => prepareIssues(db, requests));
    this.finalize = new Batches('finalize', (answers) => finalizeIssues(db, answers));
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
