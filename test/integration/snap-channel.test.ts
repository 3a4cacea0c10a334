import request from 'supertest';
import { db } from '../../src/db';
import { sweep } from '../../src/modules/reconciliation/sweeper';
import { sweepOptions } from '../../jobs/sweep';
import { startStack, Stack, waitFor } from '../support/harness';
import { assessAndIssue, billRow, bniEnvelope, expectLedgerVerified, paymentsOf, postNotification } from '../support/payments';

type Bill = { id: number; bill_no: string; trx_id: string; virtual_account: string; amount: number };

describe('A levy on a SNAP BI channel (Bank Nagari), beside BNI eCollection', () => {
  let stack: Stack;
  let bills: Bill[];

  beforeAll(async () => {
    stack = await startStack();
    // The OPD moves its levy to Bank Nagari: configuration, not code.
    const nagari = await db()('bank_channels').where({ code: 'bank-nagari' }).first();
    await db()('levy_type_versions').update({ bank_channel_id: nagari.id });
    bills = await assessAndIssue(stack);
  });
  afterAll(() => stack.close());

  it('Every bill gets its VA at the SNAP bank, signed and tokened', () => {
    expect(stack.nagari.vas()).toHaveLength(bills.length);
    for (const b of bills) {
      expect(b.virtual_account).toMatch(/^77001\d{10}$/);
      const va = stack.nagari.vas().find((v) => v.trxId === b.trx_id)!;
      expect(va.amount).toBe(b.amount);
    }
  });

  it('When the bank notifies a payment, then it is verified, applied once and answered 2002500; a flagAdvise resend gets the original answer', async () => {
    const b = bills[0];
    const first = await stack.nagari.pay(b.trx_id);
    expect(first.callback?.status).toBe(200);
    expect((first.callback?.body as { responseCode: string }).responseCode).toBe('2002500');
    await waitFor('paid', async () => ((await billRow(b.id)).status === 'paid' ? true : undefined));

    const resend = await stack.nagari.notify(b.trx_id);
    expect(resend.callback?.body).toEqual(first.callback?.body);
    await new Promise((r) => setTimeout(r, 300));
    expect(await paymentsOf(b.id)).toHaveLength(1);
    const [p] = await paymentsOf(b.id);
    expect(p.payment_ref).toBe((first.notification as { paymentRequestId: string }).paymentRequestId);
    await expectLedgerVerified();
  });

  it('A SNAP notification replayed on the BNI channel, or a BNI one on the SNAP channel, is refused', async () => {
    const b = bills[1];
    const delivery = await stack.nagari.pay(b.trx_id, { notify: false });
    const onBni = await request(stack.url)
      .post('/api/v1/bank-callbacks/bni-ecollection')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(delivery.notification));
    expect(onBni.body.status).toBe('999');
    const onNagari = await request(stack.url)
      .post('/api/v1/bank-callbacks/bank-nagari/v1.0/transfer-va/payment')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(bniEnvelope({ trx_id: b.trx_id, virtual_account: b.virtual_account, trx_amount: b.amount, payment_amount: b.amount, cumulative_payment_amount: b.amount, payment_ntb: 'X' })));
    expect(onNagari.status).toBeGreaterThanOrEqual(400);
    expect(onNagari.body.responseCode).toMatch(/^40[01]25/);
    const bad = await postNotification(stack, 'not json');
    expect(bad.body.status).toBe('999');
    expect((await billRow(b.id)).status).toBe('issued');
  });

  it('A payment whose notification never came is found by the sweeper through SNAP inquiry', async () => {
    const b = bills[1];
    const report = await sweep(db(), sweepOptions({ quietForMs: 0, inquiriesPerSecond: 1000 }));
    expect(report.foundByInquiry).toBe(1);
    expect(await billRow(b.id)).toMatchObject({ status: 'paid', paid_amount: b.amount });
    await expectLedgerVerified();
  });
});
