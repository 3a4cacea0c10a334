import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import express, { type Request as ExpressRequest } from 'express';
import request from 'supertest';
import { SnapVaConnector } from '../../src/banks/snap/connector';
import { SnapNotificationHandler, snapTokenEndpoint } from '../../src/banks/snap/notifications';
import { formatSnapTimestamp } from '../../src/banks/snap/signatures';
import {
  createSnapSimulator,
  startSnapSimulator,
  type SnapSimulatorOptions,
} from '../../src/banks/snap/simulator';
import type { BankCallLog, CallbackAnswer, CallbackRequest, NotificationVerdict, VaRequest } from '../../src/banks/types';

const CLIENT = 'KASDA-PADANG-01';
const SECRET = 'c2VjcmV0LWZvci10ZXN0cy1vbmx5';
const PSID = '12345';
const DAY_MS = 86_400_000;

const keyPair = () =>
  crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
const partner = keyPair();
const bank = keyPair();
const stranger = keyPair();

type Json = Record<string, unknown>;

const sha256Hex = (text: string) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');
const idr = (value: string) => ({ value, currency: 'IDR' });

interface CallOptions {
  token?: string | null;
  timestamp?: string;
  /** The timestamp the signature is computed over, when it should differ from the header's. */
  signedTimestamp?: string;
  externalId?: string;
  secret?: string;
  /** The body the signature is computed over, when it should differ from the one sent. */
  signedBody?: string;
  headers?: Record<string, string>;
}

/** A simulator on a clock the test moves, and a partner speaking SNAP to it with Node's crypto. */
function setup(options: Partial<SnapSimulatorOptions> = {}) {
  const clock = { ms: Date.parse('2027-02-01T01:00:00Z') };
  const sim = createSnapSimulator({
    clientId: CLIENT,
    clientSecret: SECRET,
    partnerPublicKeyPem: partner.publicKey,
    partnerServiceId: PSID,
    callbackUrl: 'http://127.0.0.1:9/unreachable',
    notifications: { mode: 'rsa', bankPrivateKeyPem: bank.privateKey },
    now: () => clock.ms,
    ...options,
  });
  let externalSeq = 0;
  const stamp = () => formatSnapTimestamp(clock.ms);

  function tokenRequest(o: { key?: string; clientKey?: string; timestamp?: string; body?: string } = {}) {
    const timestamp = o.timestamp ?? stamp();
    const clientKey = o.clientKey ?? CLIENT;
    const signature = crypto
      .createSign('RSA-SHA256')
      .update(`${clientKey}|${timestamp}`)
      .sign(o.key ?? partner.privateKey, 'base64');
    return request(sim.app)
      .post('/v1.0/access-token/b2b')
      .set({ 'Content-Type': 'application/json', 'X-TIMESTAMP': timestamp, 'X-CLIENT-KEY': clientKey, 'X-SIGNATURE': signature })
      .send(o.body ?? '{"grantType":"client_credentials"}');
  }

  async function token(): Promise<string> {
    const res = await tokenRequest();
    expect(res.body).toMatchObject({ responseCode: '2007300' });
    return res.body.accessToken as string;
  }

  let current: string | undefined;
  async function call(method: 'POST' | 'PUT' | 'DELETE', service: string, body: Json | string, o: CallOptions = {}) {
    current ??= await token();
    const accessToken = o.token === undefined ? current : o.token;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const timestamp = o.timestamp ?? stamp();
    const path = `/v1.0/transfer-va/${service}`;
    const signature = crypto
      .createHmac('sha512', o.secret ?? SECRET)
      .update(`${method}:${path}:${accessToken ?? ''}:${sha256Hex(o.signedBody ?? text)}:${o.signedTimestamp ?? timestamp}`)
      .digest('base64');
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'X-TIMESTAMP': timestamp,
      'X-SIGNATURE': signature,
      'X-PARTNER-ID': CLIENT,
      'X-EXTERNAL-ID': o.externalId ?? `${clock.ms}${String(++externalSeq).padStart(6, '0')}`,
      'CHANNEL-ID': '95221',
      ...(accessToken === null ? {} : { Authorization: `Bearer ${accessToken}` }),
      ...o.headers,
    };
    const agent = request(sim.app);
    const req = method === 'POST' ? agent.post(path) : method === 'PUT' ? agent.put(path) : agent.delete(path);
    const res = await req.set(headers).send(text);
    return { status: res.status, body: res.body as Json };
  }

  const va = (overrides: Json = {}): Json => ({
    partnerServiceId: '   12345',
    customerNo: '00000001',
    virtualAccountNo: '   1234500000001',
    virtualAccountName: 'Budi Santoso',
    virtualAccountEmail: 'budi@example.co.id',
    virtualAccountPhone: '628123456789',
    trxId: 'T1',
    totalAmount: idr('150000.00'),
    virtualAccountTrxType: 'C',
    expiredDate: formatSnapTimestamp(clock.ms + DAY_MS),
    additionalInfo: { description: 'Retribusi menara' },
    ...overrides,
  });
  const address = (overrides: Json = {}): Json => ({
    partnerServiceId: '   12345',
    customerNo: '00000001',
    virtualAccountNo: '   1234500000001',
    trxId: 'T1',
    ...overrides,
  });
  const create = (overrides: Json = {}, o?: CallOptions) => call('POST', 'create-va', va(overrides), o);
  const code = (r: { body: Json }) => r.body.responseCode;
  return { sim, clock, tokenRequest, token, call, va, address, create, code };
}

describe('SNAP simulator: access token', () => {
  it('issues a 900 s bearer token for a request signed with the partner key', async () => {
    const { tokenRequest } = setup();
    const res = await tokenRequest();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      responseCode: '2007300',
      responseMessage: 'Successful',
      accessToken: expect.stringMatching(/^[\w-]{43}$/),
      tokenType: 'Bearer',
      expiresIn: '900',
    });
  });

  it.each([
    ['another key', { key: stranger.privateKey }, 401, '4017300', 'Unauthorized. [Signature]'],
    ['another client', { clientKey: 'SOMEONE' }, 401, '4017300', 'Unauthorized. [Unknown client]'],
    ['a stale timestamp', { timestamp: '2027-02-01T07:54:00+07:00' }, 401, '4017300', 'Unauthorized. [X-TIMESTAMP outside allowed skew]'],
    ['an unreadable timestamp', { timestamp: 'now' }, 400, '4007301', 'Invalid Field Format [X-TIMESTAMP]'],
    ['another grant type', { body: '{"grantType":"password"}' }, 400, '4007301', 'Invalid Field Format [grantType]'],
    ['a body that is not JSON', { body: 'grant' }, 400, '4007300', 'Bad Request'],
  ])('refuses %s', async (_what, o, status, responseCode, responseMessage) => {
    const { tokenRequest } = setup();
    const res = await tokenRequest(o);
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ responseCode, responseMessage });
  });

  it('refuses a request without X-SIGNATURE', async () => {
    const { sim, clock } = setup();
    const res = await request(sim.app)
      .post('/v1.0/access-token/b2b')
      .set({ 'Content-Type': 'application/json', 'X-TIMESTAMP': formatSnapTimestamp(clock.ms), 'X-CLIENT-KEY': CLIENT })
      .send('{"grantType":"client_credentials"}');
    expect(res.body).toEqual({ responseCode: '4007302', responseMessage: 'Invalid Mandatory Field [X-SIGNATURE]' });
  });
});

describe('SNAP simulator: transaction checks', () => {
  it('creates a VA: 2002700 with its data', async () => {
    const { create, va } = setup();
    const res = await create();
    expect(res.status).toBe(200);
    const { virtualAccountEmail, virtualAccountPhone, ...rest } = va();
    expect(res.body).toEqual({
      responseCode: '2002700',
      responseMessage: 'Successful',
      virtualAccountData: { ...rest, virtualAccountEmail, virtualAccountPhone },
    });
  });

  it('a body other than the one signed: 4012700 Unauthorized. [Signature]', async () => {
    const { create, va, sim } = setup();
    const res = await create({}, { signedBody: JSON.stringify(va({ totalAmount: idr('1500.00') })) });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ responseCode: '4012700', responseMessage: 'Unauthorized. [Signature]' });
    expect(sim.vas()).toHaveLength(0);
  });

  it('the wrong client secret: 4012700', async () => {
    const { create, code } = setup();
    expect(code(await create({}, { secret: 'guessed' }))).toBe('4012700');
  });

  it('a header timestamp other than the signed one: 4012700 as a bad signature', async () => {
    const { create, clock } = setup();
    const res = await create({}, { signedTimestamp: formatSnapTimestamp(clock.ms - 1000) });
    expect(res.body).toEqual({ responseCode: '4012700', responseMessage: 'Unauthorized. [Signature]' });
  });

  it('a correctly signed but stale timestamp: 4012700; an unreadable one: 4002701', async () => {
    const { create, clock } = setup();
    const stale = await create({}, { timestamp: formatSnapTimestamp(clock.ms - 301_000) });
    expect(stale.body).toEqual({
      responseCode: '4012700',
      responseMessage: 'Unauthorized. [X-TIMESTAMP outside allowed skew]',
    });
    const unreadable = await create({}, { timestamp: '01/02/2027 08:00' });
    expect(unreadable.status).toBe(400);
    expect(unreadable.body).toEqual({ responseCode: '4002701', responseMessage: 'Invalid Field Format [X-TIMESTAMP]' });
  });

  it('an X-EXTERNAL-ID used earlier the same WIB day: 409xx00 with the service’s code; a new day starts afresh', async () => {
    const { create, call, address, clock, code, token } = setup();
    expect(code(await create({}, { externalId: '777' }))).toBe('2002700');
    const again = await create({ trxId: 'T2', customerNo: '00000002', virtualAccountNo: '   1234500000002' }, { externalId: '777' });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ responseCode: '4092700', responseMessage: 'Conflict' });
    expect(code(await call('POST', 'inquiry-va', address(), { externalId: '777' }))).toBe('4093000');

    clock.ms += DAY_MS;
    const fresh = await token();
    expect(code(await call('POST', 'inquiry-va', address(), { externalId: '777', token: fresh }))).not.toBe('4093000');
  });

  it('no, an unknown or an expired token: 4012701', async () => {
    const { create, clock, code } = setup();
    expect(code(await create({}, { token: null }))).toBe('4012701');
    expect(code(await create({}, { token: 'made-up' }))).toBe('4012701');
    expect(code(await create())).toBe('2002700');
    clock.ms += 900_000;
    const expired = await create({ trxId: 'T2' });
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({ responseCode: '4012701', responseMessage: 'Invalid Token (B2B)' });
  });

  it('headers: missing 4002702, malformed 4002701, another partner 4012700', async () => {
    const { create } = setup();
    expect((await create({}, { headers: { 'X-EXTERNAL-ID': '' } })).body).toEqual({
      responseCode: '4002702',
      responseMessage: 'Invalid Mandatory Field [X-EXTERNAL-ID]',
    });
    expect((await create({}, { headers: { 'X-EXTERNAL-ID': 'abc' } })).body).toMatchObject({ responseCode: '4002701' });
    expect((await create({}, { headers: { 'CHANNEL-ID': 'WEB' } })).body).toMatchObject({ responseCode: '4002701' });
    expect((await create({}, { headers: { 'X-PARTNER-ID': 'SOMEONE' } })).body).toEqual({
      responseCode: '4012700',
      responseMessage: 'Unauthorized. [Unknown partner]',
    });
    expect((await create({}, { headers: { 'Content-Type': 'text/plain' } })).body).toEqual({
      responseCode: '4002701',
      responseMessage: 'Invalid Field Format [Content-Type]',
    });
  });

  it('a signed body that is not a JSON object: 4002700, never a crash', async () => {
    const { call, code } = setup();
    expect(code(await call('POST', 'create-va', '{"trxId":'))).toBe('4002700');
    expect(code(await call('POST', 'create-va', '[]'))).toBe('4002700');
    expect(code(await call('POST', 'create-va', ''))).toBe('4002700');
  });

  it('an oversized body: a SNAP 400, as JSON', async () => {
    const { call } = setup();
    const res = await call('POST', 'create-va', JSON.stringify({ trxId: 'x'.repeat(20_000) }));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ responseCode: '4002700', responseMessage: 'Bad Request' });
  });
});

describe('SNAP simulator: VA state', () => {
  it('validates create: mandatory, formats, amounts, company code', async () => {
    const { create, code } = setup();
    expect((await create({ virtualAccountName: '' })).body).toEqual({
      responseCode: '4002702',
      responseMessage: 'Invalid Mandatory Field [virtualAccountName]',
    });
    expect(code(await create({ virtualAccountNo: '1234500000001' }))).toBe('4002701');
    expect(code(await create({ totalAmount: idr('150000') }))).toBe('4002701');
    expect(code(await create({ totalAmount: { value: '150000.00', currency: 'USD' } }))).toBe('4002701');
    expect(code(await create({ virtualAccountTrxType: 'Z' }))).toBe('4002701');
    expect(code(await create({ expiredDate: '2020-01-01T00:00:00+07:00' }))).toBe('4002701');
    expect(code(await create({ partnerServiceId: '   54321', virtualAccountNo: '   5432100000001' }))).toBe('4042716');
    expect((await create({ totalAmount: idr('150000.50') })).body).toMatchObject({ responseCode: '4042713' });
    expect(code(await create({ virtualAccountTrxType: 'O' }))).toBe('4042713');
    expect(code(await create({ totalAmount: idr('0.00') }))).toBe('4042713');
    expect(code(await create({ virtualAccountTrxType: 'O', totalAmount: idr('0.00') }))).toBe('2002700');
  });

  it('a reused trxId or a VA number still active: 4092701', async () => {
    const { create, code } = setup();
    expect(code(await create())).toBe('2002700');
    const sameTrx = await create({ customerNo: '00000002', virtualAccountNo: '   1234500000002' });
    expect(sameTrx.body).toEqual({ responseCode: '4092701', responseMessage: 'Duplicate partnerReferenceNo [trxId]' });
    expect(code(await create({ trxId: 'T2' }))).toBe('4092701');
  });

  it('inquiry-va reads a VA; unknown 4043012, expired 4043019', async () => {
    const { create, call, address, clock, code, token } = setup();
    await create();
    const read = await call('POST', 'inquiry-va', address());
    expect(read.body).toMatchObject({
      responseCode: '2003000',
      virtualAccountData: { trxId: 'T1', totalAmount: idr('150000.00'), lastUpdateDate: expect.any(String) },
    });
    expect(code(await call('POST', 'inquiry-va', address({ trxId: 'OTHER' })))).toBe('4043012');
    expect(code(await call('POST', 'inquiry-va', address({ customerNo: '00000009', virtualAccountNo: '   1234500000009' })))).toBe('4043012');
    clock.ms += DAY_MS + 1000;
    expect(code(await call('POST', 'inquiry-va', address(), { token: await token() }))).toBe('4043019');
  });

  it('update replaces every field; unknown 4042812, expired 4042819, below paid 4042813, paid 4042814', async () => {
    const { create, call, va, sim, clock, code, token } = setup();
    await create({ trxId: 'I1', virtualAccountTrxType: 'I' });
    const updated = await call('PUT', 'update-va', va({ trxId: 'I1', virtualAccountTrxType: 'I', totalAmount: idr('175000.00'), virtualAccountEmail: undefined }));
    expect(updated.body).toMatchObject({ responseCode: '2002800', virtualAccountData: { totalAmount: idr('175000.00'), virtualAccountEmail: '' } });
    expect(code(await call('PUT', 'update-va', va({ trxId: 'NOPE' })))).toBe('4042812');
    await sim.pay('I1', { amount: 100000, notify: false });
    expect(code(await call('PUT', 'update-va', va({ trxId: 'I1', virtualAccountTrxType: 'I', totalAmount: idr('90000.00') })))).toBe('4042813');
    await sim.pay('I1', { notify: false });
    expect(code(await call('PUT', 'update-va', va({ trxId: 'I1', virtualAccountTrxType: 'I' })))).toBe('4042814');

    await create({ trxId: 'C2', customerNo: '00000002', virtualAccountNo: '   1234500000002' });
    clock.ms += DAY_MS + 1000;
    const late = await call('PUT', 'update-va', va({ trxId: 'C2', customerNo: '00000002', virtualAccountNo: '   1234500000002' }), {
      token: await token(),
    });
    expect(late.body).toMatchObject({ responseCode: '4042819' });
  });

  it('delete-va: idempotent; paid 4043114; then the VA number is free again', async () => {
    const { create, call, address, sim, code } = setup();
    await create();
    expect((await call('DELETE', 'delete-va', address())).body).toEqual({
      responseCode: '2003100',
      responseMessage: 'Successful',
      virtualAccountData: address(),
    });
    expect(code(await call('DELETE', 'delete-va', address()))).toBe('2003100');
    expect(code(await call('POST', 'inquiry-va', address()))).toBe('4043012');
    expect(code(await create({ trxId: 'T2' }))).toBe('2002700');
    await sim.pay('T2', { notify: false });
    expect(code(await call('DELETE', 'delete-va', address({ trxId: 'T2' })))).toBe('4043114');
  });

  it('status reports the latest payment with the cumulative total; none 4042601; unknown VA 4042612', async () => {
    const { create, call, address, sim, code } = setup();
    expect(code(await call('POST', 'status', address({ trxId: undefined })))).toBe('4042612');
    await create({ virtualAccountTrxType: 'I' });
    expect(code(await call('POST', 'status', address({ trxId: undefined })))).toBe('4042601');
    await sim.pay('T1', { amount: 50000, paymentRequestId: 'P1', notify: false });
    await sim.pay('T1', { amount: 25000, paymentRequestId: 'P2', notify: false });
    const status = await call('POST', 'status', { ...address({ trxId: undefined }), inquiryRequestId: '1' });
    expect(status.body).toMatchObject({
      responseCode: '2002600',
      virtualAccountData: {
        paymentRequestId: 'P2',
        trxId: 'T1',
        paidAmount: idr('25000.00'),
        cumulativePaymentAmount: idr('75000.00'),
        paymentFlagStatus: '00',
      },
    });
    const first = await call('POST', 'status', { ...address({ trxId: undefined }), paymentRequestId: 'P1' });
    expect(first.body).toMatchObject({ virtualAccountData: { paymentRequestId: 'P1', cumulativePaymentAmount: idr('50000.00') } });
  });
});

describe('SNAP simulator: faults and operator routes', () => {
  it('answers an injected responseCode for the next N matching requests only', async () => {
    const { sim, create, code } = setup();
    const fault = await request(sim.app).post('/sim/faults').send({ responseCode: '5002700', count: 1, service: 'create-va' });
    expect(fault.status).toBe(201);
    const failed = await create();
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual({ responseCode: '5002700', responseMessage: 'General Error' });
    expect(code(await create())).toBe('2002700');
  });

  it('refuses malformed faults and clears them with DELETE', async () => {
    const { sim } = setup();
    for (const body of [{ responseCode: '500' }, { count: 1 }, { responseCode: '5002700', service: 'payment' }, { delayMs: -1 }, [1]]) {
      const res = await request(sim.app).post('/sim/faults').send(body);
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual(expect.any(String));
    }
    await request(sim.app).post('/sim/faults').send({ responseCode: '5002700' });
    expect((await request(sim.app).delete('/sim/faults')).status).toBe(204);
    expect(sim.state.faults).toEqual([]);
  });

  it('lists VAs with their state; unknown routes answer JSON', async () => {
    const { sim, create } = setup();
    await create();
    expect((await request(sim.app).get('/sim/va')).body).toEqual([expect.objectContaining({ trxId: 'T1', state: 'active' })]);
    expect((await request(sim.app).get('/sim/va/T1')).body).toMatchObject({ trxId: 'T1', state: 'active' });
    expect((await request(sim.app).get('/sim/va/NOPE')).status).toBe(404);
    const unknown = await request(sim.app).get('/v1.0/transfer-va/report');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'no such route' });
  });

  it('refuses payments the bank would not take', async () => {
    const { sim, create } = setup();
    await create();
    const pay = (trxId: string, body: unknown) => request(sim.app).post(`/sim/va/${trxId}/pay`).send(body as object);
    expect((await pay('NOPE', {})).status).toBe(404);
    expect((await pay('T1', { amount: 1000 })).status).toBe(409);
    expect((await pay('T1', { amount: 'lots' })).status).toBe(400);
    expect((await pay('T1', { notify: 'yes' })).status).toBe(400);
    expect((await pay('T1', [])).status).toBe(400);
    expect((await pay('T1', { notify: false, paymentRequestId: 'P1' })).status).toBe(200);
    expect((await pay('T1', { notify: false })).body.error).toMatch(/paid/);
    expect((await request(sim.app).post('/sim/va/T2/notify').send({})).status).toBe(404);
  });

  it('reports an unreachable callback URL instead of failing the payment', async () => {
    const { sim, create } = setup();
    await create();
    const res = await request(sim.app).post('/sim/va/T1/pay').send({});
    expect(res.status).toBe(200);
    expect(res.body.callback).toMatchObject({ status: 0 });
    expect(res.body.notification).toMatchObject({ trxId: 'T1', paidAmount: idr('150000.00'), flagAdvise: 'N' });
  });
});

/** A stand-in for Kasda's intake: raw body in, handler verdict, the handler's answer out. */
function callbackRequest(req: ExpressRequest): CallbackRequest {
  return {
    rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    headers: req.headers,
    method: req.method,
    path: req.originalUrl,
    sourceIp: req.ip ?? '',
  };
}

describe('SNAP simulator over HTTP: connector, payment notification and handler', () => {
  const NOTIFY_SECRET = 'bank-to-kasda-secret';
  const CALLBACK = '/api/v1/bank-callbacks/nagari/v1.0/transfer-va/payment';
  const TOKEN = '/api/v1/bank-callbacks/nagari/v1.0/access-token/b2b';
  const verdicts: NotificationVerdict[] = [];
  const answers: CallbackAnswer[] = [];
  const logs: BankCallLog[] = [];
  let receiver: http.Server;
  let receiverUrl: string;
  let snap: Awaited<ReturnType<typeof startSnapSimulator>>;

  const tokens = snapTokenEndpoint({
    channelCode: 'nagari',
    bankClientKey: 'NAGARI-TO-KASDA',
    bankPublicKeyPem: bank.publicKey,
    tokenSecret: 'kasda-token-secret',
  });
  const handlers = {
    nagari: new SnapNotificationHandler({
      channelCode: 'nagari',
      partnerServiceId: PSID,
      verification: { mode: 'hmac', clientSecret: NOTIFY_SECRET, acceptedTokens: tokens.acceptsToken },
    }),
    rsa: new SnapNotificationHandler({
      channelCode: 'rsa-bank',
      partnerServiceId: PSID,
      verification: { mode: 'rsa', bankPublicKeyPem: bank.publicKey },
    }),
  };

  beforeAll(async () => {
    const app = express();
    app.use(express.raw({ type: () => true }));
    app.post(TOKEN, (req, res) => {
      const answer = tokens.answer(callbackRequest(req));
      res.status(answer.status).set(answer.headers).json(answer.body);
    });
    app.post('/api/v1/bank-callbacks/:channel/v1.0/transfer-va/payment', (req, res) => {
      const handler = req.params.channel === 'nagari' ? handlers.nagari : handlers.rsa;
      const verdict = handler.verify(callbackRequest(req)) as NotificationVerdict;
      verdicts.push(verdict);
      const answer = verdict.ok ? handler.answer('accepted', verdict) : handler.answer('rejected', verdict);
      answers.push(answer);
      res.status(answer.status).set(answer.headers).json(answer.body);
    });
    receiver = http.createServer(app);
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    snap = await startSnapSimulator({
      clientId: CLIENT,
      clientSecret: SECRET,
      partnerPublicKeyPem: partner.publicKey,
      partnerServiceId: PSID,
      callbackUrl: `${receiverUrl}${CALLBACK}`,
      notifications: {
        mode: 'hmac',
        clientSecret: NOTIFY_SECRET,
        token: { url: `${receiverUrl}${TOKEN}`, clientKey: 'NAGARI-TO-KASDA', bankPrivateKeyPem: bank.privateKey },
      },
      port: 0,
    });
  });

  afterAll(async () => {
    await snap.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  beforeEach(() => {
    verdicts.length = 0;
    answers.length = 0;
    logs.length = 0;
  });

  const connectorOptions = () => ({
    channelCode: 'nagari',
    baseUrl: snap.url,
    clientId: CLIENT,
    clientSecret: SECRET,
    privateKeyPem: partner.privateKey,
    partnerServiceId: PSID,
    channelId: '95221',
    timeoutMs: 2000,
    retryBaseMs: 1,
    onCall: (log: BankCallLog) => {
      logs.push(log);
    },
  });
  const connector = () => new SnapVaConnector(connectorOptions());

  const bill = (overrides: Partial<VaRequest> = {}): VaRequest => ({
    trxId: 'SKRD-2027-000123',
    amount: 150000,
    billingType: 'c',
    customerName: 'Budi Santoso',
    customerEmail: 'budi@example.co.id',
    customerPhone: '628123456789',
    virtualAccount: '1234500000123',
    expiresAt: new Date(Date.now() + DAY_MS),
    description: 'Retribusi menara 2027/02',
    ...overrides,
  });

  it('listens on the port it reports', () => {
    expect(snap.url).toBe(`http://127.0.0.1:${snap.port}`);
  });

  it('create → inquire → update → pay → notification verified → inquire shows paid → delete-va', async () => {
    const nagari = connector();
    const req = bill();

    expect(await nagari.createVa(req)).toMatchObject({
      outcome: 'ok',
      code: '2002700',
      data: { trxId: req.trxId, virtualAccount: '1234500000123' },
    });
    expect(await nagari.inquireVa(req.trxId, req.virtualAccount)).toMatchObject({
      outcome: 'ok',
      data: { amount: 150000, paidAmount: 0, active: true, customerName: 'Budi Santoso', lastPaymentRef: null },
    });
    expect(await nagari.updateVa({ ...req, amount: 175000 })).toMatchObject({ outcome: 'ok', code: '2002800' });
    expect((await nagari.inquireVa(req.trxId, req.virtualAccount)).data).toMatchObject({ amount: 175000, paidAmount: 0 });

    const paid = await axios.post(`${snap.url}/sim/va/${req.trxId}/pay`, { paymentRequestId: 'PAY-0001' });
    expect(paid.data.callback).toEqual({
      status: 200,
      body: expect.objectContaining({ responseCode: '2002500', responseMessage: 'Successful' }),
    });
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]).toMatchObject({
      ok: true,
      notification: {
        trxId: req.trxId,
        virtualAccount: '1234500000123',
        paymentRef: 'PAY-0001',
        amount: 175000,
        cumulative: 175000,
        customerName: 'Budi Santoso',
      },
    });
    expect((answers[0].body as Json).virtualAccountData).toMatchObject({
      paymentRequestId: 'PAY-0001',
      virtualAccountNo: '   1234500000123',
      paymentFlagStatus: '00',
    });

    const state = await nagari.inquireVa(req.trxId, req.virtualAccount);
    expect(state).toMatchObject({
      outcome: 'ok',
      data: { amount: 175000, paidAmount: 175000, active: false, lastPaymentRef: 'PAY-0001' },
    });
    expect(state.data?.lastPaymentAt).toBeInstanceOf(Date);

    // A paid VA stays at the bank; an unpaid one can be deleted.
    expect(await nagari.deactivateVa(req.trxId, req.virtualAccount)).toMatchObject({ outcome: 'already_paid', code: '4043114' });
    const other = bill({ trxId: 'SKRD-2027-000124', virtualAccount: '1234500000124' });
    expect(await nagari.createVa(other)).toMatchObject({ outcome: 'ok' });
    expect(await nagari.deactivateVa(other.trxId, other.virtualAccount)).toMatchObject({
      outcome: 'ok',
      code: '2003100',
      data: { trxId: other.trxId, virtualAccount: '1234500000124' },
    });
    expect(await nagari.inquireVa(other.trxId, other.virtualAccount)).toMatchObject({ outcome: 'not_found', code: '4043012' });

    expect(logs.filter((l) => l.operation === 'access-token-b2b')).toHaveLength(1);
    expect(logs.every((l) => !JSON.stringify(l).includes(SECRET))).toBe(true);
  });

  it('a resend (flagAdvise Y) is verified again and gets the original answer', async () => {
    const req = bill({ trxId: 'SKRD-2027-000125', virtualAccount: '1234500000125' });
    await connector().createVa(req);
    await axios.post(`${snap.url}/sim/va/${req.trxId}/pay`, {});
    const resent = await axios.post(`${snap.url}/sim/va/${req.trxId}/notify`, {});

    expect(resent.data.notification).toMatchObject({ flagAdvise: 'Y' });
    expect(verdicts.map((v) => v.ok)).toEqual([true, true]);
    const [first, second] = verdicts as Extract<NotificationVerdict, { ok: true }>[];
    expect(second.notification).toEqual(first.notification);
    expect(answers[1].body).toEqual(answers[0].body);
  });

  it('a create that times out at the bank is found by inquiry-va and adopted', async () => {
    await axios.post(`${snap.url}/sim/faults`, { service: 'create-va', delayMs: 400 });
    const req = bill({ trxId: 'SKRD-2027-000126', virtualAccount: '1234500000126' });
    const slow = new SnapVaConnector({ ...connectorOptions(), timeoutMs: 150 });

    expect(await slow.createVa(req)).toMatchObject({ outcome: 'ok', data: { virtualAccount: '1234500000126' } });
    expect(logs.map((l) => `${l.operation}:${l.outcome}`)).toEqual([
      'access-token-b2b:ok',
      'create-va:timeout',
      'inquiry-va:ok',
    ]);
  });

  it('RSA-signed notifications verify with the bank’s public key', async () => {
    const rsaBank = await startSnapSimulator({
      clientId: CLIENT,
      clientSecret: SECRET,
      partnerPublicKeyPem: partner.publicKey,
      partnerServiceId: PSID,
      callbackUrl: `${receiverUrl}/api/v1/bank-callbacks/rsa-bank/v1.0/transfer-va/payment`,
      notifications: { mode: 'rsa', bankPrivateKeyPem: bank.privateKey },
      port: 0,
    });
    try {
      const bank2 = new SnapVaConnector({ ...connectorOptions(), baseUrl: rsaBank.url });
      const req = bill({ trxId: 'RSA-1', virtualAccount: '1234500000777' });
      await bank2.createVa(req);
      const delivery = await rsaBank.sim.pay('RSA-1');
      expect(delivery.callback).toMatchObject({ status: 200, body: { responseCode: '2002500' } });
      expect(verdicts).toEqual([expect.objectContaining({ ok: true })]);
    } finally {
      await rsaBank.close();
    }
  });

  it('the HMAC channel refuses a notification without our bearer token', async () => {
    const res = await axios.post(`${receiverUrl}${CALLBACK}`, '{}', {
      headers: { 'Content-Type': 'application/json', 'X-TIMESTAMP': formatSnapTimestamp(Date.now()), 'X-SIGNATURE': 'AAAA', 'X-PARTNER-ID': PSID },
      validateStatus: () => true,
    });
    expect(res.status).toBe(401);
    expect(res.data).toEqual({ responseCode: '4012501', responseMessage: 'Invalid Token (B2B)' });
  });
});
