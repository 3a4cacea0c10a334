import type { Knex } from 'knex';
import { config } from '../src/config';
import { logger } from '../src/logger';
import { sweep, SweepOptions, SweepReport } from '../src/modules/reconciliation/sweeper';

/** How long work may sit before the sweeper queues it again. */
export const STUCK_AFTER_MS = 60_000;

export function sweepOptions(overrides: Partial<SweepOptions> = {}): SweepOptions {
  const c = config();
  return {
    stuckAfterMs: STUCK_AFTER_MS,
    quietForMs: c.SWEEP_QUIET_MINUTES * 60_000,
    inquiriesPerSecond: c.SWEEP_INQUIRIES_PER_SECOND,
    inquiryLimit: c.SWEEP_INQUIRY_LIMIT,
    ...overrides,
  };
}

/** The scheduled sweeper (`kasda sweep` runs the same now). */
export function sweepProcessor(db: Knex) {
  return async (): Promise<SweepReport> => {
    const report = await sweep(db, sweepOptions());
    logger.info({ report }, 'sweep done');
    return report;
  };
}
