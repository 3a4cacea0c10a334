import request from 'supertest';
import { db } from '../../src/db';
import { startStack, Stack } from '../support/harness';
import { assessAndIssue, bniEnvelope, expectLedgerVerified, postNotification } from '../support/payments';

type Bill = { id: number; bill_no: string; trx_id: string; virtual_account: string; amount: number };

describe('Notifications that are not genuine, or do not match a bill', () => {
  let stack: Stack;
  let bill: Bill;

  beforeAll(async () => {
    stack = await startStack();
    [bill] = await assessAndIssue(stack);
  });
  afterAll(() => stack.close());

  const fields = (over: Partial<Parameters<typeof bniEnvelope>[0]> = {}) => ({
    trx_id: bill.trx_id,
    virtual_account: bill.virtual_account,
    trx_amount: bill.amount,
    payment_amount: bill.amount,
    cumulative_payment_amount: bill.amount,
    payment_ntb: 'NTB-REJECT',
    ...over,
  });
  const now = () => Math.floor(Date.now() / 1000);

  async function expectNothingChanged() {
    const b = await db()('bills').where({ id: bill.id }).first();
    expect(b).toMatchObject({ status: 'issued', paid_amount: 0 });
    expect(await db()('payments').count('* as n').first()).toEqual({ n: 0 });
    expect((await request(stack.url).get('/healthz')).status).toBe(200);
  }

  it.each([
    ['a wrong secret', () => bniEnvelope(fields(), { secret: 'ffffffffffffffffffffffffffffffff' })],
    ['a stale timestamp (an hour old)', () => bniEnvelope(fields(), { nowSeconds: now() - 3600 })],
    ['a future timestamp (an hour ahead)', () => bniEnvelope(fields(), { nowSeconds: now() + 3600 })],
    ['a foreign client id', () => bniEnvelope(fields(), { clientId: '99999' })],
    ['an empty body', () => ''],
    ['a body that is not JSON', () => 'status=paid&amount=1'],
    ['a JSON array', () => '[1,2,3]'],
    ['an envelope without data', () => ({ client_id: '00123' })],
    ['data that is not BniEnc', () => ({ client_id: '00123', data: 'bm90IGVuY3J5cHRlZA' })],
    ['a 200 kB body', () => ({ client_id: '00123', data: 'A'.repeat(200_000) })],
  ])('When a notification has %s, then it is answered 999 and no bill changes', async (_what, body) => {
    const res = await postNotification(stack, body());
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('999');
    expect(typeof res.body.message).toBe('string');
    await expectNothingChanged();
  });

  it('Every rejection is logged with its reason', async () => {
    const reasons = await db()('bank_callback_rejections').pluck('reason');
    expect(reasons.length).toBeGreaterThanOrEqual(9);
    expect(reasons).toEqual(expect.arrayContaining(['empty body', 'body is not JSON']));
    expect(reasons.some((r: string) => /foreign client id/.test(r))).toBe(true);
    expect(reasons.some((r: string) => /decrypt/.test(r))).toBe(true);
  });

  it.each([
    ['an unknown trx_id', { trx_id: 'NOT-OURS-1', payment_ntb: 'EXC-1' }, /unknown trx_id/],
    ['a wrong VA', { virtual_account: '9880012399999999', payment_ntb: 'EXC-2' }, /virtual account/],
    ['an amount above the bill', { payment_amount: 999_999_999_999, cumulative_payment_amount: 999_999_999_999, payment_ntb: 'EXC-3' }, /cannot reach/],
  ])('When an authentic notification has %s, then it is acknowledged, kept as an exception and never applied', async (_what, over, reason) => {
    const res = await postNotification(stack, bniEnvelope(fields(over)));
    expect(res.body).toEqual({ status: '000' });
    const row = await db()('bank_notifications').where({ payment_ref: over.payment_ntb }).first();
    expect(row.status).toBe('exception');
    expect(row.reason).toMatch(reason);
    await expectNothingChanged();
  });

  it('Finance sees the exceptions', async () => {
    const res = await request(stack.url)
      .get('/api/v1/bank-notifications?status=exception')
      .set('Authorization', `Bearer ${stack.token({ role: 'finance' })}`);
    expect(res.status).toBe(200);
    expect(res.body.data.map((n: { payment_ref: string }) => n.payment_ref).sort()).toEqual(['EXC-1', 'EXC-2', 'EXC-3']);
    const payer = await request(stack.url)
      .get('/api/v1/bank-notifications')
      .set('Authorization', `Bearer ${stack.token({ role: 'payer', npwrd: 'R.1.0013.13.0001' })}`);
    expect(payer.status).toBe(403);
  });

  it('When the source address is not on the channel’s allowlist, then the notification is refused', async () => {
    await db()('bank_channels').where({ code: 'bni-ecollection' }).update({
      settings: db().raw(`settings || '{"callback_ip_allowlist": ["10.1.2.3"]}'::jsonb`),
    });
    try {
      const res = await postNotification(stack, bniEnvelope(fields({ payment_ntb: 'IP-1' })));
      expect(res.body.status).toBe('999');
      expect(await db()('bank_notifications').where({ payment_ref: 'IP-1' }).first()).toBeUndefined();
    } finally {
      await db()('bank_channels').where({ code: 'bni-ecollection' }).update({
        settings: db().raw(`settings - 'callback_ip_allowlist'`),
      });
    }
  });

  it('When the inbox cannot be written, then the bank is told it was not taken', async () => {
    await db().raw('ALTER TABLE bank_notifications RENAME TO bank_notifications_away');
    try {
      const res = await postNotification(stack, bniEnvelope(fields({ payment_ntb: 'DB-DOWN' })));
      expect(res.status).toBe(503);
      expect(res.body.status).not.toBe('000');
    } finally {
      await db().raw('ALTER TABLE bank_notifications_away RENAME TO bank_notifications');
    }
  });

  it('The ledger still verifies', async () => {
    await expectLedgerVerified();
  });
});
