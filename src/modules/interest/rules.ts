import Fraction from 'fraction.js';
import type { CalendarDate } from '../../lib/time';
import type { InterestRule } from '../levy-types/schema';
import { roundAmount, RoundingRule } from '../levy-types/tariff';

/**
 * Late-payment interest (sanksi administratif bunga), as the levy's versioned rule says: a rate per
 * month on the unpaid principal, no compounding, a started month counted whole (or only full
 * months, if the rule says so), capped at the rule's months, rounded once by the levy's rule.
 */

/** The rule in force when the bill fell due: a bill due in 2023 keeps the 2023 rule. */
export function ruleFor(rules: InterestRule[], dueDate: CalendarDate): InterestRule | undefined {
  return [...rules]
    .sort((a, b) => (a.effective_from < b.effective_from ? 1 : -1))
    .find((r) => r.effective_from <= dueDate);
}

function parts(d: CalendarDate) {
  const [y, m, day] = d.split('-').map(Number);
  return { y, m, day };
}

/**
 * Months late between the due date and `asOf`. Month k runs from the due date plus k − 1 months
 * (exclusive) to the due date plus k months (inclusive), so due 31 January and paid 15 March is
 * two months: February, and March begun.
 */
export function monthsLate(dueDate: CalendarDate, asOf: CalendarDate, startedMonthCountsWhole: boolean): number {
  if (asOf <= dueDate) return 0;
  const due = parts(dueDate);
  const at = parts(asOf);
  const whole = (at.y - due.y) * 12 + (at.m - due.m);
  const lastDayOfAtMonth = new Date(Date.UTC(at.y, at.m, 0)).getUTCDate();
  // The anniversary day in asOf's month, clamped to its last day (31 January + 1 month = 28/29 February).
  const anniversary = Math.min(due.day, lastDayOfAtMonth);
  if (startedMonthCountsWhole) return at.day > anniversary ? whole + 1 : whole;
  return at.day >= anniversary ? whole : whole - 1;
}

export interface InterestCalculation {
  kind: 'interest';
  principal: number;
  rate_per_month_bp: number;
  months: number;
  months_late: number;
  max_months: number;
  rule_effective_from: string;
  due_date: CalendarDate;
  as_of: CalendarDate;
  unrounded: string;
  amount: number;
}

export function interestFor(
  rules: InterestRule[],
  rounding: RoundingRule,
  principal: number,
  dueDate: CalendarDate,
  asOf: CalendarDate,
): InterestCalculation | null {
  const rule = ruleFor(rules, dueDate);
  if (!rule || principal <= 0) return null;
  const late = monthsLate(dueDate, asOf, rule.started_month_counts_whole);
  const months = Math.min(late, rule.max_months);
  if (months <= 0) return null;
  const exact = new Fraction(principal).mul(rule.rate_per_month_bp).mul(months).div(10000);
  return {
    kind: 'interest',
    principal,
    rate_per_month_bp: rule.rate_per_month_bp,
    months,
    months_late: late,
    max_months: rule.max_months,
    rule_effective_from: rule.effective_from,
    due_date: dueDate,
    as_of: asOf,
    unrounded: exact.toFraction(),
    amount: roundAmount(exact, rounding),
  };
}
