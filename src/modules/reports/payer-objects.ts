import type { Knex } from 'knex';
import { AppError, NotFound } from '../../errors';
import { formatDateId } from '../../lib/format';
import type { Principal } from '../auth/tokens';
import { assertDay } from './range';
import { ReportScope, restrictTo, scopeOf } from './scope';
import { Report, ReportColumn, ReportRow, ReportTable } from './table';

/**
 * For a levy with objects (towers, stalls, billboards), per payer: the objects billed, those on
 * bills paid in full, those still owed on, and the amounts, optionally broken down by one object
 * attribute (`by`, e.g. the tower levy's kecamatan). The attribute is any scalar property of the
 * levy's object schema, so no levy needs code of its own here.
 *
 * A bill's paid amount is spread over its lines like a receipt spreads a payment (in proportion,
 * the remainder to the last line), so the figures per object add up to the bill. A bill superseded
 * by an STRD counts what was paid on it plus the principal part of what was paid on the STRD, and
 * is settled when the STRD is.
 */
export interface ObjectFigures {
  objects_billed: number;
  objects_paid: number;
  objects_outstanding: number;
  billed: number;
  paid: number;
  outstanding: number;
}

export type Breakdown = ObjectFigures & { value: string | null };

export interface PayerObjects {
  levy_type: string;
  by: string | null;
  period: string | null;
  from: string | null;
  to: string | null;
  payers: Array<ObjectFigures & { npwrd: string; name: string; breakdown?: Breakdown[] }>;
  totals: ObjectFigures & { breakdown?: Breakdown[] };
}

const BILLED = ['issued', 'partially_paid', 'paid', 'expired', 'superseded'];
const FIGURES: Array<keyof ObjectFigures> = ['objects_billed', 'objects_paid', 'objects_outstanding', 'billed', 'paid', 'outstanding'];

/** The attribute must be a scalar property of the levy's object schema in some version. */
async function checkAttribute(db: Knex, levyTypeId: number, levyCode: string, by: string): Promise<void> {
  const found: Array<{ schema: { type?: unknown } | null }> = await db('levy_type_versions')
    .where('levy_type_id', levyTypeId)
    .select(db.raw(`object_schema -> 'properties' -> ? AS schema`, [by]));
  const schemas = found.map((f) => f.schema).filter((s): s is { type?: unknown } => s !== null);
  if (schemas.length === 0) {
    throw new AppError('unknown_object_attribute', `Objects of ${levyCode} have no attribute ${by}`, 400, { by, levy_type: levyCode });
  }
  const types = schemas.flatMap((s) => (Array.isArray(s.type) ? s.type : [s.type]));
  if (types.includes('array') || types.includes('object')) {
    throw new AppError('unsupported_object_attribute', `${by} is a list or an object; a report can group by a single value only`, 400, { by });
  }
}

function emptyFigures(): ObjectFigures {
  return { objects_billed: 0, objects_paid: 0, objects_outstanding: 0, billed: 0, paid: 0, outstanding: 0 };
}

function add(into: ObjectFigures, f: ObjectFigures): void {
  for (const k of FIGURES) into[k] += f[k];
}

export async function payerObjects(
  db: Knex,
  who: Principal,
  q: { levy_type: string; by?: string; period?: string; from?: string; to?: string },
): Promise<Report<PayerObjects>> {
  const from = q.from === undefined ? null : assertDay(q.from, 'from');
  const to = q.to === undefined ? null : assertDay(q.to, 'to');
  if (from !== null && to !== null && from > to) throw new AppError('invalid_date_range', `from (${from}) is after to (${to})`, 400, { from, to });
  const scope = await scopeOf(db, who);
  const levy = await restrictTo(db('levy_types as lt').join('opds as o', 'o.id', 'lt.opd_id'), scope).where('lt.code', q.levy_type).first('lt.id', 'lt.name');
  if (!levy) throw new NotFound('levy_type_not_found', `No levy type ${q.levy_type}`);
  const by = q.by ?? null;
  if (by !== null) await checkAttribute(db, levy.id, q.levy_type, by);

  const bills = db('bills as b')
    .leftJoin('bills as s', function () {
      this.on('s.supersedes_bill_id', 'b.id').andOnVal('b.status', 'superseded');
    })
    .where('b.levy_type_id', levy.id)
    .whereIn('b.status', BILLED)
    .modify((b) => {
      if (q.period !== undefined) b.where('b.period', q.period);
      if (from !== null) b.where('b.issue_date', '>=', from);
      if (to !== null) b.where('b.issue_date', '<=', to);
    })
    .select(
      'b.id',
      'b.payer_id',
      'b.amount',
      db.raw(`CASE WHEN s.id IS NULL THEN b.paid_amount
                   ELSE b.paid_amount + least(b.amount - b.paid_amount, floor(s.paid_amount::numeric * (b.amount - b.paid_amount) / s.amount))
              END AS paid`),
      db.raw(`coalesce(s.status, b.status) = 'paid' AS settled`),
    );
  const { rows } = await db.raw(
    `WITH shares AS (
       SELECT e.payer_id, e.settled, e.paid, l.bill_id, l.object_id, l.amount,
              coalesce(floor(e.paid::numeric * l.amount / nullif(e.amount, 0)), 0) AS share,
              row_number() OVER (PARTITION BY l.bill_id ORDER BY l.line_no DESC) AS from_last
         FROM (?) e JOIN bill_lines l ON l.bill_id = e.id
     ), lines AS (
       SELECT payer_id, settled, object_id, amount,
              CASE WHEN from_last = 1 THEN paid - (sum(share) OVER (PARTITION BY bill_id) - share) ELSE share END AS paid
         FROM shares
     )
     SELECT p.npwrd, p.name, ${by === null ? 'NULL::text' : 'ob.attributes ->> ?'} AS value,
            count(DISTINCT x.object_id)::int AS objects_billed,
            (count(DISTINCT x.object_id) FILTER (WHERE x.settled))::int AS objects_paid,
            (count(DISTINCT x.object_id) FILTER (WHERE NOT x.settled))::int AS objects_outstanding,
            sum(x.amount)::bigint AS billed, sum(x.paid)::bigint AS paid, (sum(x.amount) - sum(x.paid))::bigint AS outstanding
       FROM lines x
       JOIN objects ob ON ob.id = x.object_id
       JOIN payers p ON p.id = x.payer_id
      GROUP BY p.npwrd, p.name, 3
      ORDER BY p.name, p.npwrd, 3 NULLS LAST`,
    by === null ? [bills] : [bills, by],
  );

  const payers = new Map<string, PayerObjects['payers'][number]>();
  const totals: PayerObjects['totals'] = emptyFigures();
  const overall = new Map<string | null, Breakdown>();
  for (const r of rows as Array<Breakdown & { npwrd: string; name: string }>) {
    const { npwrd, name, value, ...f } = r;
    let payer = payers.get(npwrd);
    if (!payer) {
      payer = { npwrd, name, ...emptyFigures(), ...(by === null ? {} : { breakdown: [] }) };
      payers.set(npwrd, payer);
    }
    add(payer, f);
    add(totals, f);
    if (by !== null) {
      payer.breakdown!.push({ value, ...f });
      const sum = overall.get(value) ?? { value, ...emptyFigures() };
      add(sum, f);
      overall.set(value, sum);
    }
  }
  if (by !== null) totals.breakdown = [...overall.values()].sort((a, b) => (a.value ?? '\uffff').localeCompare(b.value ?? '\uffff'));
  const json: PayerObjects = { levy_type: q.levy_type, by, period: q.period ?? null, from, to, payers: [...payers.values()], totals };
  return { json, table: payerObjectsTable(json, levy.name, scope) };
}

function payerObjectsTable(r: PayerObjects, levyName: string, scope: ReportScope): ReportTable {
  const columns: ReportColumn[] = [
    { key: 'npwrd', header: 'NPWRD', kind: 'text', width: 10 },
    { key: 'name', header: 'Wajib Retribusi', kind: 'text', width: 20 },
    ...(r.by === null ? [] : [{ key: 'value', csvName: r.by, header: r.by, kind: 'text' as const, width: 13 }]),
    { key: 'objects_billed', header: 'Objek Ditagih', kind: 'count', width: 7 },
    { key: 'objects_paid', header: 'Objek Lunas', kind: 'count', width: 7 },
    { key: 'objects_outstanding', header: 'Objek Belum Lunas', kind: 'count', width: 7 },
    { key: 'billed', header: 'Ditagih', kind: 'money', width: 12 },
    { key: 'paid', header: 'Dibayar', kind: 'money', width: 12 },
    { key: 'outstanding', header: 'Sisa', kind: 'money', width: 12 },
  ];
  const rows: ReportRow[] = r.payers.flatMap((p): ReportRow[] => {
    const { breakdown, ...total } = p;
    if (!breakdown) return [{ cells: total }];
    return [
      ...breakdown.map((b) => ({ cells: { npwrd: p.npwrd, name: p.name, ...b } })),
      { cells: { ...total, value: 'Jumlah' }, bold: true, pdfOnly: true },
    ];
  });
  const filters = [
    r.period ? `masa ${r.period}` : null,
    r.from || r.to ? `terbit ${r.from ? formatDateId(r.from) : '…'} s.d. ${r.to ? formatDateId(r.to) : '…'}` : null,
    r.by ? `menurut ${r.by}` : null,
  ].filter((x): x is string => x !== null);
  const { breakdown: _all, ...grand } = r.totals;
  return {
    pemdaName: scope.pemdaName,
    scope: scope.label,
    title: `Objek per Wajib Retribusi: ${levyName}`,
    subtitle: filters.length ? [filters.join(', ')] : ['Semua tagihan'],
    fileName: `objek-${r.levy_type}${r.period ? `-${r.period}` : ''}${r.by ? `-${r.by}` : ''}`,
    columns,
    rows,
    totals: { npwrd: 'Jumlah', ...grand },
    notes: [
      'Objek lunas: objek pada tagihan yang sudah dibayar penuh. Pembayaran tagihan dibagi ke baris objek sebanding nilainya, sisa pembulatan ke baris terakhir.',
    ],
  };
}
