import nock from 'nock';
import request from 'supertest';
import { decrypt, encrypt } from '../../src/banks/bni-ecollection/bni-enc';
import { config, resetConfig } from '../../src/config';
import { db } from '../../src/db';
import { issueBill } from '../../src/modules/bills/issuing';
import { startStack, Stack, waitFor } from '../support/harness';
import { assessTowers } from '../support/payments';

/** The bank's error answers, produced by nock at the HTTP boundary, and what each leaves behind. */
const BNI = 'http://bni.test';

describe('Issuing a VA when BNI answers with an error', () => {
  let stack: Stack;
  let admin: string;
  let billIds: number[];

  beforeAll(async () => {
    stack = await startStack({ workers: false });
    admin = stack.token({ role: 'admin' });
    process.env.BNI_BASE_URL = `${BNI}/`;
    process.env.BNI_TIMEOUT_MS = '300';
    resetConfig();
    await assessTowers(stack);
    billIds = (await db()('bills').orderBy('id').select('id')).map((b: { id: number }) => b.id);
  });
  afterEach(() => nock.cleanAll());
  afterAll(() => stack.close());

  const keys = () => [config().BNI_CLIENT_ID, config().BNI_SECRET_KEY] as const;
  const ok = (data: object) => ({ status: '000', data: encrypt(data, ...keys()) });
  const decoded = (body: { data: string }) => decrypt(body.data, ...keys()) as Record<string, string>;
  const bill = (id: number) => db()('bills').where({ id }).first();

  it('When BNI answers 102 (VA in use), then the bill is issue_failed with the code and message, and an operator retry issues it', async () => {
    const id = billIds[0];
    nock(BNI).post('/').reply(200, { status: '102', message: 'VA Number is in use.' });
    const result = await issueBill(db(), id, { finalAttempt: false });
    expect(result).toMatchObject({ kind: 'failed', code: '102' });
    const failed = await bill(id);
    expect(failed).toMatchObject({ status: 'issue_failed', last_bank_status: '102', last_bank_message: 'VA Number is in use.' });

    const shown = await request(stack.url).get(`/api/v1/bills/${failed.bill_no}`).set('Authorization', `Bearer ${admin}`);
    expect(shown.body).toMatchObject({ status: 'issue_failed', last_bank_status: '102' });

    const retry = await request(stack.url).post(`/api/v1/bills/${failed.bill_no}/issue`).set('Authorization', `Bearer ${admin}`);
    expect(retry.status).toBe(202);
    expect(retry.body.status).toBe('issuing');
    const again = await request(stack.url).post(`/api/v1/bills/${failed.bill_no}/issue`).set('Authorization', `Bearer ${admin}`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('bill_not_retryable');

    nock(BNI)
      .post('/')
      .reply(200, (_uri, body) => ok({ virtual_account: decoded(body as { data: string }).virtual_account, trx_id: failed.trx_id }));
    expect((await issueBill(db(), id, { finalAttempt: false })).kind).toBe('issued');
    const issued = await bill(id);
    expect(issued).toMatchObject({ status: 'issued', trx_id: failed.trx_id, last_bank_status: '000' });
  });

  it('When BNI answers 997 (offline) and then succeeds, then the call is retried and the bill issued', async () => {
    const id = billIds[1];
    nock(BNI).post('/').reply(200, { status: '997', message: 'System is temporarily offline.' });
    nock(BNI)
      .post('/')
      .reply(200, (_uri, body) => {
        const p = decoded(body as { data: string });
        return ok({ virtual_account: p.virtual_account, trx_id: p.trx_id });
      });
    expect((await issueBill(db(), id, { finalAttempt: false })).kind).toBe('issued');
    expect(nock.isDone()).toBe(true);
  });

  it('When BNI throttles (996), then the bill waits in issuing for the queue to back off', async () => {
    const id = billIds[2];
    nock(BNI).post('/').reply(200, { status: '996', message: 'Too many inquiries.' });
    expect((await issueBill(db(), id, { finalAttempt: false })).kind).toBe('throttled');
    expect(await bill(id)).toMatchObject({ status: 'issuing', last_bank_status: '996' });
    expect(nock.isDone()).toBe(true);
  });

  it('When createbilling times out, then Kasda inquires before retrying and adopts the bill the bank did create', async () => {
    const id = billIds[3];
    let created: Record<string, string> = {};
    nock(BNI)
      .post('/')
      .delay(1000)
      .reply(200, (_uri, body) => {
        created = decoded(body as { data: string });
        return ok({ virtual_account: created.virtual_account, trx_id: created.trx_id });
      });
    const inquiries: string[] = [];
    nock(BNI)
      .post('/')
      .reply(200, (_uri, body) => {
        const p = decoded(body as { data: string });
        inquiries.push(p.type);
        const b = created.trx_id ? created : p;
        return ok({
          client_id: config().BNI_CLIENT_ID,
          trx_id: p.trx_id,
          trx_amount: created.trx_amount,
          virtual_account: b.virtual_account,
          customer_name: created.customer_name,
          payment_amount: '0',
          va_status: '1',
          billing_type: 'c',
          datetime_created: '2026-11-29 10:00:00',
          datetime_expired: '2027-04-01 23:59:59',
          datetime_payment: null,
          payment_ntb: null,
        });
      });
    expect((await issueBill(db(), id, { finalAttempt: false })).kind).toBe('issued');
    expect(inquiries).toEqual(['inquirybilling']);
    const row = await bill(id);
    expect(row.status).toBe('issued');
    expect(row.virtual_account).toBe(created.virtual_account);
  });

  it('When the trx_id is taken at the bank by a bill that is not ours, then a new trx_id is used and the old one is never reused', async () => {
    const id = billIds[4];
    const first = (await bill(id)).bill_no;
    nock(BNI).post('/').reply(200, { status: '105', message: 'Duplicate Billing ID.' });
    nock(BNI)
      .post('/')
      .reply(200, (_uri, body) =>
        ok({ trx_id: decoded(body as { data: string }).trx_id, trx_amount: '1', virtual_account: '9880012399999999', va_status: '1', payment_amount: '0' }),
      );
    expect((await issueBill(db(), id, { finalAttempt: false })).kind).toBe('retry');
    expect((await bill(id)).trx_id).toBeNull();

    nock(BNI)
      .post('/')
      .reply(200, (_uri, body) => {
        const p = decoded(body as { data: string });
        return ok({ virtual_account: p.virtual_account, trx_id: p.trx_id });
      });
    expect((await issueBill(db(), id, { finalAttempt: false })).kind).toBe('issued');
    const refs = await db()('bank_references').where({ bill_id: id }).orderBy('id').pluck('trx_id');
    expect(refs).toEqual([`${first}-1`, `${first}-2`]);
    expect((await bill(id)).trx_id).toBe(`${first}-2`);
  });

  it('When the bank keeps failing until the last attempt, then the bill is left issue_failed for an operator', async () => {
    const id = billIds[5];
    nock(BNI).post('/').times(3).reply(200, { status: '999', message: 'Internal error.' });
    expect((await issueBill(db(), id, { finalAttempt: true })).kind).toBe('failed');
    expect(await bill(id)).toMatchObject({ status: 'issue_failed', last_bank_status: '999' });
  });

  it('When BNI answers an HTML error page, then it is a transient failure, not a crash', async () => {
    const id = billIds[6];
    nock(BNI).post('/').times(3).reply(502, '<html><body>Bad Gateway</body></html>');
    const result = await issueBill(db(), id, { finalAttempt: false });
    expect(result.kind).toBe('retry');
    expect((await bill(id)).status).toBe('issuing');
  });

  it('When bills are issued together and one answer cannot be stored as it came (a NUL in its message), then every call is still logged and each bill ends as its own answer says', async () => {
    const ids = billIds.slice(7, 11);
    const before = Number((await db()('bank_requests').count({ n: '*' }))[0].n);
    nock(BNI).post('/').reply(200, { status: '102', message: 'VA Number\u0000 is in use.' });
    nock(BNI)
      .post('/')
      .times(3)
      .reply(200, (_uri, body) => {
        const p = decoded(body as { data: string });
        return ok({ virtual_account: p.virtual_account, trx_id: p.trx_id });
      });
    const results = await Promise.all(ids.map((id) => issueBill(db(), id, { finalAttempt: false })));
    expect(results.map((r) => r.kind).sort()).toEqual(['failed', 'issued', 'issued', 'issued']);
    const failed = await bill(ids[results.findIndex((r) => r.kind === 'failed')]);
    expect(failed).toMatchObject({ status: 'issue_failed', last_bank_status: '102', last_bank_message: 'VA Number is in use.' });
    expect(Number((await db()('bank_requests').count({ n: '*' }))[0].n)).toBe(before + 4);
    const logged = await db()('bank_requests').orderBy('id', 'desc').limit(4).select('status_code', 'response');
    expect(logged.map((r: { status_code: string }) => r.status_code).sort()).toEqual(['000', '000', '000', '102']);
    expect(logged.find((r: { status_code: string }) => r.status_code === '102').response.message).toBe('VA Number is in use.');
  });

  it('Every bank call is logged without the secret key', async () => {
    const rows = await db()('bank_requests').select('request', 'response', 'status_code', 'operation');
    expect(rows.length).toBeGreaterThan(5);
    const text = JSON.stringify(rows);
    expect(text).not.toContain(config().BNI_SECRET_KEY);
    expect(rows.map((r: { operation: string }) => r.operation)).toEqual(expect.arrayContaining(['createbilling', 'inquirybilling']));
  });

  it('An issued bill is not issued twice', async () => {
    const id = billIds[1];
    expect(await issueBill(db(), id, { finalAttempt: false })).toEqual({ kind: 'skipped', status: 'issued' });
  });
});

describe('Re-issuing a bill whose VA expired unpaid', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it('When an expired bill is issued again, then it keeps its number and gets a new trx_id and VA lifetime', async () => {
    const admin = stack.token({ role: 'admin' });
    const res = await request(stack.url)
      .post('/api/v1/assessments')
      .set('Authorization', `Bearer ${admin}`)
      .send({ levy_type: 'retribusi-menara', period: '2027' });
    const [first] = await waitFor('bills issued', async () => {
      const done = await db()('bills').where({ assessment_id: res.body.id, status: 'issued' }).orderBy('id');
      return done.length === 22 ? done : undefined;
    });
    // The VA lapsed at the bank, and the sweeper marked the bill expired.
    stack.sim.state.bills.get(first.trx_id)!.expiresAt = new Date(Date.now() - 1000);
    await db()('bills').where({ id: first.id }).update({ status: 'expired' });

    const again = await request(stack.url).post(`/api/v1/bills/${first.bill_no}/issue`).set('Authorization', `Bearer ${admin}`);
    expect(again.status).toBe(202);
    const reissued = await waitFor('re-issued', async () => {
      const b = await db()('bills').where({ id: first.id }).first();
      return b.status === 'issued' ? b : undefined;
    });
    expect(reissued.bill_no).toBe(first.bill_no);
    expect(reissued.trx_id).toBe(`${first.bill_no}-2`);
    expect(reissued.trx_id).not.toBe(first.trx_id);
    expect(stack.sim.state.bills.get(reissued.trx_id)?.amount).toBe(first.amount);
    expect(await db()('bank_references').where({ bill_id: first.id }).pluck('trx_id')).toEqual([first.trx_id, reissued.trx_id]);
    const audit = await db()('audit_log').where({ entity_id: first.bill_no, action: 'bill.reissue' });
    expect(audit).toHaveLength(1);
  });
});
