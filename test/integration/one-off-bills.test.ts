import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import YAML from 'yaml';
import { db } from '../../src/db';
import { startStack, Stack, waitFor } from '../support/harness';

/**
 * An OPD's own system bills on request: the rental of a city-owned plot (tariff: Rp5.000 per m² a
 * month, so 10 m × 4 m × 5.000 × 6 months = Rp1.200.000), with an Idempotency-Key that makes the
 * call safe to retry.
 */
const rental = {
  code: 'retribusi-sewa-aset',
  name: 'Retribusi Pemakaian Kekayaan Daerah',
  kind: 'retribusi',
  class: 'jasa usaha',
  opd: 'DISDAG',
  effective_from: '2024-01-05',
  legal_basis: { regulation: 'Peraturan Daerah Kota Padang tentang Pajak Daerah dan Retribusi Daerah', article: 'Pemakaian kekayaan daerah', valid_from: '2024-01-05' },
  account_codes: [{ from_year: 2024, principal: '4.1.02.02.20.0001', fines: '4.1.04.13' }],
  object_schema: {
    type: 'object',
    required: ['length_m', 'width_m', 'months'],
    additionalProperties: false,
    properties: {
      length_m: { type: 'number', exclusiveMinimum: 0 },
      width_m: { type: 'number', exclusiveMinimum: 0 },
      months: { type: 'integer', minimum: 1, maximum: 60 },
      location: { type: 'string' },
    },
  },
  assessment_mode: 'on_request',
  period: 'one_off',
  billing_unit: 'per_payer',
  tariff: {
    kind: 'formula',
    expression: 'rate * length_m * width_m * months',
    constants: { rate: 5000 },
    attributes: ['length_m', 'width_m', 'months'],
    description: '{length_m} m × {width_m} m × {rate:rupiah} per m² sebulan × {months} bulan',
  },
  rounding: { mode: 'half_up', unit: 1 },
  due_rule: { kind: 'days_after_issue', days: 14 },
  interest_rule: [{ effective_from: '2024-01-05', rate_per_month_bp: 100, max_months: 24, started_month_counts_whole: true, base: 'principal' }],
  payment_policy: { billing_type: 'c', partial_allowed: false, va_valid_days_after_due: 30 },
  bank_channel: 'bni-ecollection',
  document: { type: 'SKRD', template: 'skrd-v1' },
  sample_objects: [{ attributes: { length_m: 10, width_m: 4, months: 6 } }],
};

const PAYER = 'P.2.0502.01.0001';
const plot = { code: 'LAHAN-PASAR-RAYA-07', attributes: { length_m: 10, width_m: 4, months: 6, location: 'Pelataran Pasar Raya' } };

describe('Bills on request, made once per Idempotency-Key', () => {
  let stack: Stack;
  let disdag: string;

  beforeAll(async () => {
    stack = await startStack();
    disdag = stack.token({ role: 'opd_admin', opd: 'DISDAG' });
    const post = (url: string, body: object) => request(stack.url).post(url).set('Authorization', `Bearer ${disdag}`).send(body);
    expect((await post('/api/v1/levy-types', rental)).status).toBe(201);
    expect((await post('/api/v1/levy-types', YAML.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'levies', 'pajak-reklame.yaml'), 'utf8')))).status).toBe(403);
    expect((await post('/api/v1/payers', { npwrd: PAYER, name: 'CV Pedagang Kaki Lima Bersatu', address: 'Pasar Raya' })).status).toBe(201);
  });
  afterAll(() => stack.close());

  const create = (body: object, key?: string, token = disdag) => {
    const r = request(stack.url).post('/api/v1/bills').set('Authorization', `Bearer ${token}`);
    return (key ? r.set('Idempotency-Key', key) : r).send(body);
  };
  const billCount = async () => Number((await db()('bills').count('* as n').first())!.n);
  const body = { levy_type: 'retribusi-sewa-aset', payer: PAYER, objects: [plot] };

  it('When an OPD system asks for a bill, then it gets one with its line computed by the tariff, and the VA is issued at the bank', async () => {
    const res = await create(body, 'sewa-2026-0001');
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/api/v1/bills/${res.body.bill_no}`);
    expect(res.body).toMatchObject({
      levy_type: 'retribusi-sewa-aset',
      document_type: 'SKRD',
      amount: 1_200_000,
      status: 'draft',
      payer: { npwrd: PAYER },
      opd: { code: 'DISDAG' },
    });
    expect(res.body.bill_no).toMatch(/^DISDAG-\d{4}-\d{6}$/);
    expect(res.body.lines).toEqual([
      expect.objectContaining({
        line_no: 1,
        account_code: '4.1.02.02.20.0001',
        amount: 1_200_000,
        description: '10 m × 4 m × Rp5.000 per m² sebulan × 6 bulan',
        calculation: expect.objectContaining({ object_code: 'LAHAN-PASAR-RAYA-07', unrounded: '1200000' }),
      }),
    ]);
    const issued = await waitFor('the VA', async () => {
      const r = await request(stack.url).get(`/api/v1/bills/${res.body.bill_no}`).set('Authorization', `Bearer ${disdag}`);
      return r.body.status === 'issued' ? r.body : undefined;
    });
    expect(stack.sim.bills().find((b) => b.trxId === issued.trx_id)).toMatchObject({ amount: 1_200_000, virtualAccount: issued.virtual_account });
  });

  it('When the same request is sent again with the same key, then the first answer comes back and no second bill is made', async () => {
    const before = await billCount();
    const first = await db()('idempotency_keys').where({ key: 'sewa-2026-0001' }).first();
    const again = await create(body, 'sewa-2026-0001');
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.response_body);
    expect(await billCount()).toBe(before);
  });

  it('When the same key comes with another body, then it is a 409 idempotency_key_reused', async () => {
    const res = await create({ ...body, objects: [{ ...plot, attributes: { ...plot.attributes, months: 12 } }] }, 'sewa-2026-0001');
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('idempotency_key_reused');
  });

  it('When the first request with a key is still running, then a retry is told so and may try again', async () => {
    const before = await billCount();
    await db()('idempotency_keys').insert({
      principal: 'opd_admin:test:DISDAG',
      key: 'sewa-2026-0002',
      request_method: 'POST',
      request_path: '/api/v1/bills',
      request_hash: (await import('../../src/modules/idempotency/service')).requestHash('POST', '/api/v1/bills', body),
      locked_by: '00000000-0000-4000-8000-000000000001',
      locked_until: new Date(Date.now() + 60_000),
    });
    const busy = await create(body, 'sewa-2026-0002');
    expect(busy.status).toBe(409);
    expect(busy.body.error).toMatchObject({ code: 'idempotency_key_in_flight', details: { retryable: true } });
    expect(await billCount()).toBe(before);

    // The first request died (its transaction rolled back): once its lock lapses, the retry runs.
    await db()('idempotency_keys').where({ key: 'sewa-2026-0002' }).update({ locked_until: new Date(Date.now() - 1000) });
    const retried = await create(body, 'sewa-2026-0002');
    expect(retried.status).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(await billCount()).toBe(before + 1);
  });

  it('Keys belong to their caller: another caller’s same key is its own request', async () => {
    const before = await billCount();
    const res = await create(body, 'sewa-2026-0001', stack.token({ role: 'admin' }));
    expect(res.status).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(await billCount()).toBe(before + 1);
  });

  it('A request that failed does not keep its key: corrected, it goes through with the same key', async () => {
    const bad = await create({ ...body, objects: [{ attributes: { length_m: 10, width_m: 4 } }] }, 'sewa-2026-0003');
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatchObject({ code: 'object_invalid', details: { errors: [{ field: 'objects[0].attributes', reason: expect.stringMatching(/months/) }] } });
    const good = await create(body, 'sewa-2026-0003');
    expect(good.status).toBe(201);
  });

  it('Registered objects can be billed by their codes; one of another payer cannot', async () => {
    await request(stack.url).post('/api/v1/payers').set('Authorization', `Bearer ${disdag}`).send({ npwrd: 'P.2.0502.01.0002', name: 'Toko Lain' });
    const reg = await request(stack.url)
      .post('/api/v1/objects')
      .set('Authorization', `Bearer ${disdag}`)
      .send({ levy_type: 'retribusi-sewa-aset', code: 'LAHAN-08', name: 'Lahan parkir 08', payer: PAYER, attributes: { length_m: 5, width_m: 2.5, months: 1 } });
    expect(reg.status).toBe(201);
    const res = await create({ levy_type: 'retribusi-sewa-aset', payer: PAYER, object_codes: ['LAHAN-08'] });
    expect(res.status).toBe(201);
    expect(res.body.amount).toBe(62_500);
    expect(res.body.lines[0]).toMatchObject({ object_code: 'LAHAN-08', object_name: 'Lahan parkir 08' });

    const other = await create({ levy_type: 'retribusi-sewa-aset', payer: 'P.2.0502.01.0002', object_codes: ['LAHAN-08'] });
    expect(other.status).toBe(422);
    expect(other.body.error.details.errors).toEqual([{ field: 'object_codes[0]', reason: 'LAHAN-08 belongs to another payer' }]);
  });

  it.each([
    ['an unknown payer', { ...body, payer: 'P.9.9999.99.9999' }, 422, 'payer_not_found'],
    ['neither objects nor codes', { levy_type: 'retribusi-sewa-aset', payer: PAYER }, 400, 'validation_failed'],
    ['another OPD’s levy', { ...body, levy_type: 'retribusi-menara' }, 404, 'levy_type_not_found'],
    ['a malformed Idempotency-Key', body, 400, 'validation_failed'],
  ])('When a request names %s, then it is refused and nothing is billed', async (what, payload, status, code) => {
    const before = await billCount();
    const res = await create(payload, what === 'a malformed Idempotency-Key' ? 'has spaces in it' : undefined);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(await billCount()).toBe(before);
  });

  it('Registered objects of an officially assessed levy are left to its assessment runs', async () => {
    const admin = stack.token({ role: 'admin' });
    const towers = await request(stack.url).get('/api/v1/objects').query({ levy_type: 'retribusi-menara', limit: 1 }).set('Authorization', `Bearer ${admin}`);
    const tower = towers.body.data[0];
    const res = await create({ levy_type: 'retribusi-menara', payer: tower.payer.npwrd, period: '2027', object_codes: [tower.code] }, undefined, admin);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('levy_assessed');
  });
});
