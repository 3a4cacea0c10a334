import request from 'supertest';
import { db } from '../../src/db';
import { runDunning } from '../../src/modules/interest/service';
import { startStack, Stack, waitFor } from '../support/harness';
import { assessAndIssue, billRow, expectLedgerVerified } from '../support/payments';
import { binary } from '../support/pdf-text';

type Bill = { id: number; bill_no: string; trx_id: string; virtual_account: string; amount: number; due_date: string };

describe('Dunning: reminders, warnings, STRDs with late interest, re-pricing at the bank', () => {
  let stack: Stack;
  let bills: Bill[];
  let finance: string;

  beforeAll(async () => {
    stack = await startStack();
    finance = stack.token({ role: 'finance' });
    bills = await assessAndIssue(stack);
  });
  afterAll(() => stack.close());

  const strdOf = (billId: number) => db()('bills').where({ supersedes_bill_id: billId }).first();
  const stages = (billId: number) => db()('bill_dunning').where({ bill_id: billId }).orderBy('id').pluck('stage');

  it('SKRDs issued ahead of 2027 fall due on 31 January', () => {
    expect(bills.every((b) => b.due_date === '2027-01-31')).toBe(true);
  });

  it('A reminder a week before the due date, a warning a week after, each recorded once', async () => {
    const [a] = bills;
    expect((await runDunning(db(), '2027-01-25')).reminders).toBe(bills.length);
    expect((await runDunning(db(), '2027-01-26')).reminders).toBe(0);
    expect((await runDunning(db(), '2027-02-08')).warnings).toBe(bills.length);
    expect(await stages(a.id)).toEqual(['reminder', 'warning']);
  });

  it('When a bill is under objection, then dunning passes it by', async () => {
    const paused = bills[3];
    const res = await request(stack.url)
      .put(`/api/v1/bills/${paused.bill_no}/dunning-pause`)
      .set('Authorization', `Bearer ${finance}`)
      .send({ reason: 'keberatan diajukan 2027-02-10' });
    expect(res.status).toBe(200);
  });

  it('When a bill is two weeks overdue and its VA is live and unpaid, then an STRD takes the VA over, re-priced by a full updatebilling', async () => {
    const [a, b] = bills;
    // b has paid part of it: its VA is closed and its STRD gets a new trx_id.
    await stack.sim.pay(b.trx_id, { amount: 1_000_000 });
    await waitFor('partial payment', async () => ((await billRow(b.id)).status === 'partially_paid' ? true : undefined));

    const before = { ...stack.sim.state.bills.get(a.trx_id)! };
    const report = await runDunning(db(), '2027-02-15');
    expect(report.failures).toEqual([]);
    expect(report.strdCreated).toBe(bills.length - 1);
    expect(report.paused).toBe(1);

    const strd = await strdOf(a.id);
    const interest = Math.round(a.amount * 0.01);
    expect(strd).toMatchObject({ document_type: 'STRD', status: 'issued', amount: a.amount + interest, trx_id: a.trx_id, virtual_account: a.virtual_account, due_date: '2027-03-17' });
    expect((await billRow(a.id)).status).toBe('superseded');

    const atBank = stack.sim.state.bills.get(a.trx_id)!;
    expect(atBank.amount).toBe(a.amount + interest);
    // updatebilling blanks what it is not sent: every field must still be there.
    expect(atBank.customerName).toBe(before.customerName);
    expect(atBank.customerEmail).toBe(before.customerEmail);
    expect(atBank.customerPhone).toBe(before.customerPhone);
    expect(atBank.description).toContain(a.bill_no);

    const lines = await db()('bill_lines').where({ bill_id: strd.id }).orderBy('line_no');
    expect(lines.map((l: { account_code: string }) => l.account_code)).toEqual(['4.1.02.01.13.0001', '4.1.04.13']);
    expect(lines[1]).toMatchObject({ amount: interest, description: `Bunga 1% × 1 bulan × Rp${a.amount.toLocaleString('id-ID')}` });

    const bStrd = await strdOf(b.id);
    expect(bStrd.amount).toBe(b.amount - 1_000_000 + Math.round((b.amount - 1_000_000) * 0.01));
    const issued = await waitFor('the new STRD issued', async () => {
      const row = await db()('bills').where({ id: bStrd.id }).first();
      return row.status === 'issued' ? row : undefined;
    });
    expect(issued.trx_id).not.toBe(b.trx_id);
    expect(stack.sim.state.bills.get(b.trx_id)!.deactivated).toBe(true);
    expect(await strdOf(bills[3].id)).toBeUndefined();
    await expectLedgerVerified();
  });

  it('When another month begins, then the open STRD is re-priced at the bank and in the ledger', async () => {
    const [a] = bills;
    const report = await runDunning(db(), '2027-03-15');
    expect(report.repriced).toBeGreaterThanOrEqual(1);
    const strd = await strdOf(a.id);
    expect(strd.amount).toBe(a.amount + Math.round(a.amount * 0.02));
    expect(stack.sim.state.bills.get(a.trx_id)!.amount).toBe(strd.amount);
    await expectLedgerVerified();
  });

  it('The STRD is paid through its VA like any bill, and prints with the interest shown', async () => {
    const [a] = bills;
    const strd = await strdOf(a.id);
    await stack.sim.pay(a.trx_id, { amount: strd.amount });
    await waitFor('STRD paid', async () => ((await billRow(strd.id)).status === 'paid' ? true : undefined));
    const pdf = await request(stack.url)
      .get(`/api/v1/bills/${strd.bill_no}/skrd.pdf`)
      .set('Authorization', `Bearer ${finance}`)
      .buffer(true)
      .parse(binary);
    expect(pdf.status).toBe(200);
    expect((pdf.body as Buffer).subarray(0, 5).toString()).toBe('%PDF-');
    await expectLedgerVerified();
  });

  it('Only finance and admin may run dunning', async () => {
    const res = await request(stack.url)
      .post('/api/v1/interest/runs')
      .set('Authorization', `Bearer ${stack.token({ role: 'auditor' })}`)
      .send({ as_of: '2027-03-15' });
    expect(res.status).toBe(403);
    const bad = await request(stack.url).post('/api/v1/interest/runs').set('Authorization', `Bearer ${finance}`).send({ as_of: '2027-02-30' });
    expect(bad.status).toBe(400);
  });
});
