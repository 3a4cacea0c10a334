import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { decrypt, encrypt } from '../../src/banks/bni-ecollection/bni-enc';
import { BniEcollectionConnector, formatWib, formatWibIso } from '../../src/banks/bni-ecollection/connector';
import {
  createBankSimulator,
  startBankSimulator,
  type BankSimulatorOptions,
} from '../../src/banks/bni-ecollection/simulator';
import type { BankCallLog, VaRequest } from '../../src/banks/types';

const CLIENT = '00123';
const SECRET = 'ea0c88921fb033387e66ef7d1e82ab83';
const PREFIX = '988';
const VA = '9880012300000001';
const DAY_MS = 86_400_000;

type Json = Record<string, unknown>;

/** A simulator on a clock the test moves, and a client speaking the protocol to it. */
function setup(options: Partial<BankSimulatorOptions> = {}) {
  const clock = { ms: Date.parse('2027-02-01T01:00:00Z') };
  const sim = createBankSimulator({
    clientId: CLIENT,
    secret: SECRET,
    prefix: PREFIX,
    callbackUrl: 'http://127.0.0.1:9/unreachable',
    now: () => clock.ms,
    ...options,
  });
  const seconds = () => Math.floor(clock.ms / 1000);
  async function call(payload: Json, envelope: Json = {}) {
    const data = encrypt({ client_id: CLIENT, ...payload }, CLIENT, SECRET, seconds());
    const res = await request(sim.app)
      .post('/')
      .send({ client_id: CLIENT, prefix: PREFIX, data, ...envelope });
    expect(res.status).toBe(200);
    const body = res.body as Json;
    const decrypted = body.data ? (decrypt(body.data, CLIENT, SECRET, seconds()) as Json) : undefined;
    return { status: body.status, message: body.message, data: decrypted };
  }
  const bill = (overrides: Json = {}): Json => ({
    type: 'createbilling',
    trx_id: 'T1',
    trx_amount: '150000',
    billing_type: 'c',
    customer_name: 'Budi Santoso',
    customer_email: 'budi@example.co.id',
    customer_phone: '628123456789',
    virtual_account: VA,
    datetime_expired: formatWibIso(new Date(clock.ms + DAY_MS)),
    description: 'Retribusi menara',
    ...overrides,
  });
  const update = (overrides: Json = {}): Json => ({
    type: 'updatebilling',
    trx_id: 'T1',
    trx_amount: '150000',
    customer_name: 'Budi Santoso',
    customer_email: 'budi@example.co.id',
    customer_phone: '628123456789',
    datetime_expired: formatWibIso(new Date(clock.ms + DAY_MS)),
    description: 'Retribusi menara',
    ...overrides,
  });
  const inquire = (trxId = 'T1') => call({ type: 'inquirybilling', trx_id: trxId });
  return { sim, clock, call, bill, update, inquire };
}

describe('bank simulator: protocol', () => {
  it('answers 998 without a JSON content type', async () => {
    const { sim } = setup();
    const res = await request(sim.app).post('/').set('Content-Type', 'text/plain').send('client_id=00123');
    expect(res.body).toEqual({ status: '998', message: 'Wrong Content-Type' });
    expect((await request(sim.app).post('/')).body).toMatchObject({ status: '998' });
  });

  it('answers malformed, non-object or oversized JSON with a JSON failure status', async () => {
    const { sim } = setup();
    const bad = await request(sim.app).post('/').set('Content-Type', 'application/json').send('{"client_id": ');
    expect(bad.status).toBe(200);
    expect(bad.body).toMatchObject({ status: '001' });
    const array = await request(sim.app).post('/').send([1, 2]);
    expect(array.body).toMatchObject({ status: '001' });
    const huge = await request(sim.app)
      .post('/')
      .send({ client_id: CLIENT, data: 'A'.repeat(64 * 1024) });
    expect(huge.body).toMatchObject({ status: '001' });
  });

  it('checks the envelope: client id, data, decryption, payload client id, type', async () => {
    const { call, clock } = setup();
    expect(await call({ type: 'inquirybilling', trx_id: 'T1' }, { client_id: '00999' })).toMatchObject({ status: '002' });
    expect(await call({ type: 'inquirybilling', trx_id: 'T1' }, { data: undefined })).toMatchObject({ status: '001' });
    expect(await call({ type: 'inquirybilling', trx_id: 'T1' }, { data: 'bm90IEJuaUVuYw' })).toMatchObject({ status: '001' });
    const stale = encrypt({ client_id: CLIENT, type: 'inquirybilling', trx_id: 'T1' }, CLIENT, SECRET, clock.ms / 1000 - 481);
    expect(await call({}, { data: stale })).toMatchObject({ status: '001', message: expect.stringMatching(/clock/) });
    const otherKey = encrypt({ client_id: CLIENT, type: 'inquirybilling', trx_id: 'T1' }, CLIENT, 'wrong', clock.ms / 1000);
    expect(await call({}, { data: otherKey })).toMatchObject({ status: '001' });
    expect(await call({ type: 'inquirybilling', trx_id: 'T1', client_id: '00999' })).toMatchObject({ status: '002' });
    expect(await call({ trx_id: 'T1' })).toMatchObject({ status: '005' });
    expect(await call({ type: 'createbillingsms', trx_id: 'T1' })).toMatchObject({ status: '004' });
    expect(await call({ type: 'toString', trx_id: 'T1' })).toMatchObject({ status: '004' });
  });

  describe('createbilling', () => {
    it('creates and answers the encrypted VA and trx_id', async () => {
      const { call, bill } = setup();
      expect(await call(bill())).toEqual({ status: '000', message: undefined, data: { virtual_account: VA, trx_id: 'T1' } });
    });

    it.each(['trx_id', 'trx_amount', 'billing_type', 'customer_name'])('001 without %s', async (name) => {
      const { call, bill } = setup();
      expect(await call(bill({ [name]: undefined }))).toMatchObject({ status: '001' });
      expect(await call(bill({ [name]: '' }))).toMatchObject({ status: '001' });
    });

    it('001 for a trx_id over 30 characters or a description over 100', async () => {
      const { call, bill } = setup();
      expect(await call(bill({ trx_id: 'X'.repeat(31) }))).toMatchObject({ status: '001' });
      expect(await call(bill({ description: 'd'.repeat(101) }))).toMatchObject({ status: '001' });
      expect(await call(bill({ trx_id: 'X'.repeat(30), description: 'd'.repeat(100) }))).toMatchObject({ status: '000' });
    });

    it('016 for an unknown billing type', async () => {
      const { call, bill } = setup();
      expect(await call(bill({ billing_type: 'z' }))).toMatchObject({ status: '016' });
    });

    it.each(['1500.50', '1.500', '-5', 'abc', '1e5', '123456789012345'])('013 for amount %s', async (amount) => {
      const { call, bill } = setup();
      expect(await call(bill({ trx_amount: amount }))).toMatchObject({ status: '013' });
    });

    it('accepts the amount as a number too', async () => {
      const { call, bill } = setup();
      expect(await call(bill({ trx_amount: 150000 }))).toMatchObject({ status: '000' });
    });

    it('011 when the billing type does not match the amount', async () => {
      const { call, bill } = setup();
      expect(await call(bill({ billing_type: 'o', trx_amount: '1000' }))).toMatchObject({ status: '011' });
      expect(await call(bill({ billing_type: 'c', trx_amount: '0' }))).toMatchObject({ status: '011' });
      expect(await call(bill({ billing_type: 'o', trx_amount: '0' }))).toMatchObject({ status: '000' });
    });

    it('012 for an unparsable, impossible or past expiry; none means no expiry', async () => {
      const { call, bill, clock } = setup();
      expect(await call(bill({ datetime_expired: 'tomorrow' }))).toMatchObject({ status: '012' });
      expect(await call(bill({ datetime_expired: '2027-02-30 10:00:00' }))).toMatchObject({ status: '012' });
      expect(await call(bill({ datetime_expired: formatWib(new Date(clock.ms - 1000)) }))).toMatchObject({ status: '012' });
      expect(await call(bill({ datetime_expired: formatWib(new Date(clock.ms + 60_000)) }))).toMatchObject({ status: '000' });
      const noExpiry = bill({ trx_id: 'T2', virtual_account: '', datetime_expired: undefined });
      expect(await call(noExpiry)).toMatchObject({ status: '000' });
    });

    it('105 for a reused trx_id, even after the bill was deactivated', async () => {
      const { call, bill } = setup();
      await call(bill());
      expect(await call(bill({ virtual_account: '' }))).toMatchObject({ status: '105' });
      expect(await call({ type: 'inactivebilling', trx_id: 'T1', virtual_account: VA })).toMatchObject({ status: '000' });
      expect(await call(bill())).toMatchObject({ status: '105' });
    });

    it('105 for a reused trx_id after the bill expired', async () => {
      const { call, bill, clock } = setup();
      await call(bill());
      clock.ms += 2 * DAY_MS;
      expect(await call(bill())).toMatchObject({ status: '105' });
    });

    it.each([
      ['too short', '988001230000001'],
      ['not digits', '98800123000000AB'],
      ['another client', '9880099900000001'],
      ['another prefix', '8880012300000001'],
    ])('006 for a VA that is %s', async (_why, va) => {
      const { call, bill } = setup();
      expect(await call(bill({ virtual_account: va }))).toMatchObject({ status: '006' });
    });

    it('assigns a 16-digit VA under prefix and client id when none is given', async () => {
      const { call, bill } = setup();
      const first = await call(bill({ virtual_account: '' }));
      const second = await call(bill({ trx_id: 'T2', virtual_account: undefined }));
      for (const r of [first, second]) {
        expect(r.status).toBe('000');
        expect(r.data?.virtual_account).toMatch(/^98800123\d{8}$/);
      }
      expect(first.data?.virtual_account).not.toBe(second.data?.virtual_account);
    });

    it('102 for a VA on an active bill; free again once that bill is deactivated', async () => {
      const { call, bill } = setup();
      await call(bill());
      expect(await call(bill({ trx_id: 'T2' }))).toMatchObject({ status: '102' });
      await call({ type: 'inactivebilling', trx_id: 'T1' });
      expect(await call(bill({ trx_id: 'T2' }))).toMatchObject({ status: '000' });
    });
  });

  describe('inquirybilling', () => {
    it('answers every field as a string, null when unset, datetimes naive WIB', async () => {
      const { call, bill, inquire } = setup();
      await call(bill({ customer_email: '', description: '', datetime_expired: '2027-03-02T23:59:59+07:00' }));
      const { status, data } = await inquire();
      expect(status).toBe('000');
      expect(data).toEqual({
        client_id: CLIENT,
        trx_id: 'T1',
        trx_amount: '150000',
        virtual_account: VA,
        customer_name: 'Budi Santoso',
        customer_email: null,
        customer_phone: '6281xxxxx789',
        datetime_created: '2027-02-01 08:00:00',
        datetime_expired: '2027-03-02 23:59:59',
        datetime_payment: null,
        datetime_last_updated: '2027-02-01 08:00:00',
        payment_ntb: null,
        payment_amount: '0',
        va_status: '1',
        billing_type: 'c',
        description: null,
        datetime_created_iso8601: '2027-02-01T08:00:00+07:00',
        datetime_expired_iso8601: '2027-03-02T23:59:59+07:00',
        datetime_payment_iso8601: null,
        datetime_last_updated_iso8601: '2027-02-01T08:00:00+07:00',
      });
    });

    it('001 without trx_id, 101 for an unknown one', async () => {
      const { call, inquire } = setup();
      expect(await call({ type: 'inquirybilling' })).toMatchObject({ status: '001' });
      expect(await inquire('NOPE')).toMatchObject({ status: '101', message: 'Billing not found' });
    });

    it('996 past the hourly limit, free again an hour later', async () => {
      const { call, bill, inquire, clock } = setup({ inquiryLimitPerHour: 2 });
      await call(bill());
      expect(await inquire()).toMatchObject({ status: '000' });
      clock.ms += 30 * 60_000;
      expect(await inquire()).toMatchObject({ status: '000' });
      expect(await inquire()).toMatchObject({ status: '996' });
      clock.ms += 30 * 60_000 + 1;
      expect(await inquire()).toMatchObject({ status: '000' });
    });

    it('shows an expired bill as inactive', async () => {
      const { call, bill, inquire, clock } = setup();
      await call(bill());
      clock.ms += 2 * DAY_MS;
      expect((await inquire()).data).toMatchObject({ va_status: '2', payment_amount: '0' });
    });
  });

  describe('updatebilling', () => {
    it('changes the bill and blanks every optional field left out', async () => {
      const { call, bill, inquire } = setup();
      await call(bill());
      const result = await call({ type: 'updatebilling', trx_id: 'T1', trx_amount: '175000', customer_name: 'Budi S.' });
      expect(result).toMatchObject({ status: '000', data: { virtual_account: VA, trx_id: 'T1' } });
      expect((await inquire()).data).toMatchObject({
        trx_amount: '175000',
        customer_name: 'Budi S.',
        customer_email: null,
        customer_phone: null,
        description: null,
        datetime_expired: null,
        billing_type: 'c',
        virtual_account: VA,
      });
    });

    it('keeps what is resent', async () => {
      const { call, bill, update, inquire } = setup();
      await call(bill());
      expect(await call(update({ trx_amount: '200000' }))).toMatchObject({ status: '000' });
      expect((await inquire()).data).toMatchObject({
        trx_amount: '200000',
        customer_email: 'budi@example.co.id',
        description: 'Retribusi menara',
      });
    });

    it('validates like create: 001, 101, 013, 011, 012', async () => {
      const { call, bill, update } = setup();
      await call(bill());
      expect(await call(update({ customer_name: '' }))).toMatchObject({ status: '001' });
      expect(await call(update({ trx_amount: undefined }))).toMatchObject({ status: '001' });
      expect(await call(update({ trx_id: 'NOPE' }))).toMatchObject({ status: '101' });
      expect(await call(update({ trx_amount: '10.5' }))).toMatchObject({ status: '013' });
      expect(await call(update({ trx_amount: '0' }))).toMatchObject({ status: '011' });
      expect(await call(update({ datetime_expired: '2020-01-01 00:00:00' }))).toMatchObject({ status: '012' });
    });

    it('107 below what an installment bill has already received', async () => {
      const { call, bill, update, sim } = setup();
      await call(bill({ billing_type: 'i', trx_amount: '300000' }));
      await sim.pay('T1', { amount: 100000, notify: false });
      expect(await call(update({ trx_amount: '99999' }))).toMatchObject({ status: '107' });
      expect(await call(update({ trx_amount: '100000' }))).toMatchObject({ status: '000' });
    });

    it('100 for a paid bill, 103 for an expired or deactivated one', async () => {
      const { call, bill, update, sim, clock } = setup();
      await call(bill());
      await sim.pay('T1', { notify: false });
      expect(await call(update())).toMatchObject({ status: '100' });

      await call(bill({ trx_id: 'T2', virtual_account: '' }));
      await call({ type: 'inactivebilling', trx_id: 'T2' });
      expect(await call(update({ trx_id: 'T2' }))).toMatchObject({ status: '103' });

      await call(bill({ trx_id: 'T3', virtual_account: '' }));
      clock.ms += 2 * DAY_MS;
      expect(await call(update({ trx_id: 'T3' }))).toMatchObject({ status: '103' });
    });
  });

  describe('inactivebilling', () => {
    it('deactivates, idempotently; inquiry then shows va_status 2', async () => {
      const { call, bill, inquire } = setup();
      await call(bill());
      const first = await call({ type: 'inactivebilling', trx_id: 'T1', virtual_account: VA });
      expect(first).toMatchObject({ status: '000', data: { virtual_account: VA, trx_id: 'T1' } });
      expect(await call({ type: 'inactivebilling', trx_id: 'T1', virtual_account: VA })).toMatchObject({ status: '000' });
      expect((await inquire()).data).toMatchObject({ va_status: '2', payment_amount: '0', datetime_payment: null });
    });

    it('001, 101, 006 for another VA, 100 when paid, 103 when expired', async () => {
      const { call, bill, sim, clock } = setup();
      expect(await call({ type: 'inactivebilling' })).toMatchObject({ status: '001' });
      expect(await call({ type: 'inactivebilling', trx_id: 'NOPE' })).toMatchObject({ status: '101' });
      await call(bill());
      expect(await call({ type: 'inactivebilling', trx_id: 'T1', virtual_account: '9880012300000002' })).toMatchObject({
        status: '006',
      });
      await sim.pay('T1', { notify: false });
      expect(await call({ type: 'inactivebilling', trx_id: 'T1' })).toMatchObject({ status: '100' });
      await call(bill({ trx_id: 'T2', virtual_account: '' }));
      clock.ms += 2 * DAY_MS;
      expect(await call({ type: 'inactivebilling', trx_id: 'T2' })).toMatchObject({ status: '103' });
    });
  });

  describe('faults and latency', () => {
    it('answers an injected status for the next N matching requests only', async () => {
      const { sim, call, bill, inquire } = setup();
      const res = await request(sim.app).post('/sim/faults').send({ status: '997', count: 2, operation: 'createbilling' });
      expect(res.status).toBe(201);
      expect(await inquire()).toMatchObject({ status: '101' });
      expect(await call(bill())).toEqual({ status: '997', message: 'System is temporarily offline', data: undefined });
      expect(await call(bill())).toMatchObject({ status: '997' });
      expect(await call(bill())).toMatchObject({ status: '000' });
    });

    it('applies a fault without operation to any request, and DELETE clears faults', async () => {
      const { sim, call, bill, inquire } = setup();
      await request(sim.app).post('/sim/faults').send({ status: '999', count: 5 });
      expect(await inquire()).toMatchObject({ status: '999' });
      expect((await request(sim.app).delete('/sim/faults')).status).toBe(204);
      expect(await call(bill())).toMatchObject({ status: '000' });
    });

    it('a delay-only fault processes the request and answers late', async () => {
      const { sim, call, bill } = setup();
      await request(sim.app).post('/sim/faults').send({ delay_ms: 150, operation: 'createbilling' });
      const started = Date.now();
      expect(await call(bill())).toMatchObject({ status: '000' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(sim.state.faults).toHaveLength(0);
    });

    it.each([
      [{}],
      [{ status: '97' }],
      [{ status: 997 }],
      [{ status: '997', count: 0 }],
      [{ status: '997', operation: 'paybilling' }],
      [{ delay_ms: -1 }],
      [[1]],
    ])('refuses the fault %p', async (body) => {
      const { sim } = setup();
      const res = await request(sim.app).post('/sim/faults').send(body);
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual(expect.any(String));
    });

    it('delays every protocol answer by latencyMs', async () => {
      const { inquire } = setup({ latencyMs: 120 });
      const started = Date.now();
      await inquire();
      expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    });
  });

  describe('operator routes', () => {
    it('lists bills and shows one, with its state', async () => {
      const { sim, call, bill } = setup();
      await call(bill());
      const list = await request(sim.app).get('/sim/bills');
      expect(list.body).toEqual([
        expect.objectContaining({ trxId: 'T1', virtualAccount: VA, amount: 150000, state: 'active' }),
      ]);
      const one = await request(sim.app).get('/sim/bills/T1');
      expect(one.body).toMatchObject({ trxId: 'T1', paidAmount: 0, state: 'active' });
      expect((await request(sim.app).get('/sim/bills/NOPE')).status).toBe(404);
      expect(sim.bills()).toHaveLength(1);
    });

    it('answers unknown routes with JSON', async () => {
      const { sim } = setup();
      const res = await request(sim.app).get('/nothing');
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'no such route' });
    });

    it('pays installments cumulatively and closes the bill at the full amount', async () => {
      const { sim, call, bill, inquire } = setup();
      await call(bill({ billing_type: 'i', trx_amount: '300000' }));
      const first = await request(sim.app).post('/sim/bills/T1/pay').send({ amount: 100000, notify: false });
      expect(first.status).toBe(200);
      expect(first.body.notification).toMatchObject({
        payment_amount: '100000',
        cumulative_payment_amount: '100000',
        trx_amount: '300000',
      });
      expect(first.body.callback).toBeUndefined();
      expect((await inquire()).data).toMatchObject({ va_status: '1', payment_amount: '100000' });
      const rest = await request(sim.app).post('/sim/bills/T1/pay').send({ notify: false });
      expect(rest.body.notification).toMatchObject({ payment_amount: '200000', cumulative_payment_amount: '300000' });
      expect((await inquire()).data).toMatchObject({ va_status: '2', payment_amount: '300000' });
      expect((await request(sim.app).post('/sim/bills/T1/pay').send({ amount: 1 })).status).toBe(409);
    });

    it('refuses payments the bank would not take', async () => {
      const { sim, call, bill, clock } = setup();
      expect((await request(sim.app).post('/sim/bills/NOPE/pay').send({})).status).toBe(404);
      await call(bill());
      expect((await request(sim.app).post('/sim/bills/T1/pay').send({ amount: 149999 })).status).toBe(409);
      expect((await request(sim.app).post('/sim/bills/T1/pay').send({ amount: '150000' })).status).toBe(400);
      expect((await request(sim.app).post('/sim/bills/T1/pay').send({ notify: 'yes' })).status).toBe(400);
      const malformed = await request(sim.app).post('/sim/bills/T1/pay').set('Content-Type', 'application/json').send('{');
      expect(malformed.status).toBe(400);
      await call(bill({ trx_id: 'OPEN', billing_type: 'o', trx_amount: '0', virtual_account: '' }));
      expect((await request(sim.app).post('/sim/bills/OPEN/pay').send({})).status).toBe(400);
      await sim.pay('OPEN', { amount: 5000, ntb: 'N1', notify: false });
      await expect(sim.pay('OPEN', { amount: 5000, ntb: 'N1', notify: false })).rejects.toThrow(/already recorded/);
      clock.ms += 2 * DAY_MS;
      const late = await request(sim.app).post('/sim/bills/T1/pay').send({ notify: false });
      expect(late.status).toBe(409);
      expect(late.body.error).toMatch(/expired/);
    });

    it('reports an unreachable callback URL instead of failing the payment', async () => {
      const { sim, call, bill } = setup();
      await call(bill());
      const res = await request(sim.app).post('/sim/bills/T1/pay').send({});
      expect(res.status).toBe(200);
      expect(res.body.callback).toMatchObject({ status: 0, body: { error: expect.any(String) } });
      expect(sim.state.bills.get('T1')?.paidAmount).toBe(150000);
    });

    it('notify without a stored notification is a 404', async () => {
      const { sim } = setup();
      expect((await request(sim.app).post('/sim/bills/T1/notify').send({})).status).toBe(404);
    });
  });
});

describe('bank simulator: over HTTP with the connector and a callback receiver', () => {
  const received: Json[] = [];
  let receiver: http.Server;
  let callbackUrl: string;
  let bank: Awaited<ReturnType<typeof startBankSimulator>>;
  const logs: BankCallLog[] = [];

  beforeAll(async () => {
    const app = express();
    app.use(express.json());
    app.post('/callback', (req, res) => {
      received.push(req.body as Json);
      res.json({ status: '000' });
    });
    receiver = http.createServer(app);
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/callback`;
    bank = await startBankSimulator({ clientId: CLIENT, secret: SECRET, prefix: PREFIX, callbackUrl, port: 0 });
  });

  afterAll(async () => {
    await bank.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  beforeEach(() => {
    received.length = 0;
    logs.length = 0;
  });

  const connector = (timeoutMs = 2000) =>
    new BniEcollectionConnector({
      channelCode: 'bni-ecollection',
      baseUrl: bank.url,
      clientId: CLIENT,
      secret: SECRET,
      prefix: PREFIX,
      timeoutMs,
      retryBaseMs: 1,
      onCall: (log) => {
        logs.push(log);
      },
    });

  const va = (n: number) => `98800123${String(n).padStart(8, '0')}`;
  const req = (trxId: string, n: number): VaRequest => ({
    trxId,
    amount: 250000,
    billingType: 'c',
    customerName: 'PT Menara Réseau 中文',
    customerEmail: 'finance@example.co.id',
    customerPhone: '6281234567890',
    virtualAccount: va(n),
    expiresAt: new Date(Date.now() + 30 * DAY_MS),
    description: 'Retribusi pengendalian menara',
  });

  it('listens on the port it reports, with a trailing slash', () => {
    expect(bank.url).toBe(`http://127.0.0.1:${bank.port}/`);
    expect(bank.port).toBeGreaterThan(0);
  });

  it('create → inquire → update → pay → notification → inquiry shows paid', async () => {
    const bni = connector();
    const bill = req('FLOW-1', 101);

    expect(await bni.createVa(bill)).toMatchObject({ outcome: 'ok', data: { trxId: 'FLOW-1', virtualAccount: va(101) } });

    const before = await bni.inquireVa('FLOW-1');
    expect(before).toMatchObject({
      outcome: 'ok',
      data: { amount: 250000, paidAmount: 0, active: true, customerName: 'PT Menara Réseau 中文', lastPaymentAt: null },
    });
    expect(before.data?.expiresAt?.getTime()).toBe(Math.floor(bill.expiresAt.getTime() / 1000) * 1000);

    const expiresAt = new Date('2099-06-30T16:59:59Z');
    expect(await bni.updateVa({ ...bill, amount: 300000, expiresAt })).toMatchObject({ outcome: 'ok' });
    const stored = bank.sim.state.bills.get('FLOW-1');
    expect(stored).toMatchObject({
      amount: 300000,
      customerEmail: 'finance@example.co.id',
      customerPhone: '6281234567890',
      description: 'Retribusi pengendalian menara',
      expiresAt,
    });

    const paidAt = new Date();
    const pay = await request(bank.url).post('sim/bills/FLOW-1/pay').send({ ntb: '233171' });
    expect(pay.status).toBe(200);
    expect(pay.body.callback).toEqual({ status: 200, body: { status: '000' } });

    expect(received).toHaveLength(1);
    expect(Object.keys(received[0]).sort()).toEqual(['client_id', 'data']);
    expect(received[0].client_id).toBe(CLIENT);
    const notification = decrypt(received[0].data, CLIENT, SECRET) as Json;
    expect(notification).toEqual({
      trx_id: 'FLOW-1',
      virtual_account: va(101),
      customer_name: 'PT Menara Réseau 中文',
      trx_amount: '300000',
      payment_amount: '300000',
      cumulative_payment_amount: '300000',
      payment_ntb: '233171',
      datetime_payment: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
      datetime_payment_iso8601: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$/),
    });
    expect(notification).toEqual(pay.body.notification);
    expect(`${String(notification.datetime_payment).replace(' ', 'T')}+07:00`).toBe(notification.datetime_payment_iso8601);
    const notifiedAt = Date.parse(String(notification.datetime_payment_iso8601));
    expect(Math.abs(notifiedAt - paidAt.getTime())).toBeLessThan(2000);

    const after = await bni.inquireVa('FLOW-1');
    expect(after).toMatchObject({
      outcome: 'ok',
      data: { amount: 300000, paidAmount: 300000, active: false, lastPaymentRef: '233171' },
    });
    expect(after.data?.lastPaymentAt?.getTime()).toBe(notifiedAt);

    expect(logs.map((l) => `${l.operation}:${l.statusCode}`)).toEqual([
      'createbilling:000',
      'inquirybilling:000',
      'updatebilling:000',
      'inquirybilling:000',
    ]);
    expect(await bni.updateVa(bill)).toMatchObject({ outcome: 'already_paid', code: '100' });
  });

  it('resends the last notification as a duplicate', async () => {
    const bni = connector();
    await bni.createVa(req('DUP-1', 102));
    await bank.sim.pay('DUP-1', { ntb: '900001' });
    const again = await request(bank.url).post('sim/bills/DUP-1/notify').send({});
    expect(again.status).toBe(200);
    expect(received).toHaveLength(2);
    const [first, second] = received.map((r) => decrypt(r.data, CLIENT, SECRET));
    expect(second).toEqual(first);
    expect(await bank.sim.notify('DUP-1', '900001')).toMatchObject({ callback: { status: 200 } });
    expect(received).toHaveLength(3);
  });

  it('a create that times out at the bank is found by inquiry and adopted', async () => {
    await request(bank.url).post('sim/faults').send({ delay_ms: 600, operation: 'createbilling' });
    const bni = connector(200);

    expect(await bni.createVa(req('SLOW-1', 103))).toMatchObject({ outcome: 'ok', data: { virtualAccount: va(103) } });
    expect(logs.map((l) => `${l.operation}:${l.statusCode}`)).toEqual(['createbilling:timeout', 'inquirybilling:000']);
  });

  it('997 twice, then the create goes through', async () => {
    await request(bank.url).post('sim/faults').send({ status: '997', count: 2, operation: 'createbilling' });
    const bni = connector();

    expect(await bni.createVa(req('RETRY-1', 104))).toMatchObject({ outcome: 'ok' });
    expect(logs.map((l) => l.statusCode)).toEqual(['997', '997', '000']);
  });

  it('a second create of the same bill is recognised as ours; another bill on that trx_id is not', async () => {
    const bni = connector();
    await bni.createVa(req('TWICE-1', 105));
    expect(await bni.createVa(req('TWICE-1', 105))).toMatchObject({ outcome: 'ok', code: '000' });
    expect(await bni.createVa({ ...req('TWICE-1', 106), amount: 1 })).toMatchObject({ outcome: 'duplicate_reference' });
  });

  it('deactivation through the connector', async () => {
    const bni = connector();
    await bni.createVa(req('OFF-1', 107));
    expect(await bni.deactivateVa('OFF-1', va(107))).toMatchObject({ outcome: 'ok', data: { virtualAccount: va(107) } });
    expect((await bni.inquireVa('OFF-1')).data).toMatchObject({ active: false, paidAmount: 0 });
  });

  it('wrong secret at the connector is refused, not retried', async () => {
    const bni = new BniEcollectionConnector({
      channelCode: 'bni-ecollection',
      baseUrl: bank.url,
      clientId: CLIENT,
      secret: 'not-the-secret',
      prefix: PREFIX,
      timeoutMs: 2000,
      onCall: (log) => {
        logs.push(log);
      },
    });
    expect(await bni.inquireVa('X')).toMatchObject({ outcome: 'invalid_request', code: '001' });
    expect(logs).toHaveLength(1);
  });
});
