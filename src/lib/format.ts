/**
 * Dates and numbers as people in Padang read them. Instants are shown in WIB (UTC+7, no daylight
 * saving) whatever the process time zone is; calendar dates ('YYYY-MM-DD') are printed as they are
 * and never pass through a time zone, so they cannot shift by a day.
 */

const MONTHS = [
  'Januari',
  'Februari',
  'Maret',
  'April',
  'Mei',
  'Juni',
  'Juli',
  'Agustus',
  'September',
  'Oktober',
  'November',
  'Desember',
];

const WIB_OFFSET_MS = 7 * 60 * 60 * 1000;

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

interface CalendarDate {
  year: number;
  month: number; // 1-12
  day: number;
}

function parseCalendarDate(s: string): CalendarDate {
  const m = CALENDAR_DATE.exec(s);
  if (!m) throw new RangeError(`not a calendar date (YYYY-MM-DD): ${JSON.stringify(s)}`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    throw new RangeError(`no such date: ${s}`);
  }
  return { year, month, day };
}

/** Shifting by the fixed offset and reading UTC fields gives WIB wall-clock time without Intl. */
function wibFields(d: Date): CalendarDate & { hour: number; minute: number } {
  if (Number.isNaN(d.getTime())) throw new RangeError('invalid date');
  const w = new Date(d.getTime() + WIB_OFFSET_MS);
  return {
    year: w.getUTCFullYear(),
    month: w.getUTCMonth() + 1,
    day: w.getUTCDate(),
    hour: w.getUTCHours(),
    minute: w.getUTCMinutes(),
  };
}

/** "31 Januari 2027". A string is a calendar date; a Date is an instant, shown as its WIB date. */
export function formatDateId(d: Date | string): string {
  const { year, month, day } = typeof d === 'string' ? parseCalendarDate(d) : wibFields(d);
  return `${day} ${MONTHS[month - 1]} ${year}`;
}

/** "15 Maret 2027 14:05 WIB". */
export function formatDateTimeWib(d: Date): string {
  const { year, month, day, hour, minute } = wibFields(d);
  return `${day} ${MONTHS[month - 1]} ${year} ${pad2(hour)}:${pad2(minute)} WIB`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

// Plain notation for numbers that String() would print with an exponent (1e-7, 1e21).
const PLAIN_NUMBER = new Intl.NumberFormat('en-US', { useGrouping: false, maximumFractionDigits: 20 });

/**
 * Indonesian decimal notation: comma for the fraction, dots between thousands ("1.234,5").
 * Accepts a number or a decimal string as PostgreSQL returns NUMERIC ("1.2000"); trailing zeros of
 * the fraction are dropped down to `minFractionDigits`, so ("1.2000", 2) → "1,20".
 */
export function formatDecimalId(value: string | number, minFractionDigits = 0): string {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new RangeError(`not a finite number: ${value}`);
  }
  const s = typeof value === 'number' ? PLAIN_NUMBER.format(value) : value;
  const m = DECIMAL.exec(s);
  if (!m) throw new RangeError(`not a decimal number: ${JSON.stringify(value)}`);
  const [, sign, int, frac = ''] = m;
  let fraction = frac.replace(/0+$/, '');
  if (fraction.length < minFractionDigits) fraction = fraction.padEnd(minFractionDigits, '0');
  const grouped = int.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+$)/g, '.');
  const isZero = /^0*$/.test(int) && fraction.replace(/0/g, '') === '';
  return `${isZero ? '' : sign}${grouped}${fraction ? `,${fraction}` : ''}`;
}

/** Virtual account numbers in groups of four, as banks print them: "9881 2345 6789 0123". */
export function formatVirtualAccount(va: string): string {
  return va.replace(/(.{4})(?=.)/g, '$1 ');
}
