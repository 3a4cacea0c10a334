/**
 * Calendar days in the levy's zone (Asia/Jakarta, UTC+7 without daylight saving) versus instants.
 * A period, issue date or due date is a 'YYYY-MM-DD' string; an instant is a Date in UTC.
 */
const WIB_OFFSET_MS = 7 * 3600 * 1000;

export type CalendarDate = string;

/** The calendar date in Jakarta at the given instant. */
export function jakartaDate(at: Date = new Date()): CalendarDate {
  return new Date(at.getTime() + WIB_OFFSET_MS).toISOString().slice(0, 10);
}

export function addDays(date: CalendarDate, days: number): CalendarDate {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The last second of the given Jakarta day, as an instant. */
export function endOfJakartaDay(date: CalendarDate): Date {
  return new Date(Date.parse(`${date}T23:59:59Z`) - WIB_OFFSET_MS);
}

export function isCalendarDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  return new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;
}
