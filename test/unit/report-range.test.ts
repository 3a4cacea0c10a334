import { AppError } from '../../src/errors';
import { jakartaDate } from '../../src/lib/time';
import { percentOf } from '../../src/modules/reports/realisation';
import { dayRange, instantsOf } from '../../src/modules/reports/range';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as AppError).code;
  }
  return 'no error';
}

describe('Report day ranges (WIB)', () => {
  it('bounds a WIB day by the instants 17:00 UTC the evening before and after, whatever TZ the process runs in', () => {
    const { start, end } = instantsOf({ from: '2027-03-15', to: '2027-03-15' });
    expect(start.toISOString()).toBe('2027-03-14T17:00:00.000Z');
    expect(end.toISOString()).toBe('2027-03-15T17:00:00.000Z');
    // 23:30 WIB is inside, 00:00 WIB the next day is not.
    const late = new Date('2027-03-15T16:30:00Z');
    expect(late >= start && late < end).toBe(true);
    expect(new Date('2027-03-15T17:00:00Z') < end).toBe(false);
  });

  it('takes a missing end from the other one, and today in Jakarta when both are missing', () => {
    expect(dayRange({ from: '2027-03-01' })).toEqual({ from: '2027-03-01', to: '2027-03-01' });
    expect(dayRange({ to: '2027-03-31' })).toEqual({ from: '2027-03-31', to: '2027-03-31' });
    const today = jakartaDate();
    expect(dayRange({})).toEqual({ from: today, to: today });
  });

  it('refuses a range that runs backwards, one over 366 days, and a date that does not exist', () => {
    expect(codeOf(() => dayRange({ from: '2027-03-02', to: '2027-03-01' }))).toBe('invalid_date_range');
    expect(dayRange({ from: '2028-01-01', to: '2028-12-31' })).toEqual({ from: '2028-01-01', to: '2028-12-31' });
    expect(codeOf(() => dayRange({ from: '2027-01-01', to: '2028-01-02' }))).toBe('date_range_too_long');
    expect(codeOf(() => dayRange({ from: '2027-02-29' }))).toBe('invalid_date');
  });
});

describe('Realisation percentages', () => {
  it('are of the target, rounded down to two decimals, computed exactly on large amounts', () => {
    expect(percentOf(1_551_000_000, 2_350_000_000)).toBe(66);
    expect(percentOf(1_553_999_999, 2_350_000_000)).toBe(66.12);
    expect(percentOf(9_007_199_254_740_991, 9_007_199_254_740_991)).toBe(100);
    expect(percentOf(1, 3)).toBe(33.33);
    expect(percentOf(2, 3)).toBe(66.66);
  });

  it('are null without a target', () => {
    expect(percentOf(5, null)).toBeNull();
    expect(percentOf(5, 0)).toBeNull();
  });
});
