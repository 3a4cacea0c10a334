import type { Job } from 'bullmq';
import { db } from '../../src/db';
import { applyPaymentProcessor } from '../../jobs/apply-payment';
import { applyNotifications } from '../../src/modules/payments/apply';
import type { ApplyJob } from '../../src/modules/payments/intake';
import { startStack, Stack } from '../support/harness';
import { assessAndIssue, billRow, bniEnvelope, expectLedgerVerified, paymentsOf, postNotification } from '../support/payments';

type Bill = { id: number; bill_no: string; trx_id: string; virtual_account: string; amount: number };

/**
 * The apply worker hands inbox rows over in batches (jobs/apply-payment.ts). A batch must decide
 * each row exactly as if it were applied alone: here the rows are recorded with the workers
 * stopped, then applied in one call.
 */
describe('Inbox rows applied in one batch', () => {
  let stack: Stack;
  let bills: Bill[];

  beforeAll(async () => {
    stack = await startStack();
    bills = await assessAndIssue(stack);
    await stack.stopWorkers();
  });
  afterAll(() => stack.close());

  async function record(b: Bill, amount: number, cumulative: number, ntb: string): Promise<number> {
    const res = await postNotification(
      stack,
      bniEnvelope({
        trx_id: b.trx_id,
        virtual_account: b.virtual_account,
        trx_amount: b.amount,
        payment_amount: amount,
        cumulative_payment_amount: cumulative,
        payment_ntb: ntb,
      }),
    );
    expect(res.body).toEqual({ status: '000' });
    const row = await db()('bank_notifications').where({ trx_id: b.trx_id, payment_ref: ntb }).first('id');
    return row.id;
  }

  it('When two installments of one bill and a payment of another are applied together, then each counts once, in order', async () => {
    const [a, c] = bills;
    const first = Math.round(a.amount * 0.4);
    const ids = [
      await record(a, first, first, 'BATCH-A1'),
      await record(a, a.amount - first, a.amount, 'BATCH-A2'),
      await record(c, c.amount, c.amount, 'BATCH-C1'),
    ];

    const results = await applyNotifications(db(), [...ids, ids[0], 999_999_999]);

    expect(ids.map((id) => results.get(id)?.result)).toEqual(['applied', 'applied', 'applied']);
    expect(results.get(999_999_999)).toEqual({ result: 'missing' });
    expect(results.get(ids[1])).toMatchObject({ status: 'paid' });
    expect(await billRow(a.id)).toMatchObject({ status: 'paid', paid_amount: a.amount });
    expect(await billRow(c.id)).toMatchObject({ status: 'paid', paid_amount: c.amount });
    const payments = await paymentsOf(a.id);
    expect(payments.map((p: { payment_ref: string; applied_amount: number }) => [p.payment_ref, p.applied_amount])).toEqual([
      ['BATCH-A1', first],
      ['BATCH-A2', a.amount - first],
    ]);
    const receipts = (await db()('payments').whereIn('notification_id', ids).orderBy('notification_id').pluck('receipt_no')) as string[];
    const seqs = receipts.map((r) => Number(r.slice(-6)));
    expect(new Set(seqs).size).toBe(3);
    expect(Math.max(...seqs) - Math.min(...seqs)).toBe(2);
    await expectLedgerVerified();
  });

  it('When the same rows are applied again, then nothing changes', async () => {
    const ids: number[] = await db()('bank_notifications').where('payment_ref', 'like', 'BATCH-%').orderBy('id').pluck('id');
    const results = await applyNotifications(db(), ids);
    expect([...results.values()].map((r) => r.result)).toEqual(['applied_before', 'applied_before', 'applied_before']);
    expect(await db()('payments').whereIn('notification_id', ids).count<{ n: number }[]>('* as n')).toEqual([{ n: 3 }]);
    await expectLedgerVerified();
  });

  it('When a batch holds a payment the bill cannot take, then only that row becomes an exception', async () => {
    const [, , d, e] = bills;
    const ids = [await record(d, d.amount, d.amount, 'BATCH-D1'), await record(e, e.amount, e.amount, 'BATCH-E1')];
    await db()('bills').where({ id: d.id }).update({ status: 'cancelled' });
    const results = await applyNotifications(db(), ids);
    expect(results.get(ids[0])).toEqual({ result: 'exception', reason: 'bill is cancelled' });
    expect(results.get(ids[1])).toMatchObject({ result: 'applied', status: 'paid' });
    expect(await db()('bank_notifications').where({ id: ids[0] }).first('status', 'reason')).toEqual({
      status: 'exception',
      reason: 'bill is cancelled',
    });
    expect(await paymentsOf(d.id)).toHaveLength(0);
  });

  it('When an intake group job and per-row jobs name the same rows, then each row is applied once: a job is only a wake-up', async () => {
    const [, , , , f, g] = bills;
    const ids = [await record(f, f.amount, f.amount, 'JOB-F1'), await record(g, g.amount, g.amount, 'JOB-G1')];
    const run = applyPaymentProcessor(db());
    const job = (data: unknown) => ({ id: 'test', data }) as Job<ApplyJob>;

    const outcomes = await Promise.all([run(job({ notificationIds: ids })), run(job({ notificationId: ids[0] })), run(job({ notificationIds: ids }))]);
    // The group job's rows form one batch; the jobs that came while it ran find them applied.
    expect(outcomes).toEqual(['applied 2', 'applied_before', 'applied_before 2']);
    expect(await run(job({ notificationIds: [...ids, 999_999_999] }))).toBe('applied_before 2, missing 1');
    expect(await run(job({ notificationId: ids[1] }))).toBe('applied_before');
    await expect(run(job({ notificationIds: [] }))).rejects.toThrow(/no valid notification ids/);

    for (const b of [f, g]) expect(await paymentsOf(b.id)).toHaveLength(1);
    await expectLedgerVerified();
  });
});
