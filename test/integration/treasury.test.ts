import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { db } from '../../src/db';
import { queue, QUEUES } from '../../src/queues';
import { closeOpenDays } from '../../src/modules/treasury/close-day';
import { startStack, Stack, waitFor } from '../support/harness';
import { assessAndIssue, bniEnvelope, expectLedgerVerified, postNotification } from '../support/payments';
import { binary, pdfText } from '../support/pdf-text';

const root = path.join(__dirname, '..', '..');
const kasda = (args: string[]) =>
  promisify(execFile)(path.join(root, 'node_modules', '.bin', 'tsx'), ['src/cli.ts', ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'silent' } });

type Bill = { id: number; bill_no: string; trx_id: string; virtual_account: string; amount: number };

/** The payments of a WIB day per channel, worked out by PostgreSQL independently of the code under test. */
async function receiptsOfDay(day: string, channel: string): Promise<string[]> {
  const rows = await db()('payments as p')
    .join('bank_channels as c', 'c.id', 'p.bank_channel_id')
    .where('c.code', channel)
    .whereRaw(`(p.paid_at AT TIME ZONE 'Asia/Jakarta')::date = ?::date`, [day])
    .orderBy('p.receipt_no')
    .pluck('p.receipt_no');
  return rows;
}

describe('STS: a deposit slip per WIB day, OPD and bank channel', () => {
  let stack: Stack;
  let bni: Bill[];
  let nagari: Bill[];
  let finance: string;
  const D0 = '2026-11-19';
  const D1 = '2026-11-20';
  const D2 = '2026-11-21';
  const OVERPAID = 5_000;

  const post = (body: object, token = finance) =>
    request(stack.url).post('/api/v1/treasury/sts').set('Authorization', `Bearer ${token}`).send(body);
  const get = (path: string, token = finance) => request(stack.url).get(`/api/v1/treasury${path}`).set('Authorization', `Bearer ${token}`);
  const paymentCount = async () => Number((await db()('payments').count<{ count: string }[]>('* as count'))[0].count);

  beforeAll(async () => {
    stack = await startStack();
    finance = stack.token({ role: 'finance' });
    bni = await assessAndIssue(stack, '2027');
    // The same levy billed for another period on Bank Nagari (SNAP): a second channel, by configuration.
    const channel = await db()('bank_channels').where({ code: 'bank-nagari' }).first();
    await db()('levy_type_versions').update({ bank_channel_id: channel.id });
    nagari = await assessAndIssue(stack, '2026');

    // 23:30 WIB on D1 is 16:30 UTC: it belongs to D1 whatever the process time zone is.
    await stack.sim.pay(bni[0].trx_id, { paidAt: new Date('2026-11-20T16:30:00Z') });
    // 00:30 WIB on D2 is still D1 in UTC.
    await stack.sim.pay(bni[1].trx_id, { paidAt: new Date('2026-11-20T17:30:00Z') });
    await stack.sim.pay(bni[2].trx_id, { amount: Math.floor(bni[2].amount / 3), paidAt: new Date('2026-11-20T02:00:00Z') });
    const over = bni[3];
    // An open-amount VA (BNI billing type o) takes more than the bill: the rest is the payer's credit.
    await db()('bills').where({ id: over.id }).update({ billing_type: 'o' });
    await postNotification(
      stack,
      bniEnvelope({
        trx_id: over.trx_id,
        virtual_account: over.virtual_account,
        trx_amount: over.amount,
        payment_amount: over.amount + OVERPAID,
        cumulative_payment_amount: over.amount + OVERPAID,
        payment_ntb: 'OVER-0001',
        paidAt: new Date('2026-11-20T05:00:00Z'),
      }),
    );
    await stack.nagari.pay(nagari[0].trx_id, { paidAt: new Date('2026-11-20T08:00:00Z') });
    // 23:59:59 WIB on D0.
    await stack.nagari.pay(nagari[1].trx_id, { paidAt: new Date('2026-11-19T16:59:59Z') });
    await waitFor('six payments applied', async () => (await paymentCount()) === 6);
  });
  afterAll(() => stack.close());

  it('When finance makes the STS for a day, then one per channel covers exactly the payments of that WIB day', async () => {
    const res = await post({ date: D1 });
    expect(res.status).toBe(201);
    expect(res.body.existing).toEqual([]);
    const made = res.body.created as Array<{ sts_no: string; bank_channel: { code: string } }>;
    // Numbered per OPD and year in (OPD, channel) order.
    expect(made.map((s) => [s.sts_no, s.bank_channel.code])).toEqual([
      ['DISKOMINFO-STS-2026-000001', 'bank-nagari'],
      ['DISKOMINFO-STS-2026-000002', 'bni-ecollection'],
    ]);

    for (const s of made) {
      const sts = (await get(`/sts/${s.sts_no}`)).body;
      expect(sts.payments.map((p: { receipt_no: string }) => p.receipt_no).sort()).toEqual(await receiptsOfDay(D1, s.bank_channel.code));
      const applied = sts.payments.reduce((t: number, p: { applied_amount: number }) => t + p.applied_amount, 0);
      const amount = sts.payments.reduce((t: number, p: { amount: number }) => t + p.amount, 0);
      expect(sts.lines).toEqual([{ line_no: 1, account_code: '4.1.02.01.13.0001', description: 'Retribusi Pengendalian Menara Telekomunikasi', amount: applied }]);
      expect(sts.revenue_amount).toBe(applied);
      expect(sts.total_amount).toBe(amount);
      expect(sts.total_amount).toBe(sts.revenue_amount + sts.credit_amount);
    }

    const bniSts = (await get(`/sts/${made[1].sts_no}`)).body;
    const bills = bniSts.payments.map((p: { bill_no: string }) => p.bill_no).sort();
    expect(bills).toEqual([bni[0].bill_no, bni[2].bill_no, bni[3].bill_no].sort());
    // The overpayment is deposited but kept apart from revenue.
    expect(bniSts.credit_amount).toBe(OVERPAID);
    expect(bniSts.revenue_amount).toBe(bni[0].amount + Math.floor(bni[2].amount / 3) + bni[3].amount);
  });

  it('When the STS is made again for the same day, then nothing new is made', async () => {
    const before = await db()('sts').count<{ count: string }[]>('* as count');
    const res = await post({ date: D1 });
    expect(res.status).toBe(200);
    expect(res.body.created).toEqual([]);
    expect(res.body.existing.map((s: { sts_no: string }) => s.sts_no)).toEqual(['DISKOMINFO-STS-2026-000001', 'DISKOMINFO-STS-2026-000002']);
    expect(await db()('sts').count<{ count: string }[]>('* as count')).toEqual(before);
  });

  it('When the STS for the next day is made for one channel, then it holds the 00:30 WIB payment and nothing of the other channel', async () => {
    const res = await post({ date: D2, channel: 'bni-ecollection' });
    expect(res.status).toBe(201);
    expect(res.body.created).toHaveLength(1);
    const sts = (await get(`/sts/${res.body.created[0].sts_no}`)).body;
    expect(sts.sts_no).toBe('DISKOMINFO-STS-2026-000003');
    expect(sts.payments.map((p: { bill_no: string }) => p.bill_no)).toEqual([bni[1].bill_no]);
  });

  it('When a payment of a closed day reaches Kasda late, then it gets an STS of its own, numbered next, and no payment is on two', async () => {
    await stack.sim.pay(bni[4].trx_id, { paidAt: new Date('2026-11-20T15:00:00Z') });
    await waitFor('the late payment', async () => (await paymentCount()) === 7);
    const res = await post({ date: D1 });
    expect(res.status).toBe(201);
    expect(res.body.created.map((s: { sts_no: string }) => s.sts_no)).toEqual(['DISKOMINFO-STS-2026-000004']);
    expect(res.body.created[0].payment_count).toBe(1);
    expect(res.body.existing).toHaveLength(2);

    const seqs = await db()('sts').orderBy('seq').pluck('seq');
    expect(seqs).toEqual([1, 2, 3, 4]);
    const counter = await db()('document_sequences').where({ kind: 'sts', year: 2026 }).first('last_no');
    expect(counter.last_no).toBe(4);
    const [{ rows, payments }] = await db()('sts_payments').select(db().raw('count(*)::int AS rows'), db().raw('count(DISTINCT payment_id)::int AS payments'));
    expect(rows).toBe(payments);
    const audit = await db()('audit_log').where({ entity_type: 'sts', action: 'sts.created' });
    expect(audit).toHaveLength(4);
  });

  it('The STS PDF is a real PDF, kept with its hash, the same bytes every time, signed by the bendahara penerimaan', async () => {
    await db()('opds').where({ code: 'DISKOMINFO' }).update({ treasurer_name: 'Yuliana Putri, S.E.', treasurer_nip: '19880214 201101 2 003' });
    const no = 'DISKOMINFO-STS-2026-000005';
    const made = await post({ date: D0 });
    expect(made.body.created.map((s: { sts_no: string }) => s.sts_no)).toEqual([no]);
    const fetch = () => get(`/sts/${no}.pdf`).buffer(true).parse(binary);
    const first = await fetch();
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toBe('application/pdf');
    const pdf = first.body as Buffer;
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.subarray(-6).toString().trim()).toBe('%%EOF');
    expect((await fetch()).body).toEqual(pdf);
    const kept = await db()('documents as d').join('sts as s', 's.id', 'd.sts_id').where({ 'd.kind': 'sts', 's.sts_no': no }).first('d.sha256');
    expect(kept.sha256).toBe(crypto.createHash('sha256').update(pdf).digest('hex'));
    const text = pdfText(pdf).join('\n');
    expect(text).toContain('SURAT TANDA SETORAN (STS)');
    expect(text).toContain(`Nomor: ${no}`);
    expect(text).toContain('Bendahara Penerimaan');
    expect(text).toContain('Yuliana Putri, S.E.');
    expect(text).toContain('19 November 2026');
  });

  it('An OPD admin sees its own STS only; an auditor reads but may not make one; a payer sees nothing', async () => {
    const range = `?from=${D0}&to=${D2}`;
    const all = await get(`/sts${range}`);
    expect(all.status).toBe(200);
    expect(all.body.data.map((s: { sts_no: string }) => s.sts_no)).toEqual([
      'DISKOMINFO-STS-2026-000005',
      'DISKOMINFO-STS-2026-000001',
      'DISKOMINFO-STS-2026-000002',
      'DISKOMINFO-STS-2026-000004',
      'DISKOMINFO-STS-2026-000003',
    ]);
    const own = await get(`/sts${range}`, stack.token({ role: 'opd_admin', opd: 'DISKOMINFO' }));
    expect(own.body.data).toHaveLength(5);
    const other = stack.token({ role: 'opd_admin', opd: 'BAPENDA' });
    expect((await get(`/sts${range}`, other)).body.data).toEqual([]);
    expect((await get('/sts/DISKOMINFO-STS-2026-000001', other)).body.error.code).toBe('sts_not_found');
    expect((await get('/sts/DISKOMINFO-STS-2026-000001.pdf', other)).status).toBe(404);

    const auditor = stack.token({ role: 'auditor' });
    expect((await get(`/sts${range}`, auditor)).status).toBe(200);
    expect((await post({ date: D1 }, auditor)).status).toBe(403);
    expect((await post({ date: D1 }, stack.token({ role: 'opd_admin', opd: 'DISKOMINFO' }))).status).toBe(403);
    const payer = stack.token({ role: 'payer', npwrd: 'X' });
    expect((await get(`/sts${range}`, payer)).status).toBe(403);
    expect((await get('/sts/DISKOMINFO-STS-2026-000001.pdf', payer)).status).toBe(403);
  });

  it.each([
    [{ date: '2099-01-01' }, 400, 'sts_date_in_future'],
    [{ date: '2026-02-30' }, 400, 'invalid_date'],
    [{ date: '20-11-2026' }, 400, 'validation_failed'],
    [{ date: D1, extra: 1 }, 400, 'validation_failed'],
    [{}, 400, 'validation_failed'],
    [{ date: D1, channel: 'no-such-bank' }, 404, 'bank_channel_not_found'],
  ])('When the STS request is %j, then it answers %i %s', async (body, status, code) => {
    const res = await post(body);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
  });

  it.each([
    [`/sts?from=${D2}&to=${D1}`, 400, 'invalid_date_range'],
    ['/sts?from=2025-01-01&to=2026-11-21', 400, 'date_range_too_long'],
    ['/sts?from=2026-11-31', 400, 'invalid_date'],
    ['/sts?from=yesterday', 400, 'validation_failed'],
    ['/sts?since=2026-11-01', 400, 'validation_failed'],
    ['/sts/not-an-sts', 400, 'validation_failed'],
    ['/sts/DISKOMINFO-STS-2026-999999', 404, 'sts_not_found'],
  ])('When the register is asked for %s, then it answers %i %s', async (path, status, code) => {
    const res = await get(path);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
  });

  it('The daily close makes the STS of late days and yesterday, and keeps each closed day\'s recap', async () => {
    await stack.nagari.pay(nagari[2].trx_id, { paidAt: new Date('2026-11-18T03:00:00Z') });
    await waitFor('the payment of the 18th', async () => (await paymentCount()) === 8);
    const closed = await closeOpenDays(db(), 'job:test', '2026-11-22');
    expect(closed.map((c) => [c.date, c.sts])).toEqual([
      ['2026-11-18', ['DISKOMINFO-STS-2026-000006']],
      ['2026-11-21', []],
    ]);
    const recaps = await db()('documents').where({ kind: 'daily_recap' }).orderBy('report_date').select('report_date', 'content');
    expect(recaps.map((r: { report_date: string }) => r.report_date)).toEqual(['2026-11-18', '2026-11-21']);
    expect(recaps[0].content.subarray(0, 5).toString()).toBe('%PDF-');
    // Closing again changes nothing.
    expect((await closeOpenDays(db(), 'job:test', '2026-11-22')).map((c) => c.sts)).toEqual([[]]);

    const scheduler = await queue(QUEUES.maintenance).getJobScheduler('close-day');
    expect(scheduler).toMatchObject({ pattern: '15 0 * * *', tz: 'Asia/Jakarta' });
    await expectLedgerVerified();
  });

  it('`kasda sts` makes nothing new for a closed day, lists its STS and writes their PDFs; a day to come is refused', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'kasda-sts-'));
    try {
      const { stdout } = await kasda(['sts', '--date', D1, '--out', out]);
      expect(stdout).toContain(`${D1}: 0 STS made, 3 made before`);
      expect(stdout).toContain('DISKOMINFO-STS-2026-000004 DISKOMINFO bni-ecollection: 1 payment(s)');
      expect(fs.readdirSync(out).sort()).toEqual(['STS-DISKOMINFO-STS-2026-000001.pdf', 'STS-DISKOMINFO-STS-2026-000002.pdf', 'STS-DISKOMINFO-STS-2026-000004.pdf']);
      const kept = await get('/sts/DISKOMINFO-STS-2026-000002.pdf').buffer(true).parse(binary);
      expect(fs.readFileSync(path.join(out, 'STS-DISKOMINFO-STS-2026-000002.pdf'))).toEqual(kept.body);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
    await expect(kasda(['sts', '--date', '2099-01-01'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('sts_date_in_future') });
  });
});
