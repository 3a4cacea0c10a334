import type { Knex } from 'knex';
import { owners, towers } from './data/padang-towers';
import { kecamatan } from './data/padang-wilayah';
import { compileSchema, describeErrors } from '../src/lib/json-schema';
import { seedOpds } from './opds';

/**
 * Kota Padang's starting data: Diskominfo, the BNI eCollection channel (credentials by reference to
 * the environment), the telecom tower levy as a versioned definition, the tower owners and their
 * 505 towers. Safe to run again: everything is keyed by its natural key.
 */
export const TOWER_LEVY = 'retribusi-menara';
export const BNI_CHANNEL = 'bni-ecollection';
export const NAGARI_CHANNEL = 'bank-nagari';

const towerSchema = {
  type: 'object',
  required: ['site_id', 'tower_type', 'height_m', 'kecamatan', 'kelurahan', 'zone'],
  properties: {
    site_id: { type: 'string', minLength: 1 },
    tower_type: { enum: ['self_supporting', 'monopole', 'rooftop'] },
    height_m: { type: 'integer', minimum: 1, maximum: 200 },
    kecamatan: { enum: kecamatan.map((k) => k.name) },
    kelurahan: { type: 'string', minLength: 1 },
    zone: { enum: [1, 2, 3] },
    latitude: { type: 'number', minimum: -90, maximum: 90 },
    longitude: { type: 'number', minimum: -180, maximum: 180 },
    address: { type: 'string' },
    land_status: { enum: ['private', 'leased', 'city_land'] },
    permit_no: { type: 'string' },
    build_year: { type: 'integer', minimum: 1970, maximum: 2100 },
    tenants: { type: 'array', items: { type: 'string' } },
  },
  additionalProperties: false,
};

/**
 * Cost-based tariff (after MK 46/PUU-XII/2014): inspections a year × cost per inspection ×
 * coefficients for tower type, height band and zone. Coefficients are decimal strings so they are
 * exact; the result is rounded once, half up, to whole rupiah.
 */
const towerTariff = {
  kind: 'formula',
  expression: 'inspections * cost_per_inspection * type_coef * height_coef * zone_coef',
  constants: { inspections: 2, cost_per_inspection: 1750000 },
  lookups: {
    type_coef: {
      attribute: 'tower_type',
      table: { self_supporting: '1.0', monopole: '0.9', rooftop: '0.8' },
      labels: { self_supporting: 'menara mandiri', monopole: 'monopole', rooftop: 'rooftop' },
    },
    height_coef: {
      attribute: 'height_m',
      bands: [
        { max: 30, value: '0.9', label: 'tinggi ≤ 30 m' },
        { max: 50, value: '1.0', label: 'tinggi 31–50 m' },
        { max: 72, value: '1.2', label: 'tinggi 51–72 m' },
        { value: '1.35', label: 'tinggi > 72 m' },
      ],
    },
    zone_coef: {
      attribute: 'zone',
      table: { '1': '1.2', '2': '1.0', '3': '0.8' },
      labels: { '1': 'zona I', '2': 'zona II', '3': 'zona III' },
    },
  },
  description:
    '{inspections} pemeriksaan × {cost_per_inspection:rupiah} × {type_coef} ({type_coef:label}) × ' +
    '{height_coef} ({height_coef:label}) × {zone_coef} ({zone_coef:label})',
};

export async function seedPadang(db: Knex): Promise<{ towers: number; owners: number }> {
  const validate = compileSchema(towerSchema);
  for (const t of towers) {
    if (!validate(t.attributes)) throw new Error(`seed tower ${t.code}: ${describeErrors(validate)}`);
  }
  return db.transaction(async (trx) => {
    const [opd] = await trx('opds')
      .insert({
        code: 'DISKOMINFO',
        name: 'Dinas Komunikasi dan Informatika',
        pemda_name: 'Pemerintah Kota Padang',
        address: 'Jl. Bagindo Aziz Chan No. 1, Aie Pacah, Padang',
        head_name: 'Dra. Siti Rahmawati, M.Si',
        head_nip: '19710412 199803 2 004',
        head_title: 'Kepala Dinas Komunikasi dan Informatika',
      })
      .onConflict('code')
      .merge()
      .returning('id');
    await seedOpds(trx);

    const [channel] = await trx('bank_channels')
      .insert({
        code: BNI_CHANNEL,
        name: 'BNI eCollection (Diskominfo)',
        connector: 'bni_ecollection',
        bank_name: 'BNI',
        settings: JSON.stringify({
          base_url: 'env:BNI_BASE_URL',
          client_id: 'env:BNI_CLIENT_ID',
          secret_key: 'env:BNI_SECRET_KEY',
          prefix: 'env:BNI_PREFIX',
        }),
        concurrency: 8,
        rate_per_second: 50,
      })
      .onConflict('code')
      .merge()
      .returning('id');

    // Bank Nagari, West Sumatra's own bank, over SNAP BI: a second channel any OPD's levy can use.
    await trx('bank_channels')
      .insert({
        code: NAGARI_CHANNEL,
        name: 'Bank Nagari SNAP BI VA',
        connector: 'snap',
        bank_name: 'Bank Nagari',
        settings: JSON.stringify({
          base_url: 'env:NAGARI_BASE_URL',
          client_id: 'env:NAGARI_CLIENT_ID',
          client_secret: 'env:NAGARI_CLIENT_SECRET',
          private_key: 'env:NAGARI_PRIVATE_KEY',
          partner_service_id: 'env:NAGARI_PARTNER_SERVICE_ID',
          channel_id: 'env:NAGARI_CHANNEL_ID',
          notification_mode: 'rsa',
          bank_public_key: 'env:NAGARI_BANK_PUBLIC_KEY',
        }),
        concurrency: 8,
        rate_per_second: 20,
      })
      .onConflict('code')
      .merge();

    const [levy] = await trx('levy_types')
      .insert({
        code: TOWER_LEVY,
        opd_id: opd.id,
        name: 'Retribusi Pengendalian Menara Telekomunikasi',
        kind: 'retribusi',
        class: 'jasa umum',
      })
      .onConflict('code')
      .merge()
      .returning('id');

    await trx('levy_type_versions')
      .insert({
        levy_type_id: levy.id,
        version: 1,
        effective_from: '2021-01-01',
        legal_basis: JSON.stringify({
          regulation: 'Peraturan Daerah Kota Padang tentang Retribusi Pengendalian Menara Telekomunikasi',
          article: 'Pasal 9 (struktur dan besarnya tarif)',
        }),
        valid_from: '2021-01-01',
        valid_to: null,
        account_codes: JSON.stringify([{ from_year: 2021, principal: '4.1.02.01.13.0001', fines: '4.1.04.13' }]),
        object_schema: JSON.stringify(towerSchema),
        period_kind: 'yearly',
        billing_unit: 'per_payer',
        document_type: 'SKRD',
        tariff_rule: JSON.stringify(towerTariff),
        rounding: JSON.stringify({ mode: 'half_up', unit: 1 }),
        due_rule: JSON.stringify({ kind: 'days_after_issue', days: 30 }),
        interest_rule: JSON.stringify([
          { effective_from: '2010-01-01', rate_per_month_bp: 200, max_months: 24, started_month_counts_whole: true, base: 'principal' },
          { effective_from: '2024-01-05', rate_per_month_bp: 100, max_months: 24, started_month_counts_whole: true, base: 'principal' },
        ]),
        // Owners may pay an SKRD in installments (BNI billing type i): Mitratel's runs to hundreds of millions.
        payment_policy: JSON.stringify({ billing_type: 'i', partial_allowed: true, va_valid_days_after_due: 60 }),
        bank_channel_id: channel.id,
        document_template: 'skrd-v2',
      })
      .onConflict(['levy_type_id', 'version'])
      .ignore();

    const payerIds = new Map<string, number>();
    const payerRows = await trx('payers')
      .insert(
        owners.map((o) => ({
          npwrd: o.npwrd,
          name: o.name,
          address: o.address,
          email: o.email,
          phone: o.phone,
          contacts: JSON.stringify([{ name: o.contactName, email: o.email, phone: o.phone }]),
        })),
      )
      .onConflict('npwrd')
      .merge(['name', 'address', 'email', 'phone', 'contacts'])
      .returning(['id', 'npwrd']);
    for (const p of payerRows) payerIds.set(p.npwrd, p.id);

    await trx('objects')
      .insert(
        towers.map((t) => ({
          levy_type_id: levy.id,
          code: t.code,
          name: t.name,
          payer_id: t.ownerNpwrd ? payerIds.get(t.ownerNpwrd) : null,
          attributes: JSON.stringify(t.attributes),
          status: t.status,
        })),
      )
      .onConflict(['levy_type_id', 'code'])
      .merge(['name', 'payer_id', 'attributes', 'status']);

    return { towers: towers.length, owners: owners.length };
  });
}
