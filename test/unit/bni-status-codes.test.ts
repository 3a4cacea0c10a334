import { STATUS_CODES, interpretStatus } from '../../src/banks/bni-ecollection/status-codes';
import type { BankOutcome } from '../../src/banks/types';

const EXPECTED: Record<string, BankOutcome> = {
  '000': 'ok',
  '001': 'invalid_request',
  '002': 'unauthorized',
  '004': 'invalid_request',
  '005': 'invalid_request',
  '006': 'invalid_request',
  '007': 'invalid_request',
  '008': 'transient',
  '009': 'transient',
  '010': 'transient',
  '011': 'invalid_request',
  '012': 'invalid_request',
  '013': 'invalid_request',
  '014': 'invalid_request',
  '015': 'invalid_request',
  '016': 'invalid_request',
  '017': 'invalid_request',
  '100': 'already_paid',
  '101': 'not_found',
  '102': 'va_in_use',
  '103': 'expired',
  '104': 'invalid_request',
  '105': 'duplicate_reference',
  '107': 'amount_not_changeable',
  '108': 'invalid_request',
  '110': 'invalid_request',
  '200': 'invalid_request',
  '201': 'invalid_request',
  '801': 'invalid_request',
  '996': 'throttled',
  '997': 'transient',
  '998': 'invalid_request',
  '999': 'transient',
};

describe('eCollection status codes', () => {
  it('covers exactly the codes of the doc', () => {
    expect(Object.keys(STATUS_CODES).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s is %s with the documented message', (code, outcome) => {
    const r = interpretStatus(code);
    expect(r).toEqual({ outcome, code, message: STATUS_CODES[code].message });
    expect(r.message.length).toBeGreaterThan(3);
  });

  it('keeps the message BNI sent for a known code', () => {
    expect(interpretStatus('101', 'Billing not found.')).toEqual({
      outcome: 'not_found',
      code: '101',
      message: 'Billing not found.',
    });
  });

  it('falls back to the table when BNI sent an empty message', () => {
    expect(interpretStatus('997', '  ').message).toBe('System is temporarily offline');
  });

  it('treats an unknown code as a final failure keeping the bank message', () => {
    expect(interpretStatus('555', 'Something new')).toEqual({
      outcome: 'invalid_request',
      code: '555',
      message: 'Something new',
    });
    expect(interpretStatus('556')).toEqual({
      outcome: 'invalid_request',
      code: '556',
      message: 'Unknown BNI status 556',
    });
  });

  it('is not fooled by inherited property names', () => {
    expect(interpretStatus('constructor').outcome).toBe('invalid_request');
    expect(interpretStatus('toString').message).toBe('Unknown BNI status toString');
  });
});
