import { interestFor, monthsLate, ruleFor } from '../../src/modules/interest/rules';
import type { InterestRule } from '../../src/modules/levy-types/schema';

const rules: InterestRule[] = [
  { effective_from: '2010-01-01', rate_per_month_bp: 200, max_months: 24, started_month_counts_whole: true, base: 'principal' },
  { effective_from: '2024-01-05', rate_per_month_bp: 100, max_months: 24, started_month_counts_whole: true, base: 'principal' },
];
const whole = { mode: 'half_up', unit: 1 } as const;

describe('Months late: a started month counts whole, from the due date', () => {
  it.each([
    ['2027-01-31', '2027-01-31', 0],
    ['2027-01-31', '2027-02-01', 1],
    ['2027-01-31', '2027-02-28', 1],
    ['2027-01-31', '2027-03-01', 2],
    ['2027-01-31', '2027-03-15', 2],
    ['2027-01-15', '2027-02-15', 1],
    ['2027-01-15', '2027-02-16', 2],
    ['2027-01-31', '2029-06-30', 29],
  ])('due %s, as of %s: %i', (due, asOf, months) => {
    expect(monthsLate(due, asOf, true)).toBe(months);
  });

  it('counts only full months when the rule says so', () => {
    expect(monthsLate('2027-01-15', '2027-02-14', false)).toBe(0);
    expect(monthsLate('2027-01-15', '2027-02-15', false)).toBe(1);
    expect(monthsLate('2027-01-31', '2027-03-15', false)).toBe(1);
  });
});

describe('Interest per the rule in force when the bill fell due', () => {
  it('due 2027-01-31, paid 2027-03-15: 2 months at 1%', () => {
    const i = interestFor(rules, whole, 4_200_000, '2027-01-31', '2027-03-15')!;
    expect(i).toMatchObject({ months: 2, rate_per_month_bp: 100, amount: 84_000 });
  });

  it('paid 2029-06-30: capped at 24 months', () => {
    const i = interestFor(rules, whole, 4_200_000, '2027-01-31', '2029-06-30')!;
    expect(i).toMatchObject({ months_late: 29, months: 24, amount: 1_008_000 });
  });

  it('a bill due in 2023 keeps the 2% rule of its time', () => {
    expect(ruleFor(rules, '2023-06-30')?.rate_per_month_bp).toBe(200);
    const i = interestFor(rules, whole, 1_000_000, '2023-06-30', '2023-09-01')!;
    expect(i).toMatchObject({ months: 3, rate_per_month_bp: 200, amount: 60_000 });
  });

  it('rounds once, by the levy’s rule', () => {
    expect(interestFor(rules, whole, 1_234_567, '2027-01-31', '2027-02-10')!.amount).toBe(12_346);
    expect(interestFor(rules, { mode: 'down', unit: 100 }, 1_234_567, '2027-01-31', '2027-02-10')!.amount).toBe(12_300);
  });

  it('gives nothing before the due date, or without principal', () => {
    expect(interestFor(rules, whole, 1_000_000, '2027-01-31', '2027-01-31')).toBeNull();
    expect(interestFor(rules, whole, 0, '2027-01-31', '2027-05-31')).toBeNull();
  });
});
