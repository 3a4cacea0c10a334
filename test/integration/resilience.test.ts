import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { config } from '../../src/config';
import { db } from '../../src/db';
import { closeQueues } from '../../src/queues';
import { sweep } from '../../src/modules/reconciliation/sweeper';
import { sweepOptions } from '../../jobs/sweep';
import { startStack, Stack, waitFor } from '../support/harness';
import { assessAndIssue, bniEnvelope, expectLedgerVerified, postNotification } from '../support/payments';
import { PrivateRedis } from '../support/private-redis';

type Bill = { id: number; trx_id: string; virtual_account: string; amount: number };

const root = path.join(__dirname, '..', '..');

// Node itself with tsx as a loader: the tsx command runs the worker as a child of its own, which a
// SIGKILL of the command would leave running (an orphan worker on the run's queues and database).
function startWorkerProcess(): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'work'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'silent', WORKER_LOCK_MS: '2000' },
    stdio: 'ignore',
  });
}

/** 150 installment payments spread over the bills: each bill paid in tenths. */
function installments(bills: Bill[], count: number) {
  const next = new Map<number, number>();
  return Array.from({ length: count }, (_, i) => {
    const b = bills[i % bills.length];
    const k = (next.get(b.id) ?? 0) + 1;
    next.set(b.id, k);
    const part = Math.floor(b.amount / 10);
    return {
      bill: b,
      amount: part,
      envelope: bniEnvelope({
        trx_id: b.trx_id,
        virtual_account: b.virtual_account,
        trx_amount: b.amount,
        payment_amount: part,
        cumulative_payment_amount: part * k,
        payment_ntb: `BURST-${b.id}-${k}`,
      }),
    };
  });
}

async function expectAllApplied(sent: ReturnType<typeof installments>) {
  await waitFor(
    'every notification applied',
    async () => {
      const row = await db()('bank_notifications').where({ status: 'applied' }).count<{ n: number }[]>('* as n');
      return row[0].n === sent.length;
    },
    90_000,
  );
  const [{ n }] = await db()('payments').count<{ n: number }[]>('* as n');
  expect(n).toBe(sent.length);
  const expected = new Map<number, number>();
  for (const s of sent) expected.set(s.bill.id, (expected.get(s.bill.id) ?? 0) + s.amount);
  for (const [id, paid] of expected) {
    expect((await db()('bills').where({ id }).first()).paid_amount).toBe(paid);
  }
  await expectLedgerVerified();
}

describe('A worker killed mid-burst loses and doubles nothing', () => {
  let stack: Stack;
  let bills: Bill[];
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    stack = await startStack();
    bills = await assessAndIssue(stack);
    await stack.stopWorkers();
  });
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await stack.close();
  });

  it('When the worker process is SIGKILLed during 150 notifications and restarted, then every payment is applied exactly once', async () => {
    const sent = installments(bills, 150);
    worker = startWorkerProcess();
    for (const [i, s] of sent.entries()) {
      if (i === 60) {
        worker?.kill('SIGKILL');
        worker = undefined;
      }
      if (i === 100) worker = startWorkerProcess();
      const res = await postNotification(stack, s.envelope);
      expect(res.body).toEqual({ status: '000' });
    }
    await expectAllApplied(sent);
  });
});

describe('Redis down while notifications arrive delays payments, never loses them', () => {
  let stack: Stack;
  let bills: Bill[];
  const redis = new PrivateRedis();

  beforeAll(async () => {
    await redis.start();
    stack = await startStack();
    bills = await assessAndIssue(stack);
  });
  afterAll(async () => {
    await stack.close();
    await redis.close();
  });

  it('When Redis stops, the bank still gets 000 for what was recorded; when it is back, the sweeper queues the rest', async () => {
    const sent = installments(bills, 40);
    for (const s of sent.slice(0, 10)) expect((await postNotification(stack, s.envelope)).body).toEqual({ status: '000' });

    await redis.stop();
    for (const s of sent.slice(10, 30)) expect((await postNotification(stack, s.envelope)).body).toEqual({ status: '000' });
    const [{ n: pending }] = await db()('bank_notifications').where({ status: 'pending' }).count<{ n: number }[]>('* as n');
    expect(pending).toBeGreaterThan(0);

    await redis.start();
    await new Promise((r) => setTimeout(r, 500));
    for (const s of sent.slice(30)) expect((await postNotification(stack, s.envelope)).body).toEqual({ status: '000' });
    await sweep(db(), sweepOptions({ stuckAfterMs: 0, inquiryLimit: 0 }));
    await expectAllApplied(sent);
    expect(config().REDIS_URL).toBe(redis.url);
    await closeQueues();
  });
});
