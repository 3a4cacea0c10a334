import { parseConfig } from '../../src/config';
import { addDays, endOfJakartaDay, isCalendarDate, jakartaDate } from '../../src/lib/time';
import { dueDate, periodBounds } from '../../src/modules/levy-types/service';
import { formatBillNo } from '../../src/modules/bills/repo';

describe('Configuration is validated once, naming the bad variable', () => {
  it('gives working defaults for a developer machine', () => {
    const c = parseConfig({});
    expect(c.BNI_BASE_URL).toBe('http://127.0.0.1:3100/');
    expect(c.PORT).toBe(3000);
  });

  it.each([
    ['PORT', 'not-a-port'],
    ['DATABASE_URL', 'nowhere'],
    ['BNI_CLIENT_ID', '1'],
    ['BNI_PREFIX', '98a'],
    ['QUEUE_PREFIX', 'kasda'],
    ['JWT_SECRET', 'short'],
  ])('%s=%s is refused with its name in the message', (name, value) => {
    expect(() => parseConfig({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });

  it('requires JWT_SECRET in production', () => {
    expect(() => parseConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: required/);
  });
});

describe('Calendar days are Jakarta days, whatever the process time zone', () => {
  it('takes the Jakarta date of an instant', () => {
    expect(jakartaDate(new Date('2026-12-31T16:59:59Z'))).toBe('2026-12-31');
    expect(jakartaDate(new Date('2026-12-31T17:00:00Z'))).toBe('2027-01-01');
  });

  it('ends a Jakarta day at 23:59:59 WIB = 16:59:59 UTC', () => {
    expect(endOfJakartaDay('2027-03-02').toISOString()).toBe('2027-03-02T16:59:59.000Z');
  });

  it('adds days across month and leap-year ends', () => {
    expect(addDays('2027-01-01', 30)).toBe('2027-01-31');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2027-12-31', 1)).toBe('2028-01-01');
    expect(isCalendarDate('2027-02-29')).toBe(false);
  });

  it('computes periods and due dates per rule', () => {
    expect(periodBounds('2027')).toEqual({ start: '2027-01-01', end: '2027-12-31' });
    expect(periodBounds('2028-02')).toEqual({ start: '2028-02-01', end: '2028-02-29' });
    expect(periodBounds('2027-12')).toEqual({ start: '2027-12-01', end: '2027-12-31' });
    expect(dueDate({ kind: 'days_after_issue', days: 30 }, '2027-01-01', '2027')).toBe('2027-01-31');
    expect(dueDate({ kind: 'end_of_period_plus', days: 15 }, '2027-03-01', '2027-03')).toBe('2027-04-15');
    expect(dueDate({ kind: 'fixed_date', month: 12, day: 31 }, '2027-01-05', '2027')).toBe('2027-12-31');
  });
});

describe('Bill numbers', () => {
  it('are OPD, year and a zero-padded sequence', () => {
    expect(formatBillNo('DISKOMINFO', 2027, 42)).toBe('DISKOMINFO-2027-000042');
  });
});
