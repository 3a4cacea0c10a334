import type { Knex } from 'knex';
import { planForCurrentSizes } from '../../db';

/**
 * Double-entry postings. Each entry's debits equal its credits (the database refuses to commit one
 * that does not) and entries are never changed (a correction is a new entry).
 */
export interface LedgerLine {
  account: string;
  billId?: number | null;
  debit?: number;
  credit?: number;
}

export interface LedgerEntry {
  kind: 'bill_issued' | 'payment' | 'strd' | 'interest' | 'correction';
  description: string;
  billId?: number | null;
  paymentId?: number | null;
  occurredAt: Date;
  lines: LedgerLine[];
}

export async function post(trx: Knex, entry: LedgerEntry): Promise<number> {
  const [id] = await postMany(trx, [entry]);
  return id;
}

/** Several entries in two statements (the apply worker's batches); their ids, in order. */
export async function postMany(trx: Knex, entries: LedgerEntry[]): Promise<number[]> {
  if (entries.length === 0) return [];
  const balanced = entries.map((entry) => {
    const lines = entry.lines.filter((l) => (l.debit ?? 0) > 0 || (l.credit ?? 0) > 0);
    const debit = lines.reduce((s, l) => s + (l.debit ?? 0), 0);
    const credit = lines.reduce((s, l) => s + (l.credit ?? 0), 0);
    if (debit !== credit || debit === 0) {
      throw new Error(`ledger entry "${entry.description}" does not balance: debit ${debit}, credit ${credit}`);
    }
    return lines;
  });
  await planForCurrentSizes(trx);
  const rows: Array<{ id: number; description: string }> = await trx('ledger_entries')
    .insert(
      entries.map((entry) => ({
        kind: entry.kind,
        description: entry.description,
        bill_id: entry.billId ?? null,
        payment_id: entry.paymentId ?? null,
        occurred_at: entry.occurredAt,
      })),
    )
    .returning(['id', 'description']);
  // A multi-row INSERT returns its rows in VALUES order; checked, since lines are matched by position.
  if (rows.some((r, i) => r.description !== entries[i].description)) throw new Error('ledger entries came back out of order');
  await trx('ledger_lines').insert(
    balanced.flatMap((lines, i) =>
      lines.map((l) => ({
        entry_id: rows[i].id,
        account: l.account,
        bill_id: l.billId ?? null,
        debit: l.debit ?? 0,
        credit: l.credit ?? 0,
      })),
    ),
  );
  return rows.map((r) => r.id);
}
