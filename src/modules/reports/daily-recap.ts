import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { formatDateId } from '../../lib/format';
import type { Principal } from '../auth/tokens';
import { renderReport } from '../documents/report-v1';
import { revenueSplit } from '../treasury/revenue-split';
import { DayRange, dayRange, instantsOf } from './range';
import { reportDocument } from './respond';
import { ReportScope, restrictTo, scopeOf } from './scope';
import { Report, ReportTable } from './table';

/**
 * Daily receipts per WIB day, OPD, kode rekening and bank channel: revenue split over account
 * codes as the receipts split it, and overpayment credit on rows of its own (it has no account
 * code and is not revenue). Revenue plus credit is what the banks took in: the clearing debits.
 */
export interface RecapRow {
  date: string;
  opd_code: string;
  opd_name: string;
  channel_code: string;
  channel_name: string;
  kind: 'pendapatan' | 'kelebihan_bayar';
  account_code: string | null;
  payments: number;
  amount: number;
}

export interface DailyRecap extends DayRange {
  opd: string | null;
  rows: RecapRow[];
  totals: { payments: number; revenue: number; credit: number; received: number };
}

export function periodText(range: DayRange): string {
  return range.from === range.to ? formatDateId(range.from) : `${formatDateId(range.from)} s.d. ${formatDateId(range.to)}`;
}

export async function dailyRecap(db: Knex, who: Principal, q: { from?: string; to?: string }): Promise<Report<DailyRecap>> {
  const range = dayRange(q);
  const scope = await scopeOf(db, who);
  const { start, end } = instantsOf(range);
  const inRange = () =>
    restrictTo(
      db('payments as p')
        .join('bills as b', 'b.id', 'p.bill_id')
        .join('opds as o', 'o.id', 'b.opd_id')
        .where('p.paid_at', '>=', start)
        .andWhere('p.paid_at', '<', end),
      scope,
    );

  const day = db.raw(`(p.paid_at AT TIME ZONE 'Asia/Jakarta')::date`);
  const revenue: RecapRow[] = (
    await db.raw(
      `SELECT ? AS date, o.code AS opd_code, o.name AS opd_name, c.code AS channel_code, c.name AS channel_name,
              'pendapatan' AS kind, s.account_code, count(DISTINCT p.id)::int AS payments, sum(s.amount)::bigint AS amount
         FROM (?) s
         JOIN payments p ON p.id = s.payment_id
         JOIN bills b ON b.id = p.bill_id
         JOIN opds o ON o.id = b.opd_id
         JOIN bank_channels c ON c.id = p.bank_channel_id
        GROUP BY 1, o.code, o.name, c.code, c.name, s.account_code
       HAVING sum(s.amount) > 0`,
      [day, revenueSplit(db, inRange().select('p.id', 'p.bill_id', 'p.applied_amount'))],
    )
  ).rows;
  const credit: RecapRow[] = await inRange()
    .join('bank_channels as c', 'c.id', 'p.bank_channel_id')
    .where('p.credit_amount', '>', 0)
    .groupByRaw('1, o.code, o.name, c.code, c.name')
    .select(
      db.raw('? AS date', [day]),
      'o.code as opd_code',
      'o.name as opd_name',
      'c.code as channel_code',
      'c.name as channel_name',
      db.raw(`'kelebihan_bayar' AS kind`),
      db.raw('NULL AS account_code'),
      db.raw('count(*)::int AS payments'),
      db.raw('sum(p.credit_amount)::bigint AS amount'),
    );
  const [counted] = await inRange().select(db.raw('count(*)::int AS payments'));

  const rows = [...revenue, ...credit].sort(
    (a, b) =>
      compare(a.date, b.date) ||
      compare(a.opd_code, b.opd_code) ||
      compare(a.channel_code, b.channel_code) ||
      compare(KIND_ORDER[a.kind], KIND_ORDER[b.kind]) ||
      compare(a.account_code ?? '', b.account_code ?? ''),
  );
  const sum = (xs: RecapRow[]) => xs.reduce((s, r) => s + r.amount, 0);
  const totals = { payments: counted.payments, revenue: sum(revenue), credit: sum(credit), received: sum(revenue) + sum(credit) };
  const json: DailyRecap = { ...range, opd: scope.opdCode, rows, totals };
  return { json, table: recapTable(json, scope) };
}

const KIND_ORDER = { pendapatan: '1', kelebihan_bayar: '2' };

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function recapTable(r: DailyRecap, scope: ReportScope): ReportTable {
  return {
    pemdaName: scope.pemdaName,
    scope: scope.label,
    title: 'Rekapitulasi Penerimaan Harian',
    subtitle: [`Tanggal ${periodText(r)} (WIB)`],
    fileName: `rekap-harian-${r.from}-${r.to}`,
    columns: [
      { key: 'date', header: 'Tanggal', kind: 'date', width: 12 },
      { key: 'opd_code', header: 'OPD', kind: 'text', width: 11 },
      { key: 'channel_code', header: 'Bank / Kanal', kind: 'text', width: 14 },
      { key: 'kind', header: 'Jenis', kind: 'text', width: 11 },
      { key: 'account_code', header: 'Kode Rekening', kind: 'text', width: 15 },
      { key: 'payments', header: 'Transaksi', kind: 'count', width: 8 },
      { key: 'amount', header: 'Jumlah', kind: 'money', width: 15 },
    ],
    rows: r.rows.map((row) => ({ cells: { ...row } })),
    totals: { date: 'Jumlah', payments: r.totals.payments, amount: r.totals.received },
    notes: [
      'Pendapatan dibagi per kode rekening seperti pada SSRD. Kelebihan bayar dicatat sebagai kredit wajib retribusi, bukan pendapatan.',
      'Jumlah = pendapatan + kelebihan bayar = uang yang diterima bank.',
    ],
  };
}

/**
 * Keeps the day's recap (all OPDs) as a document, rewritten whenever the day is closed again, so
 * the kept copy always matches the day's STS.
 */
export async function keepDailyRecap(db: Knex, day: string, actor: string): Promise<DailyRecap['totals']> {
  const recap = await dailyRecap(db, { sub: actor, role: 'finance' }, { from: day, to: day });
  const content = await renderReport(reportDocument(recap.table, new Date()));
  const sha256 = crypto.createHash('sha256').update(content).digest('hex');
  await db('documents')
    .insert({ kind: 'daily_recap', template: 'report-v1', report_date: day, sha256, content })
    .onConflict(['kind', 'report_date'])
    .merge(['sha256', 'content', 'created_at']);
  return recap.json.totals;
}
