import { assertRupiah, formatRupiah, parseRupiah, splitProportionally, terbilang, terbilangRupiah } from '../../src/lib/money';
import { formatDateId, formatDateTimeWib, formatDecimalId, formatVirtualAccount } from '../../src/lib/format';

describe('terbilang', () => {
  test.each([
    [0, 'nol'],
    [1, 'satu'],
    [10, 'sepuluh'],
    [11, 'sebelas'],
    [12, 'dua belas'],
    [19, 'sembilan belas'],
    [20, 'dua puluh'],
    [21, 'dua puluh satu'],
    [99, 'sembilan puluh sembilan'],
    [100, 'seratus'],
    [101, 'seratus satu'],
    [110, 'seratus sepuluh'],
    [111, 'seratus sebelas'],
    [199, 'seratus sembilan puluh sembilan'],
    [1000, 'seribu'],
    [1001, 'seribu satu'],
    [1100, 'seribu seratus'],
    [2000, 'dua ribu'],
    [10000, 'sepuluh ribu'],
    [11000, 'sebelas ribu'],
    [100000, 'seratus ribu'],
    [101000, 'seratus satu ribu'],
    [1000000, 'satu juta'],
    [2450000, 'dua juta empat ratus lima puluh ribu'],
    [1001111, 'satu juta seribu seratus sebelas'],
    [1e9, 'satu miliar'],
    [2_350_000_000, 'dua miliar tiga ratus lima puluh juta'],
    [1e12, 'satu triliun'],
    [1_000_001_000_000, 'satu triliun satu juta'],
    [999_999_999_999_999, 'sembilan ratus sembilan puluh sembilan triliun sembilan ratus sembilan puluh sembilan miliar sembilan ratus sembilan puluh sembilan juta sembilan ratus sembilan puluh sembilan ribu sembilan ratus sembilan puluh sembilan'],
    [1e15, 'satu kuadriliun'],
    [Number.MAX_SAFE_INTEGER, 'sembilan kuadriliun tujuh triliun seratus sembilan puluh sembilan miliar dua ratus lima puluh empat juta tujuh ratus empat puluh ribu sembilan ratus sembilan puluh satu'],
  ])('%d is "%s"', (n, words) => {
    expect(terbilang(n)).toBe(words);
  });

  test('When the amount is negative, fractional or unsafe, then it is refused', () => {
    expect(() => terbilang(-1)).toThrow(RangeError);
    expect(() => terbilang(1.5)).toThrow(RangeError);
    expect(() => terbilang(Number.MAX_SAFE_INTEGER + 1)).toThrow(RangeError);
  });

  test('terbilangRupiah capitalises and names the currency', () => {
    expect(terbilangRupiah(2450000)).toBe('Dua juta empat ratus lima puluh ribu rupiah');
    expect(terbilangRupiah(0)).toBe('Nol rupiah');
  });
});

describe('formatRupiah', () => {
  test.each([
    [0, 'Rp0'],
    [999, 'Rp999'],
    [1000, 'Rp1.000'],
    [1234567, 'Rp1.234.567'],
    [2_350_000_000, 'Rp2.350.000.000'],
    [-1234, '-Rp1.234'],
  ])('%d is %s', (n, s) => {
    expect(formatRupiah(n)).toBe(s);
  });

  test('When given a fraction, then it refuses instead of rounding', () => {
    expect(() => formatRupiah(0.1 + 0.2)).toThrow(RangeError);
  });
});

describe('parseRupiah', () => {
  test('reads plain digit strings', () => {
    expect(parseRupiah('2450000')).toBe(2450000);
    expect(parseRupiah('0')).toBe(0);
    expect(parseRupiah('-1234', { allowNegative: true })).toBe(-1234);
  });

  test.each(['1.5', '1,5', '1.000', '1e3', '', ' 1', '1 ', '-1', '+1', '12a', '0x10', '99999999999999999'])(
    'refuses %j',
    (s) => {
      expect(() => parseRupiah(s)).toThrow(RangeError);
    },
  );
});

describe('assertRupiah', () => {
  test('passes safe non-negative integers through', () => {
    expect(assertRupiah(5)).toBe(5);
  });

  test('When the value is not a whole rupiah, then the error names the field', () => {
    expect(() => assertRupiah('5', 'amount')).toThrow(/amount/);
    expect(() => assertRupiah(NaN, 'total')).toThrow(/total/);
    expect(() => assertRupiah(-1, 'interest')).toThrow(/interest must not be negative/);
  });

  test('allows negatives only when asked', () => {
    expect(assertRupiah(-1, 'correction', { allowNegative: true })).toBe(-1);
  });
});

describe(`date formatting (process TZ ${process.env.TZ ?? 'unset'})`, () => {
  // Node re-reads TZ when it is assigned, so one run covers zones on both sides of UTC.
  test.each(['UTC', 'Asia/Jakarta', 'America/Los_Angeles', 'Pacific/Kiritimati'])(
    'When the process runs under TZ=%s, then dates print the same',
    (tz) => {
      const saved = process.env.TZ;
      process.env.TZ = tz;
      try {
        expect(formatDateId('2027-01-31')).toBe('31 Januari 2027');
        expect(formatDateId(new Date('2027-01-31T18:30:00Z'))).toBe('1 Februari 2027');
        expect(formatDateTimeWib(new Date('2027-03-15T07:05:00Z'))).toBe('15 Maret 2027 14:05 WIB');
      } finally {
        if (saved === undefined) delete process.env.TZ;
        else process.env.TZ = saved;
      }
    },
  );

  test('a calendar date prints as written, whatever the process time zone', () => {
    expect(formatDateId('2027-01-31')).toBe('31 Januari 2027');
    expect(formatDateId('2027-12-31')).toBe('31 Desember 2027');
    expect(formatDateId('2028-02-29')).toBe('29 Februari 2028');
  });

  test('When a calendar date does not exist or is malformed, then it is refused', () => {
    expect(() => formatDateId('2027-02-29')).toThrow(RangeError);
    expect(() => formatDateId('2027-1-31')).toThrow(RangeError);
  });

  test('an instant shows its date in WIB', () => {
    // 18:30 UTC on 31 January is already 1 February in Padang.
    expect(formatDateId(new Date('2027-01-31T18:30:00Z'))).toBe('1 Februari 2027');
    expect(formatDateId(new Date('2027-01-31T16:59:59Z'))).toBe('31 Januari 2027');
  });

  test('date and time are shown in WIB', () => {
    expect(formatDateTimeWib(new Date('2027-03-15T07:05:00Z'))).toBe('15 Maret 2027 14:05 WIB');
    expect(formatDateTimeWib(new Date('2027-12-31T17:00:00Z'))).toBe('1 Januari 2028 00:00 WIB');
  });

  test('When the date is invalid, then it is refused', () => {
    expect(() => formatDateTimeWib(new Date('nope'))).toThrow(RangeError);
  });
});

describe('formatDecimalId', () => {
  test.each<[string | number, number | undefined, string]>([
    ['1.25', undefined, '1,25'],
    ['0.9', undefined, '0,9'],
    [0.9, undefined, '0,9'],
    ['1.2000', 2, '1,20'],
    ['1.2', 2, '1,20'],
    ['2.000', undefined, '2'],
    [2, 1, '2,0'],
    ['1234.5', undefined, '1.234,5'],
    ['-0.5', undefined, '-0,5'],
    ['-0.00', undefined, '0'],
    [1e-7, undefined, '0,0000001'],
  ])('%j with %j fraction digits is %s', (value, digits, s) => {
    expect(formatDecimalId(value, digits)).toBe(s);
  });

  test.each(['1,5', '1e3', '', '.5', 'abc'])('refuses %j', (s) => {
    expect(() => formatDecimalId(s)).toThrow(RangeError);
  });

  test('refuses non-finite numbers', () => {
    expect(() => formatDecimalId(Infinity)).toThrow(RangeError);
  });
});

test('virtual account numbers are grouped in fours', () => {
  expect(formatVirtualAccount('9881234567890123')).toBe('9881 2345 6789 0123');
  expect(formatVirtualAccount('98812345678')).toBe('9881 2345 678');
});

describe('splitProportionally', () => {
  it('keeps every rupiah, the remainder on the last share', () => {
    expect(splitProportionally(100, [1, 1, 1])).toEqual([33, 33, 34]);
    expect(splitProportionally(0, [5, 5])).toEqual([0, 0]);
  });

  it('is exact where amount × weight passes 2^53', () => {
    const shares = splitProportionally(656_565_000, [393_939_000, 262_626_000]);
    expect(shares).toEqual([393_939_000, 262_626_000]);
    expect(splitProportionally(999_999_999_999, [999_999_999_998, 1])).toEqual([999_999_999_998, 1]);
  });
});
