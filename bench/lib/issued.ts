import type { Knex } from 'knex';
import { config } from '../../src/config';
import { recordAudit, type AuditEntry } from '../../src/modules/audit/service';
import { account } from '../../src/modules/ledger/accounts';
import { BENCH_ACCOUNT, BENCH_LEVY, BENCH_PERIOD, BenchLevy, seedBenchObjects } from './levy';

/**
 * Issued bills for the notification benchmark, written in set-based SQL rather than through the
 * assessment and the bank simulator (minutes for 30,000 bills, and not what is measured): each bill
 * ends exactly as the issuing path leaves it, in `issued` with its trx_id recorded in
 * bank_references, its VA (prefix + client id + bill id, as the BNI connector makes it), its
 * `bill_issued` ledger entry (receivable against revenue, so verifyLedger holds) and its audit chain
 * (created, issuing, issued), so applying a payment meets the same rows and indexes as in service.
 */
export interface IssuedBill {
  id: number;
  trx_id: string;
  virtual_account: string;
  amount: number;
}

const AUDIT_BATCH = 1000;

export async function seedIssuedBills(db: Knex, levy: BenchLevy, count: number): Promise<IssuedBill[]> {
  await seedBenchObjects(db, levy, count);
  const opd = await db('opds').where({ id: levy.opdId }).first('code');
  const { BNI_PREFIX: prefix, BNI_CLIENT_ID: clientId } = config();
  const free = 16 - prefix.length - clientId.length;
  await db.transaction(async (trx) => {
    await trx.raw(
      `INSERT INTO bills (id, bill_no, document_type, opd_id, levy_type_id, levy_type_version_id, payer_id, period, subject_key,
                          status, amount, billing_type, bank_channel_id, trx_id, virtual_account, issue_date, due_date, expires_at,
                          issued_at, issue_attempts, last_bank_status, last_bank_message)
       SELECT o.bill_id, ? || '-2027-' || lpad(o.n::text, 6, '0'), 'SKPD', ?, o.levy_type_id, ?, o.payer_id, ?, 'object:' || o.id,
              'issued', 50000 + (o.n * 7919 % 900) * 1000, 'c', ?, ? || '-2027-' || lpad(o.n::text, 6, '0') || '-1',
              ? || lpad(o.bill_id::text, ?, '0'), '2027-01-02', '2027-02-01', '2027-04-02 23:59:59+07', now(), 1, '000', 'Success'
         FROM (SELECT id, levy_type_id, payer_id, n, nextval('bills_id_seq') AS bill_id
                 FROM (SELECT id, levy_type_id, payer_id, row_number() OVER (ORDER BY id) AS n FROM objects WHERE levy_type_id = ?) x) o`,
      [opd.code, levy.opdId, levy.versionId, BENCH_PERIOD, levy.channelId, opd.code, prefix + clientId, free, levy.levyTypeId],
    );
    await trx.raw(
      `INSERT INTO bill_lines (bill_id, line_no, object_id, account_code, description, amount, calculation)
       SELECT b.id, 1, substring(b.subject_key from 8)::bigint, ?, 'PBB 0,3% × NJKP (seeded)', b.amount,
              jsonb_build_object('seeded', true, 'amount', b.amount)
         FROM bills b WHERE b.levy_type_id = ?`,
      [BENCH_ACCOUNT, levy.levyTypeId],
    );
    await trx.raw(
      `INSERT INTO bank_references (bank_channel_id, trx_id, bill_id) SELECT bank_channel_id, trx_id, id FROM bills WHERE levy_type_id = ?`,
      [levy.levyTypeId],
    );
    await trx.raw(
      `INSERT INTO document_sequences (opd_id, year, kind, last_no) VALUES (?, 2027, 'bill', ?)
       ON CONFLICT (opd_id, year, kind) DO UPDATE SET last_no = EXCLUDED.last_no`,
      [levy.opdId, count],
    );
    await trx.raw(
      `INSERT INTO ledger_entries (kind, description, bill_id, occurred_at)
       SELECT 'bill_issued', document_type || ' ' || bill_no, id, issued_at FROM bills WHERE levy_type_id = ?`,
      [levy.levyTypeId],
    );
    await trx.raw(
      `INSERT INTO ledger_lines (entry_id, account, bill_id, debit, credit)
       SELECT e.id, ? || b.payer_id || ':' || ?, b.id, b.amount, 0
         FROM ledger_entries e JOIN bills b ON b.id = e.bill_id WHERE b.levy_type_id = ?
       UNION ALL
       SELECT e.id, ?, NULL, 0, b.amount
         FROM ledger_entries e JOIN bills b ON b.id = e.bill_id WHERE b.levy_type_id = ?`,
      ['receivable:payer:', BENCH_LEVY, levy.levyTypeId, account.revenue(BENCH_ACCOUNT), levy.levyTypeId],
    );
  });

  const bills: Array<IssuedBill & { bill_no: string }> = await db('bills')
    .where({ levy_type_id: levy.levyTypeId })
    .orderBy('id')
    .select('id', 'bill_no', 'trx_id', 'virtual_account', 'amount');
  for (let i = 0; i < bills.length; i += AUDIT_BATCH) {
    const entries: AuditEntry[] = bills.slice(i, i + AUDIT_BATCH).flatMap((b) => [
      { actor: 'assessment:bench', action: 'bill.created', entityType: 'bill', entityId: b.bill_no, after: { status: 'draft', amount: b.amount } },
      {
        actor: 'system:issuer',
        action: 'bill.issuing',
        entityType: 'bill',
        entityId: b.bill_no,
        before: { status: 'draft' },
        after: { status: 'issuing', trx_id: b.trx_id },
      },
      {
        actor: 'system:issuer',
        action: 'bill.issued',
        entityType: 'bill',
        entityId: b.bill_no,
        before: { status: 'issuing' },
        after: { status: 'issued', trx_id: b.trx_id, virtual_account: b.virtual_account },
      },
    ]);
    await db.transaction((trx) => recordAudit(trx, entries));
  }
  await db.raw('ANALYZE');
  return bills.map(({ id, trx_id, virtual_account, amount }) => ({ id, trx_id, virtual_account, amount }));
}
