import type { Knex } from 'knex';

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
  const lines = entry.lines.filter((l) => (l.debit ?? 0) > 0 || (l.credit ?? 0) > 0);
  const debit = lines.reduce((s, l) => s + (l.debit ?? 0), 0);
  const credit = lines.reduce((s, l) => s + (l.credit ?? 0), 0);
  if (debit !== credit || debit === 0) {
    throw new Error(`ledger entry "${entry.description}" does not balance: debit ${debit}, credit ${credit}`);
  }
  const [{ id }] = await trx('ledger_entries')
    .insert({
      kind: entry.kind,
      description: entry.description,
      bill_id: entry.billId ?? null,
      payment_id: entry.paymentId ?? null,
      occurred_at: entry.occurredAt,
    })
    .returning('id');
  await trx('ledger_lines').insert(
    lines.map((l) => ({
      entry_id: id,
      account: l.account,
      bill_id: l.billId ?? null,
      debit: l.debit ?? 0,
      credit: l.credit ?? 0,
    })),
  );
  return id;
}
