import crypto from 'node:crypto';
import type { ErrorObject } from 'ajv';
import type { Knex } from 'knex';
import { AppError } from '../../errors';
import { canonicalJson } from '../../lib/canonical-json';
import { chunks } from '../../lib/chunks';
import { compileSchema } from '../../lib/json-schema';
import { jakartaDate } from '../../lib/time';
import type { Principal } from '../auth/tokens';
import { AuditEntry, recordAudit } from '../audit/service';
import { checkColumns, formulaInjection, readCsv, RowRejection } from '../imports/csv';
import { firstVersion, versionAsOf } from '../levy-types/repo';
import { requireScopedLevyType } from '../levy-types/service';
import { findByNpwrds } from '../payers/repo';
import type { FieldError } from '../payers/service';
import * as repo from './repo';

/**
 * Objects (what is levied: a tower, a stall, a billboard) belong to a levy type, and so to its OPD.
 * Their attributes are checked against the object schema of the levy version in force (or, before
 * any is in force, the first one), the same schema assessments check. Keyed by (levy type, code):
 * registering or importing an object again updates it, or changes nothing if it is the same.
 */
export const OBJECT_STATUSES = ['active', 'dismantled', 'ownerless', 'disputed'] as const;
export type ObjectStatus = (typeof OBJECT_STATUSES)[number];

export interface ObjectInput {
  code: string;
  name: string;
  payer: string | null;
  status?: ObjectStatus;
  attributes: Record<string, unknown>;
}

const present = ({ id: _id, ...view }: repo.ObjectView) => view;

type SchemaProperty = { type?: string | string[]; enum?: unknown[] };

async function objectContext(db: Knex, who: Principal, levyCode: string) {
  const levy = await requireScopedLevyType(db, who, levyCode);
  const version = (await versionAsOf(db, levy.id, jakartaDate())) ?? (await firstVersion(db, levy.id))!;
  const schema = version.object_schema;
  const properties = (schema.properties ?? {}) as Record<string, SchemaProperty>;
  return { levy, validate: compileSchema(schema), properties };
}

type Context = Awaited<ReturnType<typeof objectContext>>;

function schemaErrors(errors: ErrorObject[] | null | undefined): FieldError[] {
  return (errors ?? []).map((e) => {
    const attr =
      e.keyword === 'required'
        ? (e.params as { missingProperty: string }).missingProperty
        : e.keyword === 'additionalProperties'
          ? (e.params as { additionalProperty: string }).additionalProperty
          : e.instancePath.split('/')[1];
    const allowed = e.keyword === 'enum' ? `: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` : '';
    return { field: attr ? `attributes.${attr}` : 'attributes', reason: `${e.message ?? 'is invalid'}${allowed}` };
  });
}

function checkObject(ctx: Context, o: ObjectInput, payerIds: Map<string, number>): { errors: FieldError[]; payerId: number | null } {
  const errors: FieldError[] = [];
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,59}$/.test(o.code)) errors.push({ field: 'code', reason: 'must be 1–60 letters, digits, dots, dashes, underscores or slashes' });
  if (o.name.length < 1 || o.name.length > 200) errors.push({ field: 'name', reason: 'must be 1–200 characters' });
  const injected = formulaInjection(o.name);
  if (injected) errors.push({ field: 'name', reason: injected });
  for (const [k, v] of Object.entries(o.attributes)) {
    const bad = typeof v === 'string' ? formulaInjection(v) : undefined;
    if (bad) errors.push({ field: `attributes.${k}`, reason: bad });
  }
  if (!ctx.validate(o.attributes)) errors.push(...schemaErrors(ctx.validate.errors));
  const payerId = o.payer === null ? null : payerIds.get(o.payer) ?? null;
  if (o.payer !== null && payerId === null) errors.push({ field: 'payer', reason: `no payer with NPWRD ${o.payer}; register the payer first` });
  return { errors, payerId };
}

type Outcome<R> = { ref: R; status: 'created' | 'updated' | 'unchanged'; object: repo.ObjectRow } | { ref: R; status: 'rejected'; errors: FieldError[] };

async function registerObjects<R>(db: Knex, who: Principal, ctx: Context, entries: Array<{ ref: R; input: ObjectInput }>) {
  const actor = `${who.role}:${who.sub}`;
  const auditId = (code: string) => `${ctx.levy.code}/${code}`;
  return db.transaction(async (trx) => {
    const payers = await findByNpwrds(trx, entries.flatMap((e) => (e.input.payer ? [e.input.payer] : [])));
    const payerIds = new Map([...payers].map(([k, p]) => [k, p.id]));
    const existing = await repo.findByCodes(trx, ctx.levy.id, entries.map((e) => e.input.code));
    const outcomes: Array<Outcome<R>> = [];
    const firstSeen = new Map<string, R>();
    const fresh: Array<{ ref: R; row: repo.NewObject }> = [];
    const audits: AuditEntry[] = [];
    for (const { ref, input } of entries) {
      const { errors, payerId } = checkObject(ctx, input, payerIds);
      if (firstSeen.has(input.code)) errors.push({ field: 'code', reason: `repeats the code of row ${String(firstSeen.get(input.code))}` });
      if (errors.length) {
        outcomes.push({ ref, status: 'rejected', errors });
        continue;
      }
      firstSeen.set(input.code, ref);
      const stored = existing.get(input.code);
      const next = { name: input.name, payer_id: payerId, status: input.status ?? stored?.status ?? 'active', attributes: input.attributes };
      if (!stored) {
        fresh.push({ ref, row: { levy_type_id: ctx.levy.id, code: input.code, ...next } });
        continue;
      }
      const before = { name: stored.name, payer_id: stored.payer_id, status: stored.status, attributes: stored.attributes };
      if (canonicalJson(before) === canonicalJson(next)) {
        outcomes.push({ ref, status: 'unchanged', object: stored });
        continue;
      }
      const object = await repo.updateObject(trx, stored.id, next);
      outcomes.push({ ref, status: 'updated', object });
      audits.push({ actor, action: 'object.updated', entityType: 'object', entityId: auditId(input.code), before, after: next });
    }
    for (const batch of chunks(fresh)) {
      const inserted = new Map((await repo.insertObjects(trx, batch.map((f) => f.row))).map((o) => [o.code, o]));
      for (const { ref, row } of batch) {
        const object = inserted.get(row.code);
        if (!object) {
          outcomes.push({ ref, status: 'rejected', errors: [{ field: 'code', reason: `${row.code} was registered by another request at the same moment; import the row again` }] });
          continue;
        }
        outcomes.push({ ref, status: 'created', object });
        const { levy_type_id: _levy, code: _code, ...after } = row;
        audits.push({ actor, action: 'object.registered', entityType: 'object', entityId: auditId(row.code), after });
      }
    }
    for (const batch of chunks(audits)) await recordAudit(trx, batch);
    return outcomes;
  });
}

export async function registerObject(db: Knex, who: Principal, body: ObjectInput & { levy_type: string }) {
  const ctx = await objectContext(db, who, body.levy_type);
  const [outcome] = await registerObjects(db, who, ctx, [{ ref: 'request', input: body }]);
  if (outcome.status === 'rejected') {
    const [first] = outcome.errors;
    throw new AppError('object_invalid', `${first.field}: ${first.reason}`, 422, { errors: outcome.errors });
  }
  const [view] = await repo.listObjects(db, { objectId: outcome.object.id, limit: 1 });
  return { status: outcome.status, object: present(view) };
}

const RESERVED = ['code', 'name', 'payer_npwrd', 'status'];

/** A cell as the attribute's JSON Schema type wants it; text stays text. */
function cellValue(prop: SchemaProperty, raw: string): { value: unknown } | { error: string } {
  const types = Array.isArray(prop.type) ? prop.type : prop.type ? [prop.type] : [];
  const numericEnum = Array.isArray(prop.enum) && prop.enum.length > 0 && prop.enum.every((v) => typeof v === 'number');
  if (types.includes('number') || types.includes('integer') || numericEnum) {
    // A decimal comma is what an Indonesian spreadsheet writes; thousands separators are refused.
    const s = raw.replace(/^(-?\d+),(\d+)$/, '$1.$2');
    return /^-?\d+(\.\d+)?$/.test(s) ? { value: Number(s) } : { error: 'is not a number' };
  }
  if (types.includes('boolean')) {
    return raw === 'true' || raw === 'false' ? { value: raw === 'true' } : { error: 'must be true or false' };
  }
  if (types.includes('array') || types.includes('object')) {
    try {
      return { value: JSON.parse(raw) };
    } catch {
      return { error: `must be JSON (${types.join(' or ')})` };
    }
  }
  return { value: raw };
}

const columnOf = (field: string) => (field === 'payer' ? 'payer_npwrd' : field.replace(/^attributes\.?/, '') || null);

/**
 * A CSV of one levy type's objects: code, name, payer_npwrd, status, and one column per attribute
 * of the object schema. Each row is registered, updated, recognised or rejected with its row,
 * column and reason; the rest of the file is imported.
 */
export async function importObjects(db: Knex, who: Principal, levyCode: string, csv: unknown) {
  const ctx = await objectContext(db, who, levyCode);
  const table = readCsv(csv);
  checkColumns(table.columns, ['code', 'name'], new Set([...RESERVED, ...Object.keys(ctx.properties)]));
  const rejected: RowRejection[] = [...table.rejected];
  const entries: Array<{ ref: number; input: ObjectInput }> = [];
  for (const { row, cells } of table.rows) {
    const attributes: Record<string, unknown> = {};
    const errors: RowRejection[] = [];
    for (const [column, raw] of Object.entries(cells)) {
      if (RESERVED.includes(column) || raw === '') continue;
      const v = cellValue(ctx.properties[column], raw);
      if ('error' in v) errors.push({ row, column, reason: v.error });
      else attributes[column] = v.value;
    }
    const status = cells.status || undefined;
    if (status !== undefined && !(OBJECT_STATUSES as readonly string[]).includes(status)) {
      errors.push({ row, column: 'status', reason: `must be one of ${OBJECT_STATUSES.join(', ')}` });
    }
    if (errors.length) {
      rejected.push(...errors);
      continue;
    }
    entries.push({ ref: row, input: { code: cells.code, name: cells.name, payer: cells.payer_npwrd || null, status: status as ObjectStatus | undefined, attributes } });
  }
  const outcomes = await registerObjects(db, who, ctx, entries);
  for (const o of outcomes) {
    if (o.status === 'rejected') rejected.push(...o.errors.map((e) => ({ row: o.ref, column: columnOf(e.field), reason: e.reason })));
  }
  rejected.sort((a, b) => a.row - b.row);
  const count = (s: string) => outcomes.filter((o) => o.status === s).length;
  const summary = {
    import_id: crypto.randomUUID(),
    levy_type: ctx.levy.code,
    rows: table.rows.length + table.rejected.length,
    created: count('created'),
    updated: count('updated'),
    unchanged: count('unchanged'),
    rejected,
  };
  await recordAudit(db, {
    actor: `${who.role}:${who.sub}`,
    action: 'objects.imported',
    entityType: 'import',
    entityId: summary.import_id,
    after: { ...summary, rejected: rejected.length },
  });
  return summary;
}

export async function listObjects(db: Knex, who: Principal, q: { levy_type?: string; payer?: string; limit?: number; cursor?: string }) {
  const limit = q.limit ?? 50;
  let afterId = 0;
  if (q.cursor) {
    const m = /^o:(\d{1,15})$/.exec(Buffer.from(q.cursor, 'base64url').toString());
    if (!m) throw new AppError('invalid_cursor', 'The cursor is not one this API gave out', 400);
    afterId = Number(m[1]);
  }
  const rows = await repo.listObjects(db, {
    opdCode: who.role === 'opd_admin' ? who.opd : undefined,
    levyCode: q.levy_type,
    payer: q.payer,
    afterId,
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  return {
    data: page.map(present),
    next_cursor: rows.length > limit ? Buffer.from(`o:${page[page.length - 1].id}`).toString('base64url') : null,
  };
}
