import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import YAML from 'yaml';
import { startStack, Stack, waitFor } from '../support/harness';
import { db } from '../../src/db';
import { runDunning } from '../../src/modules/interest/service';
import { binary, pdfText } from '../support/pdf-text';

/**
 * The point of the system: an OPD brings a levy as configuration. Bapenda's billboard tax and
 * Dinas Perdagangan's market-stall levy are defined through the API from their definition files,
 * their payers and objects imported by CSV, assessed, issued on the BNI simulator and paid, and
 * every amount is checked against the sums below, worked by hand.
 *
 * Pasar (per m² a month, rounded half up to Rp100, at least Rp25.000 a stall):
 *   kios I 12 m² × 45.000 = 540.000 · kios I 7,25 m² × 45.000 = 326.250 → 326.300
 *   los III 1,5 m² × 15.000 = 22.500 → minimum 25.000 · los II 3,3 m² × 22.500 = 74.250 → 74.300
 *   Toko Sinar Minang: 540.000 + 326.300 = 866.300 · Uni Rahmi: 25.000 + 74.300 = 99.300
 * Reklame (25% of area × sides × Rp25.000 × road coefficient × months, whole rupiah half up):
 *   24 m² × 2 × 25.000 × 1,5 × 12 = 21.600.000 → 5.400.000
 *   1,01 m² × 1 × 25.000 × 1,0 × 12 = 303.000 → 75.750
 *   15 m² × 1 × 25.000 × 1,2 × 3 = 1.350.000 → 337.500
 *   2,5 m² × 1 × 25.000 × 1,2 × 1 = 75.000 → 18.750
 */
const definition = (code: string) => YAML.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'levies', `${code}.yaml`), 'utf8'));

const PAYERS_CSV = [
  'npwrd,name,address,email,phone',
  'P.2.0501.01.0001,Toko Sinar Minang,"Jl. Pasar Raya No. 12, Padang",sinar.minang@mail.example,+6281266610001',
  'P.2.0501.01.0002,Uni Rahmi,"Pasar Alai, Los L-003",,081374420002',
  'P.1.0109.01.0001,PT Media Iklan Andalas,"Jl. Khatib Sulaiman No. 8, Padang",iklan@andalas.example,+62751440001',
  'P.1.0109.01.0002,CV Baliho Ranah Minang,"Jl. Veteran No. 3, Padang",,',
  'P.2.0501.01.0003,"=HYPERLINK(""http://evil.example"")",Pasar Raya,,',
  'P.2.0501.01.0004,Toko Kain Saiyo,Pasar Raya,not-an-email,',
].join('\n');

const STALLS_CSV = [
  'code,name,payer_npwrd,market,market_class,stall_type,area_m2,block',
  'PRP-A-001,Kios A-001 Pasar Raya,P.2.0501.01.0001,Pasar Raya Padang,I,kios,12,A',
  'PRP-A-002,Kios A-002 Pasar Raya,P.2.0501.01.0001,Pasar Raya Padang,I,kios,"7,25",A',
  'PBL-L-010,Los L-010 Pasar Belimbing,P.2.0501.01.0002,Pasar Belimbing,III,los,1.5,L',
  'PAL-L-003,Los L-003 Pasar Alai,P.2.0501.01.0002,Pasar Alai,II,los,3.3,L',
  'PAL-K-099,Kios K-099 Pasar Alai,P.2.0501.01.0002,Pasar Alai,IV,kios,10,K',
].join('\r\n');

const BILLBOARDS_CSV = [
  'code,name,payer_npwrd,reklame_type,area_m2,sides,road_class,duration_months,location,permit_no',
  'RKL-0001,Billboard Simpang Haru,P.1.0109.01.0001,billboard,24,2,I,12,Jl. Jend. Sudirman,503/RK/001/2026',
  'RKL-0002,Neon box Toko Buku,P.1.0109.01.0001,neon_box,1.01,1,III,12,Jl. Pemuda,503/RK/002/2026',
  'RKL-0003,Baliho Pameran,P.1.0109.01.0002,baliho,15,1,II,3,Jl. Khatib Sulaiman,503/RK/003/2026',
  'RKL-0004,Baliho tanpa ukuran,P.1.0109.01.0002,baliho,lebar,1,II,3,Jl. Veteran,503/RK/004/2026',
].join('\n');

describe('Onboarding: billboard tax and market stalls brought as configuration, billed and paid', () => {
  let stack: Stack;
  let admin: string;
  let bapenda: string;
  let disdag: string;

  beforeAll(async () => {
    stack = await startStack();
    admin = stack.token({ role: 'admin' });
    bapenda = stack.token({ role: 'opd_admin', opd: 'BAPENDA' });
    disdag = stack.token({ role: 'opd_admin', opd: 'DISDAG' });
  });
  afterAll(() => stack.close());

  const api = (method: 'get' | 'post' | 'patch', url: string, token: string) =>
    request(stack.url)[method](url).set('Authorization', `Bearer ${token}`);
  const csv = (url: string, token: string, text: string) => api('post', url, token).set('Content-Type', 'text/csv').send(text);

  async function assess(levy: string, period: string, token: string) {
    const res = await api('post', '/api/v1/assessments', token).send({ levy_type: levy, period });
    expect(res.status).toBe(202);
    return waitFor(`${levy} ${period} assessed`, async () => {
      const r = await api('get', `/api/v1/assessments/${res.body.id}`, token);
      return r.body.status === 'running' ? undefined : r.body;
    });
  }

  async function bills(levy: string, period: string, token = admin) {
    const res = await api('get', '/api/v1/bills', token).query({ levy_type: levy, period, limit: 100 });
    expect(res.status).toBe(200);
    return res.body.data as Array<Record<string, any>>;
  }

  async function bill(billNo: string, token = admin) {
    const res = await api('get', `/api/v1/bills/${billNo}`, token);
    expect(res.status).toBe(200);
    return res.body;
  }

  it('When each OPD posts its definition, then its levy type exists with version 1, and not for another OPD', async () => {
    const wrongOpd = await api('post', '/api/v1/levy-types', disdag).send(definition('pajak-reklame'));
    expect(wrongOpd.status).toBe(403);

    const reklame = await api('post', '/api/v1/levy-types', bapenda).send(definition('pajak-reklame'));
    expect(reklame.status).toBe(201);
    expect(reklame.headers.location).toBe('/api/v1/levy-types/pajak-reklame');
    expect(reklame.body).toMatchObject({ code: 'pajak-reklame', kind: 'pajak', opd: { code: 'BAPENDA' } });
    expect(reklame.body.versions).toHaveLength(1);
    expect(reklame.body.versions[0]).toMatchObject({ version: 1, period_kind: 'yearly', billing_unit: 'per_object', document_type: 'SKPD' });

    const pasar = await api('post', '/api/v1/levy-types', disdag).send(definition('retribusi-pasar'));
    expect(pasar.status).toBe(201);
    expect(pasar.body.versions[0]).toMatchObject({ period_kind: 'monthly', billing_unit: 'per_payer', account_codes: [{ principal: '4.1.02.01.05' }] });

    const again = await api('post', '/api/v1/levy-types', disdag).send(definition('retribusi-pasar'));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('levy_type_exists');
  });

  it('An OPD admin sees only its own OPD’s levy types', async () => {
    const list = await api('get', '/api/v1/levy-types', disdag);
    expect(list.body.data.map((l: { code: string }) => l.code)).toEqual(['retribusi-pasar']);
    expect((await api('get', '/api/v1/levy-types/pajak-reklame', disdag)).status).toBe(404);
    expect((await api('get', '/api/v1/levy-types/pajak-reklame', bapenda)).status).toBe(200);
  });

  it('When payers are imported by CSV, then good rows are registered and bad ones reported by row, column and reason', async () => {
    const res = await csv('/api/v1/payers/imports', disdag, PAYERS_CSV);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: 6, created: 4, unchanged: 0 });
    expect(res.body.rejected).toEqual([
      { row: 6, column: 'name', reason: expect.stringMatching(/formula/) },
      { row: 7, column: 'email', reason: 'is not an email address' },
    ]);

    const again = await csv('/api/v1/payers/imports', bapenda, PAYERS_CSV);
    expect(again.body).toMatchObject({ created: 0, unchanged: 4 });
    const payer = await api('get', '/api/v1/payers/P.2.0501.01.0002', bapenda);
    expect(payer.body).toMatchObject({ name: 'Uni Rahmi', email: null, phone: '081374420002', registered_by_opd: 'DISDAG' });
  });

  it('When stalls are imported by CSV, then the valid ones are registered and the bad row is reported', async () => {
    const res = await csv('/api/v1/objects/imports?levy_type=retribusi-pasar', disdag, STALLS_CSV);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ levy_type: 'retribusi-pasar', rows: 5, created: 4, updated: 0, unchanged: 0 });
    expect(res.body.rejected).toEqual([{ row: 6, column: 'market_class', reason: 'must be equal to one of the allowed values: I, II, III' }]);

    const again = await csv('/api/v1/objects/imports?levy_type=retribusi-pasar', disdag, STALLS_CSV);
    expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 4 });
    const other = await csv('/api/v1/objects/imports?levy_type=retribusi-pasar', bapenda, STALLS_CSV);
    expect(other.status).toBe(404);
  });

  it('When billboards are imported by CSV, then a row whose size is not a number is reported', async () => {
    const res = await csv('/api/v1/objects/imports?levy_type=pajak-reklame', bapenda, BILLBOARDS_CSV);
    expect(res.body).toMatchObject({ rows: 4, created: 3 });
    expect(res.body.rejected).toEqual([{ row: 5, column: 'area_m2', reason: 'is not a number' }]);
    const listed = await api('get', '/api/v1/objects', bapenda).query({ levy_type: 'pajak-reklame' });
    expect(listed.body.data.map((o: { code: string }) => o.code)).toEqual(['RKL-0001', 'RKL-0002', 'RKL-0003']);
    expect(listed.body.data[1].attributes).toMatchObject({ area_m2: 1.01, sides: 1, road_class: 'III' });
    expect((await api('get', '/api/v1/objects', disdag).query({ levy_type: 'pajak-reklame' })).body.data).toEqual([]);
  });

  it('When January 2027 is assessed for the markets, then each trader gets one SKRD with a line per stall, as worked by hand', async () => {
    const run = await assess('retribusi-pasar', '2027-01', disdag);
    expect(run).toMatchObject({ status: 'completed', objects_considered: 4, bills_created: 2, lines_created: 4, amount_created: 965_600 });
    const list = await bills('retribusi-pasar', '2027-01', disdag);
    const byPayer = Object.fromEntries(list.map((b) => [b.payer.npwrd, b]));
    expect(byPayer['P.2.0501.01.0001'].amount).toBe(866_300);
    expect(byPayer['P.2.0501.01.0002'].amount).toBe(99_300);
    for (const b of list) {
      expect(b.document_type).toBe('SKRD');
      expect(b.bill_no).toMatch(/^DISDAG-2027-00000[12]$/);
      expect(b.due_date).toBe('2027-02-10');
    }
    const rahmi = await bill(byPayer['P.2.0501.01.0002'].bill_no, disdag);
    expect(rahmi.lines.map((l: any) => [l.object_code, l.amount, l.account_code])).toEqual([
      ['PBL-L-010', 25_000, '4.1.02.01.05'],
      ['PAL-L-003', 74_300, '4.1.02.01.05'],
    ]);
    expect(rahmi.lines[0].description).toBe('1,5 m² × Rp15.000 per m² sebulan (los pasar kelas III); dikenakan tarif minimum Rp25.000');
    expect(rahmi.lines[0].calculation).toMatchObject({ unrounded: '22500', bounded: { by: 'minimum', rounded: 22_500 }, amount: 25_000 });
    expect(rahmi.lines[1].calculation).toMatchObject({ inputs: { rate_per_m2: '22500', area_m2: '3.3' }, unrounded: '74250', amount: 74_300 });
  });

  it('When 2027 is assessed for billboards, then each billboard gets its own SKPD at 25% of its rental value', async () => {
    const run = await assess('pajak-reklame', '2027', bapenda);
    expect(run).toMatchObject({ status: 'completed', bills_created: 3, lines_created: 3, amount_created: 5_813_250 });
    const list = await bills('pajak-reklame', '2027', bapenda);
    const amounts = await Promise.all(list.map(async (b) => [(await bill(b.bill_no)).lines[0].object_code, b.amount, b.document_type]));
    expect(amounts.sort()).toEqual([
      ['RKL-0001', 5_400_000, 'SKPD'],
      ['RKL-0002', 75_750, 'SKPD'],
      ['RKL-0003', 337_500, 'SKPD'],
    ]);
    const first = await bill(list.find((b) => b.amount === 5_400_000)!.bill_no);
    expect(first.lines[0].account_code).toBe('4.1.01.09');
    expect(first.lines[0].description).toBe('25% × NSR Rp21.600.000 (24 m² × 2 sisi × Rp25.000 × 1,5 (jalan kelas I) × 12 bulan)');
    expect(first.lines[0].calculation.steps).toEqual([
      { name: 'base', expression: 'area_m2 * sides * value_per_m2_month * road_coef * duration_months', value: '21600000' },
    ]);
  });

  it('An OPD admin sees only its own OPD’s bills', async () => {
    expect(await bills('pajak-reklame', '2027', disdag)).toEqual([]);
    const all = await api('get', '/api/v1/bills', bapenda).query({ limit: 100 });
    expect(all.body.data.every((b: { opd: { code: string } }) => b.opd.code === 'BAPENDA')).toBe(true);
  });

  it('When the workers have run, then every bill of both levies has a live VA at the bank for its amount', async () => {
    const issued = await waitFor('every bill issued', async () => {
      const list = [...(await bills('retribusi-pasar', '2027-01')), ...(await bills('pajak-reklame', '2027'))];
      return list.every((b) => b.status === 'issued') ? list : undefined;
    });
    expect(issued).toHaveLength(5);
    // The billboard tax banks with BNI eCollection, the market levy with Bank Nagari over SNAP.
    const atBni = new Map(stack.sim.bills().map((b) => [b.trxId, { amount: b.amount, virtualAccount: b.virtualAccount }]));
    const atNagari = new Map(stack.nagari.vas().map((v) => [v.trxId, { amount: v.amount, virtualAccount: v.virtualAccountNo.replace(/ /g, '') }]));
    for (const b of issued) {
      const atBank = b.levy_type === 'retribusi-pasar' ? atNagari : atBni;
      expect(atBank.get(b.trx_id)).toEqual({ amount: b.amount, virtualAccount: b.virtual_account });
    }
  });

  it('When a trader pays at the bank, then the signed notification marks the bill paid', async () => {
    const [sinar] = (await bills('retribusi-pasar', '2027-01')).filter((b) => b.payer.npwrd === 'P.2.0501.01.0001');
    expect(sinar.amount).toBe(866_300);
    const paid = await stack.nagari.pay(sinar.trx_id);
    expect((paid.callback?.body as { responseCode: string }).responseCode).toBe('2002500');
    await waitFor('the stall bill paid', async () => {
      const b = await api('get', `/api/v1/bills/${sinar.bill_no}`, admin);
      return b.body.status === 'paid' && b.body.paid_amount === 866_300 ? true : undefined;
    });
  });

  it('When the market rates change from February, then January keeps its version and prints the same, and February bills at the new rate', async () => {
    const [jan] = await bills('retribusi-pasar', '2027-01');
    const pdf = async () =>
      (
        await api('get', `/api/v1/bills/${jan.bill_no}/skrd.pdf`, admin)
          .buffer(true)
          .parse(binary)
      ).body as Buffer;
    const before = await pdf();

    const tariff = definition('retribusi-pasar').tariff;
    tariff.table.rows[0].value = 50000; // kios, class I
    const changed = await api('patch', '/api/v1/levy-types/retribusi-pasar', disdag).send({ effective_from: '2027-02-01', tariff });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ outcome: 'versioned', version: 2 });
    expect(changed.body.levy_type.versions.map((v: any) => [v.version, v.effective_from])).toEqual([
      [1, '2024-01-05'],
      [2, '2027-02-01'],
    ]);
    const same = await api('patch', '/api/v1/levy-types/retribusi-pasar', disdag).send({ effective_from: '2027-02-01', tariff });
    expect(same.body).toMatchObject({ outcome: 'unchanged', version: 2 });

    expect((await pdf()).equals(before)).toBe(true);
    expect((await bill(jan.bill_no)).lines.map((l: any) => l.amount)).toEqual((await bill(jan.bill_no)).lines.map((l: any) => l.calculation.amount));

    const feb = await assess('retribusi-pasar', '2027-02', disdag);
    // 12 × 50.000 + 7,25 × 50.000 = 600.000 + 362.500, and Uni Rahmi's stalls as before.
    expect(feb).toMatchObject({ status: 'completed', bills_created: 2, amount_created: 600_000 + 362_500 + 99_300 });
  });

  it('When the market levy is retired from March, then March bills nothing, but January’s bills stay payable', async () => {
    const legal = definition('retribusi-pasar').legal_basis;
    const retired = await api('patch', '/api/v1/levy-types/retribusi-pasar', disdag).send({
      effective_from: '2027-03-01',
      legal_basis: { ...legal, valid_to: '2027-02-28' },
    });
    expect(retired.body).toMatchObject({ outcome: 'versioned', version: 3 });

    const march = await api('post', '/api/v1/assessments', disdag).send({ levy_type: 'retribusi-pasar', period: '2027-03' });
    expect(march.status).toBe(409);
    expect(march.body.error.code).toBe('levy_not_in_force');
    const onRequest = await api('post', '/api/v1/bills', disdag).send({
      levy_type: 'retribusi-pasar',
      payer: 'P.2.0501.01.0002',
      period: '2027-03',
      objects: [{ attributes: { market: 'Pasar Alai', market_class: 'II', stall_type: 'los', area_m2: 2 } }],
    });
    expect(onRequest.status).toBe(409);
    expect(onRequest.body.error.code).toBe('levy_not_in_force');

    const [rahmi] = (await bills('retribusi-pasar', '2027-01')).filter((b) => b.payer.npwrd === 'P.2.0501.01.0002');
    expect(rahmi.status).toBe('issued');
    // A retired levy still collects its arrears.
    await stack.nagari.pay(rahmi.trx_id);
    await waitFor('the arrears paid', async () => {
      const b = await api('get', `/api/v1/bills/${rahmi.bill_no}`, admin);
      return b.body.status === 'paid' && b.body.paid_amount === 99_300 ? true : undefined;
    });
  });

  it('A preview computes bills for objects not yet registered, and saves nothing', async () => {
    const before = await bills('pajak-reklame', '2027');
    const res = await api('post', '/api/v1/levy-types/pajak-reklame/preview', bapenda).send({
      period: '2027',
      objects: [
        { code: 'NEW-1', attributes: { reklame_type: 'baliho', area_m2: 2.5, sides: 1, road_class: 'II', duration_months: 1, location: 'Jl. Hamka' } },
        { code: 'NEW-2', attributes: { reklame_type: 'baliho', area_m2: 2.5, sides: 1, road_class: 'IV', duration_months: 1, location: 'Jl. Hamka' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ levy_type: 'pajak-reklame', version: 1, period: '2027', document_type: 'SKPD' });
    expect(res.body.bills).toHaveLength(1);
    expect(res.body.bills[0]).toMatchObject({ amount: 18_750, lines: [{ object_code: 'NEW-1', amount: 18_750, account_code: '4.1.01.09' }] });
    expect(res.body.rejected).toEqual([{ index: 1, object_code: 'NEW-2', field: 'objects[1].attributes', reason: expect.stringMatching(/road_class/) }]);
    expect(await bills('pajak-reklame', '2027')).toHaveLength(before.length);
  });

  it('When a billboard SKPD is left unpaid, then its demand for arrears is an STPD (a tax), at the bank and on paper', async () => {
    const unpaid = (await bills('pajak-reklame', '2027')).filter((b) => b.status === 'issued');
    expect(unpaid.length).toBeGreaterThan(0);
    const report = await runDunning(db(), '2027-03-15');
    expect(report.failures).toEqual([]);
    const demands = [];
    for (const b of unpaid) {
      const demand = await db()('bills as d')
        .join('bills as b', 'b.id', 'd.supersedes_bill_id')
        .where('b.bill_no', b.bill_no)
        .first('d.*');
      expect(demand).toMatchObject({ document_type: 'STPD', amount: b.amount + Math.round(b.amount * 0.02) });
      expect(stack.sim.state.bills.get(demand.trx_id)?.description).toBe(`STPD atas SKPD ${b.bill_no}`);
      demands.push(demand);
    }
    const pdf = await api('get', `/api/v1/bills/${demands[0].bill_no}/skrd.pdf`, admin).buffer(true).parse(binary);
    expect(pdf.status).toBe(200);
    const text = pdfText(pdf.body as Buffer).join('\n');
    expect(text).toContain('STPD');
    expect(text).not.toContain('STRD');
  });
});
