import nock from 'nock';
import { decrypt, encrypt } from '../../src/banks/bni-ecollection/bni-enc';
import {
  BniEcollectionConnector,
  formatWib,
  formatWibIso,
  parseBniDateTime,
  type BniEcollectionOptions,
} from '../../src/banks/bni-ecollection/connector';
import { gateOf } from '../../src/banks/slots';
import type { BankCallLog, VaRequest } from '../../src/banks/types';

const HOST = 'https://apibeta.bni-ecollection.com';
const CLIENT = '00123';
const SECRET = 'ea0c88921fb033387e66ef7d1e82ab83';
const PREFIX = '988';
const VA = '9880012300000001';

type Json = Record<string, unknown>;

function setup(options: Partial<BniEcollectionOptions> = {}) {
  const logs: BankCallLog[] = [];
  const connector = new BniEcollectionConnector({
    channelCode: 'bni-ecollection',
    baseUrl: `${HOST}/`,
    clientId: CLIENT,
    secret: SECRET,
    prefix: PREFIX,
    timeoutMs: 150,
    retryBaseMs: 1,
    onCall: (log) => {
      logs.push(log);
    },
    ...options,
  });
  return { connector, logs };
}

/** The decrypted payload of a request nock intercepted. */
function payloadOf(body: unknown): Json {
  const envelope = (typeof body === 'string' ? JSON.parse(body) : body) as Json;
  return decrypt(envelope.data, CLIENT, SECRET) as Json;
}

// nock needs an Error instance: a plain object makes the request hang until the timeout.
const socketError = (code: string, message: string) => Object.assign(new Error(message), { code });

const success = (data: unknown) => ({ status: '000', data: encrypt(data, CLIENT, SECRET) });

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

function inquiryAnswer(overrides: Json = {}): Json {
  return {
    client_id: CLIENT,
    trx_id: request.trxId,
    trx_amount: '150000',
    virtual_account: VA,
    customer_name: request.customerName,
    customer_email: request.customerEmail,
    customer_phone: '6281xxxxx789',
    datetime_created: '2027-02-01 08:00:00',
    datetime_expired: '2027-03-02 23:59:59',
    datetime_payment: null,
    datetime_last_updated: '2027-02-01 08:00:00',
    payment_ntb: null,
    payment_amount: null,
    va_status: '1',
    billing_type: 'c',
    description: request.description,
    ...overrides,
  };
}

beforeEach(() => nock.cleanAll());

describe('BNI date-times', () => {
  it('renders instants in WIB whatever the process zone', () => {
    const at = new Date('2027-03-02T16:59:59.000Z');
    expect(formatWib(at)).toBe('2027-03-02 23:59:59');
    expect(formatWibIso(at)).toBe('2027-03-02T23:59:59+07:00');
    expect(formatWibIso(new Date('2027-12-31T17:00:00Z'))).toBe('2028-01-01T00:00:00+07:00');
  });

  it.each([
    ['2027-03-02 23:59:59', '2027-03-02T16:59:59.000Z'],
    ['2027-03-02T23:59:59', '2027-03-02T16:59:59.000Z'],
    ['2027-01-01 03:00:00', '2026-12-31T20:00:00.000Z'],
    ['2027-03-02T23:59:59+07:00', '2027-03-02T16:59:59.000Z'],
    ['2027-03-02T16:59:59Z', '2027-03-02T16:59:59.000Z'],
    ['2027-03-02T16:59:59.250Z', '2027-03-02T16:59:59.000Z'],
    ['2027-03-02T12:00:00-0330', '2027-03-02T15:30:00.000Z'],
  ])('parses %s as %s', (text, iso) => {
    expect(parseBniDateTime(text)?.toISOString()).toBe(iso);
  });

  it.each([
    [null],
    [undefined],
    [''],
    ['2027-02-30 10:00:00'],
    ['2027-03-02 24:00:00'],
    ['2027-03-02 10:60:00'],
    ['02-03-2027'],
    [20270302],
  ])('rejects %p', (value) => {
    expect(parseBniDateTime(value)).toBeNull();
  });
});

describe('BniEcollectionConnector at the HTTP boundary', () => {
  it('creates a bill with every field, JSON content type and the encrypted envelope', async () => {
    let envelope: Json = {};
    let payload: Json = {};
    const scope = nock(HOST, { reqheaders: { 'content-type': /^application\/json/ } })
      .post('/', (body: Json) => {
        envelope = body;
        payload = payloadOf(body);
        return true;
      })
      .reply(200, () => success({ virtual_account: VA, trx_id: request.trxId }));
    const { connector, logs } = setup();

    const result = await connector.createVa(request);

    expect(result).toEqual({
      outcome: 'ok',
      code: '000',
      message: 'Success',
      data: { trxId: request.trxId, virtualAccount: VA },
    });
    expect(scope.isDone()).toBe(true);
    expect(Object.keys(envelope).sort()).toEqual(['client_id', 'data', 'prefix']);
    expect(envelope).toMatchObject({ client_id: CLIENT, prefix: PREFIX });
    expect(envelope.data).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(payload).toEqual({
      type: 'createbilling',
      client_id: CLIENT,
      trx_id: request.trxId,
      trx_amount: '150000',
      billing_type: 'c',
      customer_name: 'Réseau Tower Padang',
      customer_email: 'ops@example.co.id',
      customer_phone: '628123456789',
      virtual_account: VA,
      datetime_expired: '2027-03-02T23:59:59+07:00',
      description: 'Retribusi menara 2027/03',
    });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      operation: 'createbilling',
      trxId: request.trxId,
      request: payload,
      response: { status: '000', data: { virtual_account: VA, trx_id: request.trxId } },
      statusCode: '000',
      outcome: 'ok',
    });
    expect(logs[0].durationMs).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(logs)).not.toContain(SECRET);
  });

  it('refuses an amount that is not whole rupiah before calling the bank', async () => {
    const { connector, logs } = setup();
    await expect(connector.createVa({ ...request, amount: 1500.5 })).rejects.toThrow(RangeError);
    expect(logs).toHaveLength(0);
  });

  it('101: not_found, not retried', async () => {
    nock(HOST).post('/').reply(200, { status: '101', message: 'Billing not found.' });
    const { connector, logs } = setup();

    expect(await connector.inquireVa('NOPE')).toEqual({ outcome: 'not_found', code: '101', message: 'Billing not found.' });
    expect(logs.map((l) => [l.operation, l.statusCode, l.outcome])).toEqual([['inquirybilling', '101', 'not_found']]);
  });

  it('102: va_in_use, not retried', async () => {
    nock(HOST).post('/').reply(200, { status: '102', message: 'VA Number is in use.' });
    const { connector, logs } = setup();

    expect(await connector.createVa(request)).toMatchObject({ outcome: 'va_in_use', code: '102' });
    expect(logs).toHaveLength(1);
  });

  it('reads the status in the body, not the HTTP code', async () => {
    nock(HOST).post('/').reply(403, { status: '002', message: 'IP address not allowed or wrong Client ID.' });
    const { connector } = setup();

    expect(await connector.inquireVa('X1')).toMatchObject({ outcome: 'unauthorized', code: '002' });
  });

  describe('105 duplicate billing id', () => {
    it('is our earlier create when the bank bill has our amount and VA: ok', async () => {
      const calls: string[] = [];
      nock(HOST)
        .post('/')
        .times(2)
        .reply(200, (_uri, body) => {
          const p = payloadOf(body);
          calls.push(String(p.type));
          return p.type === 'createbilling'
            ? { status: '105', message: 'Duplicate Billing ID.' }
            : success(inquiryAnswer());
        });
      const { connector, logs } = setup();

      expect(await connector.createVa(request)).toMatchObject({
        outcome: 'ok',
        code: '000',
        data: { trxId: request.trxId, virtualAccount: VA },
      });
      expect(calls).toEqual(['createbilling', 'inquirybilling']);
      expect(logs.map((l) => l.statusCode)).toEqual(['105', '000']);
    });

    it('is someone else when the amount differs: duplicate_reference', async () => {
      nock(HOST)
        .post('/')
        .times(2)
        .reply(200, (_uri, body) =>
          payloadOf(body).type === 'createbilling'
            ? { status: '105', message: 'Duplicate Billing ID.' }
            : success(inquiryAnswer({ trx_amount: '99000' })),
        );
      const { connector } = setup();

      const result = await connector.createVa(request);
      expect(result).toMatchObject({ outcome: 'duplicate_reference', code: '105' });
      expect(result.message).toMatch(/another bill.*99000/);
    });

    it('is someone else when the VA differs: duplicate_reference', async () => {
      nock(HOST)
        .post('/')
        .times(2)
        .reply(200, (_uri, body) =>
          payloadOf(body).type === 'createbilling'
            ? { status: '105' }
            : success(inquiryAnswer({ virtual_account: '9880012399999999' })),
        );
      const { connector } = setup();

      expect(await connector.createVa(request)).toMatchObject({ outcome: 'duplicate_reference' });
    });

    it('stays a duplicate when the inquiry finds nothing', async () => {
      nock(HOST)
        .post('/')
        .times(2)
        .reply(200, (_uri, body) =>
          payloadOf(body).type === 'createbilling' ? { status: '105', message: 'Duplicate Billing ID.' } : { status: '101' },
        );
      const { connector } = setup();

      expect(await connector.createVa(request)).toEqual({
        outcome: 'duplicate_reference',
        code: '105',
        message: 'Duplicate Billing ID.',
      });
    });

    it('reports the inquiry failure when the bank cannot say whose bill it is', async () => {
      nock(HOST)
        .post('/')
        .times(2)
        .reply(200, (_uri, body) => (payloadOf(body).type === 'createbilling' ? { status: '105' } : { status: '996' }));
      const { connector } = setup();

      expect(await connector.createVa(request)).toMatchObject({ outcome: 'throttled', code: '996' });
    });
  });

  it('996: throttled and not retried inside the call', async () => {
    nock(HOST).post('/').reply(200, { status: '996', message: 'Too many inquiries' });
    const { connector, logs } = setup({ retries: 5 });

    expect(await connector.inquireVa('X1')).toMatchObject({ outcome: 'throttled', code: '996' });
    expect(logs).toHaveLength(1);
  });

  it('997: retried with backoff, then ok', async () => {
    nock(HOST).post('/').times(2).reply(200, { status: '997', message: 'System offline' });
    nock(HOST)
      .post('/')
      .reply(200, () => success({ virtual_account: VA, trx_id: request.trxId }));
    const { connector, logs } = setup();

    expect(await connector.createVa(request)).toMatchObject({ outcome: 'ok', data: { virtualAccount: VA } });
    expect(logs.map((l) => `${l.operation}:${l.statusCode}`)).toEqual([
      'createbilling:997',
      'createbilling:997',
      'createbilling:000',
    ]);
  });

  it('gives up after `retries` extra attempts', async () => {
    nock(HOST).post('/').times(4).reply(200, { status: '999' });
    const { connector, logs } = setup({ retries: 3 });

    expect(await connector.updateVa(request)).toMatchObject({ outcome: 'transient', code: '999' });
    expect(logs).toHaveLength(4);
  });

  it('waits longer between later attempts', async () => {
    nock(HOST).post('/').times(3).reply(200, { status: '008' });
    const { connector } = setup({ retries: 2, retryBaseMs: 40 });
    const started = Date.now();

    await connector.inquireVa('X1');
    // 20..40 ms then 40..80 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
  });

  describe('timeout on createbilling', () => {
    it('inquires the same trx_id and adopts the bill the bank created', async () => {
      const calls: string[] = [];
      nock(HOST)
        .post('/')
        .delay(1000)
        .reply(200, () => success({ virtual_account: VA, trx_id: request.trxId }));
      nock(HOST)
        .post('/')
        .reply(200, (_uri, body) => {
          calls.push(String(payloadOf(body).type));
          return success(inquiryAnswer());
        });
      const { connector, logs } = setup();

      expect(await connector.createVa(request)).toMatchObject({
        outcome: 'ok',
        data: { trxId: request.trxId, virtualAccount: VA },
      });
      expect(calls).toEqual(['inquirybilling']);
      expect(logs.map((l) => [l.operation, l.outcome, l.statusCode])).toEqual([
        ['createbilling', 'timeout', 'timeout'],
        ['inquirybilling', 'ok', '000'],
      ]);
      expect(logs[0].error).toBeDefined();
    });

    it('creates again when the inquiry shows the first call never arrived', async () => {
      nock(HOST).post('/').delay(1000).reply(200, { status: '000' });
      nock(HOST).post('/').reply(200, { status: '101', message: 'Billing not found.' });
      nock(HOST)
        .post('/')
        .reply(200, () => success({ virtual_account: VA, trx_id: request.trxId }));
      const { connector, logs } = setup();

      expect(await connector.createVa(request)).toMatchObject({ outcome: 'ok', code: '000' });
      expect(logs.map((l) => `${l.operation}:${l.statusCode}`)).toEqual([
        'createbilling:timeout',
        'inquirybilling:101',
        'createbilling:000',
      ]);
    });

    it('is reported as a timeout when every attempt times out', async () => {
      nock(HOST).post('/').times(6).delay(1000).reply(200, { status: '000' });
      const { connector, logs } = setup({ retries: 2 });

      expect(await connector.createVa(request)).toEqual({
        outcome: 'timeout',
        code: 'timeout',
        message: 'No answer within 150 ms',
      });
      expect(logs.map((l) => l.operation)).toEqual([
        'createbilling',
        'inquirybilling',
        'createbilling',
        'inquirybilling',
        'createbilling',
        'inquirybilling',
      ]);
    });
  });

  it('a timeout on an idempotent operation is retried', async () => {
    nock(HOST).post('/').delay(1000).reply(200, { status: '000' });
    nock(HOST)
      .post('/')
      .reply(200, () => success(inquiryAnswer()));
    const { connector, logs } = setup();

    expect(await connector.inquireVa(request.trxId)).toMatchObject({ outcome: 'ok' });
    expect(logs.map((l) => l.outcome)).toEqual(['timeout', 'ok']);
  });

  it('network errors: transient with code network, retried', async () => {
    nock(HOST).post('/').times(3).replyWithError(socketError('ECONNRESET', 'socket hang up'));
    const { connector, logs } = setup();

    const result = await connector.inquireVa('X1');
    expect(result).toMatchObject({ outcome: 'transient', code: 'network' });
    expect(result.message).toContain('ECONNRESET');
    expect(logs).toHaveLength(3);
    expect(logs.every((l) => l.statusCode === 'network' && l.response === null && l.error)).toBe(true);
  });

  it('a network error on create is followed by an inquiry, then a retry', async () => {
    nock(HOST).post('/').replyWithError(socketError('ECONNREFUSED', 'connect ECONNREFUSED'));
    nock(HOST).post('/').reply(200, { status: '101' });
    nock(HOST)
      .post('/')
      .reply(200, () => success({ virtual_account: VA, trx_id: request.trxId }));
    const { connector, logs } = setup();

    expect(await connector.createVa(request)).toMatchObject({ outcome: 'ok' });
    expect(logs.map((l) => `${l.operation}:${l.statusCode}`)).toEqual([
      'createbilling:network',
      'inquirybilling:101',
      'createbilling:000',
    ]);
  });

  it('an undecryptable success body is a transient bad_response', async () => {
    nock(HOST).post('/').times(3).reply(200, { status: '000', data: 'bm90IEJuaUVuYw' });
    const { connector, logs } = setup();

    const result = await connector.updateVa(request);
    expect(result).toMatchObject({ outcome: 'transient', code: 'bad_response' });
    expect(result.message).toMatch(/decrypt/);
    expect(logs).toHaveLength(3);
  });

  it('a success body encrypted with other keys is a bad_response', async () => {
    nock(HOST)
      .post('/')
      .times(3)
      .reply(200, () => ({ status: '000', data: encrypt({ trx_id: 'X1', virtual_account: VA }, CLIENT, 'other') }));
    const { connector } = setup();

    expect(await connector.deactivateVa('X1', VA)).toMatchObject({ outcome: 'transient', code: 'bad_response' });
  });

  it('HTTP 500 with an HTML page is a transient bad_response, retried', async () => {
    const html = '<html><body><h1>502 Bad Gateway</h1></body></html>';
    nock(HOST).post('/').reply(500, html, { 'Content-Type': 'text/html' });
    nock(HOST)
      .post('/')
      .reply(200, () => success(inquiryAnswer()));
    const { connector, logs } = setup();

    expect(await connector.inquireVa(request.trxId)).toMatchObject({ outcome: 'ok' });
    expect(logs[0]).toMatchObject({ statusCode: 'bad_response', outcome: 'transient', response: html });
    expect(logs[0].error).toBeUndefined();
  });

  it('HTTP 500 with HTML on every attempt ends transient', async () => {
    nock(HOST).post('/').times(3).reply(500, '<html>Internal Server Error</html>');
    const { connector } = setup();

    expect(await connector.inquireVa('X1')).toEqual({
      outcome: 'transient',
      code: 'bad_response',
      message: 'HTTP 500 without an eCollection status',
    });
  });

  it('updatebilling resends every field, blank ones included', async () => {
    let payload: Json = {};
    nock(HOST)
      .post('/', (body: Json) => {
        payload = payloadOf(body);
        return true;
      })
      .reply(200, () => success({ virtual_account: VA, trx_id: request.trxId }));
    const { connector } = setup();

    const result = await connector.updateVa({ ...request, amount: 175000, customerEmail: null, customerPhone: undefined });
    expect(result).toMatchObject({ outcome: 'ok', data: { trxId: request.trxId, virtualAccount: VA } });
    expect(payload).toEqual({
      type: 'updatebilling',
      client_id: CLIENT,
      trx_id: request.trxId,
      trx_amount: '175000',
      customer_name: request.customerName,
      customer_email: '',
      customer_phone: '',
      datetime_expired: '2027-03-02T23:59:59+07:00',
      description: request.description,
    });
  });

  it('inquirybilling: strings become numbers, WIB datetimes become instants', async () => {
    let payload: Json = {};
    nock(HOST)
      .post('/', (body: Json) => {
        payload = payloadOf(body);
        return true;
      })
      .reply(200, () =>
        success(
          inquiryAnswer({
            trx_amount: '150000',
            payment_amount: '150000',
            payment_ntb: '233171',
            datetime_payment: '2027-02-10 00:30:00',
            va_status: '2',
          }),
        ),
      );
    const { connector } = setup();

    const result = await connector.inquireVa(request.trxId);
    expect(payload).toEqual({ type: 'inquirybilling', client_id: CLIENT, trx_id: request.trxId });
    expect(result).toEqual({
      outcome: 'ok',
      code: '000',
      message: 'Success',
      data: {
        trxId: request.trxId,
        virtualAccount: VA,
        amount: 150000,
        paidAmount: 150000,
        active: false,
        customerName: request.customerName,
        expiresAt: new Date('2027-03-02T16:59:59.000Z'),
        lastPaymentRef: '233171',
        lastPaymentAt: new Date('2027-02-09T17:30:00.000Z'),
        createdAt: new Date('2027-02-01T01:00:00.000Z'),
      },
    });
  });

  it('inquirybilling: an unpaid active bill with null amounts and dates', async () => {
    nock(HOST)
      .post('/')
      .reply(200, () => success(inquiryAnswer({ datetime_expired: null, datetime_created: null })));
    const { connector } = setup();

    expect((await connector.inquireVa(request.trxId)).data).toMatchObject({
      amount: 150000,
      paidAmount: 0,
      active: true,
      expiresAt: null,
      lastPaymentRef: null,
      lastPaymentAt: null,
      createdAt: null,
    });
  });

  it('inquirybilling: an amount that is not digits is a bad answer, not a zero', async () => {
    nock(HOST)
      .post('/')
      .times(3)
      .reply(200, () => success(inquiryAnswer({ payment_amount: '1.500,00' })));
    const { connector } = setup();

    const result = await connector.inquireVa(request.trxId);
    expect(result).toMatchObject({ outcome: 'transient', code: 'bad_response' });
    expect(result.message).toContain('payment_amount');
  });

  it('inactivebilling sends trx_id and virtual_account', async () => {
    let payload: Json = {};
    nock(HOST)
      .post('/', (body: Json) => {
        payload = payloadOf(body);
        return true;
      })
      .reply(200, () => success({ virtual_account: VA, trx_id: request.trxId }));
    const { connector } = setup();

    expect(await connector.deactivateVa(request.trxId, VA)).toMatchObject({ outcome: 'ok' });
    expect(payload).toEqual({ type: 'inactivebilling', client_id: CLIENT, trx_id: request.trxId, virtual_account: VA });
  });

  it('encrypts with the injected clock', async () => {
    const fixed = Date.parse('2027-02-01T00:00:00Z');
    let data: unknown;
    nock(HOST)
      .post('/', (body: Json) => {
        data = body.data;
        return true;
      })
      .reply(200, { status: '101' });
    const { connector } = setup({ now: () => fixed });

    await connector.inquireVa('X1');
    expect(decrypt(data, CLIENT, SECRET, fixed / 1000)).toMatchObject({ trx_id: 'X1' });
    expect(decrypt(data, CLIENT, SECRET)).toBeNull();
  });

  describe('the channel gate', () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    let channelId = 9000;

    it('holds the bank to the channel concurrency however many calls wait', async () => {
      let inFlight = 0;
      let most = 0;
      nock(HOST)
        .post('/')
        .times(6)
        .reply(200, async () => {
          inFlight += 1;
          most = Math.max(most, inFlight);
          await sleep(30);
          inFlight -= 1;
          return success({ virtual_account: VA, trx_id: request.trxId });
        });
      const { connector, logs } = setup({ gate: gateOf({ id: channelId++, concurrency: 2 }) });

      const results = await Promise.all(Array.from({ length: 6 }, () => connector.createVa(request)));
      expect(results.map((r) => r.outcome)).toEqual(Array(6).fill('ok'));
      expect(most).toBe(2);
      expect(logs).toHaveLength(6);
    });

    it('is held for the exchange only: the next call reaches the bank while the first is still being logged', async () => {
      const events: string[] = [];
      let n = 0;
      nock(HOST)
        .post('/')
        .times(2)
        .reply(200, () => {
          events.push(`bank ${++n}`);
          return { status: '101', message: 'Billing not found' };
        });
      const { connector } = setup({
        gate: gateOf({ id: channelId++, concurrency: 1 }),
        onCall: async (log) => {
          events.push(`log ${log.trxId} starts`);
          await sleep(50);
          events.push(`log ${log.trxId} ends`);
        },
      });

      await Promise.all([connector.inquireVa('A'), connector.inquireVa('B')]);
      expect(events.indexOf('bank 2')).toBeLessThan(events.indexOf('log A ends'));
      expect(events.filter((e) => e.endsWith('ends'))).toHaveLength(2);
    });

    it('is not held while a retry waits out its backoff', async () => {
      const reached: number[] = [];
      const started = Date.now();
      nock(HOST)
        .post('/')
        .reply(200, () => {
          reached.push(Date.now() - started);
          return { status: '008' };
        });
      nock(HOST)
        .post('/')
        .times(2)
        .reply(200, () => {
          reached.push(Date.now() - started);
          return { status: '101' };
        });
      const { connector } = setup({ gate: gateOf({ id: channelId++, concurrency: 1 }), retries: 1, retryBaseMs: 200 });

      const [first, second] = await Promise.all([connector.inquireVa('A'), sleep(20).then(() => connector.inquireVa('B'))]);
      expect([first.outcome, second.outcome]).toEqual(['not_found', 'not_found']);
      // B went to the bank during A's backoff (at least 100 ms), not after A's retry.
      expect(reached).toHaveLength(3);
      expect(reached[1]).toBeLessThan(100);
    });
  });
});
