import type { Knex } from 'knex';
import type { Principal } from '../auth/tokens';

/** Whose figures a caller may see: an OPD admin its own OPD, everyone else all of them. */
export interface ReportScope {
  opdCode: string | null;
  pemdaName: string;
  label: string;
}

export async function scopeOf(db: Knex, who: Principal): Promise<ReportScope> {
  if (who.role === 'opd_admin') {
    const opd = await db('opds').where({ code: who.opd }).first('name', 'pemda_name');
    return { opdCode: who.opd!, pemdaName: opd?.pemda_name ?? '', label: opd?.name ?? who.opd! };
  }
  const any = await db('opds').orderBy('id').first('pemda_name');
  return { opdCode: null, pemdaName: any?.pemda_name ?? '', label: 'Seluruh OPD' };
}

/** Restricts a query joining `opds` (by this alias) to the scope. */
export function restrictTo(q: Knex.QueryBuilder, scope: ReportScope, opdAlias = 'o'): Knex.QueryBuilder {
  if (scope.opdCode !== null) q.where(`${opdAlias}.code`, scope.opdCode);
  return q;
}
