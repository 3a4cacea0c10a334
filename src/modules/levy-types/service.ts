import type { Knex } from 'knex';
import { NotFound } from '../../errors';
import type { Principal } from '../auth/tokens';
import * as repo from './repo';
import type { AccountCodes, DueRule, LevyTypeVersion } from './schema';
import { addDays, CalendarDate } from '../../lib/time';

export async function listLevyTypes(db: Knex, who: Principal) {
  const rows = await repo.listWithCurrentVersion(db, who.role === 'opd_admin' ? who.opd : undefined);
  return rows.map((r) => ({
    code: r.code,
    name: r.name,
    kind: r.kind,
    class: r.class,
    opd: { code: r.opd_code, name: r.opd_name },
    version: {
      version: r.version.version,
      effective_from: r.version.effective_from,
      legal_basis: r.version.legal_basis,
      valid_from: r.version.valid_from,
      valid_to: r.version.valid_to,
      period_kind: r.version.period_kind,
      billing_unit: r.version.billing_unit,
      document_type: r.version.document_type,
      account_codes: r.version.account_codes,
      object_schema: r.version.object_schema,
      tariff_rule: r.version.tariff_rule,
      rounding: r.version.rounding,
      due_rule: r.version.due_rule,
      interest_rule: r.version.interest_rule,
      payment_policy: r.version.payment_policy,
      bank_channel: { code: r.channel_code, name: r.channel_name, bank_name: r.bank_name },
    },
  }));
}

export async function requireLevyType(db: Knex, code: string) {
  const levy = await repo.findByCode(db, code);
  if (!levy) throw new NotFound('levy_type_not_found', `No levy type with code ${code}`);
  return levy;
}

/** The account codes in force for a fiscal year: the newest set starting on or before it. */
export function accountCodesFor(version: Pick<LevyTypeVersion, 'account_codes'>, year: number): AccountCodes {
  const found = [...version.account_codes]
    .sort((a, b) => b.from_year - a.from_year)
    .find((a) => a.from_year <= year);
  if (!found) throw new NotFound('account_code_not_found', `No account code is configured for fiscal year ${year}`);
  return found;
}

/** First and last day of a period ('2027' or '2027-03'). */
export function periodBounds(period: string): { start: CalendarDate; end: CalendarDate } {
  if (/^\d{4}$/.test(period)) return { start: `${period}-01-01`, end: `${period}-12-31` };
  const [y, m] = period.split('-').map(Number);
  const start = `${period}-01`;
  const next = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
  return { start, end: addDays(next, -1) };
}

export function dueDate(rule: DueRule, issueDate: CalendarDate, period: string): CalendarDate {
  switch (rule.kind) {
    case 'days_after_issue':
      return addDays(issueDate, rule.days);
    case 'end_of_period_plus':
      return addDays(periodBounds(period).end, rule.days);
    case 'fixed_date': {
      const year = Number(period.slice(0, 4));
      return `${year}-${String(rule.month).padStart(2, '0')}-${String(rule.day).padStart(2, '0')}`;
    }
  }
}
