import type { Knex } from 'knex';
import { BNI_CHANNEL } from '../../seeds/padang';

/**
 * A synthetic property-tax-like levy for the benchmarks, defined the way seeds/padang.ts defines the
 * tower levy: PBB-P2 style, one bill (SKPD) per object, 0.3% of NJOP above the NJOPTKP allowance,
 * with land and building values looked up by zone and building class, a minimum tax, fixed-amount
 * VAs (billing type c) on the BNI channel. Sizes are those of a city with ~300,000 objects.
 */
export const BENCH_LEVY = 'pbb-bench';
export const BENCH_OPD = 'BAPENDA';
export const BENCH_PERIOD = '2027';
export const BENCH_ACCOUNT = '4.1.01.12.01';

const objectSchema = {
  type: 'object',
  required: ['zone', 'land_m2', 'building_m2', 'building_class'],
  properties: {
    zone: { enum: ['A', 'B', 'C', 'D', 'E'] },
    land_m2: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    building_m2: { type: 'integer', minimum: 0, maximum: 1_000_000 },
    building_class: { enum: ['permanen', 'semi_permanen', 'darurat'] },
    address: { type: 'string' },
  },
  additionalProperties: false,
};

const tariff = {
  kind: 'formula',
  constants: { njoptkp: 10_000_000, tarif: '0.003' },
  lookups: {
    njop_tanah: {
      attribute: 'zone',
      table: { A: '3500000', B: '2200000', C: '1400000', D: '800000', E: '350000' },
      labels: { A: 'zona A', B: 'zona B', C: 'zona C', D: 'zona D', E: 'zona E' },
    },
    njop_bangunan: {
      attribute: 'building_class',
      table: { permanen: '2800000', semi_permanen: '1700000', darurat: '600000' },
      labels: { permanen: 'permanen', semi_permanen: 'semi permanen', darurat: 'darurat' },
    },
  },
  attributes: ['land_m2', 'building_m2'],
  steps: [
    { name: 'njop', expression: 'land_m2 * njop_tanah + building_m2 * njop_bangunan' },
    { name: 'njkp', expression: 'max(njop - njoptkp, 0)' },
  ],
  expression: 'njkp * tarif',
  minimum: 10_000,
  description:
    'PBB 0,3% × (NJOP {njop:rupiah} − NJOPTKP {njoptkp:rupiah}); bumi {land_m2} m² × {njop_tanah:rupiah} ' +
    '({njop_tanah:label}), bangunan {building_m2} m² × {njop_bangunan:rupiah} ({njop_bangunan:label})',
};

export interface BenchLevy {
  levyTypeId: number;
  versionId: number;
  opdId: number;
  channelId: number;
}

/** Inserts the levy and its version; needs seedPadang first (OPDs and the BNI channel). */
export async function defineBenchLevy(db: Knex): Promise<BenchLevy> {
  const opd = await db('opds').where({ code: BENCH_OPD }).first('id');
  const channel = await db('bank_channels').where({ code: BNI_CHANNEL }).first('id');
  const [levy] = await db('levy_types')
    .insert({ code: BENCH_LEVY, opd_id: opd.id, name: 'Pajak Bumi dan Bangunan Perdesaan dan Perkotaan', kind: 'pajak', class: 'pajak daerah' })
    .returning('id');
  const [version] = await db('levy_type_versions')
    .insert({
      levy_type_id: levy.id,
      version: 1,
      effective_from: '2024-01-05',
      legal_basis: JSON.stringify({ regulation: 'Peraturan Daerah tentang Pajak Daerah dan Retribusi Daerah', article: 'PBB-P2' }),
      valid_from: '2024-01-05',
      valid_to: null,
      account_codes: JSON.stringify([{ from_year: 2024, principal: BENCH_ACCOUNT, fines: '4.1.04.12' }]),
      object_schema: JSON.stringify(objectSchema),
      period_kind: 'yearly',
      billing_unit: 'per_object',
      document_type: 'SKPD',
      tariff_rule: JSON.stringify(tariff),
      rounding: JSON.stringify({ mode: 'half_up', unit: 1 }),
      due_rule: JSON.stringify({ kind: 'days_after_issue', days: 30 }),
      interest_rule: JSON.stringify([
        { effective_from: '2024-01-05', rate_per_month_bp: 100, max_months: 24, started_month_counts_whole: true, base: 'principal' },
      ]),
      payment_policy: JSON.stringify({ billing_type: 'c', partial_allowed: false, va_valid_days_after_due: 60 }),
      bank_channel_id: channel.id,
      document_template: 'skrd-v1',
    })
    .returning('id');
  return { levyTypeId: levy.id, versionId: version.id, opdId: opd.id, channelId: channel.id };
}

/**
 * `count` objects with one payer per two objects, in set-based SQL (generate_series): zones,
 * sizes and building classes vary so the tariff takes every path, including the minimum.
 */
export async function seedBenchObjects(db: Knex, levy: BenchLevy, count: number): Promise<void> {
  const payers = Math.ceil(count / 2);
  await db.raw(
    `INSERT INTO payers (npwrd, name, address)
     SELECT 'P.1.' || lpad(g::text, 9, '0'), 'Wajib Pajak ' || g, 'Jl. Uji Beban No. ' || g
       FROM generate_series(1, ?) g`,
    [payers],
  );
  await db.raw(
    `INSERT INTO objects (levy_type_id, code, name, payer_id, attributes)
     SELECT ?, 'NOP-' || lpad(g::text, 9, '0'), 'Persil ' || g, p.id,
            jsonb_build_object(
              'zone', (ARRAY['A','B','C','D','E'])[1 + g % 5],
              'land_m2', 40 + (g * 37) % 900,
              'building_m2', CASE WHEN g % 7 = 0 THEN 0 ELSE 21 + (g * 13) % 400 END,
              'building_class', (ARRAY['permanen','semi_permanen','darurat'])[1 + g % 3],
              'address', 'Jl. Uji Beban No. ' || g)
       FROM generate_series(1, ?) g
       JOIN payers p ON p.npwrd = 'P.1.' || lpad(((g + 1) / 2)::text, 9, '0')`,
    [levy.levyTypeId, count],
  );
}
