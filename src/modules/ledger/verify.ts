import type { Knex } from 'knex';
import { verifyAuditChains, ChainProblem } from '../audit/chain';

export interface LedgerReport {
  entries: number;
  unbalancedEntries: Array<{ entry_id: number; debit: number; credit: number }>;
  billMismatches: Array<{ bill_no: string; status: string; amount: number; paid_amount: number; booked: number; collected: number }>;
  paymentMismatches: Array<{ bill_no: string; paid_amount: number; applied: number }>;
  audit: { entries: number; problems: ChainProblem[] };
  ok: boolean;
}

/**
 * Proves the books: every entry balances; every bill's receivable shows exactly its amount booked
 * (once issued; an STRD from its creation) and its paid amount collected (a superseded bill: all of
 * it, the unpaid part having moved to its STRD); payments applied to each bill add up to its paid
 * amount; and every audit chain is intact. All in SQL, so it scales with the database.
 */
export async function verifyLedger(db: Knex): Promise<LedgerReport> {
  const [{ count }] = await db('ledger_entries').count<{ count: number }[]>('* as count');
  const unbalanced = await db('ledger_lines')
    .groupBy('entry_id')
    .havingRaw('sum(debit) <> sum(credit)')
    .select('entry_id', db.raw('sum(debit)::bigint as debit'), db.raw('sum(credit)::bigint as credit'));
  const bills = await db.raw(`
    SELECT b.bill_no, b.status, b.amount, b.paid_amount,
           coalesce(r.booked, 0)::bigint AS booked, coalesce(r.collected, 0)::bigint AS collected
      FROM bills b
      LEFT JOIN (
        SELECT bill_id, sum(debit) AS booked, sum(credit) AS collected
          FROM ledger_lines WHERE account LIKE 'receivable:%' AND bill_id IS NOT NULL GROUP BY bill_id
      ) r ON r.bill_id = b.id
     WHERE coalesce(r.collected, 0) <> CASE WHEN b.status = 'superseded' THEN b.amount ELSE b.paid_amount END
        OR coalesce(r.booked, 0) <> CASE
             WHEN b.supersedes_bill_id IS NULL AND b.status IN ('draft','issuing','issue_failed') AND b.issued_at IS NULL THEN 0
             ELSE b.amount END`);
  const payments = await db.raw(`
    SELECT b.bill_no, b.paid_amount, coalesce(sum(p.applied_amount), 0)::bigint AS applied
      FROM bills b LEFT JOIN payments p ON p.bill_id = b.id
     GROUP BY b.id HAVING coalesce(sum(p.applied_amount), 0) <> b.paid_amount`);
  const audit = await verifyAuditChains(db);
  const report = {
    entries: Number(count),
    unbalancedEntries: unbalanced,
    billMismatches: bills.rows,
    paymentMismatches: payments.rows,
    audit,
  };
  return {
    ...report,
    ok:
      unbalanced.length === 0 &&
      bills.rows.length === 0 &&
      payments.rows.length === 0 &&
      audit.problems.length === 0,
  };
}
