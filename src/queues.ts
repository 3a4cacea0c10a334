import { Queue, QueueOptions } from 'bullmq';
import Redis, { RedisOptions } from 'ioredis';
import { config } from './config';
import { logger } from './logger';

/**
 * BullMQ queues. Producers fail fast when Redis is away (the caller decides what that means);
 * workers wait for it. Every key shares the configured hash-tagged prefix so a queue's keys land in
 * one Redis Cluster slot. Job payloads carry ids only: no secrets, no personal data.
 */
export const QUEUES = {
  assessments: 'assessments',
  maintenance: 'maintenance',
  payments: 'payments',
  receipts: 'receipts',
  webhooks: 'webhooks',
  issueVa: (channelCode: string) => `issue-va.${channelCode}`,
} as const;

export function redisConnection(forWorker: boolean): Redis {
  const opts: RedisOptions = forWorker
    ? { maxRetriesPerRequest: null }
    : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 };
  const redis = new Redis(config().REDIS_URL, opts);
  // ioredis reconnects by itself; without a listener each failed attempt is an unhandled error.
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
  return redis;
}

let producer: Redis | undefined;
const queues = new Map<string, Queue>();

export function queue(name: string): Queue {
  let q = queues.get(name);
  if (!q) {
    producer ??= redisConnection(false);
    const opts: QueueOptions = {
      connection: producer,
      prefix: config().QUEUE_PREFIX,
      defaultJobOptions: {
        attempts: 8,
        backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
        removeOnComplete: { age: 24 * 3600, count: 10000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    };
    q = new Queue(name, opts);
    q.on('error', (err) => logger.warn({ queue: name, err: err.message }, 'queue error'));
    queues.set(name, q);
  }
  return q;
}

export function openQueues(): Queue[] {
  return [...queues.values()];
}

export async function closeQueues(): Promise<void> {
  const all = [...queues.values()];
  queues.clear();
  await Promise.all(all.map((q) => q.close()));
  producer?.disconnect();
  producer = undefined;
}

/** Deletes every key under a queue prefix (the demo's and the tests' own prefixes). */
export async function deleteQueueKeys(prefix: string, redisUrl = config().REDIS_URL): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
