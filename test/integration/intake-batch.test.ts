import type { Knex } from 'knex';
import type { Response } from 'supertest';
import { config } from '../../src/config';
import { db } from '../../src/db';
import { closeQueues } from '../../src/queues';
import { sweep } from '../../src/modules/reconciliation/sweeper';
import { sweepOptions } from '../../jobs/sweep';
import { startStack, Stack, waitFor } from '../support/harness';
import { assessAndIssue, bniEnvelope, expectLedgerVerified, postNotification } from '../support/payments';
import { PrivateRedis } from '../support/private-redis';

type Bill = { id: number; trx_id: string; virtual_account: string; amount: number };

/**
 * Group commit at intake (src/modules/payments/intake.ts): the notifications one API process has
 * at the same moment are written in one statement and acknowledged only after it commits. To know
 * which notifications share a group, the inbox table is locked: the first notification's group
 * waits on the lock, every notification that arrives meanwhile joins the next group, and that
 * group is written at once when the lock is released.
 */

/** An installment of a tenth of the bill, the k-th on it, with its own NTB. */
function installment(b: Bill, k: number, ntb: string, opts: { secret?: string } = {}) {
  const part = Math.floor(b.amount / 10);
  return bniEnvelope(
    {
      trx_id: b.trx_id,
      virtual_account: b.virtual_account,
      trx_amount: b.amount,
      payment_amount: part,
      cumulative_payment_amount: part * k,
      payment_ntb: ntb,
    },
    opts,
  );
}

/** Starts the request now (supertest only sends once it is awaited). */
const send = (stack: Stack, body: unknown): Promise<Response> => postNotification(stack, body).then((r) => r);

async function waitingOnLock(): Promise<boolean> {
  const { rows } = await db().raw(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO bank_notifications%'`,
  );
  return rows[0].n > 0;
}

/**
 * Holds the inbox locked while `first` is sent (its group then waits) and `rest` are sent (they
 * gather into the next group), then releases it. `whileHeld` runs before the release.
 */
async function inOneGroup(
  stack: Stack,
  first: unknown,
  rest: unknown[],
  whileHeld: (answers: Array<Promise<Response>>) => Promise<void> = async () => undefined,
): Promise<{ first: Response; rest: Response[] }> {
  const lock: Knex.Transaction = await db().transaction();
  let released = false;
  try {
    await lock.raw('LOCK TABLE bank_notifications IN EXCLUSIVE MODE');
    const head = send(stack, first);
    await waitFor('the first group to wait on the lock', waitingOnLock);
    const answers = rest.map((body) => send(stack, body));
    await new Promise((r) => setTimeout(r, 700));
    await whileHeld(answers);
    await lock.commit();
    released = true;
    return { first: await head, rest: await Promise.all(answers) };
  } finally {
    if (!released) await lock.rollback();
  }
}

const inboxRow = (ntb: string) => db()('bank_notifications').where({ payment_ref: ntb }).first();

describe('Notifications arriving together are written in one group and acknowledged after its commit', () => {
  let stack: Stack;
  let bills: Bill[];

  beforeAll(async () => {
    stack = await startStack();
    bills = await assessAndIssue(stack);
  });
  afterAll(() => stack.close());

  it('When many notifications and their copies arrive at once, then each is acknowledged and kept once, and copies count as duplicates', async () => {
    const [a, ...others] = bills;
    const ntbs = others.slice(0, 12).flatMap((b) => [1, 2].map((k) => ({ b, k, ntb: `GROUP-${b.id}-${k}` })));
    const bodies = new Map(ntbs.map(({ b, k, ntb }) => [ntb, installment(b, k, ntb)]));
    // Every notification twice in the same group, and the first six three times.
    const copies = ntbs.flatMap(({ ntb }, i) => Array.from({ length: i < 6 ? 3 : 2 }, () => bodies.get(ntb)));

    const { first, rest } = await inOneGroup(stack, installment(a, 1, 'GROUP-FIRST'), copies);
    expect(first.body).toEqual({ status: '000' });
    for (const r of rest) expect(r.body).toEqual({ status: '000' });

    const rows = await db()('bank_notifications').where('payment_ref', 'like', 'GROUP-%').orderBy('id');
    expect(rows.map((r: { payment_ref: string }) => r.payment_ref).sort()).toEqual(['GROUP-FIRST', ...ntbs.map((n) => n.ntb)].sort());
    for (const [i, { ntb }] of ntbs.entries()) {
      expect((await inboxRow(ntb)).duplicates).toBe(i < 6 ? 2 : 1);
    }
    // One statement for the whole group: one transaction time for all its rows, not the first's.
    const times = new Set(rows.filter((r: { payment_ref: string }) => r.payment_ref !== 'GROUP-FIRST').map((r: { received_at: Date }) => r.received_at.getTime()));
    expect(times.size).toBe(1);
    expect(times.has((await inboxRow('GROUP-FIRST')).received_at.getTime())).toBe(false);

    // The same notifications again, concurrently, in later groups: still duplicates, still 000.
    const again = await Promise.all(ntbs.slice(0, 8).map(({ ntb }) => send(stack, bodies.get(ntb))));
    for (const r of again) expect(r.body).toEqual({ status: '000' });
    for (const [i, { ntb }] of ntbs.slice(0, 8).entries()) {
      expect((await inboxRow(ntb)).duplicates).toBe(i < 6 ? 3 : 2);
    }

    await waitFor(
      'every notification applied',
      async () => (await db()('bank_notifications').where('payment_ref', 'like', 'GROUP-%').whereNot({ status: 'applied' })).length === 0,
    );
    const [{ n }] = await db()('payments').where('payment_ref', 'like', 'GROUP-%').count<{ n: number }[]>('* as n');
    expect(n).toBe(ntbs.length + 1);
    await expectLedgerVerified();
  });

  it('When the group write fails, then every notification in the group is answered with a failure and none of it is kept', async () => {
    expect(bills.length).toBeGreaterThanOrEqual(20);
    const [a, ...others] = bills.slice(13, 20);
    await db().raw(`
      CREATE FUNCTION poison_inbox() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.payment_ref = 'FAIL-POISON' THEN RAISE EXCEPTION 'the disk is full'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER poison_inbox BEFORE INSERT ON bank_notifications FOR EACH ROW EXECUTE FUNCTION poison_inbox();`);
    const innocent = others.slice(0, 5).map((b) => ({ ntb: `FAIL-${b.id}`, body: installment(b, 1, `FAIL-${b.id}`) }));
    let outcome;
    try {
      outcome = await inOneGroup(stack, installment(a, 1, 'FAIL-FIRST'), [
        ...innocent.map((i) => i.body),
        installment(others[5], 1, 'FAIL-POISON'),
      ]);
    } finally {
      await db().raw('DROP TRIGGER poison_inbox ON bank_notifications; DROP FUNCTION poison_inbox()');
    }
    expect(outcome.first.body).toEqual({ status: '000' });
    for (const r of outcome.rest) {
      expect(r.status).toBe(503);
      expect(r.body.status).not.toBe('000');
    }
    expect(await inboxRow('FAIL-FIRST')).toBeDefined();
    for (const ntb of [...innocent.map((i) => i.ntb), 'FAIL-POISON']) expect(await inboxRow(ntb)).toBeUndefined();

    // The bank sends them again: now they are taken.
    const resent = await Promise.all(innocent.map((i) => send(stack, i.body)));
    for (const r of resent) expect(r.body).toEqual({ status: '000' });
    for (const { ntb } of innocent) expect((await inboxRow(ntb)).duplicates).toBe(0);
  });

  it('When a malformed notification arrives inside a busy group, then it alone is rejected and logged, and the rest go through', async () => {
    const [a, ...others] = bills.slice(1, 5);
    const good = others.map((b) => ({ ntb: `MIX-${b.id}`, body: installment(b, 3, `MIX-${b.id}`) }));
    const bad = [
      installment(a, 4, 'MIX-WRONG-KEY', { secret: 'ffffffffffffffffffffffffffffffff' }),
      { ...installment(a, 4, 'MIX-FOREIGN'), client_id: '99999' },
      { client_id: config().BNI_CLIENT_ID, data: 'bm90IGVuY3J5cHRlZA' },
      'not json at all',
    ];
    const { first, rest } = await inOneGroup(stack, installment(a, 3, 'MIX-FIRST'), [...good.map((g) => g.body), ...bad], async (answers) => {
      // Rejected at once, while the group's write still waits on the lock.
      const rejected = await Promise.all(answers.slice(good.length));
      for (const r of rejected) expect(r.body.status).toBe('999');
    });
    expect(first.body).toEqual({ status: '000' });
    for (const r of rest.slice(0, good.length)) expect(r.body).toEqual({ status: '000' });
    for (const g of good) expect(await inboxRow(g.ntb)).toBeDefined();
    expect(await inboxRow('MIX-WRONG-KEY')).toBeUndefined();
    expect(await inboxRow('MIX-FOREIGN')).toBeUndefined();
    const reasons: string[] = await db()('bank_callback_rejections').orderBy('id', 'desc').limit(bad.length).pluck('reason');
    expect(reasons).toHaveLength(bad.length);
    expect(reasons).toEqual(
      expect.arrayContaining([expect.stringMatching(/decrypt/), 'body is not JSON', expect.stringMatching(/foreign client id/)]),
    );
  });
});

describe('Redis down while a group is written', () => {
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

  it('When Redis is away, then a concurrent group is still acknowledged and kept, and the sweeper queues it once Redis is back', async () => {
    await redis.stop();
    const sent = bills.slice(0, 15).map((b) => ({ b, ntb: `NOREDIS-${b.id}` }));
    const answers = await Promise.all(sent.map(({ b, ntb }) => send(stack, installment(b, 1, ntb))));
    for (const r of answers) expect(r.body).toEqual({ status: '000' });
    const pending = await db()('bank_notifications').where('payment_ref', 'like', 'NOREDIS-%').pluck('status');
    expect(pending).toEqual(sent.map(() => 'pending'));

    await redis.start();
    await new Promise((r) => setTimeout(r, 500));
    await sweep(db(), sweepOptions({ stuckAfterMs: 0, inquiryLimit: 0 }));
    await waitFor(
      'every notification applied',
      async () => (await db()('bank_notifications').where('payment_ref', 'like', 'NOREDIS-%').whereNot({ status: 'applied' })).length === 0,
      60_000,
    );
    const [{ n }] = await db()('payments').where('payment_ref', 'like', 'NOREDIS-%').count<{ n: number }[]>('* as n');
    expect(n).toBe(sent.length);
    await expectLedgerVerified();
    await closeQueues();
  });
});
