import request from 'supertest';
import { db } from '../../src/db';
import { startStack, Stack, waitFor } from '../support/harness';
import { assessAndIssue, bniEnvelope, expectLedgerVerified, postNotification } from '../support/payments';
import { binary } from '../support/pdf-text';

type Bill = { id: number; bill_no: string; trx_id: string; virtual_account: string; amount: number; payer_id: number };

describe('Finance reports: daily recap, realisation, arrears ageing, objects per payer', () => {
  let stack: Stack;
  let bills: Bill[];
  let finance: string;
  const D1 = '2026-11-20';
  const D2 = '2026-11-21';
  const OVERPAID = 7_500;

  const get = (path: string, token = finance) => request(stack.url).get(`/api/v1${path}`).set('Authorization', `Bearer ${token}`);
  const npwrdOf = async (b: Bill) => (await db()('payers').where({ id: b.payer_id }).first('npwrd')).npwrd as string;

  beforeAll(async () => {
    stack = await startStack();
    finance = stack.token({ role: 'finance' });
    bills = await assessAndIssue(stack, '2027');
    await stack.sim.pay(bills[0].trx_id, { paidAt: new Date('2026-11-20T16:30:00Z') });
    await stack.sim.pay(bills[1].trx_id, { amount: Math.floor(bills[1].amount / 3), paidAt: new Date('2026-11-20T02:00:00Z') });
    await db()('bills').where({ id: bills[2].id }).update({ billing_type: 'o' });
    await postNotification(
      stack,
      bniEnvelope({
        trx_id: bills[2].trx_id,
        virtual_account: bills[2].virtual_account,
        trx_amount: bills[2].amount,
        payment_amount: bills[2].amount + OVERPAID,
        cumulative_payment_amount: bills[2].amount + OVERPAID,
        payment_ntb: 'OVER-0002',
        paidAt: new Date('2026-11-20T05:00:00Z'),
      }),
    );
    await stack.sim.pay(bills[3].trx_id, { paidAt: new Date('2026-11-20T17:30:00Z') });
    await stack.sim.pay(bills[4].trx_id, { paidAt: new Date('2026-03-10T03:00:00Z') });
    await waitFor('five payments applied', async () => Number((await db()('payments').count<{ count: number }[]>('* as count'))[0].count) === 5);
  });
  afterAll(() => stack.close());

  describe('Daily recap', () => {
    it("When the recap of a day is asked, then its totals equal the ledger's clearing debits for that WIB day", async () => {
      const res = await get(`/reports/daily-recap?from=${D1}&to=${D1}`);
      expect(res.status).toBe(200);
      const { rows } = await db().raw(
        `SELECT coalesce(sum(l.debit), 0)::bigint AS debits FROM ledger_lines l JOIN ledger_entries e ON e.id = l.entry_id
          WHERE l.account LIKE 'clearing:%' AND (e.occurred_at AT TIME ZONE 'Asia/Jakarta')::date = ?::date`,
        [D1],
      );
      const revenue = bills[0].amount + Math.floor(bills[1].amount / 3) + bills[2].amount;
      expect(res.body.totals).toEqual({ payments: 3, revenue, credit: OVERPAID, received: rows[0].debits });
      expect(res.body.totals.received).toBe(revenue + OVERPAID);
      expect(res.body.rows).toEqual([
        { date: D1, opd_code: 'DISKOMINFO', opd_name: 'Dinas Komunikasi dan Informatika', channel_code: 'bni-ecollection', channel_name: 'BNI eCollection (Diskominfo)', kind: 'pendapatan', account_code: '4.1.02.01.13.0001', payments: 3, amount: revenue },
        { date: D1, opd_code: 'DISKOMINFO', opd_name: 'Dinas Komunikasi dan Informatika', channel_code: 'bni-ecollection', channel_name: 'BNI eCollection (Diskominfo)', kind: 'kelebihan_bayar', account_code: null, payments: 1, amount: OVERPAID },
      ]);
    });

    it('When two days are asked, then each payment is on the WIB day it was paid (00:30 WIB is the next day)', async () => {
      const res = await get(`/reports/daily-recap?from=${D1}&to=${D2}`);
      const revenueByDay = res.body.rows.filter((r: { kind: string }) => r.kind === 'pendapatan').map((r: { date: string; amount: number }) => [r.date, r.amount]);
      expect(revenueByDay).toEqual([
        [D1, bills[0].amount + Math.floor(bills[1].amount / 3) + bills[2].amount],
        [D2, bills[3].amount],
      ]);
    });

    it('As CSV (by Accept or ?format=csv) and as PDF', async () => {
      const byAccept = await get(`/reports/daily-recap?from=${D1}&to=${D2}`).set('Accept', 'text/csv');
      expect(byAccept.status).toBe(200);
      expect(byAccept.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(byAccept.headers['content-disposition']).toBe(`attachment; filename="rekap-harian-${D1}-${D2}.csv"`);
      const lines = byAccept.text.split('\r\n');
      expect(lines[0]).toBe('date,opd_code,channel_code,kind,account_code,payments,amount');
      expect(lines[1]).toBe(`${D1},DISKOMINFO,bni-ecollection,pendapatan,4.1.02.01.13.0001,3,${bills[0].amount + Math.floor(bills[1].amount / 3) + bills[2].amount}`);
      expect(lines[2]).toBe(`${D1},DISKOMINFO,bni-ecollection,kelebihan_bayar,,1,${OVERPAID}`);
      expect(lines).toHaveLength(5);
      const byParam = await get(`/reports/daily-recap?from=${D1}&to=${D2}&format=csv`);
      expect(byParam.text).toBe(byAccept.text);

      const pdf = await get(`/reports/daily-recap?from=${D1}&to=${D2}&format=pdf`).buffer(true).parse(binary);
      expect(pdf.status).toBe(200);
      expect(pdf.headers['content-type']).toBe('application/pdf');
      expect((pdf.body as Buffer).subarray(0, 5).toString()).toBe('%PDF-');
    });
  });

  describe('Arrears ageing', () => {
    const AS_OF = '2027-06-30';
    // Bill index → hand-made due date and the bucket it must land in as of 30 June 2027.
    const DUE: Array<[number, string, string]> = [
      [6, '2027-06-30', 'days_0_30'],
      [7, '2027-05-31', 'days_0_30'],
      [8, '2027-05-30', 'days_31_90'],
      [9, '2027-04-01', 'days_31_90'],
      [10, '2027-01-01', 'days_91_180'],
      [11, '2026-12-31', 'days_181_365'],
      [12, '2026-06-30', 'days_181_365'],
      [13, '2026-06-29', 'days_over_365'],
      [14, '2027-07-01', 'not_due'],
      [1, '2027-03-01', 'days_91_180'],
    ];

    beforeAll(async () => {
      for (const [i, due] of DUE) await db()('bills').where({ id: bills[i].id }).update({ due_date: due });
      await db()('bills').where({ id: bills[15].id }).update({ status: 'expired' });
      await db()('bills').where({ id: bills[16].id }).update({ status: 'cancelled' });
    });

    it('When ageing is asked as of a day, then each payer\'s outstanding lands in the bucket of its days past due', async () => {
      const res = await get(`/reports/arrears-ageing?as_of=${AS_OF}`);
      expect(res.status).toBe(200);
      const byNpwrd = new Map(res.body.payers.map((p: { npwrd: string }) => [p.npwrd, p]));
      for (const [i, , bucket] of DUE) {
        const b = await db()('bills').where({ id: bills[i].id }).first();
        const row = byNpwrd.get(await npwrdOf(bills[i])) as Record<string, number>;
        const outstanding = b.amount - b.paid_amount;
        expect({ bill: i, [bucket]: row[bucket], total: row.total }).toEqual({ bill: i, [bucket]: outstanding, total: outstanding });
      }
      // Paid and cancelled bills owe nothing; an expired one still does.
      for (const i of [0, 2, 3, 4, 16]) expect(byNpwrd.has(await npwrdOf(bills[i]))).toBe(false);
      expect(byNpwrd.has(await npwrdOf(bills[15]))).toBe(true);

      const open = await db()('bills').whereIn('status', ['issued', 'partially_paid', 'expired']).select(db().raw('sum(amount - paid_amount)::bigint AS owed, count(*)::int AS n'));
      expect(res.body.totals.total).toBe(open[0].owed);
      expect(res.body.totals.bills).toBe(open[0].n);
      const buckets = ['not_due', 'days_0_30', 'days_31_90', 'days_91_180', 'days_181_365', 'days_over_365'];
      expect(buckets.reduce((s, k) => s + res.body.totals[k], 0)).toBe(res.body.totals.total);
    });

    it('When from/to are given, then only bills due in that range are aged', async () => {
      const res = await get(`/reports/arrears-ageing?as_of=${AS_OF}&from=2027-05-01&to=2027-06-30`);
      const expected = await Promise.all([6, 7, 8].map((i) => npwrdOf(bills[i])));
      expect(res.body.payers.map((p: { npwrd: string }) => p.npwrd).sort()).toEqual(expected.sort());
    });

    it('As CSV a payer name that looks like a formula is defused; as PDF it is a real PDF', async () => {
      await db()('payers').where({ id: bills[6].payer_id }).update({ name: '=HYPERLINK("http://evil.example","klik")' });
      const csv = await get(`/reports/arrears-ageing?as_of=${AS_OF}&format=csv`);
      expect(csv.text.split('\r\n')[0]).toBe('npwrd,name,bills,not_due,days_0_30,days_31_90,days_91_180,days_181_365,days_over_365,total');
      expect(csv.text).toContain(`,"'=HYPERLINK(""http://evil.example"",""klik"")",1,`);
      const pdf = await get(`/reports/arrears-ageing?as_of=${AS_OF}`).set('Accept', 'application/pdf').buffer(true).parse(binary);
      expect((pdf.body as Buffer).subarray(0, 5).toString()).toBe('%PDF-');
    });
  });

  describe('Realisation against the target', () => {
    const put = (path: string, body: object, token = finance) => request(stack.url).put(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).send(body);
    const TARGET = 2_350_000_000;

    it('When finance sets a target, then it is stored and audited, and setting it again replaces it', async () => {
      const first = await put('/targets/retribusi-menara/2026', { amount: 1 });
      expect(first.status).toBe(200);
      const res = await put('/targets/retribusi-menara/2026', { amount: TARGET });
      expect(res.body).toMatchObject({ levy_type: 'retribusi-menara', fiscal_year: 2026, amount: TARGET, updated_by: 'finance:test' });
      const audit = await db()('audit_log').where({ entity_type: 'revenue_target', entity_id: 'retribusi-menara:2026' }).orderBy('seq');
      expect(audit.map((a: { before: unknown; after: unknown }) => [a.before, a.after])).toEqual([
        [null, { amount: 1 }],
        [{ amount: 1 }, { amount: TARGET }],
      ]);
    });

    it('When realisation for the year is asked, then it is shown by month and quarter with running totals against the target', async () => {
      const res = await get('/reports/realisation?year=2026');
      expect(res.status).toBe(200);
      const levy = res.body.levy_types.find((l: { levy_type: string }) => l.levy_type === 'retribusi-menara');
      const march = bills[4].amount;
      const november = bills[0].amount + Math.floor(bills[1].amount / 3) + bills[2].amount + bills[3].amount;
      const pct = (n: number) => Math.floor((n * 10000) / TARGET) / 100;
      expect(levy.target).toBe(TARGET);
      expect(levy.realised).toBe(march + november);
      expect(levy.percent_of_target).toBe(pct(march + november));
      expect(levy.months).toHaveLength(12);
      expect(levy.months[2]).toEqual({ period: '2026-03', realised: march, cumulative: march, percent_of_target: pct(march) });
      expect(levy.months[10]).toEqual({ period: '2026-11', realised: november, cumulative: march + november, percent_of_target: pct(march + november) });
      expect(levy.quarters.map((q: { period: string; realised: number }) => [q.period, q.realised])).toEqual([
        ['2026-Q1', march],
        ['2026-Q2', 0],
        ['2026-Q3', 0],
        ['2026-Q4', november],
      ]);
      expect(levy.quarters[3].cumulative).toBe(march + november);
    });

    it('When a range inside the year is asked, then only its months count', async () => {
      const res = await get('/reports/realisation?year=2026&from=2026-11-01&to=2026-11-20');
      const levy = res.body.levy_types.find((l: { levy_type: string }) => l.levy_type === 'retribusi-menara');
      expect(levy.months.map((m: { period: string }) => m.period)).toEqual(['2026-11']);
      expect(levy.realised).toBe(bills[0].amount + Math.floor(bills[1].amount / 3) + bills[2].amount);
      const csv = await get('/reports/realisation?year=2026&from=2026-11-01&format=csv');
      expect(csv.text.split('\r\n')[0]).toBe('levy_type,kind,period,target,realised,cumulative,percent_of_target');
      expect(csv.text).toContain(`retribusi-menara,tahun,2026,${TARGET},`);
    });

    it.each([
      ['auditor', 403],
      ['opd_admin', 403],
      ['payer', 403],
    ])('A %s may not set a target', async (role, status) => {
      const token = stack.token({ role: role as 'auditor', opd: 'DISKOMINFO', npwrd: 'X' });
      expect((await put('/targets/retribusi-menara/2027', { amount: 5 }, token)).status).toBe(status);
    });

    it.each([
      ['/targets/retribusi-menara/2027', { amount: -1 }, 400, 'validation_failed'],
      ['/targets/retribusi-menara/2027', { amount: 1.5 }, 400, 'validation_failed'],
      ['/targets/retribusi-menara/2027', { amount: '5' }, 400, 'validation_failed'],
      ['/targets/retribusi-menara/1999', { amount: 5 }, 400, 'validation_failed'],
      ['/targets/no-such-levy/2027', { amount: 5 }, 404, 'levy_type_not_found'],
    ])('PUT %s %j answers %i %s', async (path, body, status, code) => {
      const res = await put(path, body);
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
    });
  });

  describe('Towers per provider by kecamatan', () => {
    const KECAMATAN = [
      'Padang Barat',
      'Padang Timur',
      'Padang Utara',
      'Padang Selatan',
      'Nanggalo',
      'Kuranji',
      'Lubuk Begalung',
      'Lubuk Kilangan',
      'Pauh',
      'Koto Tangah',
      'Bungus Teluk Kabung',
    ];

    it('When asked by kecamatan, then each provider\'s towers and amounts add up to its bill, and every kecamatan to the lines', async () => {
      const res = await get('/reports/payer-objects?levy_type=retribusi-menara&period=2027&by=kecamatan');
      expect(res.status).toBe(200);
      const counted = await db()('bills as b')
        .join('payers as p', 'p.id', 'b.payer_id')
        .join('bill_lines as l', 'l.bill_id', 'b.id')
        .join('objects as o', 'o.id', 'l.object_id')
        .where('b.period', '2027')
        .whereNot('b.status', 'cancelled')
        .groupBy('p.npwrd', 'kecamatan')
        .select('p.npwrd', db().raw(`o.attributes ->> 'kecamatan' AS kecamatan`), db().raw('count(*)::int AS towers'), db().raw('sum(l.amount)::bigint AS billed'));
      const bills2027 = await db()('bills as b').join('payers as p', 'p.id', 'b.payer_id').where('b.period', '2027').whereNot('b.status', 'cancelled').select('p.npwrd', 'b.amount', 'b.paid_amount', 'b.status');

      for (const payer of res.body.payers) {
        const bill = bills2027.find((b: { npwrd: string }) => b.npwrd === payer.npwrd);
        expect({ npwrd: payer.npwrd, billed: payer.billed, paid: payer.paid, outstanding: payer.outstanding }).toEqual({
          npwrd: payer.npwrd,
          billed: bill.amount,
          paid: bill.paid_amount,
          outstanding: bill.amount - bill.paid_amount,
        });
        const sum = (k: string) => payer.breakdown.reduce((s: number, b: Record<string, number>) => s + b[k], 0);
        for (const k of ['objects_billed', 'objects_paid', 'objects_outstanding', 'billed', 'paid', 'outstanding']) expect(sum(k)).toBe(payer[k]);
        expect(payer.objects_paid).toBe(bill.status === 'paid' ? payer.objects_billed : 0);
        for (const b of payer.breakdown) {
          expect(KECAMATAN).toContain(b.value);
          const db1 = counted.find((c: { npwrd: string; kecamatan: string }) => c.npwrd === payer.npwrd && c.kecamatan === b.value);
          expect([b.objects_billed, b.billed]).toEqual([db1.towers, db1.billed]);
        }
      }
      expect(res.body.payers).toHaveLength(bills2027.length);
      expect(res.body.totals.billed).toBe(bills2027.reduce((s: number, b: { amount: number }) => s + b.amount, 0));
      expect(res.body.totals.paid).toBe(bills2027.reduce((s: number, b: { paid_amount: number }) => s + b.paid_amount, 0));
      expect(res.body.totals.objects_billed).toBe(counted.reduce((s: number, c: { towers: number }) => s + c.towers, 0));
      expect(res.body.totals.breakdown.reduce((s: number, b: { billed: number }) => s + b.billed, 0)).toBe(res.body.totals.billed);

      // The partly paid provider's payment is spread over its towers, to the rupiah.
      const partial = res.body.payers.find((p: { npwrd: string }) => p.npwrd === bills2027.find((b: { status: string }) => b.status === 'partially_paid').npwrd);
      expect(partial.paid).toBe(Math.floor(bills[1].amount / 3));
      expect(partial.objects_paid).toBe(0);
      expect(partial.objects_outstanding).toBe(partial.objects_billed);
    });

    it('Without `by` there is no breakdown; as CSV the attribute is a column and provider subtotals stay out', async () => {
      const plain = await get('/reports/payer-objects?levy_type=retribusi-menara&period=2027');
      expect(plain.body.by).toBeNull();
      expect(plain.body.payers[0].breakdown).toBeUndefined();
      const csv = await get('/reports/payer-objects?levy_type=retribusi-menara&period=2027&by=kecamatan&format=csv');
      const [header, ...rows] = csv.text.trimEnd().split('\r\n');
      expect(header).toBe('npwrd,name,kecamatan,objects_billed,objects_paid,objects_outstanding,billed,paid,outstanding');
      const billed = rows.reduce((s, r) => s + Number(r.split(',').at(-3)), 0);
      expect(billed).toBe(plain.body.totals.billed);
    });

    it.each([
      ['by=colour', 400, 'unknown_object_attribute'],
      ['by=tenants', 400, 'unsupported_object_attribute'],
      ['by=kecamatan;drop', 400, 'validation_failed'],
    ])('When asked with %s, then it answers %i %s', async (query, status, code) => {
      const res = await get(`/reports/payer-objects?levy_type=retribusi-menara&${query}`);
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
    });
  });

  describe('Who sees what', () => {
    const paths = [
      `/reports/daily-recap?from=${D1}&to=${D2}`,
      '/reports/realisation?year=2026',
      '/reports/arrears-ageing?as_of=2027-06-30',
      '/reports/payer-objects?levy_type=retribusi-menara',
    ];

    it.each(paths)('A payer is refused %s', async (path) => {
      const res = await get(path, stack.token({ role: 'payer', npwrd: await npwrdOf(bills[0]) }));
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    });

    it.each(paths)('An auditor and the OPD admin of the tower levy see %s as finance does', async (path) => {
      const asFinance = await get(path);
      expect(asFinance.status).toBe(200);
      for (const token of [stack.token({ role: 'auditor' }), stack.token({ role: 'opd_admin', opd: 'DISKOMINFO' })]) {
        const res = await get(path, token);
        expect(res.status).toBe(200);
        expect({ ...res.body, opd: null }).toEqual({ ...asFinance.body, opd: null });
      }
    });

    it("Another OPD's admin sees none of the tower levy's figures", async () => {
      const other = stack.token({ role: 'opd_admin', opd: 'BAPENDA' });
      const recap = await get(`/reports/daily-recap?from=${D1}&to=${D2}`, other);
      expect(recap.body).toMatchObject({ opd: 'BAPENDA', rows: [], totals: { payments: 0, revenue: 0, credit: 0, received: 0 } });
      expect((await get('/reports/arrears-ageing?as_of=2027-06-30', other)).body.payers).toEqual([]);
      const realisation = await get('/reports/realisation?year=2026', other);
      expect(realisation.body.levy_types.map((l: { levy_type: string }) => l.levy_type)).not.toContain('retribusi-menara');
      expect((await get('/reports/realisation?year=2026&levy_type=retribusi-menara', other)).body.error.code).toBe('levy_type_not_found');
      expect((await get('/reports/payer-objects?levy_type=retribusi-menara', other)).body.error.code).toBe('levy_type_not_found');
    });
  });

  it.each([
    [`/reports/daily-recap?from=${D2}&to=${D1}`, 400, 'invalid_date_range'],
    ['/reports/daily-recap?from=2025-01-01&to=2026-06-01', 400, 'date_range_too_long'],
    ['/reports/daily-recap?from=2026-02-30', 400, 'invalid_date'],
    ['/reports/daily-recap?from=20-11-2026', 400, 'validation_failed'],
    ['/reports/daily-recap?format=xlsx', 400, 'validation_failed'],
    ['/reports/daily-recap?opd=DISKOMINFO', 400, 'validation_failed'],
    ['/reports/realisation?year=20x6', 400, 'validation_failed'],
    ['/reports/realisation?from=2026-12-01&to=2027-01-31', 400, 'date_range_outside_year'],
    ['/reports/realisation?year=2027&from=2026-12-01', 400, 'date_range_outside_year'],
    ['/reports/arrears-ageing?from=2027-06-30&to=2027-01-01', 400, 'invalid_date_range'],
    ['/reports/payer-objects', 400, 'validation_failed'],
    ['/reports/payer-objects?levy_type=no-such-levy', 404, 'levy_type_not_found'],
  ])('GET %s answers %i %s', async (path, status, code) => {
    const res = await get(path);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
  });

  it('The ledger still verifies', async () => {
    await db()('bills').where({ id: bills[15].id }).update({ status: 'issued' });
    await db()('bills').where({ id: bills[16].id }).update({ status: 'issued' });
    await expectLedgerVerified();
  });
});
