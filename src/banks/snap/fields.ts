import crypto from 'node:crypto';
import { assertRupiah, parseRupiah } from '../../lib/money';
import type { BillingType } from '../types';

/** SNAP field formats shared by the connector, the notification handler and the simulator. */

export interface SnapAmount {
  value: string;
  currency: 'IDR';
}

/** Whole rupiah as SNAP writes money: always two decimals, `{"value":"150000.00","currency":"IDR"}`. */
export function formatSnapAmount(rupiah: number): SnapAmount {
  return { value: `${assertRupiah(rupiah)}.00`, currency: 'IDR' };
}

/**
 * A SNAP amount back to whole rupiah. Strict: exactly two decimals, both zero, and IDR, because a
 * rupiah has no fraction and a lenient reading could credit 150000.50 as 150000.
 */
export function parseSnapAmount(v: unknown, field: string): number {
  if (typeof v !== 'object' || v === null) throw new RangeError(`${field} must be an object with value and currency`);
  const { value, currency } = v as Record<string, unknown>;
  if (currency !== 'IDR') throw new RangeError(`${field}.currency must be IDR, got ${JSON.stringify(currency)}`);
  const m = typeof value === 'string' ? /^(\d{1,16})\.(\d{2})$/.exec(value) : null;
  if (!m) throw new RangeError(`${field}.value must be digits with two decimals, got ${JSON.stringify(value)}`);
  if (m[2] !== '00') throw new RangeError(`${field}.value has a fraction of a rupiah: ${value}`);
  return parseRupiah(m[1]);
}

/** The total paid so far, where banks that report it put it: top level or in additionalInfo. */
export function cumulativeAmountOf(data: Record<string, unknown>): unknown {
  const info = data.additionalInfo;
  const fromInfo =
    typeof info === 'object' && info !== null ? (info as Record<string, unknown>).cumulativePaymentAmount : undefined;
  return data.cumulativePaymentAmount ?? fromInfo;
}

const TRX_TYPES: Readonly<Record<BillingType, string>> = Object.freeze({
  c: 'C',
  i: 'I',
  o: 'O',
  m: 'M',
  n: 'N',
  x: 'X',
});

/** `virtualAccountTrxType` for a Kasda billing type; the letters mean what eCollection's do. */
export function trxTypeFor(billingType: BillingType): string {
  return TRX_TYPES[billingType];
}

export function billingTypeOf(trxType: unknown): BillingType | null {
  const found = Object.entries(TRX_TYPES).find(([, letter]) => letter === trxType);
  return found ? (found[0] as BillingType) : null;
}

/** The 8-character partnerServiceId SNAP sends: the bank's company code left-padded with spaces. */
export function padPartnerServiceId(partnerServiceId: string): string {
  const code = partnerServiceId.trim();
  if (!/^\S{1,8}$/.test(code)) {
    const got = JSON.stringify(partnerServiceId);
    throw new RangeError(`partnerServiceId must be 1 to 8 characters without spaces, got ${got}`);
  }
  return code.padStart(8, ' ');
}

/** Kasda's form of a VA number: what the payer types, the bank's spaces taken out. */
export function normalizeVirtualAccount(virtualAccountNo: string): string {
  return virtualAccountNo.replace(/\s/g, '');
}

export interface VaAddress {
  partnerServiceId: string;
  customerNo: string;
  virtualAccountNo: string;
}

/**
 * How SNAP addresses a VA, from Kasda's VA number (company code + customer number, no spaces, as
 * the payer sees it). SNAP needs all three fields on every VA service.
 */
export function addressVirtualAccount(partnerServiceId: string, virtualAccount: string): VaAddress {
  const padded = padPartnerServiceId(partnerServiceId);
  const code = padded.trim();
  const va = normalizeVirtualAccount(virtualAccount);
  const customerNo = va.slice(code.length);
  if (!va.startsWith(code) || !/^\d{1,20}$/.test(customerNo)) {
    const got = JSON.stringify(virtualAccount);
    throw new RangeError(`VA ${got} is not ${code} followed by a customer number of 1 to 20 digits`);
  }
  return { partnerServiceId: padded, customerNo, virtualAccountNo: padded + customerNo };
}

let externalSequence = 0;

/**
 * An X-EXTERNAL-ID: numeric and unique per day for the partner, across processes without sharing
 * anything. The time in milliseconds, this process's running number, then 10 random digits: two
 * processes collide only when the same millisecond, sequence value and random draw meet. 29 digits.
 */
export function newExternalId(nowMs: number): string {
  externalSequence = (externalSequence + 1) % 1_000_000;
  const random = String(crypto.randomInt(0, 10_000_000_000)).padStart(10, '0');
  return `${Math.floor(nowMs)}${String(externalSequence).padStart(6, '0')}${random}`;
}
