import type { Knex } from 'knex';
import type { Principal } from '../auth/tokens';
import { recordAudit } from '../audit/service';
import { requireBill } from '../bills/service';

/** Pauses dunning (an objection or an installment plan is pending) or, with null, resumes it. */
export async function pauseDunning(db: Knex, who: Principal, billNo: string, reason: string | null) {
  const bill = await requireBill(db, who, billNo);
  await db.transaction(async (trx) => {
    await trx('bills').where({ id: bill.id }).update({ dunning_paused_reason: reason, updated_at: trx.fn.now() });
    await recordAudit(trx, {
      actor: `${who.role}:${who.sub}`,
      action: reason ? 'bill.dunning_paused' : 'bill.dunning_resumed',
      entityType: 'bill',
      entityId: bill.bill_no,
      before: { dunning_paused_reason: bill.dunning_paused_reason },
      after: { dunning_paused_reason: reason },
    });
  });
  return { bill_no: bill.bill_no, dunning_paused_reason: reason };
}
