import type { Knex } from 'knex';

export interface ObjectRow {
  id: number;
  levy_type_id: number;
  code: string;
  name: string;
  payer_id: number | null;
  status: string;
  attributes: Record<string, unknown>;
  created_at: Date;
}

export async function findByCodes(db: Knex, levyTypeId: number, codes: string[]): Promise<Map<string, ObjectRow>> {
  const rows: ObjectRow[] = codes.length ? await db('objects').where('levy_type_id', levyTypeId).whereIn('code', [...new Set(codes)]) : [];
  return new Map(rows.map((r) => [r.code, r]));
}

type ObjectFields = Pick<ObjectRow, 'name' | 'payer_id' | 'status' | 'attributes'>;

export type NewObject = ObjectFields & Pick<ObjectRow, 'levy_type_id' | 'code'>;

/** Inserts new objects; one registered meanwhile by a concurrent request is left out of the result. */
export function insertObjects(trx: Knex, rows: NewObject[]): Promise<ObjectRow[]> {
  return trx('objects')
    .insert(rows.map((r) => ({ ...r, attributes: JSON.stringify(r.attributes) })))
    .onConflict(['levy_type_id', 'code'])
    .ignore()
    .returning('*');
}

export async function updateObject(trx: Knex, id: number, fields: ObjectFields): Promise<ObjectRow> {
  const [updated] = await trx('objects')
    .where({ id })
    .update({ ...fields, attributes: JSON.stringify(fields.attributes) })
    .returning('*');
  return updated;
}

export interface ObjectView {
  id: number;
  levy_type: string;
  code: string;
  name: string;
  payer: { npwrd: string; name: string } | null;
  status: string;
  attributes: Record<string, unknown>;
  created_at: Date;
}

/** Objects with their levy type and payer, in id order; for an OPD admin, only its OPD's. */
export async function listObjects(
  db: Knex,
  f: { opdCode?: string; levyCode?: string; payer?: string; objectId?: number; afterId?: number; limit: number },
): Promise<ObjectView[]> {
  const rows = await db('objects as ob')
    .join('levy_types as lt', 'lt.id', 'ob.levy_type_id')
    .join('opds as o', 'o.id', 'lt.opd_id')
    .leftJoin('payers as p', 'p.id', 'ob.payer_id')
    .modify((q) => {
      if (f.opdCode) q.where('o.code', f.opdCode);
      if (f.levyCode) q.where('lt.code', f.levyCode);
      if (f.payer) q.where('p.npwrd', f.payer);
      if (f.objectId) q.where('ob.id', f.objectId);
      if (f.afterId) q.where('ob.id', '>', f.afterId);
    })
    .orderBy('ob.id')
    .limit(f.limit)
    .select('ob.id', 'lt.code as levy_type', 'ob.code', 'ob.name', 'p.npwrd', 'p.name as payer_name', 'ob.status', 'ob.attributes', 'ob.created_at');
  return rows.map((r: Record<string, unknown>) => ({
    id: r.id as number,
    levy_type: r.levy_type as string,
    code: r.code as string,
    name: r.name as string,
    payer: r.npwrd ? { npwrd: r.npwrd as string, name: r.payer_name as string } : null,
    status: r.status as string,
    attributes: r.attributes as Record<string, unknown>,
    created_at: r.created_at as Date,
  }));
}
