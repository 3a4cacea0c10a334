import crypto from 'node:crypto';
import nock from 'nock';
import { SnapVaConnector, type SnapVaOptions } from '../../src/banks/snap/connector';
import type { BankCallLog, VaRequest } from '../../src/banks/types';

const HOST = 'https://sandbox.bank-nagari.example';
const PREFIX = '/snap';
const TOKEN_PATH = `${PREFIX}/v1.0/access-token/b2b`;
const VA_PATH = `${PREFIX}/v1.0/transfer-va`;
const CLIENT = 'KASDA-PADANG-01';
const SECRET = 'c2VjcmV0LWZvci10ZXN0cy1vbmx5';
const PSID = '12345';
const VA = '1234500000001';
const VA_SNAP = '   1234500000001';

const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

type Json = Record<string, unknown>;

interface Seen {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

const sha256Hex = (text: string) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');
const idr = (value: string) => ({ value, currency: 'IDR' });

/** Every request nock saw, with the body as the exact text sent. */
const seen: Seen[] = [];

function record(method: string) {
  return function (this: nock.ReplyFnContext, uri: string, body: nock.Body) {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.req.headers)) headers[k.toLowerCase()] = String(v);
    seen.push({ method, path: uri, headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  };
}

/** The token endpoint, answering `tokens` in turn. */
function tokenEndpoint(...tokens: string[]) {
  const scope = nock(HOST);
  for (const token of tokens) {
    scope.post(TOKEN_PATH).reply(function (uri, body) {
      record('POST').call(this, uri, body);
      return [200, { responseCode: '2007300', responseMessage: 'Successful', accessToken: token, tokenType: 'Bearer', expiresIn: '900' }];
    });
  }
  return scope;
}

/** One VA service answering in turn with each [http, body] given. */
function service(method: 'post' | 'put' | 'delete', name: string, ...answers: [number, Json | string][]) {
  const scope = nock(HOST);
  for (const [status, body] of answers) {
    scope[method](`${VA_PATH}/${name}`).reply(function (uri, requestBody) {
      record(method.toUpperCase()).call(this, uri, requestBody);
      return [status, body];
    });
  }
  return scope;
}

function setup(options: Partial<SnapVaOptions> = {}) {
  const logs: BankCallLog[] = [];
  const clock = { ms: Date.parse('2027-02-01T01:00:00Z') };
  const connector = new SnapVaConnector({
    channelCode: 'nagari',
    baseUrl: `${HOST}${PREFIX}/`,
    clientId: CLIENT,
    clientSecret: SECRET,
    privateKeyPem: privateKey,
    partnerServiceId: PSID,
    channelId: '95221',
    timeoutMs: 150,
    retryBaseMs: 1,
    onCall: (log) => {
      logs.push(log);
    },
    now: () => clock.ms,
    ...options,
  });
  return { connector, logs, clock };
}

const request: VaRequest = {
  trxId: 'SKRD-2027-000123',
  amount: 150000,
  billingType: 'c',
  customerName: 'Réseau Tower Padang',
  customerEmail: 'ops@example.co.id',
  customerPhone: '628123456789',
  virtualAccount: VA,
  expiresAt: new Date('2027-03-02T16:59:59.000Z'),
  description: 'Retribusi menara 2027/03',
};

const vaData = (overrides: Json = {}): Json => ({
  partnerServiceId: '   12345',
  customerNo: '00000001',
  virtualAccountNo: VA_SNAP,
  virtualAccountName: request.customerName,
  trxId: request.trxId,
  totalAmount: idr('150000.00'),
  virtualAccountTrxType: 'C',
  expiredDate: '2027-03-02T23:59:59+07:00',
  ...overrides,
});

const created = (overrides: Json = {}): [number, Json] => [
  200,
  { responseCode: '2002700', responseMessage: 'Successful', virtualAccountData: vaData(overrides) },
];
const inquired = (overrides: Json = {}): [number, Json] => [
  200,
  { responseCode: '2003000', responseMessage: 'Successful', virtualAccountData: vaData(overrides) },
];
const failure = (responseCode: string, responseMessage: string): [number, Json] => [
  Number(responseCode.slice(0, 3)),
  { responseCode, responseMessage },
];
const paymentStatus = (overrides: Json = {}): [number, Json] => [
  200,
  {
    responseCode: '2002600',
    responseMessage: 'Successful',
    virtualAccountData: {
      partnerServiceId: '   12345',
      customerNo: '00000001',
      virtualAccountNo: VA_SNAP,
      paymentRequestId: 'PAY-778899',
      trxId: request.trxId,
      paidAmount: idr('150000.00'),
      totalAmount: idr('150000.00'),
      trxDateTime: '2027-02-10T00:30:00+07:00',
      paymentFlagStatus: '00',
      ...overrides,
    },
  },
];

const steps = (logs: BankCallLog[]) => logs.map((l) => `${l.operation}:${l.statusCode}`);

beforeEach(() => {
  nock.cleanAll();
  seen.length = 0;
});

describe('SnapVaConnector at the HTTP boundary', () => {
  it('gets a token signed with RSA, then creates the VA with every field and an HMAC over the exact body', async () => {
    tokenEndpoint('tok-1');
    service('post', 'create-va', created());
    const { connector, logs } = setup();

    const result = await connector.createVa(request);

    expect(result).toEqual({
      outcome: 'ok',
      code: '2002700',
      message: 'Successful',
      data: { trxId: request.trxId, virtualAccount: VA },
    });
    const [token, create] = seen;
    expect(token.path).toBe(TOKEN_PATH);
    expect(token.headers['x-client-key']).toBe(CLIENT);
    expect(token.headers['x-timestamp']).toBe('2027-02-01T08:00:00+07:00');
    expect(token.body).toBe('{"grantType":"client_credentials"}');
    const tokenSignature = Buffer.from(token.headers['x-signature'], 'base64');
    expect(crypto.verify('sha256', Buffer.from(`${CLIENT}|2027-02-01T08:00:00+07:00`), publicKey, tokenSignature)).toBe(true);

    expect(create.path).toBe(`${VA_PATH}/create-va`);
    expect(create.headers).toMatchObject({
      authorization: 'Bearer tok-1',
      'content-type': 'application/json',
      'x-timestamp': '2027-02-01T08:00:00+07:00',
      'x-partner-id': CLIENT,
      'channel-id': '95221',
    });
    expect(create.headers['x-external-id']).toMatch(/^\d{1,36}$/);
    const stringToSign = `POST:${VA_PATH}/create-va:tok-1:${sha256Hex(create.body)}:2027-02-01T08:00:00+07:00`;
    expect(create.headers['x-signature']).toBe(crypto.createHmac('sha512', SECRET).update(stringToSign).digest('base64'));
    expect(JSON.parse(create.body)).toEqual({
      partnerServiceId: '   12345',
      customerNo: '00000001',
      virtualAccountNo: VA_SNAP,
      virtualAccountName: 'Réseau Tower Padang',
      virtualAccountEmail: 'ops@example.co.id',
      virtualAccountPhone: '628123456789',
      trxId: request.trxId,
      totalAmount: idr('150000.00'),
      virtualAccountTrxType: 'C',
      expiredDate: '2027-03-02T23:59:59+07:00',
      additionalInfo: { description: 'Retribusi menara 2027/03' },
    });
    // Minified: the hash is over exactly what was sent.
    expect(create.body).toBe(JSON.stringify(JSON.parse(create.body)));

    expect(steps(logs)).toEqual(['access-token-b2b:2007300', 'create-va:2002700']);
    expect(logs[1]).toMatchObject({
      trxId: request.trxId,
      outcome: 'ok',
      request: { method: 'POST', path: `${VA_PATH}/create-va`, body: JSON.parse(create.body) },
    });
    const logged = JSON.stringify(logs);
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain('tok-1');
    expect(logged).not.toContain('PRIVATE KEY');
  });

  it.each([
    ['i', 'I'],
    ['o', 'O'],
    ['m', 'M'],
    ['n', 'N'],
    ['x', 'X'],
  ] as const)('billing type %s is virtualAccountTrxType %s', async (billingType, letter) => {
    tokenEndpoint('tok-1');
    service('post', 'create-va', created());
    const { connector } = setup();

    await connector.createVa({ ...request, billingType, amount: billingType === 'o' ? 0 : request.amount });
    expect(JSON.parse(seen[1].body)).toMatchObject({ virtualAccountTrxType: letter });
  });

  it('refuses a fractional amount or a VA outside the partnerServiceId before calling the bank', async () => {
    const { connector, logs } = setup();
    await expect(connector.createVa({ ...request, amount: 1500.5 })).rejects.toThrow(RangeError);
    await expect(connector.createVa({ ...request, virtualAccount: '9999900000001' })).rejects.toThrow(RangeError);
    expect(logs).toHaveLength(0);
  });

  describe('access token', () => {
    it('one token for many concurrent calls', async () => {
      tokenEndpoint('tok-1');
      service('post', 'create-va', created(), created(), created(), created(), created());
      const { connector, logs } = setup();

      const results = await Promise.all(Array.from({ length: 5 }, () => connector.createVa(request)));

      expect(results.every((r) => r.outcome === 'ok')).toBe(true);
      expect(logs.filter((l) => l.operation === 'access-token-b2b')).toHaveLength(1);
      expect(seen.filter((s) => s.path.endsWith('create-va')).every((s) => s.headers.authorization === 'Bearer tok-1')).toBe(true);
    });

    it('is kept until 60 s before its 900 s run out, then fetched again', async () => {
      tokenEndpoint('tok-1', 'tok-2');
      service('post', 'create-va', created(), created(), created());
      const { connector, clock, logs } = setup();

      await connector.createVa(request);
      clock.ms += 839_000;
      await connector.createVa(request);
      clock.ms += 2_000;
      await connector.createVa(request);

      const bearers = seen.filter((s) => s.path.endsWith('create-va')).map((s) => s.headers.authorization);
      expect(bearers).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
      expect(logs.filter((l) => l.operation === 'access-token-b2b')).toHaveLength(2);
    });

    it('4012701: drops the token, fetches a new one and repeats the call once', async () => {
      tokenEndpoint('tok-1', 'tok-2');
      service('post', 'create-va', failure('4012701', 'Invalid Token (B2B)'), created());
      const { connector, logs } = setup();

      expect(await connector.createVa(request)).toMatchObject({ outcome: 'ok', code: '2002700' });
      expect(steps(logs)).toEqual([
        'access-token-b2b:2007300',
        'create-va:4012701',
        'access-token-b2b:2007300',
        'create-va:2002700',
      ]);
      const creates = seen.filter((s) => s.path.endsWith('create-va'));
      expect(creates.map((s) => s.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
      // A fresh X-EXTERNAL-ID: the bank has seen the first one today.
      expect(creates[0].headers['x-external-id']).not.toBe(creates[1].headers['x-external-id']);
    });

    it('4012701 again after the refresh: unauthorized, no third attempt', async () => {
      tokenEndpoint('tok-1', 'tok-2');
      service('post', 'create-va', failure('4012701', 'Invalid Token (B2B)'), failure('4012701', 'Invalid Token (B2B)'));
      const { connector, logs } = setup();

      expect(await connector.createVa(request)).toEqual({
        outcome: 'unauthorized',
        code: '4012701',
        message: 'Invalid Token (B2B)',
      });
      expect(steps(logs)).toEqual([
        'access-token-b2b:2007300',
        'create-va:4012701',
        'access-token-b2b:2007300',
        'create-va:4012701',
      ]);
    });

    it('a refused token request fails the operation without calling the service', async () => {
      nock(HOST).post(TOKEN_PATH).reply(401, { responseCode: '4017300', responseMessage: 'Unauthorized. [Signature]' });
      const { connector, logs } = setup();

      expect(await connector.createVa(request)).toEqual({
        outcome: 'unauthorized',
        code: '4017300',
        message: 'Unauthorized. [Signature]',
      });
      expect(steps(logs)).toEqual(['access-token-b2b:4017300']);
    });

    it('a token answer without a lifetime is a bad response', async () => {
      nock(HOST).post(TOKEN_PATH).reply(200, { responseCode: '2007300', accessToken: 'tok-1' });
      const { connector } = setup({ retries: 0 });

      expect(await connector.createVa(request)).toMatchObject({ outcome: 'transient', code: 'bad_response' });
    });
  });

  describe('bank error codes', () => {
    it('4042712 on update: not_found, not retried', async () => {
      tokenEndpoint('tok-1');
      service('put', 'update-va', failure('4042812', 'Invalid Bill/Virtual Account [Not Found]'));
      const { connector, logs } = setup();

      expect(await connector.updateVa(request)).toEqual({
        outcome: 'not_found',
        code: '4042812',
        message: 'Invalid Bill/Virtual Account [Not Found]',
      });
      expect(steps(logs)).toEqual(['access-token-b2b:2007300', 'update-va:4042812']);
    });

    it('4042712 on create: not_found', async () => {
      tokenEndpoint('tok-1');
      service('post', 'create-va', failure('4042712', 'Invalid Bill/Virtual Account'));
      const { connector } = setup();

      expect(await connector.createVa(request)).toMatchObject({ outcome: 'not_found', code: '4042712' });
    });

    it('4042714: already_paid', async () => {
      tokenEndpoint('tok-1');
      service('put', 'update-va', failure('4042814', 'Paid Bill'));
      const { connector, logs } = setup();

      expect(await connector.updateVa(request)).toMatchObject({ outcome: 'already_paid', code: '4042814' });
      expect(logs).toHaveLength(2);
    });

    it('4092700 (X-EXTERNAL-ID reused) on create: invalid_request, neither retried nor inquired', async () => {
      tokenEndpoint('tok-1');
      service('post', 'create-va', failure('4092700', 'Conflict'));
      const { connector, logs } = setup();

      expect(await connector.createVa(request)).toEqual({ outcome: 'invalid_request', code: '4092700', message: 'Conflict' });
      expect(steps(logs)).toEqual(['access-token-b2b:2007300', 'create-va:4092700']);
    });

    it('5002700: retried with backoff, then ok', async () => {
      tokenEndpoint('tok-1');
      service('post', 'create-va', failure('5002700', 'General Error'), failure('5002700', 'General Error'), created());
      const { connector, logs } = setup();

      expect(await connector.createVa(request)).toMatchObject({ outcome: 'ok', code: '2002700' });
      expect(steps(logs)).toEqual([
        'access-token-b2b:2007300',
        'create-va:5002700',
        'create-va:5002700',
        'create-va:2002700',
      ]);
    });

    it('5002700 on every attempt ends transient after `retries` extra attempts', async () => {
      tokenEndpoint('tok-1');
      service('put', 'update-va', ...Array.from({ length: 4 }, () => failure('5002800', 'General Error')));
      const { connector, logs } = setup({ retries: 3 });

      expect(await connector.updateVa(request)).toMatchObject({ outcome: 'transient', code: '5002800' });
      expect(logs.filter((l) => l.operation === 'update-va')).toHaveLength(4);
    });

    it('4292700: throttled, returned at once', async () => {
      tokenEndpoint('tok-1');
      service('post', 'create-va', failure('4292700', 'Too Many Requests'));
      const { connector, logs } = setup({ retries: 5 });

      expect(await connector.createVa(request)).toMatchObject({ outcome: 'throttled' });
      expect(logs).toHaveLength(2);
    });

    it('HTML from a gateway is a bad_response, by HTTP class', async () => {
      tokenEndpoint('tok-1');
      service('put', 'update-va', [502, '<html>Bad Gateway</html>']);
      const { connector, logs } = setup({ retries: 0 });

      expect(await connector.updateVa(request)).toEqual({
        outcome: 'transient',
        code: 'bad_response',
        message: 'HTTP 502 without a SNAP responseCode',
      });
      expect(logs[1].response).toBe('<html>Bad Gateway</html>');
    });
  });

  describe('duplicates and timeouts on create', () => {
    it('4092701 for our own earlier create (same amount and VA): ok', async () => {
      tokenEndpoint('tok-1');
      service('post', 'create-va', failure('4092701', 'Duplicate partnerReferenceNo'));
      service('post', 'inquiry-va', inquired());
      const { connector, logs } = setup();

      expect(await connector.createVa(request)).toEqual({
        outcome: 'ok',
        code: '2003000',
        message: 'VA already at the bank from an earlier attempt',
        data: { trxId: request.trxId, virtualAccount: VA },
      });
      expect(steps(logs)).toEqual(['access-token-b2b:2007300', 'create-va:4092701', 'inquiry-va:2003000']);
    });

    it('4092701 for another bill on that trxId: duplicate_reference', async () => {
      tokenEndpoint('tok-1');
      service('post', 'create-va', failure('4092701', 'Duplicate partnerReferenceNo'));
      service('post', 'inquiry-va', inquired({ totalAmount: idr('99000.00') }));
      const { connector } = setup();

      const result = await connector.createVa(request);
      expect(result).toMatchObject({ outcome: 'duplicate_reference' });
      expect(result.message).toMatch(/another bill.*99000/);
    });

    it('a timeout is followed by inquiry-va, which finds the VA: adopted without a second create', async () => {
      tokenEndpoint('tok-1');
      nock(HOST).post(`${VA_PATH}/create-va`).delay(1000).reply(...created());
      service('post', 'inquiry-va', inquired());
      const { connector, logs } = setup();

      expect(await connector.createVa(request)).toMatchObject({
        outcome: 'ok',
        data: { trxId: request.trxId, virtualAccount: VA },
      });
      expect(logs.map((l) => `${l.operation}:${l.outcome}`)).toEqual([
        'access-token-b2b:ok',
        'create-va:timeout',
        'inquiry-va:ok',
      ]);
      expect(logs[1].error).toBeDefined();
      expect(JSON.parse(seen.find((s) => s.path.endsWith('inquiry-va'))!.body)).toEqual({
        partnerServiceId: '   12345',
        customerNo: '00000001',
        virtualAccountNo: VA_SNAP,
        trxId: request.trxId,
      });
    });

    it('a timeout, then inquiry-va finds nothing: created again', async () => {
      tokenEndpoint('tok-1');
      nock(HOST).post(`${VA_PATH}/create-va`).delay(1000).reply(...created());
      service('post', 'inquiry-va', failure('4043012', 'Invalid Bill/Virtual Account'));
      service('post', 'create-va', created());
      const { connector, logs } = setup();

      expect(await connector.createVa(request)).toMatchObject({ outcome: 'ok', code: '2002700' });
      expect(steps(logs)).toEqual([
        'access-token-b2b:2007300',
        'create-va:timeout',
        'inquiry-va:4043012',
        'create-va:2002700',
      ]);
    });
  });

  describe('inquireVa', () => {
    it('reads the bill from inquiry-va and its payment from status', async () => {
      tokenEndpoint('tok-1');
      service('post', 'inquiry-va', inquired());
      service('post', 'status', paymentStatus());
      const { connector, logs } = setup();

      expect(await connector.inquireVa(request.trxId, VA)).toEqual({
        outcome: 'ok',
        code: '2003000',
        message: 'Successful',
        data: {
          trxId: request.trxId,
          virtualAccount: VA,
          amount: 150000,
          paidAmount: 150000,
          active: false,
          customerName: request.customerName,
          expiresAt: new Date('2027-03-02T16:59:59.000Z'),
          lastPaymentRef: 'PAY-778899',
          lastPaymentAt: new Date('2027-02-09T17:30:00.000Z'),
          createdAt: null,
        },
      });
      expect(steps(logs)).toEqual(['access-token-b2b:2007300', 'inquiry-va:2003000', 'status:2002600']);
      const status = JSON.parse(seen.find((s) => s.path.endsWith('status'))!.body);
      expect(status).toMatchObject({ partnerServiceId: '   12345', customerNo: '00000001', virtualAccountNo: VA_SNAP });
      expect(status.inquiryRequestId).toMatch(/^\d+$/);
    });

    it('no payment yet (404xx01): unpaid and active', async () => {
      tokenEndpoint('tok-1');
      service('post', 'inquiry-va', inquired());
      service('post', 'status', failure('4042601', 'Transaction Not Found'));
      const { connector } = setup();

      expect((await connector.inquireVa(request.trxId, VA)).data).toMatchObject({
        paidAmount: 0,
        active: true,
        lastPaymentRef: null,
        lastPaymentAt: null,
      });
    });

    it('ignores a payment that belongs to an earlier bill on the same VA number', async () => {
      tokenEndpoint('tok-1');
      service('post', 'inquiry-va', inquired());
      service('post', 'status', paymentStatus({ trxId: 'SKRD-2026-000001' }));
      const { connector } = setup();

      expect((await connector.inquireVa(request.trxId, VA)).data).toMatchObject({ paidAmount: 0, active: true });
    });

    it('installments: the cumulative total the bank reports', async () => {
      tokenEndpoint('tok-1');
      service('post', 'inquiry-va', inquired({ virtualAccountTrxType: 'I' }));
      service(
        'post',
        'status',
        paymentStatus({ paidAmount: idr('50000.00'), cumulativePaymentAmount: idr('100000.00') }),
      );
      const { connector } = setup();

      expect((await connector.inquireVa(request.trxId, VA)).data).toMatchObject({ paidAmount: 100000, active: true });
    });

    it('installments without a cumulative total: refused rather than guessed', async () => {
      tokenEndpoint('tok-1');
      service('post', 'inquiry-va', inquired({ virtualAccountTrxType: 'I' }));
      service('post', 'status', paymentStatus({ paidAmount: idr('50000.00') }));
      const { connector } = setup();

      expect(await connector.inquireVa(request.trxId, VA)).toMatchObject({ outcome: 'invalid_request', code: 'no_cumulative' });
    });

    it('a VA that carries another trxId at the bank is not our bill', async () => {
      tokenEndpoint('tok-1');
      service('post', 'inquiry-va', inquired({ trxId: 'SOMEONE-ELSE' }));
      const { connector } = setup();

      expect(await connector.inquireVa(request.trxId, VA)).toMatchObject({ outcome: 'not_found', code: 'other_trx' });
    });

    it('an amount with a fraction in the answer is a bad response, never rounded', async () => {
      tokenEndpoint('tok-1');
      service('post', 'inquiry-va', inquired({ totalAmount: idr('150000.50') }));
      const { connector } = setup({ retries: 0 });

      const result = await connector.inquireVa(request.trxId, VA);
      expect(result).toMatchObject({ outcome: 'transient', code: 'bad_response' });
      expect(result.message).toMatch(/fraction/);
    });

    it('expired at the bank (404xx19): expired, without reading payments', async () => {
      tokenEndpoint('tok-1');
      service('post', 'inquiry-va', failure('4043019', 'Invalid Bill/Virtual Account [expired]'));
      const { connector, logs } = setup();

      expect(await connector.inquireVa(request.trxId, VA)).toMatchObject({ outcome: 'expired', code: '4043019' });
      expect(logs.map((l) => l.operation)).toEqual(['access-token-b2b', 'inquiry-va']);
    });

    it('without the VA number: invalid_request, nothing sent', async () => {
      const { connector, logs } = setup();

      expect(await connector.inquireVa(request.trxId)).toMatchObject({
        outcome: 'invalid_request',
        code: 'no_virtual_account',
      });
      expect(logs).toHaveLength(0);
    });
  });

  it('updateVa resends every field with PUT, blank ones included', async () => {
    tokenEndpoint('tok-1');
    service('put', 'update-va', [200, { responseCode: '2002800', virtualAccountData: vaData() }]);
    const { connector } = setup();

    await connector.updateVa({ ...request, amount: 175000, customerEmail: null, customerPhone: undefined });
    const update = seen[1];
    expect(update.method).toBe('PUT');
    expect(JSON.parse(update.body)).toEqual({
      partnerServiceId: '   12345',
      customerNo: '00000001',
      virtualAccountNo: VA_SNAP,
      virtualAccountName: request.customerName,
      virtualAccountEmail: '',
      virtualAccountPhone: '',
      trxId: request.trxId,
      totalAmount: idr('175000.00'),
      virtualAccountTrxType: 'C',
      expiredDate: '2027-03-02T23:59:59+07:00',
      additionalInfo: { description: request.description },
    });
    expect(update.headers['x-signature']).toBe(
      crypto
        .createHmac('sha512', SECRET)
        .update(`PUT:${VA_PATH}/update-va:tok-1:${sha256Hex(update.body)}:${update.headers['x-timestamp']}`)
        .digest('base64'),
    );
  });

  it('deactivateVa is DELETE with a signed body', async () => {
    tokenEndpoint('tok-1');
    service('delete', 'delete-va', [
      200,
      { responseCode: '2003100', virtualAccountData: { partnerServiceId: '   12345', customerNo: '00000001', virtualAccountNo: VA_SNAP } },
    ]);
    const { connector } = setup();

    expect(await connector.deactivateVa(request.trxId, VA)).toMatchObject({
      outcome: 'ok',
      code: '2003100',
      data: { trxId: request.trxId, virtualAccount: VA },
    });
    const deletion = seen[1];
    expect(deletion.method).toBe('DELETE');
    expect(JSON.parse(deletion.body)).toEqual({
      partnerServiceId: '   12345',
      customerNo: '00000001',
      virtualAccountNo: VA_SNAP,
      trxId: request.trxId,
    });
    expect(deletion.headers['x-signature']).toBe(
      crypto
        .createHmac('sha512', SECRET)
        .update(`DELETE:${VA_PATH}/delete-va:tok-1:${sha256Hex(deletion.body)}:${deletion.headers['x-timestamp']}`)
        .digest('base64'),
    );
  });
});
