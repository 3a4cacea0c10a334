import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { db } from '../../src/db';
import { startStack, Stack, waitFor } from '../support/harness';
import { assessAndIssue, billRow, bniEnvelope, expectLedgerVerified, paymentsOf, postNotification } from '../support/payments';
import { binary } from '../support/pdf-text';

type Bill = { id: number; bill_no: string; trx_id: string; virtual_account: string; amount: number };

describe('BNI payment notifications are recorded, then applied exactly once', () => {
  let stack: Stack;
  let bills: Bill[];
  let admin: string;

  beforeAll(async () => {
    stack = await startStack();
    admin = stack.token({ role: 'admin' });
    bills = await assessAndIssue(stack);
  });
  afterAll(() => stack.close());

  const settled = (id: number, status: string) =>
    waitFor(`bill ${id} ${status}`, async () => {
      const b = await billRow(id);
      return b.status === status ? b : undefined;
    });

  it('When BNI notifies a full payment, then it answers 000 and the bill becomes paid with a receipt', async () => {
    const b = bills[0];
    const delivery = await stack.sim.pay(b.trx_id);
    expect(delivery.callback).toEqual({ status: 200, body: { status: '000' } });
    const paid = await settled(b.id, 'paid');
    expect(paid.paid_amount).toBe(b.amount);
    const [p] = await paymentsOf(b.id);
    expect(p).toMatchObject({ amount: b.amount, applied_amount: b.amount, credit_amount: 0, source: 'callback' });
    expect(p.payment_ref).toBe(delivery.notification.payment_ntb);

    const receipt = await request(stack.url)
      .get(`/api/v1/bills/${b.bill_no}/receipt.pdf`)
      .set('Authorization', `Bearer ${admin}`)
      .buffer(true)
      .parse(binary);
    expect(receipt.status).toBe(200);
    expect((receipt.body as Buffer).subarray(0, 5).toString()).toBe('%PDF-');
    await expectLedgerVerified();
  });

  it('When the same notification arrives again, then it answers 000 and nothing changes', async () => {
    const b = bills[0];
    const again = await stack.sim.notify(b.trx_id);
    expect(again.callback).toEqual({ status: 200, body: { status: '000' } });
    await new Promise((r) => setTimeout(r, 300));
    expect(await paymentsOf(b.id)).toHaveLength(1);
    expect((await billRow(b.id)).paid_amount).toBe(b.amount);
    const n = await db()('bank_notifications').where({ trx_id: b.trx_id }).first();
    expect(n.duplicates).toBe(1);
  });

  it('When 25 copies of one notification arrive at once, then exactly one payment is applied', async () => {
    const b = bills[1];
    const envelope = bniEnvelope({
      trx_id: b.trx_id,
      virtual_account: b.virtual_account,
      trx_amount: b.amount,
      payment_amount: b.amount,
      cumulative_payment_amount: b.amount,
      payment_ntb: 'CONC-0001',
    });
    const answers = await Promise.all(Array.from({ length: 25 }, () => postNotification(stack, envelope)));
    for (const a of answers) expect(a.body).toEqual({ status: '000' });
    await settled(b.id, 'paid');
    await new Promise((r) => setTimeout(r, 300));
    expect(await paymentsOf(b.id)).toHaveLength(1);
    expect((await db()('bank_notifications').where({ trx_id: b.trx_id }).first()).duplicates).toBe(24);
    await expectLedgerVerified();
  });

  it('When an installment bill is paid with two NTBs, then it is partially paid, then paid', async () => {
    const b = bills[2];
    const first = Math.floor(b.amount / 3);
    await stack.sim.pay(b.trx_id, { amount: first });
    const partial = await settled(b.id, 'partially_paid');
    expect(partial.paid_amount).toBe(first);
    await stack.sim.pay(b.trx_id, { amount: b.amount - first });
    const paid = await settled(b.id, 'paid');
    expect(paid.paid_amount).toBe(b.amount);
    const ps = await paymentsOf(b.id);
    expect(ps.map((p: { amount: number }) => p.amount)).toEqual([first, b.amount - first]);
    expect(new Set(ps.map((p: { receipt_no: string }) => p.receipt_no)).size).toBe(2);
    const list = await request(stack.url).get(`/api/v1/bills/${b.bill_no}/payments`).set('Authorization', `Bearer ${admin}`);
    expect(list.body.data).toHaveLength(2);
    await expectLedgerVerified();
  });

  it('When a payment is made at the bank but no notification comes, then the sweeper finds it by inquiry', async () => {
    const b = bills[3];
    await stack.sim.pay(b.trx_id, { notify: false });
    expect((await billRow(b.id)).status).toBe('issued');
    const { sweep } = await import('../../src/modules/reconciliation/sweeper');
    const { sweepOptions } = await import('../../jobs/sweep');
    const report = await sweep(db(), sweepOptions({ quietForMs: 0, inquiriesPerSecond: 1000 }));
    expect(report.foundByInquiry).toBe(1);
    const paid = await billRow(b.id);
    expect(paid).toMatchObject({ status: 'paid', paid_amount: b.amount });
    const [p] = await paymentsOf(b.id);
    expect(p.source).toBe('inquiry');

    // The late notification for the same payment is recognised, not counted twice.
    const late = await stack.sim.notify(b.trx_id);
    expect(late.callback?.body).toEqual({ status: '000' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await paymentsOf(b.id)).toHaveLength(1);
    await expectLedgerVerified();
  });

  it("When a payer has a webhook, then its system hears bill.partially_paid and bill.paid, signed", async () => {
    const b = bills[4];
    const received: Array<{ headers: Record<string, string>; body: string }> = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers as Record<string, string>, body });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const npwrd = (await db()('payers').where({ id: (await billRow(b.id)).payer_id }).first()).npwrd;
      const put = await request(stack.url)
        .put('/api/v1/webhook-endpoint')
        .set('Authorization', `Bearer ${stack.token({ role: 'payer', npwrd })}`)
        .send({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/kasda` });
      expect(put.status).toBe(200);
      const secret: string = put.body.secret;

      await stack.sim.pay(b.trx_id, { amount: 1000 });
      await stack.sim.pay(b.trx_id);
      const events = await waitFor('two webhook deliveries', async () => (received.length >= 2 ? received : undefined));
      const types = events.map((e) => JSON.parse(e.body).type);
      expect(types).toEqual(['bill.partially_paid', 'bill.paid']);
      for (const e of events) {
        const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(e.headers['kasda-signature'])!;
        const expected = crypto.createHmac('sha256', secret).update(`${t}.${e.body}`).digest('hex');
        expect(v1).toBe(expected);
      }
      const paid = JSON.parse(events[1].body).data.bill;
      expect(paid).toMatchObject({ bill_no: b.bill_no, status: 'paid', amount: b.amount, paid_amount: b.amount, outstanding: 0 });
    } finally {
      receiver.close();
    }
  });

  it('When a VA lapses unpaid, then the sweeper asks the bank once more and expires the bill', async () => {
    const b = bills[5];
    const past = new Date(Date.now() - 60_000);
    stack.sim.state.bills.get(b.trx_id)!.expiresAt = past;
    await db()('bills').where({ id: b.id }).update({ expires_at: past });
    const { sweep } = await import('../../src/modules/reconciliation/sweeper');
    const { sweepOptions } = await import('../../jobs/sweep');
    const report = await sweep(db(), sweepOptions({ inquiriesPerSecond: 1000 }));
    expect(report.expired).toBe(1);
    expect((await billRow(b.id)).status).toBe('expired');
    const audit = await db()('audit_log').where({ entity_id: b.bill_no, action: 'bill.expired' });
    expect(audit).toHaveLength(1);
    await expectLedgerVerified();
  });

  it('The ledger holds receivable, revenue and bank clearing to the rupiah', async () => {
    const b = bills[0];
    const lines = await db()('ledger_lines').where({ bill_id: b.id }).orWhereIn(
      'entry_id',
      db()('ledger_entries').where({ bill_id: b.id }).select('id'),
    );
    const byAccount = (prefix: string, side: 'debit' | 'credit') =>
      lines.filter((l: { account: string }) => l.account.startsWith(prefix)).reduce((s: number, l: Record<string, number>) => s + l[side], 0);
    expect(byAccount('receivable:', 'debit')).toBe(b.amount);
    expect(byAccount('receivable:', 'credit')).toBe(b.amount);
    expect(byAccount('revenue:4.1.02.01.13.0001', 'credit')).toBe(b.amount);
    expect(byAccount('clearing:bni-ecollection', 'debit')).toBe(b.amount);
  });

  it('The ledger refuses to be edited', async () => {
    await expect(db()('ledger_lines').update({ debit: 1 }).where('id', '>', 0)).rejects.toThrow(/append-only/);
    await expect(db()('audit_log').delete().where('id', '>', 0)).rejects.toThrow(/append-only/);
  });
});
