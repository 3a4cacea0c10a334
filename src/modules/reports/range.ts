import { AppError } from '../../errors';
import { addDays, CalendarDate, isCalendarDate, jakartaDate } from '../../lib/time';

/**
 * Report periods are whole WIB days, `from` and `to` both included. A payment belongs to the WIB
 * day of its `paid_at`, whatever the server's time zone.
 */
export interface DayRange {
  from: CalendarDate;
  to: CalendarDate;
}

/** The longest range a day-by-day query accepts: a year, leap day included. */
export const MAX_RANGE_DAYS = 366;

export function assertDay(value: string, field: string): CalendarDate {
  if (!isCalendarDate(value)) throw new AppError('invalid_date', `${field} must be a calendar date (YYYY-MM-DD), got ${JSON.stringify(value)}`, 400);
  return value;
}

/** Days from `from` to `to`, both counted. */
export function daysIn(range: DayRange): number {
  return Math.round((Date.parse(range.to) - Date.parse(range.from)) / 86_400_000) + 1;
}

/**
 * A range from optional query values: a missing end takes the other end, and both missing mean
 * today in Jakarta.
 */
export function dayRange(q: { from?: string; to?: string }, maxDays = MAX_RANGE_DAYS): DayRange {
  const to = assertDay(q.to ?? q.from ?? jakartaDate(), 'to');
  const from = assertDay(q.from ?? to, 'from');
  return checkedRange({ from, to }, maxDays);
}

export function checkedRange(range: DayRange, maxDays = MAX_RANGE_DAYS): DayRange {
  if (range.from > range.to) {
    throw new AppError('invalid_date_range', `from (${range.from}) is after to (${range.to})`, 400, { ...range });
  }
  if (daysIn(range) > maxDays) {
    throw new AppError('date_range_too_long', `A range may cover at most ${maxDays} days`, 400, { ...range, max_days: maxDays });
  }
  return range;
}

/** The instants bounding the range: the start of `from` in WIB, and the start of the day after `to`. */
export function instantsOf(range: DayRange): { start: Date; end: Date } {
  return { start: startOfJakartaDay(range.from), end: startOfJakartaDay(addDays(range.to, 1)) };
}

export function startOfJakartaDay(day: CalendarDate): Date {
  return new Date(`${day}T00:00:00+07:00`);
}
