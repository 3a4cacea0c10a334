import type { Knex } from 'knex';
import { AppError, Conflict, Forbidden, NotFound } from '../../errors';
import { compileSchema, describeErrors } from '../../lib/json-schema';
import { addDays, CalendarDate, jakartaDate } from '../../lib/time';
import type { Principal } from '../auth/tokens';
import { recordAudit } from '../audit/service';
import {
  checkDefinition,
  DefinitionInvalid,
  definitionOf,
  LEVY_FIELDS,
  LevyDefinition,
  parseDefinition,
  parseVersionPatch,
  versionColumns,
  versionContent,
} from './definition';
import { describeLine } from './describe';
import * as repo from './repo';
import type { AccountCodes, DueRule, LevyType, LevyTypeVersion } from './schema';
import { Calculation, compileTariff, TariffError } from './tariff';

const actorOf = (who: Principal) => `${who.role}:${who.sub}`;

/** An OPD admin works only within its own OPD; everyone else sees every OPD. */
const opdScope = (who: Principal) => (who.role === 'opd_admin' ? who.opd : undefined);

function presentVersion(v: LevyTypeVersion, channel: { code: string; name: string; bank_name: string }) {
  return {
    version: v.version,
    effective_from: v.effective_from,
    legal_basis: v.legal_basis,
    valid_from: v.valid_from,
    valid_to: v.valid_to,
    assessment_mode: v.assessment_mode,
    period_kind: v.period_kind,
    billing_unit: v.billing_unit,
    document_type: v.document_type,
    document_template: v.document_template,
    account_codes: v.account_codes,
    object_schema: v.object_schema,
    tariff_rule: v.tariff_rule,
    rounding: v.rounding,
    due_rule: v.due_rule,
    interest_rule: v.interest_rule,
    payment_policy: v.payment_policy,
    bank_channel: channel,
    sample_objects: v.sample_objects,
  };
}

export async function listLevyTypes(db: Knex, who: Principal) {
  const rows = await repo.listWithCurrentVersion(db, opdScope(who));
  return rows.map((r) => ({
    code: r.code,
    name: r.name,
    kind: r.kind,
    class: r.class,
    opd: { code: r.opd_code, name: r.opd_name },
    version: presentVersion(r.version, { code: r.channel_code, name: r.channel_name, bank_name: r.bank_name }),
  }));
}

export async function requireLevyType(db: Knex, code: string) {
  const levy = await repo.findByCode(db, code);
  if (!levy) throw new NotFound('levy_type_not_found', `No levy type with code ${code}`);
  return levy;
}

/** A levy type the caller may see; out of scope answers exactly like absent. */
export async function requireScopedLevyType(db: Knex, who: Principal, code: string) {
  const levy = await repo.findWithOpd(db, code, opdScope(who));
  if (!levy) throw new NotFound('levy_type_not_found', `No levy type with code ${code}`);
  return levy;
}

/** A levy type with every version, oldest first. */
export async function getLevyType(db: Knex, who: Principal, code: string) {
  const levy = await requireScopedLevyType(db, who, code);
  const opd = await db('opds').where({ id: levy.opd_id }).first();
  const versions = await repo.versionsOf(db, levy.id);
  return {
    code: levy.code,
    name: levy.name,
    kind: levy.kind,
    class: levy.class,
    opd: { code: opd.code, name: opd.name },
    versions: versions.map((v) => presentVersion(v, { code: v.channel_code, name: v.channel_name, bank_name: v.bank_name })),
  };
}

export type ApplyOutcome = 'created' | 'versioned' | 'unchanged';

/**
 * Stores a checked definition: a new levy type with version 1, a new version of an existing one,
 * or nothing when the same version is already stored (so applying a file twice changes nothing).
 * `mode` says what the caller asked for: `create` refuses an existing levy type, `version` a
 * missing one, `apply` takes whichever fits.
 */
export async function saveDefinition(
  db: Knex,
  def: LevyDefinition,
  actor: string,
  mode: 'create' | 'version' | 'apply',
): Promise<{ outcome: ApplyOutcome; version: number }> {
  checkDefinition(def);
  try {
    return await db.transaction(async (trx) => {
      const opd = await trx('opds').where({ code: def.opd }).first();
      const channel = await trx('bank_channels').where({ code: def.bank_channel }).first();
      const missing = [
        ...(opd ? [] : [{ field: 'opd', reason: `no OPD ${def.opd}` }]),
        ...(channel ? [] : [{ field: 'bank_channel', reason: `no bank channel ${def.bank_channel}` }]),
      ];
      if (missing.length) throw new DefinitionInvalid(missing);

      const levy: LevyType | undefined = await trx('levy_types').where({ code: def.code }).forUpdate().first();
      if (!levy) {
        if (mode === 'version') throw new NotFound('levy_type_not_found', `No levy type with code ${def.code}`);
        const [created] = await trx('levy_types')
          .insert({ code: def.code, opd_id: opd.id, name: def.name, kind: def.kind, class: def.class })
          .returning('id');
        await trx('levy_type_versions').insert({ levy_type_id: created.id, version: 1, ...versionColumns(def, channel.id) });
        await recordAudit(trx, {
          actor,
          action: 'levy_type.created',
          entityType: 'levy_type',
          entityId: def.code,
          after: { opd: def.opd, version: 1, effective_from: def.effective_from },
        });
        return { outcome: 'created' as const, version: 1 };
      }
      if (mode === 'create') throw new Conflict('levy_type_exists', `Levy type ${def.code} exists; change it with PATCH, which adds a version`);

      const stored = { code: levy.code, name: levy.name, kind: levy.kind, class: levy.class, opd: (await trx('opds').where({ id: levy.opd_id }).first()).code };
      const changed = LEVY_FIELDS.filter((f) => stored[f] !== def[f]);
      if (changed.length) {
        throw new DefinitionInvalid(
          changed.map((f) => ({ field: f, reason: `is ${JSON.stringify(stored[f])} and cannot change: it names the levy on documents already issued` })),
        );
      }

      const versions = await repo.versionsOf(trx, levy.id);
      const same = versions.find((v) => v.effective_from === def.effective_from);
      if (same) {
        const storedContent = versionContent(definitionOf(levy, stored.opd, same, same.channel_code));
        if (storedContent === versionContent(def)) return { outcome: 'unchanged' as const, version: same.version };
        throw new Conflict(
          'version_overlaps',
          `Version ${same.version} of ${def.code} already takes effect on ${def.effective_from}; a changed definition needs its own effective_from`,
          { field: 'effective_from' },
        );
      }
      const newest = versions[versions.length - 1];
      if (newest.effective_from > def.effective_from) {
        throw new Conflict(
          'version_overlaps',
          `${def.code} has version ${newest.version} in effect from ${newest.effective_from}; a new version must take effect after it`,
          { field: 'effective_from' },
        );
      }
      const version = Math.max(...versions.map((v) => v.version)) + 1;
      await trx('levy_type_versions').insert({ levy_type_id: levy.id, version, ...versionColumns(def, channel.id) });
      await recordAudit(trx, {
        actor,
        action: 'levy_type.versioned',
        entityType: 'levy_type',
        entityId: def.code,
        before: { version: newest.version, effective_from: newest.effective_from },
        after: { version, effective_from: def.effective_from },
      });
      return { outcome: 'versioned' as const, version };
    });
  } catch (e) {
    // Two writers raced past the checks above: the unique keys decide, and the loser is told so.
    if ((e as { code?: string }).code === '23505') {
      throw new Conflict('version_overlaps', `${def.code} was changed at the same time; read it again and retry`);
    }
    throw e;
  }
}

function assertOwnOpd(who: Principal, opdCode: string) {
  if (who.role === 'opd_admin' && who.opd !== opdCode) {
    throw new Forbidden(`An OPD admin defines levy types only for its own OPD (${who.opd})`);
  }
}

export async function createLevyType(db: Knex, who: Principal, body: unknown) {
  const def = parseDefinition(body);
  assertOwnOpd(who, def.opd);
  await saveDefinition(db, def, actorOf(who), 'create');
  return getLevyType(db, who, def.code);
}

/**
 * A change to a levy type: the fields given replace those of its newest version, and the result is
 * a new version from `effective_from` on. Bills already computed keep the version they used.
 */
export async function changeLevyType(db: Knex, who: Principal, code: string, body: unknown) {
  const levy = await requireScopedLevyType(db, who, code);
  const patch = parseVersionPatch(body);
  const versions = await repo.versionsOf(db, levy.id);
  const newest = versions[versions.length - 1];
  const def = parseDefinition({ ...definitionOf(levy, levy.opd_code, newest, newest.channel_code), ...patch });
  const { outcome, version } = await saveDefinition(db, def, actorOf(who), 'version');
  return { outcome, version, levy_type: await getLevyType(db, who, code) };
}

/** The CLI's `levy apply`: a definition file, applied as many times as it is run. */
export async function applyDefinitionFile(db: Knex, content: unknown, actor: string) {
  const def = parseDefinition(content);
  return { code: def.code, ...(await saveDefinition(db, def, actor, 'apply')) };
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

export const PERIOD_FORMAT: Record<LevyTypeVersion['period_kind'], RegExp> = {
  yearly: /^\d{4}$/,
  monthly: /^\d{4}-(0[1-9]|1[0-2])$/,
  one_off: /^\d{4}$/,
};

/** The period a bill made today belongs to when the caller names none. */
export function currentPeriod(kind: LevyTypeVersion['period_kind'], today: CalendarDate = jakartaDate()): string {
  return kind === 'monthly' ? today.slice(0, 7) : today.slice(0, 4);
}

/** A bill is not dated before its period starts: made ahead, it is issued on the first day. */
export function issueDateFor(period: string, today: CalendarDate = jakartaDate()): CalendarDate {
  const start = periodBounds(period).start;
  return today > start ? today : start;
}

/**
 * The version that bills a period: the one in force on its first day, whose legal basis covers
 * it. A retired levy (validity window over) bills nothing new; its arrears stay collectible.
 */
export async function billableVersion(db: Knex, levy: { id: number; code: string }, period: string): Promise<LevyTypeVersion> {
  const { start, end } = periodBounds(period);
  const version = await repo.versionAsOf(db, levy.id, start);
  if (!version) throw new Conflict('period_not_billable', `${levy.code} has no definition in force for ${period}`);
  if (!PERIOD_FORMAT[version.period_kind].test(period)) {
    throw new AppError('invalid_period', `${levy.code} is billed ${version.period_kind}; ${period} is not such a period`, 400);
  }
  if (version.valid_from > end || (version.valid_to !== null && version.valid_to < start)) {
    throw new Conflict(
      'levy_not_in_force',
      `${levy.code} is valid from ${version.valid_from}${version.valid_to ? ` to ${version.valid_to}` : ''}; it cannot bill ${period}`,
    );
  }
  return version;
}

export interface ObjectInput {
  code?: string;
  attributes: Record<string, unknown>;
}

export interface ComputedLine {
  index: number;
  object_code: string | null;
  account_code: string;
  description: string;
  calculation: Calculation;
}

export interface LineRejection {
  index: number;
  object_code: string | null;
  field: string;
  reason: string;
}

/** Computes one line per object with a version's tariff; objects it cannot bill are returned apart. */
export function computeLines(version: LevyTypeVersion, period: string, objects: ObjectInput[]) {
  const validate = compileSchema(version.object_schema);
  const compute = compileTariff(version.tariff_rule, version.rounding);
  const codes = accountCodesFor(version, Number(period.slice(0, 4)));
  const lines: ComputedLine[] = [];
  const rejected: LineRejection[] = [];
  objects.forEach((o, index) => {
    const object_code = o.code ?? null;
    if (!validate(o.attributes)) {
      rejected.push({ index, object_code, field: `objects[${index}].attributes`, reason: describeErrors(validate) });
      return;
    }
    try {
      const calculation = compute(o.attributes);
      lines.push({ index, object_code, account_code: codes.principal, description: describeLine(version.tariff_rule.description, calculation), calculation });
    } catch (e) {
      if (!(e instanceof TariffError)) throw e;
      rejected.push({ index, object_code, field: `objects[${index}]`, reason: e.message });
    }
  });
  return { lines, rejected };
}

/** What the levy would bill for these objects in a period, computed exactly as a bill is, and not saved. */
export async function previewBills(db: Knex, who: Principal, code: string, body: { objects: ObjectInput[]; period?: string }) {
  const levy = await requireScopedLevyType(db, who, code);
  const current = (await repo.versionAsOf(db, levy.id, jakartaDate())) ?? (await repo.firstVersion(db, levy.id))!;
  const period = body.period ?? currentPeriod(current.period_kind);
  const version = await billableVersion(db, levy, period);
  const { lines, rejected } = computeLines(version, period, body.objects);
  const issueDate = issueDateFor(period);
  const groups = version.billing_unit === 'per_object' ? lines.map((l) => [l]) : lines.length ? [lines] : [];
  return {
    levy_type: levy.code,
    version: version.version,
    period,
    document_type: version.document_type,
    issue_date: issueDate,
    due_date: dueDate(version.due_rule, issueDate, period),
    bills: groups.map((g) => ({
      amount: g.reduce((s, l) => s + l.calculation.amount, 0),
      lines: g.map((l, n) => ({
        line_no: n + 1,
        object_code: l.object_code,
        object_name: null,
        account_code: l.account_code,
        description: l.description,
        amount: l.calculation.amount,
        calculation: l.calculation,
      })),
    })),
    rejected,
  };
}
