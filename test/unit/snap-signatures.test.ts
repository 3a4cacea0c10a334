import crypto from 'node:crypto';
import {
  addressVirtualAccount,
  formatSnapAmount,
  newExternalId,
  padPartnerServiceId,
  parseSnapAmount,
} from '../../src/banks/snap/fields';
import {
  asymmetricSignature,
  bodyDigest,
  formatSnapTimestamp,
  notificationSignature,
  parseSnapTimestamp,
  symmetricSignature,
  verifyAsymmetricSignature,
  verifyNotificationSignature,
  verifySymmetricSignature,
} from '../../src/banks/snap/signatures';

// Vectors are built here by hand with Node's crypto, not with the module under test.
const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const other = crypto.generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

const CLIENT_ID = 'KASDA-PADANG-01';
const SECRET = 'c2VjcmV0LWZvci10ZXN0cy1vbmx5';
const TOKEN = 'gsXzvFCmUzQ0VT4HYyYVfDk3Lf5Jr1oPz4EtqGmC3zG';
const TS = '2026-11-29T10:00:00+07:00';
const PATH = '/snap/v1.0/transfer-va/create-va';
const BODY = JSON.stringify({
  partnerServiceId: '   12345',
  customerNo: '00000001',
  virtualAccountNo: '   1234500000001',
  virtualAccountName: 'Réseau Tower Padang',
  trxId: 'SKRD-2027-000123',
  totalAmount: { value: '150000.00', currency: 'IDR' },
});

function sha256Hex(text: string): string {
  return crypto.createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex');
}

describe('SNAP timestamps', () => {
  it('writes the instant in WIB with +07:00, whatever the process zone', () => {
    expect(formatSnapTimestamp(new Date('2026-11-29T03:00:00Z'))).toBe('2026-11-29T10:00:00+07:00');
    expect(formatSnapTimestamp(Date.parse('2026-12-31T17:30:05.999Z'))).toBe('2027-01-01T00:30:05+07:00');
  });

  it.each([
    ['2026-11-29T10:00:00+07:00', '2026-11-29T03:00:00.000Z'],
    ['2026-11-29T10:00:00', '2026-11-29T03:00:00.000Z'],
    ['2026-11-29T03:00:00Z', '2026-11-29T03:00:00.000Z'],
    // Fractions of a second are dropped: every SNAP timestamp is in whole seconds.
    ['2026-11-29T03:00:00.123Z', '2026-11-29T03:00:00.000Z'],
    ['2026-11-29T08:00:00+05:00', '2026-11-29T03:00:00.000Z'],
    ['2026-11-28T23:30:00-03:30', '2026-11-29T03:00:00.000Z'],
  ])('reads %s as %s', (text, iso) => {
    const ms = parseSnapTimestamp(text);
    expect(ms === null ? null : new Date(ms).toISOString()).toBe(iso);
  });

  it.each([[''], ['2026-02-30T10:00:00+07:00'], ['2026-11-29 10:00:00+07:00'], ['2026-11-29T24:00:00'], ['29-11-2026'], [null], [20261129]])(
    'refuses %p',
    (value) => {
      expect(parseSnapTimestamp(value)).toBeNull();
    },
  );
});

describe('asymmetric signature (access token B2B)', () => {
  it('is base64 RSA-SHA256 over clientId|timestamp', () => {
    const expected = crypto.createSign('RSA-SHA256').update(`${CLIENT_ID}|${TS}`).sign(privateKey, 'base64');
    expect(asymmetricSignature(privateKey, CLIENT_ID, TS)).toBe(expected);
  });

  it('verifies with the public key, and only the string that was signed', () => {
    const signature = crypto.createSign('RSA-SHA256').update(`${CLIENT_ID}|${TS}`).sign(privateKey, 'base64');
    expect(verifyAsymmetricSignature(publicKey, CLIENT_ID, TS, signature)).toBe(true);
    expect(verifyAsymmetricSignature(publicKey, CLIENT_ID, '2026-11-29T10:00:01+07:00', signature)).toBe(false);
    expect(verifyAsymmetricSignature(publicKey, 'SOMEONE-ELSE', TS, signature)).toBe(false);
    expect(verifyAsymmetricSignature(other.publicKey, CLIENT_ID, TS, signature)).toBe(false);
  });

  it('answers false, never throws, for garbage', () => {
    expect(verifyAsymmetricSignature(publicKey, CLIENT_ID, TS, 'not base64 at all!')).toBe(false);
    expect(verifyAsymmetricSignature(publicKey, CLIENT_ID, TS, '')).toBe(false);
    expect(verifyAsymmetricSignature('not a key', CLIENT_ID, TS, 'AAAA')).toBe(false);
  });
});

describe('symmetric signature (transactions)', () => {
  const stringToSign = `POST:${PATH}:${TOKEN}:${sha256Hex(BODY)}:${TS}`;
  const expected = crypto.createHmac('sha512', SECRET).update(stringToSign).digest('base64');

  it('is base64 HMAC-SHA512 over METHOD:path:token:lowerhex(sha256(body)):timestamp', () => {
    expect(symmetricSignature(SECRET, 'POST', PATH, TOKEN, BODY, TS)).toBe(expected);
    expect(symmetricSignature(SECRET, 'post', PATH, TOKEN, Buffer.from(BODY, 'utf8'), TS)).toBe(expected);
  });

  it('hashes the exact UTF-8 bytes: lower-case hex, and re-serialising with spaces changes it', () => {
    expect(bodyDigest(BODY)).toBe(sha256Hex(BODY));
    expect(bodyDigest(BODY)).toMatch(/^[0-9a-f]{64}$/);
    const spaced = JSON.stringify(JSON.parse(BODY), null, 1);
    expect(symmetricSignature(SECRET, 'POST', PATH, TOKEN, spaced, TS)).not.toBe(expected);
  });

  it('signs an empty body as the hash of nothing', () => {
    const empty = crypto.createHmac('sha512', SECRET).update(`DELETE:${PATH}:${TOKEN}:${sha256Hex('')}:${TS}`).digest('base64');
    expect(symmetricSignature(SECRET, 'DELETE', PATH, TOKEN, '', TS)).toBe(empty);
  });

  it('verifies the genuine signature and refuses any change', () => {
    expect(verifySymmetricSignature(SECRET, 'POST', PATH, TOKEN, BODY, TS, expected)).toBe(true);
    const tampered = BODY.replace('150000.00', '1500.00');
    expect(verifySymmetricSignature(SECRET, 'POST', PATH, TOKEN, tampered, TS, expected)).toBe(false);
    expect(verifySymmetricSignature('another secret', 'POST', PATH, TOKEN, BODY, TS, expected)).toBe(false);
    expect(verifySymmetricSignature(SECRET, 'PUT', PATH, TOKEN, BODY, TS, expected)).toBe(false);
    expect(verifySymmetricSignature(SECRET, 'POST', `${PATH}?x=1`, TOKEN, BODY, TS, expected)).toBe(false);
    expect(verifySymmetricSignature(SECRET, 'POST', PATH, `${TOKEN}x`, BODY, TS, expected)).toBe(false);
    expect(verifySymmetricSignature(SECRET, 'POST', PATH, TOKEN, BODY, '2026-11-29T10:00:01+07:00', expected)).toBe(false);
    expect(verifySymmetricSignature(SECRET, 'POST', PATH, TOKEN, BODY, TS, expected.slice(0, 20))).toBe(false);
    expect(verifySymmetricSignature(SECRET, 'POST', PATH, TOKEN, BODY, TS, '')).toBe(false);
  });
});

describe('notification signature (RSA mode)', () => {
  const path = '/api/v1/bank-callbacks/nagari/v1.0/transfer-va/payment';

  it('is base64 RSA-SHA256 over METHOD:path:lowerhex(sha256(body)):timestamp', () => {
    const expected = crypto
      .createSign('RSA-SHA256')
      .update(`POST:${path}:${sha256Hex(BODY)}:${TS}`)
      .sign(privateKey, 'base64');
    expect(notificationSignature(privateKey, 'POST', path, BODY, TS)).toBe(expected);
    expect(verifyNotificationSignature(publicKey, 'POST', path, Buffer.from(BODY), TS, expected)).toBe(true);
    expect(verifyNotificationSignature(publicKey, 'POST', path, `${BODY} `, TS, expected)).toBe(false);
    expect(verifyNotificationSignature(other.publicKey, 'POST', path, BODY, TS, expected)).toBe(false);
  });
});

describe('SNAP fields', () => {
  it('writes rupiah with two decimals and IDR', () => {
    expect(formatSnapAmount(150000)).toEqual({ value: '150000.00', currency: 'IDR' });
    expect(formatSnapAmount(0)).toEqual({ value: '0.00', currency: 'IDR' });
    expect(() => formatSnapAmount(1500.5)).toThrow(RangeError);
    expect(() => formatSnapAmount(-1)).toThrow(RangeError);
  });

  it('reads amounts back strictly', () => {
    expect(parseSnapAmount({ value: '150000.00', currency: 'IDR' }, 'paidAmount')).toBe(150000);
    for (const bad of [
      { value: '150000.50', currency: 'IDR' },
      { value: '150000', currency: 'IDR' },
      { value: '150000.0', currency: 'IDR' },
      { value: '1,500.00', currency: 'IDR' },
      { value: '-1.00', currency: 'IDR' },
      { value: 150000, currency: 'IDR' },
      { value: '150000.00', currency: 'USD' },
      { value: '150000.00' },
      '150000.00',
      null,
    ]) {
      expect(() => parseSnapAmount(bad, 'paidAmount')).toThrow(RangeError);
    }
  });

  it('pads partnerServiceId to 8 with spaces on the left', () => {
    expect(padPartnerServiceId('12345')).toBe('   12345');
    expect(padPartnerServiceId('   12345')).toBe('   12345');
    expect(padPartnerServiceId('12345678')).toBe('12345678');
    expect(() => padPartnerServiceId('123456789')).toThrow(RangeError);
    expect(() => padPartnerServiceId('')).toThrow(RangeError);
  });

  it('addresses a VA from Kasda’s number (spaces taken out) and refuses another company’s', () => {
    expect(addressVirtualAccount('12345', '1234500000001')).toEqual({
      partnerServiceId: '   12345',
      customerNo: '00000001',
      virtualAccountNo: '   1234500000001',
    });
    expect(addressVirtualAccount('12345', '   1234500000001').customerNo).toBe('00000001');
    expect(() => addressVirtualAccount('12345', '9999900000001')).toThrow(RangeError);
    expect(() => addressVirtualAccount('12345', '12345')).toThrow(RangeError);
    expect(() => addressVirtualAccount('12345', `12345${'1'.repeat(21)}`)).toThrow(RangeError);
  });

  it('makes numeric X-EXTERNAL-IDs of at most 36 digits, different on every call', () => {
    const at = Date.parse('2026-11-29T03:00:00Z');
    const ids = Array.from({ length: 1000 }, () => newExternalId(at));
    for (const id of ids) expect(id).toMatch(/^\d{1,36}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
