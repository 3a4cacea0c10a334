import type { Knex } from 'knex';
import type { LevyType, LevyTypeVersion } from './schema';

export function findByCode(db: Knex, code: string): Promise<LevyType | undefined> {
  return db('levy_types').where({ code }).first();
}

/** The version in force on a date: the latest whose effective date is not after it. */
export function versionAsOf(db: Knex, levyTypeId: number, date: string): Promise<LevyTypeVersion | undefined> {
  return db('levy_type_versions')
    .where('levy_type_id', levyTypeId)
    .andWhere('effective_from', '<=', date)
    .orderBy('effective_from', 'desc')
    .first();
}

export function versionById(db: Knex, id: number): Promise<LevyTypeVersion> {
  return db('levy_type_versions').where({ id }).first();
}

export interface LevyTypeListRow {
  code: string;
  name: string;
  kind: string;
  class: string;
  opd_code: string;
  opd_name: string;
  version: LevyTypeVersion;
  channel_code: string;
  channel_name: string;
  bank_name: string;
}

/** Each levy type with its newest version, optionally only one OPD's. */
export async function listWithCurrentVersion(db: Knex, opdCode?: string): Promise<LevyTypeListRow[]> {
  const rows = await db('levy_types as lt')
    .join('opds as o', 'o.id', 'lt.opd_id')
    .join(
      db('levy_type_versions').distinctOn('levy_type_id').select('*').orderBy([
        { column: 'levy_type_id' },
        { column: 'effective_from', order: 'desc' },
      ]).as('v'),
      'v.levy_type_id',
      'lt.id',
    )
    .join('bank_channels as c', 'c.id', 'v.bank_channel_id')
    .modify((q) => {
      if (opdCode) q.where('o.code', opdCode);
    })
    .orderBy('lt.code')
    .select(
      'lt.code',
      'lt.name',
      'lt.kind',
      'lt.class',
      'o.code as opd_code',
      'o.name as opd_name',
      db.raw('to_jsonb(v.*) as version'),
      'c.code as channel_code',
      'c.name as channel_name',
      'c.bank_name',
    );
  return rows;
}
