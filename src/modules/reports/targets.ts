import type { Knex } from 'knex';
import { NotFound } from '../../errors';
import { assertRupiah } from '../../lib/money';
import { recordAudit } from '../audit/service';
import type { Principal } from '../auth/tokens';

/** The annual revenue target of a levy type for a fiscal year (the APBD figure realisation is measured against). */
export interface RevenueTarget {
  levy_type: string;
  fiscal_year: number;
  amount: number;
  updated_by: string;
  updated_at: Date;
}

export async function setTarget(db: Knex, who: Principal, levyCode: string, year: number, amount: number): Promise<RevenueTarget> {
  assertRupiah(amount, 'amount');
  const actor = `${who.role}:${who.sub}`;
  return db.transaction(async (trx) => {
    const levy = await trx('levy_types').where({ code: levyCode }).first('id');
    if (!levy) throw new NotFound('levy_type_not_found', `No levy type ${levyCode}`);
    const before = await trx('revenue_targets').where({ levy_type_id: levy.id, fiscal_year: year }).forUpdate().first('amount');
    const [row] = await trx('revenue_targets')
      .insert({ levy_type_id: levy.id, fiscal_year: year, amount, updated_by: actor, updated_at: trx.fn.now() })
      .onConflict(['levy_type_id', 'fiscal_year'])
      .merge(['amount', 'updated_by', 'updated_at'])
      .returning(['fiscal_year', 'amount', 'updated_by', 'updated_at']);
    await recordAudit(trx, {
      actor,
      action: 'revenue_target.set',
      entityType: 'revenue_target',
      entityId: `${levyCode}:${year}`,
      before: before ? { amount: before.amount } : null,
      after: { amount },
    });
    return { levy_type: levyCode, ...row };
  });
}
