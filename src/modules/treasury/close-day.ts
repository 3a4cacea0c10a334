import type { Knex } from 'knex';
import { addDays, jakartaDate } from '../../lib/time';
import { keepDailyRecap } from '../reports/daily-recap';
import { startOfJakartaDay } from '../reports/range';
import { daysWithPendingPayments } from './repo';
import { generateSts } from './service';

/** How far back the daily close looks for days with payments on no STS (workers down, late inquiries). */
const LOOKBACK_DAYS = 31;

export interface ClosedDay {
  date: string;
  sts: string[];
  received: number;
}

/** Closes one WIB day: its STS (idempotent) and the day's recap kept beside them. */
export async function closeDay(db: Knex, day: string, actor: string): Promise<ClosedDay> {
  const run = await generateSts(db, { date: day }, actor);
  const totals = await keepDailyRecap(db, day, actor);
  return { date: day, sts: run.created.map((s) => s.sts_no), received: totals.received };
}

/**
 * The daily job, after midnight WIB: closes yesterday, and any earlier day of the last month with
 * payments that reached Kasda after its close, so a missed run or a late payment is caught up.
 */
export async function closeOpenDays(db: Knex, actor: string, today: string = jakartaDate()): Promise<ClosedDay[]> {
  const yesterday = addDays(today, -1);
  const late = await daysWithPendingPayments(db, startOfJakartaDay(addDays(today, -LOOKBACK_DAYS)), startOfJakartaDay(today));
  const closed: ClosedDay[] = [];
  for (const day of [...new Set([...late, yesterday])].sort()) closed.push(await closeDay(db, day, actor));
  return closed;
}
