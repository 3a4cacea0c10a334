import type { BankOutcome, BankResult } from '../types';

/**
 * SNAP BI `responseCode`s: HTTP status (3 digits) + service code (2) + case (2). The case means the
 * same for every service, so the table is keyed by HTTP status and case ("404xx12") and the
 * service only says which API answered.
 */

/** The SNAP service codes Kasda speaks. */
export const SERVICE_CODES = Object.freeze({
  accessToken: '73',
  payment: '25',
  status: '26',
  createVa: '27',
  updateVa: '28',
  inquiryVa: '30',
  deleteVa: '31',
});

export interface SnapResponseCode {
  http: number;
  service: string;
  case: string;
}

export interface ResponseCaseEntry {
  outcome: BankOutcome;
  message: string;
}

export function parseResponseCode(code: unknown): SnapResponseCode | null {
  if (typeof code !== 'string' || !/^[1-5]\d{6}$/.test(code)) return null;
  return { http: Number(code.slice(0, 3)), service: code.slice(3, 5), case: code.slice(5, 7) };
}

export function buildResponseCode(http: number, service: string, caseCode: string): string {
  return `${http}${service}${caseCode}`;
}

/**
 * Every case of the SNAP standard, plus the 403 cases BNI added for VA billing (51–59), reduced to
 * what the caller must do next. Choices the standard leaves open:
 * - 202 "in progress" is a timeout: the request may or may not take effect, so inquire first;
 * - 409xx00 (X-EXTERNAL-ID reused) is our bug, never the bill's state: invalid_request;
 * - 403xx06 "not allowed at this time" (cut-off, maintenance) is transient;
 * - 404xx16 "partner not found" is a configuration refusal: unauthorized.
 */
export const RESPONSE_CASES: Readonly<Record<string, ResponseCaseEntry>> = Object.freeze({
  '200xx00': { outcome: 'ok', message: 'Successful' },
  '202xx00': { outcome: 'timeout', message: 'Request In Progress' },
  '400xx00': { outcome: 'invalid_request', message: 'Bad Request' },
  '400xx01': { outcome: 'invalid_request', message: 'Invalid Field Format' },
  '400xx02': { outcome: 'invalid_request', message: 'Invalid Mandatory Field' },
  '401xx00': { outcome: 'unauthorized', message: 'Unauthorized' },
  '401xx01': { outcome: 'unauthorized', message: 'Invalid Token (B2B)' },
  '401xx02': { outcome: 'unauthorized', message: 'Invalid Customer Token' },
  '401xx03': { outcome: 'unauthorized', message: 'Token Not Found (B2B)' },
  '401xx04': { outcome: 'unauthorized', message: 'Customer Token Not Found' },
  '403xx00': { outcome: 'expired', message: 'Transaction Expired' },
  '403xx01': { outcome: 'invalid_request', message: 'Feature Not Allowed' },
  '403xx02': { outcome: 'invalid_request', message: 'Exceeds Transaction Amount Limit' },
  '403xx03': { outcome: 'invalid_request', message: 'Suspected Fraud' },
  '403xx04': { outcome: 'invalid_request', message: 'Activity Count Limit Exceeded' },
  '403xx05': { outcome: 'invalid_request', message: 'Do Not Honor' },
  '403xx06': { outcome: 'transient', message: 'Feature Not Allowed At This Time' },
  '403xx07': { outcome: 'invalid_request', message: 'Card Blocked' },
  '403xx08': { outcome: 'invalid_request', message: 'Card Expired' },
  '403xx09': { outcome: 'invalid_request', message: 'Dormant Account' },
  '403xx10': { outcome: 'invalid_request', message: 'Need To Set Token Limit' },
  '403xx11': { outcome: 'invalid_request', message: 'OTP Blocked' },
  '403xx12': { outcome: 'invalid_request', message: 'OTP Lifetime Expired' },
  '403xx13': { outcome: 'invalid_request', message: 'OTP Sent To Cardholder' },
  '403xx14': { outcome: 'invalid_request', message: 'Insufficient Funds' },
  '403xx15': { outcome: 'invalid_request', message: 'Transaction Not Permitted' },
  '403xx16': { outcome: 'invalid_request', message: 'Suspend Transaction' },
  '403xx17': { outcome: 'invalid_request', message: 'Token Limit Exceeded' },
  '403xx18': { outcome: 'invalid_request', message: 'Inactive Card/Account/Customer' },
  '403xx19': { outcome: 'invalid_request', message: 'Merchant Blacklisted' },
  '403xx20': { outcome: 'invalid_request', message: 'Merchant Limit Exceed' },
  '403xx21': { outcome: 'invalid_request', message: 'Set Limit Not Allowed' },
  '403xx22': { outcome: 'invalid_request', message: 'Token Limit Invalid' },
  '403xx23': { outcome: 'invalid_request', message: 'Account Limit Exceed' },
  '403xx51': { outcome: 'duplicate_reference', message: 'Duplicate Transaction ID' },
  '403xx53': { outcome: 'invalid_request', message: 'Virtual Account Trx Type Does Not Match Total Amount' },
  '403xx54': { outcome: 'invalid_request', message: 'Total Amount Cannot Have Decimal Fraction' },
  '403xx55': { outcome: 'va_in_use', message: 'VA Number Is In Use' },
  '403xx56': { outcome: 'invalid_request', message: 'Virtual Account Trx Type Not Supported For This Partner' },
  '403xx58': { outcome: 'invalid_request', message: 'Currency Is Not Match' },
  '403xx59': { outcome: 'amount_not_changeable', message: 'Amount Can Not Be Changed' },
  '404xx00': { outcome: 'invalid_request', message: 'Invalid Transaction Status' },
  '404xx01': { outcome: 'not_found', message: 'Transaction Not Found' },
  '404xx02': { outcome: 'invalid_request', message: 'Invalid Routing' },
  '404xx03': { outcome: 'invalid_request', message: 'Bank Not Supported By Switch' },
  '404xx04': { outcome: 'invalid_request', message: 'Transaction Cancelled' },
  '404xx05': { outcome: 'invalid_request', message: 'Merchant Is Not Registered For Card Registration Services' },
  '404xx06': { outcome: 'invalid_request', message: 'Need To Request OTP' },
  '404xx07': { outcome: 'invalid_request', message: 'Journey Not Found' },
  '404xx08': { outcome: 'invalid_request', message: 'Invalid Merchant' },
  '404xx09': { outcome: 'invalid_request', message: 'No Issuer' },
  '404xx10': { outcome: 'invalid_request', message: 'Invalid API Transition' },
  '404xx11': { outcome: 'not_found', message: 'Invalid Card/Account/Customer/Virtual Account' },
  '404xx12': { outcome: 'not_found', message: 'Invalid Bill/Virtual Account' },
  '404xx13': { outcome: 'invalid_request', message: 'Invalid Amount' },
  '404xx14': { outcome: 'already_paid', message: 'Paid Bill' },
  '404xx15': { outcome: 'invalid_request', message: 'Invalid OTP' },
  '404xx16': { outcome: 'unauthorized', message: 'Partner Not Found' },
  '404xx17': { outcome: 'invalid_request', message: 'Invalid Terminal' },
  '404xx18': { outcome: 'invalid_request', message: 'Inconsistent Request' },
  '404xx19': { outcome: 'expired', message: 'Invalid Bill/Virtual Account (expired)' },
  '405xx00': { outcome: 'invalid_request', message: 'Requested Function Is Not Supported' },
  '405xx01': { outcome: 'invalid_request', message: 'Requested Operation Is Not Allowed' },
  '409xx00': { outcome: 'invalid_request', message: 'Conflict (X-EXTERNAL-ID already used today)' },
  '409xx01': { outcome: 'duplicate_reference', message: 'Duplicate partnerReferenceNo' },
  '429xx00': { outcome: 'throttled', message: 'Too Many Requests' },
  '500xx00': { outcome: 'transient', message: 'General Error' },
  '500xx01': { outcome: 'transient', message: 'Internal Server Error' },
  '500xx02': { outcome: 'transient', message: 'External Server Error' },
  '504xx00': { outcome: 'timeout', message: 'Timeout' },
});

/** For a code outside the table (or an answer without one): what its HTTP class says. */
export function outcomeForHttpStatus(http: number): BankOutcome {
  if (http === 202) return 'timeout';
  if (http >= 200 && http < 300) return 'ok';
  if (http === 401) return 'unauthorized';
  if (http === 429) return 'throttled';
  if (http === 504) return 'timeout';
  if (http >= 500) return 'transient';
  return 'invalid_request';
}

export function responseCaseOf(code: string): ResponseCaseEntry | undefined {
  const parsed = parseResponseCode(code);
  if (!parsed) return undefined;
  const key = `${parsed.http}xx${parsed.case}`;
  return Object.prototype.hasOwnProperty.call(RESPONSE_CASES, key) ? RESPONSE_CASES[key] : undefined;
}

/**
 * The outcome for a responseCode the bank answered (null when it is not a 7-digit code). The bank's
 * own message wins when it sent one, since it often names the field or the reason.
 */
export function interpretResponseCode(code: string, message?: string): BankResult | null {
  const parsed = parseResponseCode(code);
  if (!parsed) return null;
  const entry = responseCaseOf(code);
  const bankMessage = message?.trim() ? message : undefined;
  return {
    outcome: entry?.outcome ?? outcomeForHttpStatus(parsed.http),
    code,
    message: bankMessage ?? entry?.message ?? `Unknown SNAP response ${code}`,
  };
}

/** 401xx01 and 401xx03: the bank no longer knows our access token, so a fresh one may help. */
export function isTokenRejection(code: string): boolean {
  const parsed = parseResponseCode(code);
  return parsed !== null && parsed.http === 401 && (parsed.case === '01' || parsed.case === '03');
}
