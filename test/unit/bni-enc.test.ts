import { decrypt, encrypt, phpJsonEncode } from '../../src/banks/bni-ecollection/bni-enc';

const CLIENT = '001';
const SECRET = 'ea0c88921fb033387e66ef7d1e82ab83';
const NOW = 1700000000;
// The self-made vector of docs/bni-ecollection.md §4.
const VECTOR = 'FEVBEUMYGRkZE0QNA1dcVE0JUAhPBAdcflMOS0t9f1FRfTMMNktUU0dPC3FJSAUdCxdFGAhBOVsGWnRRRzNMCztGNF0';
const VECTOR_PAYLOAD = { type: 'inquirybilling', client_id: '001', trx_id: 'X1' };

describe('phpJsonEncode', () => {
  it('writes no whitespace and escapes / as PHP does', () => {
    const json = phpJsonEncode({ a: 1, b: [true, null], url: 'http://x/y' });
    expect(json).toBe('{"a":1,"b":[true,null],"url":"http:\\/\\/x\\/y"}');
  });

  it('writes every non-ASCII UTF-16 code unit as lower-case \\uXXXX', () => {
    expect(phpJsonEncode('Réseau')).toBe('"R\\u00e9seau"');
    expect(phpJsonEncode('😀')).toBe('"\\ud83d\\ude00"');
    expect(phpJsonEncode('中文')).toBe('"\\u4e2d\\u6587"');
    expect(phpJsonEncode({ 'clé': 'é' })).toBe('{"cl\\u00e9":"\\u00e9"}');
  });

  it('escapes control characters like PHP and leaves DEL and HTML characters raw', () => {
    expect(phpJsonEncode('a\nb\tc\r\b\f')).toBe('"a\\nb\\tc\\r\\b\\f"');
    expect(phpJsonEncode('\u0001\u001f')).toBe('"\\u0001\\u001f"');
    expect(phpJsonEncode('\u007f')).toBe('"\u007f"');
    expect(phpJsonEncode(`"\\<>&'`)).toBe(`"\\"\\\\<>&'"`);
  });

  it('is pure ASCII', () => {
    expect(phpJsonEncode({ s: 'Ω ≠ ∞ 👍🏽' })).toMatch(/^[\x20-\x7e]*$/);
  });

  it('refuses what PHP cannot encode instead of sending null', () => {
    expect(() => phpJsonEncode({ amount: NaN })).toThrow(TypeError);
    expect(() => phpJsonEncode(Infinity)).toThrow(TypeError);
    expect(() => phpJsonEncode(undefined)).toThrow(TypeError);
  });
});

describe('BniEnc', () => {
  it('reproduces the documented vector both ways', () => {
    expect(phpJsonEncode(VECTOR_PAYLOAD)).toBe('{"type":"inquirybilling","client_id":"001","trx_id":"X1"}');
    expect(encrypt(VECTOR_PAYLOAD, CLIENT, SECRET, NOW)).toBe(VECTOR);
    expect(decrypt(VECTOR, CLIENT, SECRET, NOW)).toEqual(VECTOR_PAYLOAD);
  });

  it('writes url-safe base64 without padding', () => {
    for (let i = 0; i < 40; i++) {
      const text = encrypt({ n: 'x'.repeat(i), s: '??>>~~' }, CLIENT, SECRET, NOW + i);
      expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    }
  });

  it.each([
    ['ASCII', { trx_id: 'INV/2027/001', amount: '150000' }],
    ['accented', { customer_name: 'Réseau Électrique' }],
    ['emoji', { description: 'paid 👍🏽 🚀' }],
    ['CJK', { customer_name: '山田太郎', note: '中文' }],
    ['controls and DEL', { s: 'line1\nline2\t\u0000\u007f"\\' }],
    ['nested', { a: [1, -2.5, { b: null, c: false }], d: {} }],
  ])('round-trips %s text intact', (_name, payload) => {
    expect(decrypt(encrypt(payload, CLIENT, SECRET, NOW), CLIENT, SECRET, NOW)).toEqual(payload);
  });

  it('uses the default clock when none is given', () => {
    expect(decrypt(encrypt({ a: 1 }, CLIENT, SECRET), CLIENT, SECRET)).toEqual({ a: 1 });
  });

  it('accepts a timestamp exactly 480 s away on either side and rejects 481', () => {
    const text = encrypt({ a: 1 }, CLIENT, SECRET, NOW);
    expect(decrypt(text, CLIENT, SECRET, NOW + 480)).toEqual({ a: 1 });
    expect(decrypt(text, CLIENT, SECRET, NOW - 480)).toEqual({ a: 1 });
    expect(decrypt(text, CLIENT, SECRET, NOW + 481)).toBeNull();
    expect(decrypt(text, CLIENT, SECRET, NOW - 481)).toBeNull();
  });

  it('accepts standard base64, padded or not', () => {
    const standard = VECTOR.replace(/-/g, '+').replace(/_/g, '/');
    const padded = standard.padEnd(Math.ceil(standard.length / 4) * 4, '=');
    expect(padded).not.toBe(standard);
    expect(decrypt(standard, CLIENT, SECRET, NOW)).toEqual(VECTOR_PAYLOAD);
    expect(decrypt(padded, CLIENT, SECRET, NOW)).toEqual(VECTOR_PAYLOAD);
    expect(decrypt(VECTOR + '=', CLIENT, SECRET, NOW)).toEqual(VECTOR_PAYLOAD);
  });

  it('decrypts the same text in url-safe (-) and standard (+) alphabet', () => {
    // Found by search: this payload's cipher bytes produce a 62 sextet.
    const urlSafe = encrypt({ s: 'iiiiiiiiii' }, CLIENT, SECRET, NOW);
    expect(urlSafe).toContain('-');
    const standard = urlSafe.replace(/-/g, '+').replace(/_/g, '/');
    expect(decrypt(urlSafe, CLIENT, SECRET, NOW)).toEqual({ s: 'iiiiiiiiii' });
    expect(decrypt(standard, CLIENT, SECRET, NOW)).toEqual({ s: 'iiiiiiiiii' });
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 12345],
    ['an object', { data: VECTOR }],
    ['empty', ''],
    ['not base64', '!!!'],
    ['base64 with a bad character in the middle', `${VECTOR.slice(0, 10)}*${VECTOR.slice(10)}`],
    ['truncated', VECTOR.slice(0, 60)],
    ['truncated to an impossible length', VECTOR.slice(0, 61)],
    ['valid base64 of garbage', Buffer.from('this is not BniEnc at all').toString('base64')],
    ['random bytes', Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37) % 256)).toString('base64')],
  ])('returns null for %s', (_name, input) => {
    expect(decrypt(input, CLIENT, SECRET, NOW)).toBeNull();
  });

  it('returns null for wrong keys', () => {
    expect(decrypt(VECTOR, '002', SECRET, NOW)).toBeNull();
    expect(decrypt(VECTOR, CLIENT, 'another-secret', NOW)).toBeNull();
  });

  it('returns null when the time part has a non-digit', () => {
    // Plaintext "12a.{}" under these keys: shifting it back yields a non-digit before the dot.
    const text = Buffer.from('12a.{}', 'latin1');
    const key = Buffer.from('1');
    const shifted = Buffer.from(text.map((c) => (c + key[0] + key[0]) % 128));
    expect(decrypt(shifted.toString('base64'), '1', '1', NOW)).toBeNull();
  });

  it('returns null when the JSON does not parse', () => {
    const plain = Buffer.from(`${String(NOW).split('').reverse().join('')}.{"a":`, 'latin1');
    const shifted = Buffer.from(plain.map((c) => (c + 2 * '7'.charCodeAt(0)) % 128));
    expect(decrypt(shifted.toString('base64'), '7', '7', NOW)).toBeNull();
    // The same construction with valid JSON decrypts, so the null above is the JSON's doing.
    const good = Buffer.from(`${String(NOW).split('').reverse().join('')}.{"a":1}`, 'latin1');
    const goodShifted = Buffer.from(good.map((c) => (c + 2 * '7'.charCodeAt(0)) % 128));
    expect(decrypt(goodShifted.toString('base64'), '7', '7', NOW)).toEqual({ a: 1 });
  });

  it('refuses empty keys: encrypt throws, decrypt returns null', () => {
    expect(() => encrypt({ a: 1 }, '', SECRET, NOW)).toThrow(/must not be empty/);
    expect(() => encrypt({ a: 1 }, CLIENT, '', NOW)).toThrow(/must not be empty/);
    expect(decrypt(VECTOR, '', SECRET, NOW)).toBeNull();
    expect(decrypt(VECTOR, CLIENT, '', NOW)).toBeNull();
  });
});
