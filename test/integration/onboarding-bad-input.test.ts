import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import YAML from 'yaml';
import { db } from '../../src/db';
import { startStack, Stack } from '../support/harness';

/** Each bad definition, version or object is a 4xx naming the field and the reason, and saves nothing. */
const definition = (code: string) => YAML.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'levies', `${code}.yaml`), 'utf8'));

describe('Onboarding bad input: refused with the field and the reason, nothing saved', () => {
  let stack: Stack;
  let disdag: string;

  beforeAll(async () => {
    stack = await startStack({ workers: false });
    disdag = stack.token({ role: 'opd_admin', opd: 'DISDAG' });
  });
  afterAll(() => stack.close());

  const send = (method: 'post' | 'patch', url: string, body: unknown) =>
    request(stack.url)[method](url).set('Authorization', `Bearer ${disdag}`).send(body as object);
  const counts = async () => {
    const [levies, versions, objects, audit] = await Promise.all(
      ['levy_types', 'levy_type_versions', 'objects', 'audit_log'].map(async (t) => Number((await db()(t).count('* as n').first())!.n)),
    );
    return { levies, versions, objects, audit };
  };

  const pasar = () => definition('retribusi-pasar');
  const tariff = (patch: Record<string, unknown>) => ({ ...pasar(), tariff: { ...pasar().tariff, ...patch } });

  it.each([
    ['a formula that does not parse', () => tariff({ expression: 'rate_per_m2 * (area_m2' }), 'tariff.expression', /does not parse/],
    ['a formula with an unknown name', () => tariff({ expression: 'rate_per_m2 * area_m2 * zone_coef' }), 'tariff.expression', /unknown name zone_coef/],
    ['a formula that defines a function (a loop)', () => tariff({ expression: 'f(x) = f(x - 1)' }), 'tariff.expression', /not allowed/],
    ['a division by zero in the dry run', () => tariff({ expression: 'rate_per_m2 * area_m2 / (area_m2 - 12)' }), 'sample_objects[0]', /division by zero/],
    ['a negative amount after rounding', () => tariff({ expression: 'rate_per_m2 * (area_m2 - 5)' }), 'sample_objects[1]', /negative/],
    ['a rounding that would leave a fraction of a rupiah', () => ({ ...pasar(), rounding: { mode: 'half_up', unit: 0.5 } }), 'rounding.unit', /./],
    ['a table with a gap', () => tariff({ table: { ...pasar().tariff.table, rows: pasar().tariff.table.rows.slice(1) } }), 'tariff.table.rows', /no row for stall_type = kios, market_class = I$/],
    ['an unknown bank channel', () => ({ ...pasar(), bank_channel: 'bank-antah-berantah' }), 'bank_channel', /no bank channel/],
  ])('When a definition has %s, then it is a 422 naming the field and the reason', async (_what, make, field, reason) => {
    const before = await counts();
    const res = await send('post', '/api/v1/levy-types', make());
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('definition_invalid');
    expect(res.body.error.details.errors).toEqual(expect.arrayContaining([{ field, reason: expect.stringMatching(reason) }]));
    expect(res.body.error.message).toContain(res.body.error.details.errors[0].field);
    expect(await counts()).toEqual(before);
  });

  it('When a field the contract does not know is sent, then it is a 400 naming it', async () => {
    const res = await send('post', '/api/v1/levy-types', { ...pasar(), colour: 'red' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error)).toContain('colour');
  });

  describe('Versions', () => {
    beforeAll(async () => {
      expect((await send('post', '/api/v1/levy-types', pasar())).status).toBe(201);
    });

    it.each([
      ['the same effective date with another tariff', '2024-01-05'],
      ['an effective date before the newest version', '2023-06-01'],
    ])('When a change takes %s, then it is a 409 version_overlaps and no version is added', async (_what, effective_from) => {
      const before = await counts();
      const res = await send('patch', '/api/v1/levy-types/retribusi-pasar', { effective_from, tariff: { ...pasar().tariff, minimum: 30000 } });
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'version_overlaps', details: { field: 'effective_from' } });
      expect(await counts()).toEqual(before);
    });

    it('When a change would leave the definition invalid, then it is a 422 and no version is added', async () => {
      const before = await counts();
      const res = await send('patch', '/api/v1/levy-types/retribusi-pasar', { effective_from: '2027-06-01', tariff: { ...pasar().tariff, expression: 'rate_per_m2 * stall' } });
      expect(res.status).toBe(422);
      expect(res.body.error.details.errors).toEqual([{ field: 'tariff.expression', reason: 'unknown name stall in formula' }]);
      expect(await counts()).toEqual(before);
    });

    it('When a change touches what names the levy, then it is refused', async () => {
      const res = await send('patch', '/api/v1/levy-types/retribusi-pasar', { effective_from: '2027-06-01', name: 'Retribusi Pasar Baru' });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.error)).toContain('name');
    });

    it('When an object violates the levy’s object schema, then it is a 422 naming the attribute, and not saved', async () => {
      await send('post', '/api/v1/payers', { npwrd: 'P.2.0501.09.0001', name: 'Pak Datuak' });
      const before = await counts();
      const res = await send('post', '/api/v1/objects', {
        levy_type: 'retribusi-pasar',
        code: 'PRP-Z-001',
        name: 'Kios Z-001',
        payer: 'P.2.0501.09.0001',
        attributes: { market: 'Pasar Raya Padang', market_class: 'I', stall_type: 'lapak', area_m2: -2 },
      });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('object_invalid');
      expect(res.body.error.details.errors).toEqual(
        expect.arrayContaining([
          { field: 'attributes.stall_type', reason: 'must be equal to one of the allowed values: los, kios' },
          { field: 'attributes.area_m2', reason: 'must be > 0' },
        ]),
      );
      expect(await counts()).toEqual(before);
    });

    it('When an object names a payer nobody registered, then it is refused', async () => {
      const res = await send('post', '/api/v1/objects', {
        levy_type: 'retribusi-pasar',
        code: 'PRP-Z-002',
        name: 'Kios Z-002',
        payer: 'P.9.9999.99.9999',
        attributes: { market: 'Pasar Raya Padang', market_class: 'I', stall_type: 'kios', area_m2: 9 },
      });
      expect(res.status).toBe(422);
      expect(res.body.error.details.errors).toEqual([{ field: 'payer', reason: expect.stringMatching(/register the payer first/) }]);
    });
  });

  describe('CSV', () => {
    const csv = (url: string, text: string) => request(stack.url).post(url).set('Authorization', `Bearer ${disdag}`).set('Content-Type', 'text/csv').send(text);

    it.each([
      ['an unknown column', 'code,name,colour\nA,B,red', 'csv_invalid_header', /colour/],
      ['no code column', 'name,market\nB,Pasar Raya', 'csv_invalid_header', /no code column/],
      ['an unclosed quote', 'code,name\n"A,B', 'csv_malformed', /Quote Not Closed/],
      ['nothing at all', '', 'csv_empty', /header row/],
    ])('When an object file has %s, then the file is refused whole', async (_what, text, code, message) => {
      const res = await csv('/api/v1/objects/imports?levy_type=retribusi-pasar', text);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message).toMatch(message);
    });

    it('When a row carries a spreadsheet formula or a short row, then that row alone is rejected', async () => {
      const res = await csv(
        '/api/v1/objects/imports?levy_type=retribusi-pasar',
        [
          'code,name,market,market_class,stall_type,area_m2',
          'PRP-Q-001,"@SUM(A1:A9)",Pasar Raya Padang,I,kios,4',
          'PRP-Q-002,Kios Q-002,-cmd|calc,I,kios,4',
          'PRP-Q-003,Kios Q-003,Pasar Raya Padang,I',
          'PRP-Q-004,Kios Q-004,Pasar Raya Padang,I,kios,4',
        ].join('\n'),
      );
      expect(res.status).toBe(200);
      expect(res.body.created).toBe(1);
      expect(res.body.rejected).toEqual([
        { row: 2, column: 'name', reason: expect.stringMatching(/starts with "@"/) },
        { row: 3, column: 'market', reason: expect.stringMatching(/starts with "-"/) },
        { row: 4, column: null, reason: 'has 4 cells; the header has 6' },
      ]);
    });

    it('When a payer already registered comes with another name, then the row is rejected and the registry unchanged', async () => {
      const res = await csv('/api/v1/payers/imports', 'npwrd,name\nP.2.0501.09.0001,Datuak Lain');
      expect(res.body).toMatchObject({ created: 0, unchanged: 0 });
      expect(res.body.rejected).toEqual([{ row: 2, column: 'name', reason: expect.stringMatching(/registered with another name/) }]);
      expect((await db()('payers').where({ npwrd: 'P.2.0501.09.0001' }).first()).name).toBe('Pak Datuak');
    });
  });
});
