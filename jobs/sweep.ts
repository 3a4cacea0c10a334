import type { Knex } from 'knex';
import { requeueStuckBills } from '../src/modules/bills/service';
import { logger } from '../src/logger';

/** How long a bill may sit in draft or issuing before the sweeper queues it again. */
export const STUCK_AFTER_MS = 60_000;

/**
 * The sweeper: finds work that a crash or a Redis outage left behind and queues it again.
 * Runs on a schedule from the workers and on demand with `kasda sweep`.
 */
export async function sweep(db: Knex, stuckAfterMs = STUCK_AFTER_MS): Promise<{ requeued: number }> {
  const requeued = await requeueStuckBills(db, stuckAfterMs);
  if (requeued) logger.info({ requeued }, 'sweeper re-queued bills for VA issuing');
  return { requeued };
}

export function sweepProcessor(db: Knex) {
  return async (): Promise<{ requeued: number }> => sweep(db);
}
