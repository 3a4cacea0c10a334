import crypto from 'node:crypto';
import {
  SnapNotificationHandler,
  snapTokenEndpoint,
  type SnapNotificationOptions,
  type SnapTokenEndpointOptions,
} from '../../src/banks/snap/notifications';
import type { CallbackRequest } from '../../src/banks/types';

const bankKeys = crypto.generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const strangerKeys = crypto.generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

const SECRET = 'shared-notification-secret';
const PATH = '/api/v1/bank-callbacks/nagari/v1.0/transfer-va/payment';
const NOW = Date.parse('2027-02-10T01:00:00Z');
const TS = '2027-02-10T08:00:00+07:00';
const TOKEN = 'opaque-token-from-our-endpoint';

type Json = Record<string, unknown>;

const sha256Hex = (body: string) => crypto.createHash('sha256').update(body, 'utf8').digest('hex');

function notification(overrides: Json = {}): Json {
  return {
    partnerServiceId: '   12345',
    customerNo: '00000001',
    virtualAccountNo: '   1234500000001',
    virtualAccountName: 'Budi Santoso',
    trxId: 'SKRD-2027-000123',
    paymentRequestId: 'PAY-778899',
    paidAmount: { value: '150000.00', currency: 'IDR' },
    totalAmount: { value: '150000.00', currency: 'IDR' },
    trxDateTime: '2027-02-10T07:59:00+07:00',
    flagAdvise: 'N',
    ...overrides,
  };
}

interface Signing {
  body?: string;
  timestamp?: string;
  secret?: string;
  token?: string | null;
  path?: string;
  headers?: Record<string, string | undefined>;
}

/** A notification signed the HMAC way, computed here with Node's crypto. */
function hmacRequest(content: Json | string = notification(), s: Signing = {}): CallbackRequest {
  const body = typeof content === 'string' ? content : JSON.stringify(content);
  const timestamp = s.timestamp ?? TS;
  const token = s.token === undefined ? TOKEN : s.token;
  const signature = crypto
    .createHmac('sha512', s.secret ?? SECRET)
    .update(`POST:${s.path ?? PATH}:${token ?? ''}:${sha256Hex(body)}:${timestamp}`)
    .digest('base64');
  return {
    rawBody: Buffer.from(s.body ?? body, 'utf8'),
    method: 'POST',
    path: PATH,
    sourceIp: '127.0.0.1',
    headers: {
      'content-type': 'application/json',
      'x-timestamp': timestamp,
      'x-signature': signature,
      'x-partner-id': '12345',
      'x-external-id': '41807553358950093184',
      'channel-id': '95221',
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...s.headers,
    },
  };
}

/** A notification signed the RSA way with the bank's key. */
function rsaRequest(content: Json = notification(), privateKey = bankKeys.privateKey): CallbackRequest {
  const body = JSON.stringify(content);
  const signature = crypto.createSign('RSA-SHA256').update(`POST:${PATH}:${sha256Hex(body)}:${TS}`).sign(privateKey, 'base64');
  return {
    rawBody: Buffer.from(body),
    method: 'POST',
    path: PATH,
    sourceIp: '127.0.0.1',
    headers: { 'x-timestamp': TS, 'x-signature': signature, 'x-partner-id': '12345', 'x-external-id': '1', 'channel-id': '95221' },
  };
}

function hmacHandler(options: Partial<SnapNotificationOptions> = {}) {
  return new SnapNotificationHandler({
    channelCode: 'nagari',
    partnerServiceId: '12345',
    verification: { mode: 'hmac', clientSecret: SECRET },
    now: () => NOW,
    ...options,
  });
}

const rsaHandler = () =>
  hmacHandler({ verification: { mode: 'rsa', bankPublicKeyPem: bankKeys.publicKey } });

describe('SnapNotificationHandler.verify', () => {
  it('a genuine HMAC notification: the common form, VA without spaces, amounts in rupiah', () => {
    const verdict = hmacHandler().verify(hmacRequest());
    expect(verdict).toEqual({
      ok: true,
      notification: {
        trxId: 'SKRD-2027-000123',
        virtualAccount: '1234500000001',
        paymentRef: 'PAY-778899',
        amount: 150000,
        cumulative: null,
        paidAt: new Date('2027-02-10T00:59:00.000Z'),
        customerName: 'Budi Santoso',
      },
      decoded: notification(),
    });
  });

  it('a genuine RSA notification', () => {
    expect(rsaHandler().verify(rsaRequest())).toMatchObject({ ok: true, notification: { paymentRef: 'PAY-778899' } });
  });

  it('reads the cumulative total wherever the bank puts it, and a naive trxDateTime as WIB', () => {
    const top = hmacHandler().verify(
      hmacRequest(notification({ cumulativePaymentAmount: { value: '300000.00', currency: 'IDR' }, trxDateTime: '2027-02-10T07:59:00' })),
    );
    expect(top).toMatchObject({ ok: true, notification: { cumulative: 300000, paidAt: new Date('2027-02-10T00:59:00Z') } });
    const inInfo = hmacHandler().verify(
      hmacRequest(notification({ additionalInfo: { cumulativePaymentAmount: { value: '200000.00', currency: 'IDR' } } })),
    );
    expect(inInfo).toMatchObject({ ok: true, notification: { cumulative: 200000 } });
  });

  it('accepts a timestamp inside the window either way', () => {
    const early = hmacRequest(notification(), { timestamp: '2027-02-10T07:55:30+07:00' });
    const late = hmacRequest(notification(), { timestamp: '2027-02-10T08:04:30+07:00' });
    expect(hmacHandler().verify(early).ok).toBe(true);
    expect(hmacHandler().verify(late).ok).toBe(true);
  });

  it.each<[string, CallbackRequest, string]>([
    ['a tampered body', hmacRequest(notification(), { body: JSON.stringify(notification({ paidAmount: { value: '1500000.00', currency: 'IDR' } })) }), 'bad_signature'],
    ['the wrong secret', hmacRequest(notification(), { secret: 'guessed' }), 'bad_signature'],
    ['a signature over another path', hmacRequest(notification(), { path: '/api/v1/bank-callbacks/bsi/v1.0/transfer-va/payment' }), 'bad_signature'],
    ['a stale timestamp', hmacRequest(notification(), { timestamp: '2027-02-10T07:54:59+07:00' }), 'stale_timestamp'],
    ['a timestamp from the future', hmacRequest(notification(), { timestamp: '2027-02-10T08:05:01+07:00' }), 'stale_timestamp'],
    ['an unreadable timestamp', hmacRequest(notification(), { timestamp: '10/02/2027 08:00' }), 'bad_timestamp'],
    ['no signature', hmacRequest(notification(), { headers: { 'x-signature': undefined } }), 'missing_header:X-SIGNATURE'],
    ['no timestamp', hmacRequest(notification(), { headers: { 'x-timestamp': undefined } }), 'missing_header:X-TIMESTAMP'],
    ['no bearer token', hmacRequest(notification(), { token: null }), 'missing_token'],
    ['another partner in X-PARTNER-ID', hmacRequest(notification(), { headers: { 'x-partner-id': '54321' } }), 'wrong_partner'],
    ['another partnerServiceId in the body', hmacRequest(notification({ partnerServiceId: '   54321' })), 'wrong_partner'],
    ['malformed JSON', hmacRequest('{"trxId": "SKRD-2027-000123",'), 'malformed_json'],
    ['a JSON array', hmacRequest('[1,2]'), 'malformed_json'],
    ['a currency other than IDR', hmacRequest(notification({ paidAmount: { value: '150000.00', currency: 'USD' } })), 'invalid_field:paidAmount'],
    ['a fraction of a rupiah', hmacRequest(notification({ paidAmount: { value: '150000.50', currency: 'IDR' } })), 'invalid_field:paidAmount'],
    ['a zero payment', hmacRequest(notification({ paidAmount: { value: '0.00', currency: 'IDR' } })), 'invalid_field:paidAmount'],
    ['a bad cumulative amount', hmacRequest(notification({ cumulativePaymentAmount: { value: '1', currency: 'IDR' } })), 'invalid_field:cumulativePaymentAmount'],
    ['no paymentRequestId', hmacRequest(notification({ paymentRequestId: undefined })), 'missing_field:paymentRequestId'],
    ['no trxId', hmacRequest(notification({ trxId: '' })), 'missing_field:trxId'],
    ['no paidAmount', hmacRequest(notification({ paidAmount: undefined })), 'missing_field:paidAmount'],
    ['a numeric trxId', hmacRequest(notification({ trxId: 123 })), 'invalid_field:trxId'],
    ['a VA outside our company code', hmacRequest(notification({ virtualAccountNo: '   9999900000001' })), 'invalid_field:virtualAccountNo'],
    ['a customerNo that is not the VA’s', hmacRequest(notification({ customerNo: '00000002' })), 'invalid_field:customerNo'],
    ['an impossible trxDateTime', hmacRequest(notification({ trxDateTime: '2027-02-30T07:59:00+07:00' })), 'invalid_field:trxDateTime'],
    ['an unknown flagAdvise', hmacRequest(notification({ flagAdvise: 'MAYBE' })), 'invalid_field:flagAdvise'],
    ['a NUL character, which no database column can keep', hmacRequest(notification({ virtualAccountName: 'Budi\u0000' })), 'invalid_field:body'],
  ])('refuses %s', (_what, req, reason) => {
    const verdict = hmacHandler().verify(req);
    expect(verdict.ok).toBe(false);
    expect(verdict).toMatchObject({ reason });
  });

  it('keeps what it could decode of a refused notification, for the audit trail', () => {
    const verdict = hmacHandler().verify(hmacRequest(notification(), { secret: 'guessed' }));
    expect(verdict).toEqual({ ok: false, reason: 'bad_signature', decoded: notification() });
  });

  it('a token the channel did not issue: invalid_token', () => {
    const handler = hmacHandler({
      verification: { mode: 'hmac', clientSecret: SECRET, acceptedTokens: (token) => token === 'another' },
    });
    expect(handler.verify(hmacRequest())).toMatchObject({ ok: false, reason: 'invalid_token' });
  });

  it('RSA: a signature by another key, or over another body, is refused', () => {
    expect(rsaHandler().verify(rsaRequest(notification(), strangerKeys.privateKey))).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
    const tampered = rsaRequest();
    tampered.rawBody = Buffer.from(JSON.stringify(notification({ trxId: 'SKRD-2027-999999' })));
    expect(rsaHandler().verify(tampered)).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('a header given twice counts by its first value', () => {
    const req = hmacRequest();
    req.headers['x-partner-id'] = ['12345', '54321'];
    expect(hmacHandler().verify(req).ok).toBe(true);
  });
});

describe('SnapNotificationHandler.answer', () => {
  const handler = hmacHandler();

  it('accepted: 200, 2002500, the VA data echoed with paymentFlagStatus 00', () => {
    const decoded = notification();
    const answer = handler.answer('accepted', { decoded });
    expect(answer.status).toBe(200);
    expect(answer.headers).toEqual({ 'Content-Type': 'application/json', 'X-TIMESTAMP': TS });
    expect(answer.body).toEqual({
      responseCode: '2002500',
      responseMessage: 'Successful',
      virtualAccountData: {
        partnerServiceId: '   12345',
        customerNo: '00000001',
        virtualAccountNo: '   1234500000001',
        virtualAccountName: 'Budi Santoso',
        trxId: 'SKRD-2027-000123',
        paymentRequestId: 'PAY-778899',
        paidAmount: { value: '150000.00', currency: 'IDR' },
        totalAmount: { value: '150000.00', currency: 'IDR' },
        trxDateTime: '2027-02-10T07:59:00+07:00',
        paymentFlagReason: { english: 'Success', indonesia: 'Sukses' },
        paymentFlagStatus: '00',
      },
    });
  });

  it('a resend (flagAdvise Y) gets the original answer', () => {
    const original = handler.answer('accepted', { decoded: notification() });
    const resend = handler.answer('accepted', { decoded: notification({ flagAdvise: 'Y' }) });
    expect(resend.body).toEqual(original.body);
  });

  it.each([
    ['bad_signature', 401, '4012500', 'Unauthorized. [Signature]'],
    ['stale_timestamp', 401, '4012500', 'Unauthorized. [X-TIMESTAMP outside allowed skew]'],
    ['wrong_partner', 401, '4012500', 'Unauthorized. [Unknown partner]'],
    ['missing_token', 401, '4012501', 'Invalid Token (B2B)'],
    ['invalid_token', 401, '4012501', 'Invalid Token (B2B)'],
    ['bad_timestamp', 400, '4002501', 'Invalid Field Format [X-TIMESTAMP]'],
    ['malformed_json', 400, '4002501', 'Invalid Field Format [body]'],
    ['invalid_field:paidAmount', 400, '4002501', 'Invalid Field Format [paidAmount]'],
    ['missing_field:paymentRequestId', 400, '4002502', 'Invalid Mandatory Field [paymentRequestId]'],
    ['missing_header:X-SIGNATURE', 400, '4002502', 'Invalid Mandatory Field [X-SIGNATURE]'],
    ['channel_mismatch', 401, '4012500', 'Unauthorized. [Rejected]'],
    [undefined, 401, '4012500', 'Unauthorized. [Rejected]'],
  ])('rejected for %s: HTTP %i, %s', (reason, status, responseCode, responseMessage) => {
    const answer = handler.answer('rejected', { reason });
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({ responseCode, responseMessage });
  });

  it('failed (genuine but not recorded): 500 and 5002500, so the bank sends it again', () => {
    const answer = handler.answer('failed', { reason: 'not recorded; send again' });
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ responseCode: '5002500', responseMessage: 'General Error' });
  });

  it('passes a verdict’s reason straight through', () => {
    const verdict = handler.verify(hmacRequest(notification({ trxId: undefined })));
    if (verdict.ok) throw new Error('expected a refusal');
    expect(handler.answer('rejected', verdict).body).toEqual({
      responseCode: '4002502',
      responseMessage: 'Invalid Mandatory Field [trxId]',
    });
  });
});

describe('snapTokenEndpoint: the token we issue to a bank', () => {
  const clock = { ms: NOW };
  const options: SnapTokenEndpointOptions = {
    channelCode: 'nagari',
    bankClientKey: 'NAGARI-TO-KASDA',
    bankPublicKeyPem: bankKeys.publicKey,
    tokenSecret: 'token-signing-secret',
    now: () => clock.ms,
  };

  beforeEach(() => {
    clock.ms = NOW;
  });

  function tokenRequest(s: { clientKey?: string; timestamp?: string; key?: string; body?: string } = {}): CallbackRequest {
    const clientKey = s.clientKey ?? 'NAGARI-TO-KASDA';
    const timestamp = s.timestamp ?? TS;
    const signature = crypto
      .createSign('RSA-SHA256')
      .update(`${clientKey}|${timestamp}`)
      .sign(s.key ?? bankKeys.privateKey, 'base64');
    return {
      rawBody: Buffer.from(s.body ?? '{"grantType":"client_credentials"}'),
      method: 'POST',
      path: '/api/v1/bank-callbacks/nagari/v1.0/access-token/b2b',
      sourceIp: '127.0.0.1',
      headers: { 'x-client-key': clientKey, 'x-timestamp': timestamp, 'x-signature': signature },
    };
  }

  it('answers 2007300 with a bearer token valid 900 s that any process with the secret accepts', () => {
    const endpoint = snapTokenEndpoint(options);
    const answer = endpoint.answer(tokenRequest());
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      responseCode: '2007300',
      responseMessage: 'Successful',
      accessToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: '900',
    });
    const token = (answer.body as Json).accessToken as string;
    expect(endpoint.acceptsToken(token)).toBe(true);
    expect(snapTokenEndpoint(options).acceptsToken(token)).toBe(true);
    expect(endpoint.answer(tokenRequest()).body).not.toEqual(answer.body);

    clock.ms += 899_000;
    expect(endpoint.acceptsToken(token)).toBe(true);
    clock.ms += 1_000;
    expect(endpoint.acceptsToken(token)).toBe(false);
  });

  it('refuses a token of another channel, a forged or altered one', () => {
    const endpoint = snapTokenEndpoint(options);
    const token = (endpoint.answer(tokenRequest()).body as Json).accessToken as string;
    expect(snapTokenEndpoint({ ...options, channelCode: 'bsi' }).acceptsToken(token)).toBe(false);
    expect(snapTokenEndpoint({ ...options, tokenSecret: 'other' }).acceptsToken(token)).toBe(false);
    const [expiry, nonce, mac] = token.split('.');
    expect(endpoint.acceptsToken(`${Number(expiry) + 3600}.${nonce}.${mac}`)).toBe(false);
    expect(endpoint.acceptsToken(`${expiry}.${nonce}.${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`)).toBe(false);
    expect(endpoint.acceptsToken('')).toBe(false);
    expect(endpoint.acceptsToken('random-string')).toBe(false);
  });

  it('is what the handler checks bearer tokens against', () => {
    const endpoint = snapTokenEndpoint(options);
    const token = (endpoint.answer(tokenRequest()).body as Json).accessToken as string;
    const handler = hmacHandler({
      verification: { mode: 'hmac', clientSecret: SECRET, acceptedTokens: endpoint.acceptsToken },
    });
    expect(handler.verify(hmacRequest(notification(), { token })).ok).toBe(true);
    expect(handler.verify(hmacRequest(notification(), { token: `${token}x` }))).toMatchObject({ reason: 'invalid_token' });
  });

  it.each<[string, CallbackRequest, number, string, string]>([
    ['another key', tokenRequest({ key: strangerKeys.privateKey }), 401, '4017300', 'Unauthorized. [Signature]'],
    ['another client key', tokenRequest({ clientKey: 'SOMEONE' }), 401, '4017300', 'Unauthorized. [Unknown client]'],
    [
      'a stale timestamp',
      tokenRequest({ timestamp: '2027-02-10T07:50:00+07:00' }),
      401,
      '4017300',
      'Unauthorized. [X-TIMESTAMP outside allowed skew]',
    ],
    ['an unreadable timestamp', tokenRequest({ timestamp: 'yesterday' }), 400, '4007301', 'Invalid Field Format [X-TIMESTAMP]'],
    ['another grant type', tokenRequest({ body: '{"grantType":"password"}' }), 400, '4007301', 'Invalid Field Format [grantType]'],
    ['no grant type', tokenRequest({ body: '{}' }), 400, '4007302', 'Invalid Mandatory Field [grantType]'],
    ['a body that is not JSON', tokenRequest({ body: 'grantType=client_credentials' }), 400, '4007301', 'Invalid Field Format [body]'],
  ])('refuses %s', (_what, req, status, responseCode, responseMessage) => {
    const answer = snapTokenEndpoint(options).answer(req);
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({ responseCode, responseMessage });
  });

  it('refuses a request without X-SIGNATURE', () => {
    const req = tokenRequest();
    delete req.headers['x-signature'];
    expect(snapTokenEndpoint(options).answer(req).body).toEqual({
      responseCode: '4007302',
      responseMessage: 'Invalid Mandatory Field [X-SIGNATURE]',
    });
  });
});
