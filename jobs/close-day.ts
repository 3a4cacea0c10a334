import type { Knex } from 'knex';
import { logger } from '../src/logger';
import { ClosedDay, closeOpenDays } from '../src/modules/treasury/close-day';

/** The daily close after midnight WIB: yesterday's STS and recap, and late days caught up; idempotent. */
export function closeDayProcessor(db: Knex) {
  return async (): Promise<ClosedDay[]> => {
    const closed = await closeOpenDays(db, 'job:close-day');
    logger.info({ closed }, 'days closed');
    return closed;
  };
}
