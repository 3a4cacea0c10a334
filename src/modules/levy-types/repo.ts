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

export interface LevyTypeWithOpd extends LevyType {
  opd_code: string;
}

/** A levy type with its OPD's code, optionally only if it belongs to that OPD. */
export function findWithOpd(db: Knex, code: string, opdCode?: string): Promise<LevyTypeWithOpd | undefined> {
  return db('levy_types as lt')
    .join('opds as o', 'o.id', 'lt.opd_id')
    .where('lt.code', code)
    .modify((q) => {
      if (opdCode) q.where('o.code', opdCode);
    })
    .first('lt.*', 'o.code as opd_code');
}

/** Every version of a levy type, oldest first, with its bank channel's code. */
export function versionsOf(db: Knex, levyTypeId: number): Promise<Array<LevyTypeVersion & { channel_code: string; channel_name: string; bank_name: string }>> {
  return db('levy_type_versions as v')
    .join('bank_channels as c', 'c.id', 'v.bank_channel_id')
    .where('v.levy_type_id', levyTypeId)
    .orderBy('v.effective_from')
    .select('v.*', 'c.code as channel_code', 'c.name as channel_name', 'c.bank_name');
}

/** The earliest version: the one objects are checked against before any version is in force. */
export function firstVersion(db: Knex, levyTypeId: number): Promise<LevyTypeVersion | undefined> {
  return db('levy_type_versions').where('levy_type_id', levyTypeId).orderBy('effective_from').first();
}
