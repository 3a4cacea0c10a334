import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { AppError } from '../../errors';
import { canonicalJson } from '../../lib/canonical-json';
import { compileSchema, describeErrors } from '../../lib/json-schema';
import { isCalendarDate } from '../../lib/time';
import { PLACEHOLDER } from './describe';
import type { LevyType, LevyTypeVersion } from './schema';
import {
  compileTariff,
  definedNames,
  FormulaRule,
  Lookup,
  lookupAttributes,
  MAX_EXPRESSION_LENGTH,
  NAME,
  TariffError,
  TariffRule,
  toFormula,
} from './tariff';

/**
 * A levy type definition: everything an OPD states to bring a levy or tax into Kasda, in one
 * document that the API accepts as JSON and the CLI as a YAML or JSON file kept in git. The levy
 * (code, name, kind, class, OPD) is fixed once created; everything else is versioned by
 * `effective_from`. Nothing is accepted before it has been checked here, including a dry run of
 * its tariff on its own sample objects.
 */

/** The document renderers that exist (src/modules/documents); a definition may name only these. */
export const DOCUMENT_TEMPLATES = ['skrd-v1', 'skrd-v2'] as const;

const decimal = z.union([
  z.number(),
  z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal number such as "0.25"'),
]);
const name = z.string().regex(NAME, 'must be a name of letters, digits and _ that starts with a letter').max(40);
const date = z.string().refine(isCalendarDate, 'must be a date YYYY-MM-DD');
const rupiah = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const expression = z.string().min(1).max(MAX_EXPRESSION_LENGTH);
const accountCode = z.string().regex(/^\d+(\.\d+){2,5}$/, 'must be an account code such as 4.1.02.01.05');

const tableLookup = z
  .object({ attribute: name, table: z.record(z.string(), decimal), labels: z.record(z.string(), z.string().max(200)).optional() })
  .strict();
const bandLookup = z
  .object({
    attribute: name,
    bands: z.array(z.object({ max: z.number().optional(), value: decimal, label: z.string().max(200).optional() }).strict()).min(1).max(100),
  })
  .strict();
const compositeRows = z
  .array(
    z
      .object({ when: z.record(z.string(), z.union([z.string(), z.number()])), value: decimal, label: z.string().max(200).optional() })
      .strict(),
  )
  .min(1)
  .max(2000);
const compositeLookup = z.object({ attributes: z.array(name).min(1).max(5), rows: compositeRows }).strict();
const lookup = z.union([tableLookup, bandLookup, compositeLookup]);
const lookups = z.record(name, lookup);
const constants = z.record(name, decimal);

const lineCommon = {
  description: z.string().min(1).max(500),
  minimum: rupiah.optional(),
  maximum: rupiah.optional(),
};
const named = { constants: constants.optional(), attributes: z.array(name).max(50).optional() };

const tariff = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('flat'), amount: decimal, ...lineCommon }).strict(),
  z
    .object({
      kind: z.literal('table'),
      table: z.object({ name, attributes: z.array(name).min(1).max(5), rows: compositeRows }).strict(),
      expression: expression.optional(),
      ...named,
      ...lineCommon,
    })
    .strict(),
  z.object({ kind: z.literal('rate'), rate: decimal, base: expression, lookups: lookups.optional(), ...named, ...lineCommon }).strict(),
  z
    .object({
      kind: z.literal('formula'),
      expression,
      lookups: lookups.optional(),
      steps: z.array(z.object({ name, expression }).strict()).max(20).optional(),
      ...named,
      ...lineCommon,
    })
    .strict(),
]);

const dueRule = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('days_after_issue'), days: z.number().int().min(0).max(366) }).strict(),
  z.object({ kind: z.literal('fixed_date'), month: z.number().int().min(1).max(12), day: z.number().int().min(1).max(31) }).strict(),
  z.object({ kind: z.literal('end_of_period_plus'), days: z.number().int().min(0).max(366) }).strict(),
]);

export const levyDefinitionSchema = z
  .object({
    code: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lower case letters, digits, - and _').max(40),
    name: z.string().min(3).max(200),
    kind: z.enum(['retribusi', 'pajak']),
    class: z.string().max(100).default(''),
    opd: z.string().regex(/^[A-Z0-9]{2,12}$/, 'must be an OPD code such as DISDAG'),
    effective_from: date,
    legal_basis: z
      .object({
        regulation: z.string().min(3).max(500),
        article: z.string().min(1).max(200),
        valid_from: date,
        valid_to: date.nullable().default(null),
      })
      .strict(),
    account_codes: z
      .array(z.object({ from_year: z.number().int().min(2000).max(2100), principal: accountCode, fines: accountCode }).strict())
      .min(1)
      .max(50),
    object_schema: z.record(z.string(), z.unknown()),
    assessment_mode: z.enum(['official', 'self_assessed', 'on_request']),
    period: z.enum(['yearly', 'monthly', 'one_off']),
    billing_unit: z.enum(['per_payer', 'per_object']),
    tariff,
    rounding: z.object({ mode: z.enum(['half_up', 'down', 'up']), unit: z.union([z.literal(1), z.literal(10), z.literal(100), z.literal(1000)]) }).strict(),
    due_rule: dueRule,
    interest_rule: z
      .array(
        z
          .object({
            effective_from: date,
            rate_per_month_bp: z.number().int().min(0).max(10000),
            max_months: z.number().int().min(0).max(120),
            started_month_counts_whole: z.boolean(),
            base: z.literal('principal'),
          })
          .strict(),
      )
      .max(20),
    payment_policy: z
      .object({
        billing_type: z.enum(['c', 'i', 'o', 'm', 'n', 'x']),
        partial_allowed: z.boolean(),
        va_valid_days_after_due: z.number().int().min(0).max(3650),
      })
      .strict(),
    bank_channel: z.string().min(1).max(40),
    document: z.object({ type: z.enum(['SKRD', 'SKPD']), template: z.enum(DOCUMENT_TEMPLATES) }).strict(),
    sample_objects: z
      .array(z.object({ code: z.string().min(1).max(60).optional(), attributes: z.record(z.string(), z.unknown()) }).strict())
      .min(1)
      .max(50),
  })
  .strict();

export type LevyDefinition = z.infer<typeof levyDefinitionSchema>;

/** Fixed when the levy is created: they name it on every document already issued. */
export const LEVY_FIELDS = ['code', 'name', 'kind', 'class', 'opd'] as const;

/** What may change from one version to the next. */
export const versionPatchSchema = levyDefinitionSchema.omit({ code: true, name: true, kind: true, class: true, opd: true }).partial().required({ effective_from: true });
export type VersionPatch = z.infer<typeof versionPatchSchema>;

export interface FieldError {
  field: string;
  reason: string;
}

export class DefinitionInvalid extends AppError {
  constructor(readonly errors: FieldError[]) {
    super('definition_invalid', `${errors[0].field}: ${errors[0].reason}`, 422, { errors });
  }
}

function fieldOf(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)), '') || '(definition)';
}

function parseWith<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new DefinitionInvalid(parsed.error.issues.map((i) => ({ field: fieldOf(i.path), reason: i.message })));
  }
  return parsed.data;
}

/** The shape, and nothing more: every field present, typed and within its bounds. */
export function parseDefinition(input: unknown): LevyDefinition {
  return parseWith(levyDefinitionSchema, input);
}

export function parseVersionPatch(input: unknown): VersionPatch {
  return parseWith(versionPatchSchema, input);
}

type SchemaProperty = { type?: unknown; enum?: unknown[]; const?: unknown; maximum?: number; exclusiveMaximum?: number };

function propertiesOf(schema: Record<string, unknown>): Record<string, SchemaProperty> {
  const p = schema.properties;
  return p && typeof p === 'object' ? (p as Record<string, SchemaProperty>) : {};
}

function enumerated(p: SchemaProperty | undefined): unknown[] | undefined {
  if (!p) return undefined;
  if (Array.isArray(p.enum)) return p.enum;
  if (p.const !== undefined) return [p.const];
  return undefined;
}

function isNumeric(p: SchemaProperty): boolean {
  const types = Array.isArray(p.type) ? p.type : [p.type];
  if (types.includes('number') || types.includes('integer')) return true;
  const values = enumerated(p);
  return !!values && values.every((v) => typeof v === 'number');
}

/** Tables must cover every value the object schema allows: an object must never fall through. */
function checkLookup(field: string, lookupName: string, l: Lookup, props: Record<string, SchemaProperty>): FieldError[] {
  const errors: FieldError[] = [];
  for (const a of lookupAttributes(l)) {
    if (!props[a]) errors.push({ field, reason: `${lookupName} reads ${a}, which the object schema does not define` });
  }
  if (errors.length) return errors;
  if ('bands' in l) {
    l.bands.forEach((b, i) => {
      if (b.max === undefined && i < l.bands.length - 1) errors.push({ field: `${field}.bands[${i}]`, reason: 'only the last band may be open-ended' });
      const prev = l.bands[i - 1]?.max;
      if (b.max !== undefined && prev !== undefined && b.max <= prev) {
        errors.push({ field: `${field}.bands[${i}]`, reason: 'bands must be in increasing order of max' });
      }
    });
    const last = l.bands[l.bands.length - 1].max;
    const p = props[l.attribute];
    const ceiling = p.maximum ?? p.exclusiveMaximum;
    if (last !== undefined && (ceiling === undefined || ceiling > last)) {
      errors.push({ field: `${field}.bands`, reason: `values of ${l.attribute} above ${last} have no band; open the last band or cap ${l.attribute} in the object schema` });
    }
    return errors;
  }
  const domains = lookupAttributes(l).map((a) => ({ attribute: a, values: enumerated(props[a])?.map(String) }));
  const open = domains.find((d) => !d.values);
  if (open) {
    return [{ field, reason: `${lookupName} is looked up by ${open.attribute}, which must be enumerated (enum) in the object schema so the table can be checked for gaps` }];
  }
  if ('table' in l) {
    const allowed = new Set(domains[0].values);
    for (const v of domains[0].values!) {
      if (!Object.hasOwn(l.table, v)) errors.push({ field: `${field}.table`, reason: `no value for ${l.attribute} = ${v}` });
    }
    for (const k of Object.keys(l.table)) {
      if (!allowed.has(k)) errors.push({ field: `${field}.table.${k}`, reason: `${l.attribute} = ${k} is not a value the object schema allows` });
    }
    return errors;
  }
  const seen = new Map<string, number>();
  l.rows.forEach((r, i) => {
    const extra = Object.keys(r.when).filter((k) => !l.attributes.includes(k));
    if (extra.length) errors.push({ field: `${field}.rows[${i}].when`, reason: `${extra.join(', ')} is not a key of this table` });
    domains.forEach((d) => {
      const v = r.when[d.attribute];
      if (v === undefined) errors.push({ field: `${field}.rows[${i}].when`, reason: `${d.attribute} is missing` });
      else if (!d.values!.includes(String(v))) {
        errors.push({ field: `${field}.rows[${i}].when.${d.attribute}`, reason: `${String(v)} is not a value the object schema allows` });
      }
    });
    const key = JSON.stringify(l.attributes.map((a) => String(r.when[a])));
    if (seen.has(key)) errors.push({ field: `${field}.rows[${i}]`, reason: `same key as rows[${seen.get(key)}]` });
    else seen.set(key, i);
  });
  const combos = domains.reduce<string[][]>((acc, d) => acc.flatMap((c) => d.values!.map((v) => [...c, v])), [[]]);
  for (const c of combos) {
    if (!seen.has(JSON.stringify(c))) {
      errors.push({ field: `${field}.rows`, reason: `no row for ${l.attributes.map((a, i) => `${a} = ${c[i]}`).join(', ')}` });
    }
  }
  return errors;
}

/** Where in the definition a parse error of the tariff belongs. */
function expressionField(rule: TariffRule, expr: unknown): string {
  if (rule.kind === 'rate' && expr === rule.base) return 'tariff.base';
  if (rule.kind === 'formula') {
    const i = (rule.steps ?? []).findIndex((s) => s.expression === expr);
    if (i >= 0) return `tariff.steps[${i}].expression`;
  }
  return rule.kind === 'flat' ? 'tariff.amount' : 'tariff.expression';
}

function checkTariff(def: LevyDefinition, props: Record<string, SchemaProperty>): FieldError[] {
  const rule = def.tariff as TariffRule;
  let f: FormulaRule;
  try {
    f = toFormula(rule);
  } catch (e) {
    if (!(e instanceof TariffError)) throw e;
    return [{ field: 'tariff', reason: e.message }];
  }
  const errors: FieldError[] = [];
  const lookupField = (n: string) => (rule.kind === 'table' ? 'tariff.table' : `tariff.lookups.${n}`);
  for (const [n, l] of Object.entries(f.lookups ?? {})) errors.push(...checkLookup(lookupField(n), n, l, props));
  (f.attributes ?? []).forEach((a, i) => {
    if (!props[a]) errors.push({ field: `tariff.attributes[${i}]`, reason: `${a} is not defined by the object schema` });
    else if (!isNumeric(props[a])) errors.push({ field: `tariff.attributes[${i}]`, reason: `${a} must be a number (type number or integer) in the object schema` });
  });
  if (rule.minimum !== undefined && rule.maximum !== undefined && rule.minimum > rule.maximum) {
    errors.push({ field: 'tariff.minimum', reason: 'is greater than the maximum' });
  }
  for (const bound of ['minimum', 'maximum'] as const) {
    const v = rule[bound];
    if (v !== undefined && v % def.rounding.unit !== 0) {
      errors.push({ field: `tariff.${bound}`, reason: `must be a multiple of the rounding unit ${def.rounding.unit}` });
    }
  }
  const names = new Map(definedNames(f).map((d) => [d.name, d.from]));
  for (const m of rule.description.matchAll(PLACEHOLDER)) {
    const [whole, n, fmt] = m;
    if (!names.has(n)) errors.push({ field: 'tariff.description', reason: `${whole} names nothing the rule defines` });
    else if (fmt === 'label' && names.get(n) !== 'lookup') errors.push({ field: 'tariff.description', reason: `${whole}: only a looked-up value has a label` });
  }
  try {
    compileTariff(rule, def.rounding);
  } catch (e) {
    if (!(e instanceof TariffError)) throw e;
    const expr = e.details?.expression;
    errors.push({ field: expr === undefined ? 'tariff' : expressionField(rule, expr), reason: e.message });
  }
  return errors;
}

/**
 * Everything a definition must satisfy beyond its shape: dates and codes that agree, a JSON Schema
 * that compiles, a tariff that parses, names only what it defines and has no gaps in its tables,
 * and a dry run on the sample objects that gives a whole, non-negative amount for each.
 */
export function checkDefinition(def: LevyDefinition): void {
  const errors: FieldError[] = [];
  const lb = def.legal_basis;
  if (lb.valid_to !== null && lb.valid_to < lb.valid_from) errors.push({ field: 'legal_basis.valid_to', reason: 'is before valid_from' });
  const years = def.account_codes.map((a) => a.from_year);
  if (new Set(years).size !== years.length) errors.push({ field: 'account_codes', reason: 'two sets start in the same fiscal year' });
  const starts = def.interest_rule.map((r) => r.effective_from);
  if (new Set(starts).size !== starts.length) errors.push({ field: 'interest_rule', reason: 'two steps start on the same date' });
  if (def.assessment_mode === 'official' && def.period === 'one_off') {
    errors.push({ field: 'assessment_mode', reason: 'an official assessment bills a period; a one-off levy is billed on request (on_request)' });
  }
  if (def.due_rule.kind === 'fixed_date') {
    if (def.period === 'monthly') errors.push({ field: 'due_rule', reason: 'a fixed date in the year does not suit a monthly levy' });
    if (!isCalendarDate(`2001-${String(def.due_rule.month).padStart(2, '0')}-${String(def.due_rule.day).padStart(2, '0')}`)) {
      errors.push({ field: 'due_rule.day', reason: 'is not a day of that month in every year' });
    }
  }
  if (def.payment_policy.billing_type === 'c' && def.payment_policy.partial_allowed) {
    errors.push({ field: 'payment_policy.partial_allowed', reason: "a fixed-payment bill (billing type c) cannot be paid in part" });
  }

  let validate: ReturnType<typeof compileSchema> | undefined;
  if (def.object_schema.type !== 'object' || typeof def.object_schema.properties !== 'object') {
    errors.push({ field: 'object_schema', reason: 'must be a JSON Schema of type object with properties' });
  } else if (JSON.stringify(def.object_schema).length > 50_000) {
    errors.push({ field: 'object_schema', reason: 'is larger than 50,000 characters' });
  } else {
    try {
      validate = compileSchema(def.object_schema);
    } catch (e) {
      errors.push({ field: 'object_schema', reason: `does not compile: ${(e as Error).message}` });
    }
  }
  if (validate) errors.push(...checkTariff(def, propertiesOf(def.object_schema)));
  if (errors.length) throw new DefinitionInvalid(errors);

  const compute = compileTariff(def.tariff as TariffRule, def.rounding);
  def.sample_objects.forEach((s, i) => {
    const field = `sample_objects[${i}]`;
    if (!validate!(s.attributes)) {
      errors.push({ field: `${field}.attributes`, reason: `violates the object schema: ${describeErrors(validate!)}` });
      return;
    }
    try {
      const { amount } = compute(s.attributes);
      if (!Number.isSafeInteger(amount) || amount < 0) errors.push({ field, reason: `dry run gives ${amount}, not a whole non-negative rupiah amount` });
    } catch (e) {
      if (!(e instanceof TariffError)) throw e;
      errors.push({ field, reason: `dry run failed: ${e.message}` });
    }
  });
  if (errors.length) throw new DefinitionInvalid(errors);
}

/**
 * The version-level part of a definition, compared to decide whether a file changed anything. The
 * sample objects are left out: they are dry-run on every apply, but they bill nothing, so new
 * samples alone do not make a new version.
 */
export function versionContent(def: LevyDefinition): string {
  const content: Record<string, unknown> = { ...def };
  for (const f of [...LEVY_FIELDS, 'sample_objects']) delete content[f];
  return canonicalJson(content);
}

/** A definition as stored: the version's columns. */
export function versionColumns(def: LevyDefinition, bankChannelId: number) {
  return {
    effective_from: def.effective_from,
    legal_basis: JSON.stringify({ regulation: def.legal_basis.regulation, article: def.legal_basis.article }),
    valid_from: def.legal_basis.valid_from,
    valid_to: def.legal_basis.valid_to,
    account_codes: JSON.stringify(def.account_codes),
    object_schema: JSON.stringify(def.object_schema),
    assessment_mode: def.assessment_mode,
    period_kind: def.period,
    billing_unit: def.billing_unit,
    document_type: def.document.type,
    document_template: def.document.template,
    tariff_rule: JSON.stringify(def.tariff),
    rounding: JSON.stringify(def.rounding),
    due_rule: JSON.stringify(def.due_rule),
    interest_rule: JSON.stringify(def.interest_rule),
    payment_policy: JSON.stringify(def.payment_policy),
    bank_channel_id: bankChannelId,
    sample_objects: JSON.stringify(def.sample_objects),
  };
}

/** A stored version read back as the definition that made it. */
export function definitionOf(levy: Pick<LevyType, 'code' | 'name' | 'kind' | 'class'>, opdCode: string, v: LevyTypeVersion, channelCode: string) {
  return {
    code: levy.code,
    name: levy.name,
    kind: levy.kind,
    class: levy.class,
    opd: opdCode,
    effective_from: v.effective_from,
    legal_basis: { ...v.legal_basis, valid_from: v.valid_from, valid_to: v.valid_to },
    account_codes: v.account_codes,
    object_schema: v.object_schema,
    assessment_mode: v.assessment_mode,
    period: v.period_kind,
    billing_unit: v.billing_unit,
    tariff: v.tariff_rule,
    rounding: v.rounding,
    due_rule: v.due_rule,
    interest_rule: v.interest_rule,
    payment_policy: v.payment_policy,
    bank_channel: channelCode,
    document: { type: v.document_type, template: v.document_template },
    sample_objects: v.sample_objects,
  } as LevyDefinition;
}

/** A definition file: YAML, or JSON (which YAML reads too). */
export function readDefinitionFile(path: string): unknown {
  const text = fs.readFileSync(path, 'utf8');
  try {
    return YAML.parse(text);
  } catch (e) {
    throw new DefinitionInvalid([{ field: '(file)', reason: `${path} is not valid YAML or JSON: ${(e as Error).message}` }]);
  }
}
