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
/**
 * Rows that must be waiting before a second batch starts beside a running one; fewer wait for it
 * to finish and join the next batch, since each batch costs the same statements whatever its size.
 */
const APPLY_SECOND_BATCH_MIN = 50;

interface Waiting {
  id: number;
  resolve(r: ApplyResult): void;
  reject(e: unknown): void;
}

/**
 * Gathers the jobs the worker is running into batches: a job that arrives while batches are being
 * applied joins the next one, so under load each transaction (its commit, and its hold on the
 * receipt counter) carries many payments, and a lone job is still applied at once. A job completes
 * only when its own rows have committed.
 */
export class ApplyBatcher {
  private waiting: Waiting[] = [];
  private running = 0;

  constructor(private readonly db: Knex) {}

  apply(id: number): Promise<ApplyResult> {
    return this.applyAll([id]).then(([r]) => r);
  }

  /** The rows of one job join the same batch. */
  applyAll(ids: number[]): Promise<ApplyResult[]> {
    const results = ids.map((id) => new Promise<ApplyResult>((resolve, reject) => this.waiting.push({ id, resolve, reject })));
    this.drain();
    return Promise.all(results);
  }

  private drain(): void {
    while (
      this.waiting.length &&
      (this.running === 0 || (this.running < APPLY_BATCHES_IN_FLIGHT && this.waiting.length >= APPLY_SECOND_BATCH_MIN))
    ) {
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

const isId = (v: unknown): v is number => Number.isSafeInteger(v);

/**
 * Applies recorded bank notifications to their bills. Safe to run any number of times: the inbox
 * row's status and the payments table's unique key make every run after the first a no-op. A job
 * names one inbox row (the sweeper, an operator's resend) or the rows of one intake group; either
 * way it is only a wake-up, and it completes when each of its rows has committed.
 */
export function applyPaymentProcessor(db: Knex) {
  const batcher = new ApplyBatcher(db);
  return async (job: Job<ApplyJob>): Promise<string> => {
    const data = job.data as Partial<{ notificationId: unknown; notificationIds: unknown }> | undefined;
    if (Array.isArray(data?.notificationIds)) {
      const ids = data.notificationIds;
      if (ids.length === 0 || !ids.every(isId)) throw new UnrecoverableError('job has no valid notification ids');
      const outcomes = await batcher.applyAll(ids);
      const counts = new Map<string, number>();
      for (const o of outcomes) counts.set(o.result, (counts.get(o.result) ?? 0) + 1);
      const missing = ids.filter((_id, i) => outcomes[i].result === 'missing');
      if (missing.length) logger.warn({ job: job.id, missing }, 'inbox rows named by a payment job do not exist');
      return [...counts].map(([result, n]) => `${result} ${n}`).join(', ');
    }
    if (!isId(data?.notificationId)) throw new UnrecoverableError('job has no notification id');
    const outcome = await batcher.apply(data.notificationId);
    if (outcome.result === 'missing') throw new UnrecoverableError(`notification ${data.notificationId} does not exist`);
    return outcome.result;
  };
}
