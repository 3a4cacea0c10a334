import type { Knex } from 'knex';
import { insertColumns, planForCurrentSizes } from '../../db';

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

const LEDGER_TABLES = ['ledger_entries', 'ledger_lines', 'bills'];
const INSERT_ENTRIES_SQL = `
  INSERT INTO ledger_entries (kind, description, bill_id, payment_id, occurred_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::timestamptz[])
  RETURNING id, description`;
const INSERT_LINES_SQL = `
  INSERT INTO ledger_lines (entry_id, account, bill_id, debit, credit)
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])`;

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
  // Lines check their entry and bill, entries their bill and payment; the balance check reads the lines.
  await planForCurrentSizes(trx, entries.some((e) => e.paymentId) ? [...LEDGER_TABLES, 'payments'] : LEDGER_TABLES);
  const rows = await insertColumns<{ id: number; description: string }>(trx, 'kasda-ledger-entries', INSERT_ENTRIES_SQL, [
    entries.map((e) => e.kind),
    entries.map((e) => e.description),
    entries.map((e) => e.billId ?? null),
    entries.map((e) => e.paymentId ?? null),
    entries.map((e) => e.occurredAt),
  ]);
  // Lines are matched to their entries by position: checked, not assumed.
  if (rows.length !== entries.length || rows.some((r, i) => r.description !== entries[i].description)) throw new Error('ledger entries came back out of order');
  const lines = balanced.flatMap((ls, i) => ls.map((l) => ({ entryId: rows[i].id, ...l })));
  await insertColumns(trx, 'kasda-ledger-lines', INSERT_LINES_SQL, [
    lines.map((l) => l.entryId),
    lines.map((l) => l.account),
    lines.map((l) => l.billId ?? null),
    lines.map((l) => l.debit ?? 0),
    lines.map((l) => l.credit ?? 0),
  ]);
  return rows.map((r) => r.id);
}
