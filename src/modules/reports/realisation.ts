import type { Knex } from 'knex';
import { AppError, NotFound } from '../../errors';
import { jakartaDate } from '../../lib/time';
import type { Principal } from '../auth/tokens';
import { periodText } from './daily-recap';
import { assertDay, checkedRange, DayRange, instantsOf } from './range';
import { ReportScope, restrictTo, scopeOf } from './scope';
import { Report, ReportRow, ReportTable } from './table';

/**
 * Realisation: revenue collected (the applied part of payments, by WIB payment day) against each
 * levy type's target for the fiscal year, by month and by quarter, with running totals. The range
 * lies inside one fiscal year; by default the whole year.
 */
export interface RealisationStep {
  period: string;
  realised: number;
  cumulative: number;
  percent_of_target: number | null;
}

export interface RealisationFigures {
  target: number | null;
  realised: number;
  percent_of_target: number | null;
  months: RealisationStep[];
  quarters: RealisationStep[];
}

export interface Realisation extends DayRange {
  year: number;
  opd: string | null;
  levy_types: Array<RealisationFigures & { levy_type: string; name: string; opd_code: string }>;
  totals: RealisationFigures;
}

/** Percent of the target to two decimals, rounded down, computed on integers. */
export function percentOf(amount: number, target: number | null): number | null {
  if (target === null || target === 0) return null;
  return Number((BigInt(amount) * 10_000n) / BigInt(target)) / 100;
}

function yearRange(q: { year?: number; from?: string; to?: string }): DayRange & { year: number } {
  const year = q.year ?? Number(assertDay(q.to ?? q.from ?? jakartaDate(), q.to ? 'to' : 'from').slice(0, 4));
  const from = assertDay(q.from ?? `${year}-01-01`, 'from');
  const to = assertDay(q.to ?? `${year}-12-31`, 'to');
  if (Number(from.slice(0, 4)) !== year || Number(to.slice(0, 4)) !== year) {
    throw new AppError('date_range_outside_year', `from and to must both lie in fiscal year ${year}`, 400, { year, from, to });
  }
  return { year, ...checkedRange({ from, to }) };
}

function figures(byMonth: Map<number, number>, target: number | null, range: DayRange, year: number): RealisationFigures {
  const first = Number(range.from.slice(5, 7));
  const last = Number(range.to.slice(5, 7));
  let cumulative = 0;
  const months: RealisationStep[] = [];
  for (let m = first; m <= last; m++) {
    const realised = byMonth.get(m) ?? 0;
    cumulative += realised;
    months.push({ period: `${year}-${String(m).padStart(2, '0')}`, realised, cumulative, percent_of_target: percentOf(cumulative, target) });
  }
  const quarters: RealisationStep[] = [];
  cumulative = 0;
  for (let q = Math.ceil(first / 3); q <= Math.ceil(last / 3); q++) {
    let realised = 0;
    for (let m = 3 * q - 2; m <= 3 * q; m++) realised += byMonth.get(m) ?? 0;
    cumulative += realised;
    quarters.push({ period: `${year}-Q${q}`, realised, cumulative, percent_of_target: percentOf(cumulative, target) });
  }
  return { target, realised: cumulative, percent_of_target: percentOf(cumulative, target), months, quarters };
}

export async function realisation(
  db: Knex,
  who: Principal,
  q: { year?: number; from?: string; to?: string; levy_type?: string },
): Promise<Report<Realisation>> {
  const range = yearRange(q);
  const scope = await scopeOf(db, who);
  const levies: Array<{ id: number; code: string; name: string; opd_code: string; target: number | null }> = await restrictTo(
    db('levy_types as lt').join('opds as o', 'o.id', 'lt.opd_id'),
    scope,
  )
    .leftJoin('revenue_targets as t', function () {
      this.on('t.levy_type_id', 'lt.id').andOnVal('t.fiscal_year', range.year);
    })
    .modify((b) => {
      if (q.levy_type !== undefined) b.where('lt.code', q.levy_type);
    })
    .orderBy([{ column: 'o.code' }, { column: 'lt.code' }])
    .select('lt.id', 'lt.code', 'lt.name', 'o.code as opd_code', 't.amount as target');
  if (q.levy_type !== undefined && levies.length === 0) throw new NotFound('levy_type_not_found', `No levy type ${q.levy_type}`);

  const { start, end } = instantsOf(range);
  const monthly: Array<{ levy_type_id: number; month: number; realised: number }> = await db('payments as p')
    .join('bills as b', 'b.id', 'p.bill_id')
    .whereIn('b.levy_type_id', levies.map((l) => l.id))
    .andWhere('p.paid_at', '>=', start)
    .andWhere('p.paid_at', '<', end)
    .groupByRaw('1, 2')
    .select('b.levy_type_id', db.raw(`extract(month FROM p.paid_at AT TIME ZONE 'Asia/Jakarta')::int AS month`), db.raw('sum(p.applied_amount)::bigint AS realised'));

  const byLevy = new Map<number, Map<number, number>>();
  const all = new Map<number, number>();
  for (const r of monthly) {
    const months = byLevy.get(r.levy_type_id) ?? new Map<number, number>();
    months.set(r.month, r.realised);
    byLevy.set(r.levy_type_id, months);
    all.set(r.month, (all.get(r.month) ?? 0) + r.realised);
  }
  const targets = levies.filter((l) => l.target !== null).map((l) => l.target as number);
  const json: Realisation = {
    ...range,
    opd: scope.opdCode,
    levy_types: levies.map((l) => ({
      levy_type: l.code,
      name: l.name,
      opd_code: l.opd_code,
      ...figures(byLevy.get(l.id) ?? new Map(), l.target, range, range.year),
    })),
    totals: figures(all, targets.length ? targets.reduce((s, t) => s + t, 0) : null, range, range.year),
  };
  return { json, table: realisationTable(json, scope) };
}

function realisationTable(r: Realisation, scope: ReportScope): ReportTable {
  const rowsOf = (levy: string, f: RealisationFigures): ReportRow[] => [
    ...f.months.map((m) => ({ cells: { levy_type: levy, kind: 'bulan', target: f.target, ...m } })),
    ...f.quarters.map((m) => ({ cells: { levy_type: levy, kind: 'triwulan', target: f.target, ...m } })),
    {
      cells: { levy_type: levy, kind: 'tahun', period: String(r.year), target: f.target, realised: f.realised, cumulative: f.realised, percent_of_target: f.percent_of_target },
      bold: true,
    },
  ];
  return {
    pemdaName: scope.pemdaName,
    scope: scope.label,
    title: 'Realisasi Pendapatan terhadap Target',
    subtitle: [`Tahun Anggaran ${r.year}`, `Penerimaan ${periodText(r)} (WIB)`],
    fileName: `realisasi-${r.from}-${r.to}`,
    columns: [
      { key: 'levy_type', header: 'Jenis Retribusi / Pajak', kind: 'text', width: 20 },
      { key: 'kind', header: 'Per', kind: 'text', width: 8 },
      { key: 'period', header: 'Periode', kind: 'text', width: 9 },
      { key: 'target', header: 'Target Tahunan', kind: 'money', width: 16 },
      { key: 'realised', header: 'Realisasi', kind: 'money', width: 16 },
      { key: 'cumulative', header: 'Kumulatif', kind: 'money', width: 16 },
      { key: 'percent_of_target', header: '% Target (kumulatif)', kind: 'percent', width: 11 },
    ],
    rows: [...r.levy_types.flatMap((l) => rowsOf(l.levy_type, l)), ...(r.levy_types.length > 1 ? rowsOf('Semua', r.totals).map((row) => ({ ...row, pdfOnly: true })) : [])],
    notes: [
      'Realisasi adalah pembayaran yang diterapkan ke tagihan (tanpa kelebihan bayar), menurut tanggal bayar WIB. Persentase dibulatkan ke bawah.',
    ],
  };
}
