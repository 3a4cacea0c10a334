import type { BankOutcome, BankResult } from '../types';

export interface StatusEntry {
  outcome: BankOutcome;
  message: string;
}

/**
 * Every eCollection status code BNI documents (docs/bni-ecollection.md §2), reduced to what the
 * caller must do next. Retry classes follow the doc's guidance: 008 009 010 997 999 are the bank's
 * own failures and safe to repeat, 996 is a rate limit, everything else is final.
 */
export const STATUS_CODES: Readonly<Record<string, StatusEntry>> = Object.freeze({
  '000': { outcome: 'ok', message: 'Success' },
  '001': { outcome: 'invalid_request', message: 'Incomplete or invalid parameter' },
  '002': { outcome: 'unauthorized', message: 'IP address not allowed or wrong client id' },
  '004': { outcome: 'invalid_request', message: 'Service not found' },
  '005': { outcome: 'invalid_request', message: 'Service not defined' },
  '006': { outcome: 'invalid_request', message: 'Invalid virtual account number' },
  '007': { outcome: 'invalid_request', message: 'Invalid billing number' },
  '008': { outcome: 'transient', message: 'Technical failure' },
  '009': { outcome: 'transient', message: 'Unexpected error' },
  '010': { outcome: 'transient', message: 'Request timeout' },
  '011': { outcome: 'invalid_request', message: 'Billing type does not match billing amount' },
  '012': { outcome: 'invalid_request', message: 'Invalid expiry date/time' },
  '013': { outcome: 'invalid_request', message: 'IDR amount cannot have a fraction' },
  '014': { outcome: 'invalid_request', message: 'Virtual account must not be set when billing number is set' },
  '015': { outcome: 'invalid_request', message: 'Invalid permission' },
  '016': { outcome: 'invalid_request', message: 'Invalid billing type' },
  '017': { outcome: 'invalid_request', message: 'Customer name cannot be used' },
  '100': { outcome: 'already_paid', message: 'Billing has already been paid' },
  '101': { outcome: 'not_found', message: 'Billing not found' },
  '102': { outcome: 'va_in_use', message: 'Virtual account number is in use' },
  '103': { outcome: 'expired', message: 'Billing has expired' },
  '104': { outcome: 'invalid_request', message: 'Billing number is in use' },
  '105': { outcome: 'duplicate_reference', message: 'Duplicate billing id' },
  '107': { outcome: 'amount_not_changeable', message: 'Amount cannot be changed' },
  '108': { outcome: 'invalid_request', message: 'Data not found' },
  '110': { outcome: 'invalid_request', message: 'Daily limit exceeded' },
  '200': { outcome: 'invalid_request', message: 'Failed to send SMS' },
  '201': { outcome: 'invalid_request', message: 'SMS notification is only available for fixed payment' },
  '801': { outcome: 'invalid_request', message: 'Billing type not supported for this client' },
  '996': { outcome: 'throttled', message: 'Too many inquiries per hour' },
  '997': { outcome: 'transient', message: 'System is temporarily offline' },
  '998': { outcome: 'invalid_request', message: 'Wrong Content-Type' },
  '999': { outcome: 'transient', message: 'Internal error' },
});

/**
 * The outcome for a status code BNI answered. The bank's own message wins when it sent one (it is
 * often more specific); an unknown code is a final failure that keeps whatever BNI said.
 */
export function interpretStatus(code: string, message?: string): BankResult {
  const entry = Object.prototype.hasOwnProperty.call(STATUS_CODES, code) ? STATUS_CODES[code] : undefined;
  const bankMessage = message?.trim() ? message : undefined;
  if (!entry) {
    return { outcome: 'invalid_request', code, message: bankMessage ?? `Unknown BNI status ${code}` };
  }
  return { outcome: entry.outcome, code, message: bankMessage ?? entry.message };
}
