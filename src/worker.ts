import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Knex } from 'knex';
import { assessProcessor } from '../jobs/assess';
import { issueVaConcurrency, issueVaProcessor } from '../jobs/issue-va';
import { sweepProcessor } from '../jobs/sweep';
import { interestProcessor } from '../jobs/accrue-interest';
import { closeDayProcessor } from '../jobs/close-day';
import { applyPaymentProcessor } from '../jobs/apply-payment';
import { renderReceiptProcessor } from '../jobs/render-receipt';
import { deliverWebhookProcessor, webhookWorkerOptions } from '../jobs/deliver-webhook';
import { listChannels } from './banks/registry';
import { config } from './config';
import { lowerPriority } from './lib/priority';
import { logger } from './logger';
import { QUEUES, redisConnection } from './queues';

const SWEEP_EVERY_MS = 60_000;

export interface Workers {
  close(): Promise<void>;
}

/**
 * Starts the BullMQ workers: assessments, and one VA-issuing worker per bank channel, whose
 * concurrency and rate limit come from the channel (the limit holds across all workers, since
 * BullMQ keeps it in Redis). WORKER_QUEUES picks which of them this process runs.
 */
export async function startWorkers(db: Knex): Promise<Workers> {
  const connection = redisConnection(true);
  const prefix = config().QUEUE_PREFIX;
  const lock = { lockDuration: config().WORKER_LOCK_MS, stalledInterval: config().WORKER_LOCK_MS };
  const workers: Worker[] = [];
  const queues: Queue[] = [];
  const roles = new Set(config().WORKER_QUEUES.split(','));
  const serves = (role: string) => roles.has('all') || roles.has(role);
  // A process that renders receipts only can yield the CPU to the API and the apply worker.
  if (config().WORKER_NICE > 0) lowerPriority(config().WORKER_NICE);

  if (serves('assessments')) workers.push(new Worker(QUEUES.assessments, assessProcessor(db), { connection, prefix, concurrency: 2, ...lock }));

  // Many payment jobs at once, so the apply worker can batch them (jobs/apply-payment.ts).
  if (serves('payments')) workers.push(new Worker(QUEUES.payments, applyPaymentProcessor(db), { connection, prefix, concurrency: 256, ...lock }));
  if (serves('receipts')) {
    workers.push(
      new Worker(QUEUES.receipts, renderReceiptProcessor(db, config().RECEIPTS_PER_SECOND), {
        connection,
        prefix,
        concurrency: 2,
        ...lock,
        limiter: { max: config().RECEIPTS_PER_SECOND, duration: 1000 },
      }),
    );
  }
  if (serves('webhooks')) workers.push(new Worker(QUEUES.webhooks, deliverWebhookProcessor(db), { connection, prefix, ...webhookWorkerOptions }));

  if (serves('maintenance')) {
    // The sweeper runs every minute; schedulers are upserted, so many workers still mean one schedule.
    const maintenance = new Queue(QUEUES.maintenance, { connection, prefix });
    queues.push(maintenance);
    await maintenance.upsertJobScheduler('sweep', { every: SWEEP_EVERY_MS }, { name: 'sweep' });
    // Dunning and interest: 02:00 WIB on the first of every month.
    await maintenance.upsertJobScheduler('interest', { pattern: '0 2 1 * *', tz: 'Asia/Jakarta' }, { name: 'interest' });
    // The day's STS and recap: just after midnight WIB, once every payment of the day has its time.
    await maintenance.upsertJobScheduler('close-day', { pattern: '15 0 * * *', tz: 'Asia/Jakarta' }, { name: 'close-day' });
    const maintenanceJobs: Record<string, () => Promise<unknown>> = {
      sweep: sweepProcessor(db),
      interest: interestProcessor(db),
      'close-day': closeDayProcessor(db),
    };
    workers.push(
      new Worker(
        QUEUES.maintenance,
        async (job) => {
          const run = maintenanceJobs[job.name];
          if (!run) throw new UnrecoverableError(`no maintenance job called ${job.name}`);
          return run();
        },
        { connection, prefix, concurrency: 1, ...lock },
      ),
    );
  }

  for (const channel of serves('issuing') ? await listChannels(db) : []) {
    const name = QUEUES.issueVa(channel.code);
    const q = new Queue(name, { connection, prefix });
    queues.push(q);
    workers.push(
      new Worker(name, issueVaProcessor(db, q), {
        connection,
        prefix,
        concurrency: issueVaConcurrency(channel),
        ...lock,
        limiter: { max: channel.rate_per_second, duration: 1000 },
      }),
    );
  }

  for (const q of queues) q.on('error', (err) => logger.warn({ queue: q.name, err: err.message }, 'queue error'));
  for (const w of workers) {
    w.on('failed', (job, err) => logger.warn({ queue: w.name, job: job?.id, err: err.message }, 'job failed'));
    w.on('error', (err) => logger.error({ queue: w.name, err }, 'worker error'));
  }
  logger.info({ queues: workers.map((w) => w.name) }, 'workers started');

  return {
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(queues.map((q) => q.close()));
      connection.disconnect();
    },
  };
}
