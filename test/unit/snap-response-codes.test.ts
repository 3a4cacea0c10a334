import {
  RESPONSE_CASES,
  interpretResponseCode,
  isTokenRejection,
  parseResponseCode,
} from '../../src/banks/snap/response-codes';

describe('SNAP responseCode', () => {
  it('splits into HTTP status, service and case', () => {
    expect(parseResponseCode('4042712')).toEqual({ http: 404, service: '27', case: '12' });
    expect(parseResponseCode('2007300')).toEqual({ http: 200, service: '73', case: '00' });
  });

  it.each([[''], ['404271'], ['40427120'], ['40427x2'], ['9002700'], [4042712], [null]])('refuses %p', (code) => {
    expect(parseResponseCode(code)).toBeNull();
    expect(typeof code === 'string' ? interpretResponseCode(code) : null).toBeNull();
  });

  it.each([
    ['2002700', 'ok'],
    ['2002800', 'ok'],
    ['2003000', 'ok'],
    ['2003100', 'ok'],
    ['2002600', 'ok'],
    ['2022700', 'timeout'],
    ['4002701', 'invalid_request'],
    ['4002702', 'invalid_request'],
    ['4012700', 'unauthorized'],
    ['4012701', 'unauthorized'],
    ['4042712', 'not_found'],
    ['4042601', 'not_found'],
    ['4042713', 'invalid_request'],
    ['4042714', 'already_paid'],
    ['4042719', 'expired'],
    ['4092700', 'invalid_request'],
    ['4092800', 'invalid_request'],
    ['4092701', 'duplicate_reference'],
    ['4032755', 'va_in_use'],
    ['4032859', 'amount_not_changeable'],
    ['4292700', 'throttled'],
    ['5002700', 'transient'],
    ['5003001', 'transient'],
    ['5042700', 'timeout'],
  ])('%s means %s', (code, outcome) => {
    expect(interpretResponseCode(code)).toMatchObject({ code, outcome });
  });

  it('keeps the bank’s message, else the table’s', () => {
    expect(interpretResponseCode('4042712', 'Invalid Bill/Virtual Account [Not Found]')?.message).toBe(
      'Invalid Bill/Virtual Account [Not Found]',
    );
    expect(interpretResponseCode('4042714', '  ')?.message).toBe('Paid Bill');
  });

  it.each([
    ['2002777', 'ok'],
    ['4002777', 'invalid_request'],
    ['4012777', 'unauthorized'],
    ['4032777', 'invalid_request'],
    ['4182700', 'invalid_request'],
    ['4292777', 'throttled'],
    ['5032700', 'transient'],
    ['5042777', 'timeout'],
  ])('an unknown case %s goes by its HTTP class: %s', (code, outcome) => {
    expect(interpretResponseCode(code)).toEqual({ code, outcome, message: `Unknown SNAP response ${code}` });
  });

  it('has a message for every case', () => {
    for (const [key, entry] of Object.entries(RESPONSE_CASES)) {
      expect(key).toMatch(/^\d{3}xx\d{2}$/);
      expect(entry.message).not.toBe('');
    }
  });

  it('treats 401xx01 and 401xx03 as a token the bank no longer knows', () => {
    expect(isTokenRejection('4012701')).toBe(true);
    expect(isTokenRejection('4013003')).toBe(true);
    expect(isTokenRejection('4012700')).toBe(false);
    expect(isTokenRejection('4042701')).toBe(false);
    expect(isTokenRejection('timeout')).toBe(false);
  });
});
