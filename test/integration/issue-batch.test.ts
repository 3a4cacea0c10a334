import request from 'supertest';
import { IssueBatcher } from '../../jobs/issue-va';
import { connectorFor, findChannelByCode, virtualAccountFor } from '../../src/banks/registry';
import { resetConfig } from '../../src/config';
import { db } from '../../src/db';
import { createAtBank, finalizeIssues, IssueOutcome, PreparedIssue, prepareIssues } from '../../src/modules/bills/issuing';
import { BNI_CHANNEL } from '../../seeds/padang';
import { startStack, Stack } from '../support/harness';
import { assessTowers, billRow, expectLedgerVerified } from '../support/payments';

type Bill = { id: number; bill_no: string; amount: number; status: string; trx_id: string | null; virtual_account: string | null };

/**
 * The issue worker takes bills in batches (jobs/issue-va.ts): one transaction prepares all of them,
 * each gets its own bank call, one transaction records the answers. Here the workers are stopped
 * and the steps are driven directly, against the BNI simulator.
 */
describe('VAs issued in batches', () => {
  let stack: Stack;
  let bills: Bill[];
  let next = 0;
  const take = (n: number) => bills.slice(next, (next += n));

  beforeAll(async () => {
    stack = await startStack({ workers: false });
    // Short, so a late answer from the bank is a timeout.
    process.env.BNI_TIMEOUT_MS = '300';
    resetConfig();
    await assessTowers(stack);
    bills = await db()('bills').orderBy('id');
    expect(bills.length).toBeGreaterThanOrEqual(16);
  });
  afterAll(() => stack.close());

  const requests = (batch: Bill[]) => batch.map((b) => ({ billId: b.id, finalAttempt: false }));
  const ready = (prepared: Array<PreparedIssue | IssueOutcome>) => prepared.filter((p): p is PreparedIssue => !('kind' in p));
  const simBase = () => stack.simUrl.replace(/\/$/, '');
  const auditOf = (b: Bill) => db()('audit_log').where({ entity_type: 'bill', entity_id: b.bill_no }).orderBy('seq').pluck('action');

  it('When bills are prepared, sent and finalized as one batch, then all are issued with distinct trx_ids, booked and audited', async () => {
    const batch = take(8);
    const prepared = ready(await prepareIssues(db(), requests(batch)));
    expect(prepared).toHaveLength(8);
    expect(prepared.map((p) => p.bill.status)).toEqual(Array(8).fill('issuing'));

    const answers = await Promise.all(prepared.map(async (p) => ({ prepared: p, result: await createAtBank(db(), p) })));
    const outcomes = await finalizeIssues(db(), answers);

    expect(outcomes.map((o) => o.kind)).toEqual(Array(8).fill('issued'));
    const rows = await db()('bills').whereIn('id', batch.map((b) => b.id)).orderBy('id');
    expect(rows.every((r: Bill) => r.status === 'issued')).toBe(true);
    expect(new Set(rows.map((r: Bill) => r.trx_id)).size).toBe(8);
    expect(rows.map((r: Bill) => r.trx_id)).toEqual(batch.map((b) => `${b.bill_no}-1`));
    for (const r of rows) {
      expect(stack.sim.state.bills.get(r.trx_id)).toMatchObject({ amount: r.amount, virtualAccount: r.virtual_account });
      expect(await auditOf(r)).toEqual(['bill.created', 'bill.issuing', 'bill.issued']);
    }
    const booked = await db()('ledger_entries').whereIn('bill_id', batch.map((b) => b.id)).where({ kind: 'bill_issued' });
    expect(booked).toHaveLength(8);
    await expectLedgerVerified();

    // Issued bills are not taken again, in a batch or alone.
    expect(await prepareIssues(db(), requests(batch.slice(0, 2)))).toEqual([
      { kind: 'skipped', status: 'issued' },
      { kind: 'skipped', status: 'issued' },
    ]);
  });

  it('When the bank refuses one bill of a batch (102, VA in use), then only that bill is issue_failed with the code and the others are issued', async () => {
    const batch = take(4);
    const victim = batch[2];
    // Another client's bill already holds the VA Kasda will ask for.
    const channel = (await findChannelByCode(db(), BNI_CHANNEL))!;
    const squatter = await connectorFor(db(), channel).createVa({
      trxId: 'NOT-KASDA-1',
      amount: 5000,
      billingType: 'c',
      customerName: 'Someone else',
      virtualAccount: virtualAccountFor(channel, victim.id),
      expiresAt: new Date(Date.now() + 86400_000),
      description: 'not ours',
    });
    expect(squatter.outcome).toBe('ok');

    const batcher = new IssueBatcher(db());
    const outcomes = await Promise.all(batch.map((b) => batcher.issue({ billId: b.id, finalAttempt: false })));

    expect(outcomes.map((o) => o.kind)).toEqual(['issued', 'issued', 'failed', 'issued']);
    expect(outcomes[2]).toMatchObject({ code: '102' });
    expect(await billRow(victim.id)).toMatchObject({ status: 'issue_failed', last_bank_status: '102' });
    expect(await auditOf(victim)).toEqual(['bill.created', 'bill.issuing', 'bill.issue_failed']);
    for (const b of batch.filter((x) => x !== victim)) expect((await billRow(b.id)).status).toBe('issued');
    await expectLedgerVerified();
  });

  it('When one bill of a batch cannot be finalized, then the batch is retried bill by bill and only that bill fails its job', async () => {
    const batch = take(4);
    const broken = batch[1];
    // Its lines no longer add up to its amount, so its ledger entry would not balance.
    const line = await db()('bill_lines').where({ bill_id: broken.id }).orderBy('line_no').first('id');
    await db()('bill_lines').where({ id: line.id }).increment('amount', 1);

    const batcher = new IssueBatcher(db());
    const settled = await Promise.allSettled(batch.map((b) => batcher.issue({ billId: b.id, finalAttempt: false })));

    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason.message).toMatch(/does not balance/);
    for (const b of batch.filter((x) => x !== broken)) expect((await billRow(b.id)).status).toBe('issued');
    // Nothing of the broken bill's finalize committed: it waits in issuing for its job's retry.
    expect(await billRow(broken.id)).toMatchObject({ status: 'issuing' });
    expect(await db()('ledger_entries').where({ bill_id: broken.id })).toHaveLength(0);

    await db()('bill_lines').where({ id: line.id }).decrement('amount', 1);
    const retried = await batcher.issue({ billId: broken.id, finalAttempt: false });
    expect(retried.kind).toBe('issued');
    // The bank already had the bill (105): Kasda inquired and adopted it under the same trx_id.
    expect(await db()('bank_references').where({ bill_id: broken.id }).pluck('trx_id')).toEqual([`${broken.bill_no}-1`]);
    await expectLedgerVerified();
  });

  it('When the bank answers too late and the worker dies between prepare and finalize, then the retry inquires, adopts the bank bills and reuses no trx_id', async () => {
    const batch = take(4);
    // The bank creates every bill but answers after the connector gave up, for creates and
    // the inquiries that follow them alike: nothing the worker hears says whether they exist.
    await request(simBase()).post('/sim/faults').send({ delay_ms: 1000, count: 1000 }).expect(201);

    const prepared = ready(await prepareIssues(db(), requests(batch)));
    const trxIds = prepared.map((p) => p.request.trxId);
    const results = await Promise.all(prepared.map((p) => createAtBank(db(), p)));
    expect(results.map((r) => r.outcome)).toEqual(Array(4).fill('timeout'));
    // The worker dies here: no finalize. The bank is back.
    await request(simBase()).delete('/sim/faults').expect(204);
    for (const id of trxIds) expect(stack.sim.state.bills.get(id)).toBeDefined();
    const atBank = stack.sim.bills().length;
    for (const b of batch) expect(await billRow(b.id)).toMatchObject({ status: 'issuing' });

    const batcher = new IssueBatcher(db());
    const outcomes = await Promise.all(batch.map((b) => batcher.issue({ billId: b.id, finalAttempt: false })));

    expect(outcomes.map((o) => o.kind)).toEqual(Array(4).fill('issued'));
    const rows = await db()('bills').whereIn('id', batch.map((b) => b.id)).orderBy('id');
    expect(rows.map((r: Bill) => r.trx_id)).toEqual(trxIds);
    expect(stack.sim.bills()).toHaveLength(atBank);
    const references = await db()('bank_references').whereIn('bill_id', batch.map((b) => b.id)).pluck('trx_id');
    expect(references.sort()).toEqual([...trxIds].sort());
    const calls = await db()('bank_requests').whereIn('trx_id', trxIds).orderBy('id').select('trx_id', 'operation', 'status_code');
    for (const id of trxIds) {
      const mine = calls.filter((c: { trx_id: string }) => c.trx_id === id);
      // Every create after the first comes after an inquiry of the same trx_id.
      mine.forEach((c: { operation: string }, i: number) => {
        if (c.operation === 'createbilling' && i > 0) expect(mine.slice(0, i).some((x: { operation: string }) => x.operation === 'inquirybilling')).toBe(true);
      });
      expect(mine.at(-1)).toMatchObject({ operation: 'inquirybilling', status_code: '000' });
    }
    await expectLedgerVerified();
  });
});
