import type { Knex } from 'knex';
import { jakartaDate } from '../src/lib/time';
import { logger } from '../src/logger';
import { DunningReport, runDunning } from '../src/modules/interest/service';

/** The monthly dunning run (`kasda interest` runs the same now), as of today in Jakarta. */
export function interestProcessor(db: Knex) {
  return async (): Promise<DunningReport> => {
    const report = await runDunning(db, jakartaDate());
    logger.info({ report }, 'dunning run done');
    return report;
  };
}
