import type { Knex } from 'knex';

export interface PayerRow {
  id: number;
  npwrd: string;
  name: string;
  address: string;
  email: string | null;
  phone: string | null;
  registered_by_opd_id: number | null;
  created_at: Date;
}

export async function findByNpwrds(db: Knex, npwrds: string[]): Promise<Map<string, PayerRow>> {
  const rows: PayerRow[] = npwrds.length ? await db('payers').whereIn('npwrd', [...new Set(npwrds)]) : [];
  return new Map(rows.map((r) => [r.npwrd, r]));
}

/**
 * Inserts payers that are not yet registered and returns them; a payer registered by a concurrent
 * request meanwhile is returned as it is stored, so the caller still gets one row per NPWRD.
 */
export async function insertPayers(
  trx: Knex,
  rows: Array<Omit<PayerRow, 'id' | 'created_at'>>,
): Promise<PayerRow[]> {
  const inserted: PayerRow[] = await trx('payers').insert(rows).onConflict('npwrd').ignore().returning('*');
  const got = new Set(inserted.map((r) => r.npwrd));
  const raced = rows.filter((r) => !got.has(r.npwrd)).map((r) => r.npwrd);
  return raced.length ? [...inserted, ...(await findByNpwrds(trx, raced)).values()] : inserted;
}

/** Payers in id order; for an OPD, those it registered, owns objects of, or has billed. */
export function listPayers(db: Knex, opdCode: string | undefined, afterId: number, limit: number): Promise<PayerRow[]> {
  const q = db('payers as p').where('p.id', '>', afterId).orderBy('p.id').limit(limit).select('p.*');
  if (opdCode) {
    q.where((w) =>
      w
        .whereIn('p.registered_by_opd_id', db('opds').where({ code: opdCode }).select('id'))
        .orWhereExists(
          db('objects as ob')
            .join('levy_types as lt', 'lt.id', 'ob.levy_type_id')
            .join('opds as o', 'o.id', 'lt.opd_id')
            .whereRaw('ob.payer_id = p.id')
            .where('o.code', opdCode)
            .select(db.raw('1')),
        )
        .orWhereExists(
          db('bills as b').join('opds as o', 'o.id', 'b.opd_id').whereRaw('b.payer_id = p.id').where('o.code', opdCode).select(db.raw('1')),
        ),
    );
  }
  return q;
}
