import type { Knex } from 'knex';
import { AppError, NotFound } from '../../errors';
import { formatDateId } from '../../lib/format';
import { jakartaDate } from '../../lib/time';
import type { Principal } from '../auth/tokens';
import { assertDay } from './range';
import { ReportScope, restrictTo, scopeOf } from './scope';
import { Report, ReportColumn, ReportTable } from './table';

/**
 * Arrears ageing per payer as of a day: what is still owed on open bills (issued, partially paid,
 * or expired unpaid: amount less paid amount), by days past the due date. A bill due on the day
 * itself is 0 days past due; one not yet due is counted apart. `from`/`to` choose bills by due date.
 */
const BUCKETS = [
  { key: 'not_due', header: 'Belum Jatuh Tempo', min: null, max: -1 },
  { key: 'days_0_30', header: '0–30 Hari', min: 0, max: 30 },
  { key: 'days_31_90', header: '31–90 Hari', min: 31, max: 90 },
  { key: 'days_91_180', header: '91–180 Hari', min: 91, max: 180 },
  { key: 'days_181_365', header: '181–365 Hari', min: 181, max: 365 },
  { key: 'days_over_365', header: '> 365 Hari', min: 366, max: null },
] as const;

export type BucketKey = (typeof BUCKETS)[number]['key'];
export type Buckets = Record<BucketKey, number> & { total: number };

export interface AgeingRow extends Buckets {
  npwrd: string;
  name: string;
  bills: number;
  oldest_due_date: string;
}

export interface ArrearsAgeing {
  as_of: string;
  from: string | null;
  to: string | null;
  opd: string | null;
  levy_type: string | null;
  payers: AgeingRow[];
  totals: Buckets & { bills: number };
}

const OPEN = ['issued', 'partially_paid', 'expired'];

export async function arrearsAgeing(
  db: Knex,
  who: Principal,
  q: { as_of?: string; from?: string; to?: string; levy_type?: string },
): Promise<Report<ArrearsAgeing>> {
  const asOf = assertDay(q.as_of ?? jakartaDate(), 'as_of');
  const from = q.from === undefined ? null : assertDay(q.from, 'from');
  const to = q.to === undefined ? null : assertDay(q.to, 'to');
  if (from !== null && to !== null && from > to) throw new AppError('invalid_date_range', `from (${from}) is after to (${to})`, 400, { from, to });
  const scope = await scopeOf(db, who);
  if (q.levy_type !== undefined) {
    const levy = await restrictTo(db('levy_types as lt').join('opds as o', 'o.id', 'lt.opd_id'), scope).where('lt.code', q.levy_type).first('lt.id');
    if (!levy) throw new NotFound('levy_type_not_found', `No levy type ${q.levy_type}`);
  }

  const days = db.raw('(?::date - b.due_date)', [asOf]);
  const owed = 'b.amount - b.paid_amount';
  const bucketSql = BUCKETS.map((k) => {
    const lower = k.min === null ? 'true' : `? >= ${k.min}`;
    const upper = k.max === null ? 'true' : `? <= ${k.max}`;
    return db.raw(`coalesce(sum(CASE WHEN ${lower} AND ${upper} THEN ${owed} END), 0)::bigint AS ${k.key}`, [
      ...(k.min === null ? [] : [days]),
      ...(k.max === null ? [] : [days]),
    ]);
  });
  const rows: AgeingRow[] = await restrictTo(
    db('bills as b')
      .join('payers as p', 'p.id', 'b.payer_id')
      .join('opds as o', 'o.id', 'b.opd_id')
      .join('levy_types as lt', 'lt.id', 'b.levy_type_id'),
    scope,
  )
    .whereIn('b.status', OPEN)
    .whereRaw('b.amount > b.paid_amount')
    .modify((b) => {
      if (q.levy_type !== undefined) b.where('lt.code', q.levy_type);
      if (from !== null) b.where('b.due_date', '>=', from);
      if (to !== null) b.where('b.due_date', '<=', to);
    })
    .groupBy('p.id', 'p.npwrd', 'p.name')
    .select(
      'p.npwrd',
      'p.name',
      db.raw('count(*)::int AS bills'),
      db.raw('min(b.due_date) AS oldest_due_date'),
      ...bucketSql,
      db.raw(`sum(${owed})::bigint AS total`),
    )
    .orderBy([{ column: 'total', order: 'desc' }, { column: 'p.npwrd' }]);

  const totals = { bills: 0, total: 0 } as ArrearsAgeing['totals'];
  for (const k of BUCKETS) totals[k.key] = 0;
  for (const r of rows) {
    totals.bills += r.bills;
    totals.total += r.total;
    for (const k of BUCKETS) totals[k.key] += r[k.key];
  }
  const json: ArrearsAgeing = { as_of: asOf, from, to, opd: scope.opdCode, levy_type: q.levy_type ?? null, payers: rows, totals };
  return { json, table: ageingTable(json, scope) };
}

function ageingTable(r: ArrearsAgeing, scope: ReportScope): ReportTable {
  const dueRange =
    r.from === null && r.to === null
      ? 'semua tanggal jatuh tempo'
      : `jatuh tempo ${r.from ? formatDateId(r.from) : '…'} s.d. ${r.to ? formatDateId(r.to) : '…'}`;
  const columns: ReportColumn[] = [
    { key: 'npwrd', header: 'NPWRD', kind: 'text', width: 11 },
    { key: 'name', header: 'Wajib Retribusi', kind: 'text', width: 20 },
    { key: 'bills', header: 'Tagihan', kind: 'count', width: 6 },
    ...BUCKETS.map((k): ReportColumn => ({ key: k.key, header: k.header, kind: 'money', width: 11 })),
    { key: 'total', header: 'Jumlah', kind: 'money', width: 12 },
  ];
  return {
    pemdaName: scope.pemdaName,
    scope: scope.label,
    title: 'Umur Piutang per Wajib Retribusi',
    subtitle: [`Per ${formatDateId(r.as_of)}, ${dueRange}${r.levy_type ? `, ${r.levy_type}` : ''}`],
    fileName: `umur-piutang-${r.as_of}`,
    columns,
    rows: r.payers.map((p) => ({ cells: { ...p } })),
    totals: { npwrd: 'Jumlah', ...r.totals },
    notes: ['Sisa tagihan = nilai tagihan dikurangi yang sudah dibayar, untuk tagihan terbit, dibayar sebagian atau kedaluwarsa. Umur dihitung dari tanggal jatuh tempo.'],
  };
}
