import { Job, UnrecoverableError } from 'bullmq';
import type { Knex } from 'knex';
import { logger } from '../src/logger';
import type { ApplyResult } from '../src/modules/payments/apply';
import { ApplyJob } from '../src/modules/payments/intake';
import { processNotifications } from '../src/modules/payments/process';

/** Most inbox rows one transaction applies. */
const APPLY_BATCH_MAX = 200;
/** Batch transactions one process runs at once: one can read and lock while another commits. */
const APPLY_BATCHES_IN_FLIGHT = 2;

interface Waiting {
  id: number;
  resolve(r: ApplyResult): void;
  reject(e: unknown): void;
}

/**
 * Gathers the jobs the worker is running into batches: a job that arrives while batches are being
 * applied joins the next one, so under load each transaction (its commit, and its hold on the
 * receipt counter) carries many payments, and a lone job is still applied at once. A job completes
 * only when its own row has committed.
 */
export class ApplyBatcher {
  private waiting: Waiting[] = [];
  private running = 0;

  constructor(private readonly db: Knex) {}

  apply(id: number): Promise<ApplyResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ id, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.running < APPLY_BATCHES_IN_FLIGHT && this.waiting.length) {
      const batch = this.waiting.splice(0, APPLY_BATCH_MAX);
      this.running += 1;
      void this.run(batch).finally(() => {
        this.running -= 1;
        this.drain();
      });
    }
  }

  private async run(batch: Waiting[]): Promise<void> {
    try {
      const results = await processNotifications(this.db, batch.map((w) => w.id));
      for (const w of batch) w.resolve(results.get(w.id)!);
    } catch (e) {
      if (batch.length === 1) {
        batch[0].reject(e);
        return;
      }
      // One bad row (or a lost deadlock) must not fail the others: each is tried alone, and only
      // a row that fails alone fails its own job.
      logger.warn({ err: e, rows: batch.length }, 'apply batch failed; applying its rows one by one');
      for (const w of batch) {
        await processNotifications(this.db, [w.id]).then((r) => w.resolve(r.get(w.id)!), w.reject);
      }
    }
  }
}

/**
 * Applies recorded bank notifications to their bills. Safe to run any number of times: the inbox
 * row's status and the payments table's unique key make every run after the first a no-op.
 */
export function applyPaymentProcessor(db: Knex) {
  const batcher = new ApplyBatcher(db);
  return async (job: Job<ApplyJob>): Promise<string> => {
    if (!Number.isSafeInteger(job.data?.notificationId)) throw new UnrecoverableError('job has no notification id');
    const outcome = await batcher.apply(job.data.notificationId);
    if (outcome.result === 'missing') throw new UnrecoverableError(`notification ${job.data.notificationId} does not exist`);
    return outcome.result;
  };
}
