import http from 'node:http';
import axios from 'axios';
import express, { type NextFunction, type Request, type Response } from 'express';
import { acceptedPayment, isRecord, serve, SimError, sleep, takeFault } from '../simulator-kit';
import type { BillingType } from '../types';
import { decrypt, encrypt } from './bni-enc';
import { formatWib, formatWibIso, parseBniDateTime } from './connector';
import { STATUS_CODES } from './status-codes';

/**
 * A stand-in for BNI eCollection (docs/bni-ecollection.md) for tests, the demo and a developer's
 * machine: the same endpoint, envelope, cipher, validations and status codes, plus operator routes
 * under /sim to pay bills, resend notifications and inject faults. State lives in memory.
 *
 * Where the doc is silent the simulator chooses, and says so here:
 * - data that does not decrypt (wrong secret, clock drift) answers 001, a final error, because
 *   repeating the same request cannot help;
 * - a missing `type` answers 005, an unknown one (createbillingsms included) 004;
 * - the payload's own client_id must match the envelope's, else 002;
 * - inactivebilling of an already deactivated bill answers 000 again, so a retry is harmless;
 * - unpaid bills show payment_amount "0"; a phone number comes back masked;
 * - injected faults (POST /sim/faults) apply to requests whose envelope and data are valid;
 * - an operator payment must fit the billing type: exactly the amount for c, at most what is left
 *   for i, at least the amount for m and n, at most it for x; without an amount, the natural one.
 */

export interface BankSimulatorOptions {
  clientId: string;
  secret: string;
  prefix: string;
  callbackUrl: string;
  /** Delay before every protocol answer. */
  latencyMs?: number;
  inquiryLimitPerHour?: number;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

export interface SimBill {
  trxId: string;
  virtualAccount: string;
  billingType: BillingType;
  amount: number;
  customerName: string;
  customerEmail: string;
  customerPhone: string;
  description: string;
  expiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** Cumulative. */
  paidAmount: number;
  paymentNtb: string | null;
  paidAt: Date | null;
  deactivated: boolean;
}

export interface SimFault {
  /** Answer this status instead of processing; without it the request is processed, answered late. */
  status?: string;
  remaining: number;
  operation?: string;
  delayMs: number;
}

export type SimNotification = Record<string, string>;

export interface SimEnvelope {
  client_id: string;
  data: string;
}

export interface SimDelivery {
  notification: SimNotification;
  envelope: SimEnvelope;
  /** What the callback URL answered; status 0 when it could not be reached. */
  callback?: { status: number; body: unknown };
}

export interface BankSimulatorState {
  bills: Map<string, SimBill>;
  faults: SimFault[];
  /** When each inquiry of the last hour arrived, for the 996 limit. */
  inquiryTimes: number[];
  /** Every notification sent, per trx_id, oldest first. */
  notifications: Map<string, SimNotification[]>;
}

export interface PayOptions {
  amount?: number;
  ntb?: string;
  notify?: boolean;
  paidAt?: Date;
}

const BILLING_TYPES: readonly string[] = ['c', 'i', 'o', 'm', 'n', 'x'];
const OPERATIONS = ['createbilling', 'updatebilling', 'inquirybilling', 'inactivebilling'];
const HOUR_MS = 3600_000;
/** Largest request body, in bytes, as express.json's `16kb`. */
const BODY_LIMIT = 16 * 1024;
const JSON_TYPE = /^application\/json\s*(;|$)/i;

/** A protocol failure: the status code BNI would answer. */
class BniFailure extends Error {
  constructor(
    readonly status: string,
    message?: string,
  ) {
    super(message ?? STATUS_CODES[status]?.message ?? 'Failure');
  }
}

type Payload = Record<string, unknown>;

/** BNI accepts numbers where it documents strings; the simulator is as lenient. */
function field(p: Payload, name: string): string {
  const v = p[name];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

function mandatory(p: Payload, name: string, maxLength = Infinity): string {
  const v = field(p, name);
  if (v === '') throw new BniFailure('001', `${name} is mandatory`);
  if (v.length > maxLength) throw new BniFailure('001', `${name} is longer than ${maxLength}`);
  return v;
}

function optional(p: Payload, name: string, maxLength: number): string {
  const v = field(p, name);
  if (v.length > maxLength) throw new BniFailure('001', `${name} is longer than ${maxLength}`);
  return v;
}

function parseAmount(s: string): number {
  if (!/^\d{1,14}$/.test(s)) throw new BniFailure('013', `trx_amount must be whole rupiah digits, got ${s}`);
  return Number(s);
}

function checkTypeMatchesAmount(type: string, amount: number): void {
  if (type === 'o' ? amount !== 0 : amount === 0) throw new BniFailure('011');
}

function maskPhone(phone: string): string {
  return phone.length > 7 ? `${phone.slice(0, 4)}${'x'.repeat(phone.length - 7)}${phone.slice(-3)}` : phone;
}

/** Installments close at the full amount; open types (o, n, x) take payments until they expire. */
function settled(b: SimBill): boolean {
  if (b.billingType === 'c' || b.billingType === 'm') return b.paidAmount > 0;
  if (b.billingType === 'i') return b.paidAmount >= b.amount;
  return false;
}

export const STATEMENT_FORMATS = ['canonical', 'bni-csv', 'mt940'] as const;
export type StatementFormat = (typeof STATEMENT_FORMATS)[number];

const SIM_ACCOUNT = '0123456789';

/** A CSV cell, quoted when it must be. */
function csvQuote(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** 1500000 as BNI prints it: "1.500.000,00". */
function idr(n: number): string {
  return `${String(n).replace(/\B(?=(\d{3})+$)/g, '.')},00`;
}

/** "YYYY-MM-DD HH:mm:ss" (WIB) to "DD/MM/YYYY HH:mm:ss". */
function ddmmyyyy(wib: string): string {
  return `${wib.slice(8, 10)}/${wib.slice(5, 7)}/${wib.slice(0, 4)}${wib.slice(10)}`;
}

/**
 * The collection account's statement as the bank exports it: every payment made in the range
 * (WIB days), posted the day it was made. `bni-csv` adds BNI's header lines, the day's sweep to
 * the treasury account as a debit and the balance lines; `mt940` is one message for the range.
 */
function renderStatement(payments: SimNotification[], from: string, to: string, format: StatementFormat): string {
  const total = payments.reduce((sum, n) => sum + Number(n.payment_amount), 0);
  const text = (n: SimNotification) => `TRF VA ${n.virtual_account} NTB ${n.payment_ntb} ${n.customer_name}`;
  if (format === 'canonical') {
    const rows = payments.map((n) =>
      [n.datetime_payment, n.virtual_account, n.payment_amount, n.payment_ntb, `VA PAYMENT ${n.trx_id} ${n.customer_name}`].map(csvQuote).join(','),
    );
    return ['posted_at,virtual_account,amount,bank_reference,description', ...rows].join('\n') + '\n';
  }
  if (format === 'bni-csv') {
    const q = (cells: string[]) => cells.map((c) => `"${c.replace(/"/g, '""')}"`).join(',');
    let balance = 0;
    const rows = payments.map((n) => {
      balance += Number(n.payment_amount);
      return q([ddmmyyyy(n.datetime_payment), ddmmyyyy(n.datetime_payment).slice(0, 10), '0370', `J${n.payment_ntb}`, text(n), '0,00', idr(Number(n.payment_amount)), idr(balance)]);
    });
    const end = ddmmyyyy(`${to} 23:59:59`);
    const sweep = total > 0 ? [q([end, end.slice(0, 10), '0370', `S${to.replace(/-/g, '')}`, 'PEMINDAHBUKUAN KE RKUD', idr(total), '0,00', idr(0)])] : [];
    return [
      q(['Account No.', SIM_ACCOUNT]),
      q(['Account Name', 'PEMKOT PADANG PENERIMAAN']),
      q(['Period', `${ddmmyyyy(from)} - ${ddmmyyyy(to)}`]),
      '',
      q(['Post Date', 'Value Date', 'Branch', 'Journal No.', 'Description', 'Debit', 'Credit', 'Balance']),
      ...rows,
      ...sweep,
      q(['', '', '', '', 'Opening Balance', '', '', idr(0)]),
      q(['', '', '', '', 'Closing Balance', '', '', idr(0)]),
    ].join('\r\n') + '\r\n';
  }
  const yymmdd = (d: string) => d.slice(2, 10).replace(/-/g, '');
  const lines = payments.flatMap((n) => {
    const day = n.datetime_payment.slice(0, 10);
    return [
      `:61:${yymmdd(day)}${day.slice(5, 7)}${day.slice(8, 10)}C${n.payment_amount},00NTRF${n.payment_ntb.slice(0, 16)}//${n.payment_ntb.slice(0, 16)}`,
      `:86:VA ${n.virtual_account} NTB ${n.payment_ntb}`,
      n.customer_name.slice(0, 65),
    ];
  });
  return [
    '{1:F01BNINIDJAXXXX0000000000}{2:I940BNINIDJAXXXXN}{4:',
    `:20:KASDA${yymmdd(from)}`,
    `:25:${SIM_ACCOUNT}`,
    ':28C:1/1',
    `:60F:C${yymmdd(from)}IDR0,00`,
    ...lines,
    `:62F:C${yymmdd(to)}IDR${total},00`,
    '-}',
  ].join('\r\n') + '\r\n';
}

export function createBankSimulator(opts: BankSimulatorOptions) {
  const { clientId, secret, prefix, callbackUrl } = opts;
  const latencyMs = opts.latencyMs ?? 0;
  const inquiryLimit = opts.inquiryLimitPerHour ?? 1000;
  const now = opts.now ?? Date.now;
  const nowSeconds = () => Math.floor(now() / 1000);
  const state: BankSimulatorState = { bills: new Map(), faults: [], inquiryTimes: [], notifications: new Map() };
  let vaSequence = 0;
  let ntbSequence = 0;
  /** The bills carrying each VA, so a create looks its VA up instead of scanning every bill. */
  const byVa = new Map<string, SimBill[]>();

  const expired = (b: SimBill) => b.expiresAt !== null && b.expiresAt.getTime() < now();
  const active = (b: SimBill) => !b.deactivated && !settled(b) && !expired(b);

  function lifecycle(b: SimBill): 'active' | 'paid' | 'inactive' | 'expired' {
    if (settled(b)) return 'paid';
    if (b.deactivated) return 'inactive';
    return expired(b) ? 'expired' : 'active';
  }

  function find(p: Payload): SimBill {
    const bill = state.bills.get(mandatory(p, 'trx_id'));
    if (!bill) throw new BniFailure('101');
    return bill;
  }

  function parseExpiry(p: Payload): Date | null {
    const raw = field(p, 'datetime_expired');
    if (raw === '') return null;
    const at = parseBniDateTime(raw);
    if (!at || at.getTime() <= now()) throw new BniFailure('012', `invalid datetime_expired ${raw}`);
    return at;
  }

  /** Prefix + client id + a running number, skipping numbers a bill already carries. */
  function assignVa(): string {
    const head = prefix + clientId;
    for (;;) {
      const va = head + String(++vaSequence).padStart(16 - head.length, '0');
      if (!byVa.has(va)) return va;
    }
  }

  function createBilling(p: Payload): Payload {
    const trxId = mandatory(p, 'trx_id', 30);
    const amountText = mandatory(p, 'trx_amount');
    const billingType = mandatory(p, 'billing_type');
    const customerName = mandatory(p, 'customer_name', 255);
    const description = optional(p, 'description', 100);
    if (!BILLING_TYPES.includes(billingType)) throw new BniFailure('016');
    const amount = parseAmount(amountText);
    checkTypeMatchesAmount(billingType, amount);
    const expiresAt = parseExpiry(p);
    // Never reusable, not even after the bill expired or was deactivated.
    if (state.bills.has(trxId)) throw new BniFailure('105');
    let virtualAccount = field(p, 'virtual_account');
    if (virtualAccount === '') virtualAccount = assignVa();
    else if (!/^\d{16}$/.test(virtualAccount) || !virtualAccount.startsWith(prefix + clientId)) {
      throw new BniFailure('006');
    }
    const sameVa = byVa.get(virtualAccount) ?? [];
    if (sameVa.some(active)) throw new BniFailure('102');
    const at = new Date(now());
    const bill: SimBill = {
      trxId,
      virtualAccount,
      billingType: billingType as BillingType,
      amount,
      customerName,
      customerEmail: optional(p, 'customer_email', 255),
      customerPhone: optional(p, 'customer_phone', 30),
      description,
      expiresAt,
      createdAt: at,
      updatedAt: at,
      paidAmount: 0,
      paymentNtb: null,
      paidAt: null,
      deactivated: false,
    };
    state.bills.set(trxId, bill);
    byVa.set(virtualAccount, [...sameVa, bill]);
    return { virtual_account: virtualAccount, trx_id: trxId };
  }

  function updateBilling(p: Payload): Payload {
    const amountText = mandatory(p, 'trx_amount');
    const customerName = mandatory(p, 'customer_name', 255);
    const bill = find(p);
    if (settled(bill)) throw new BniFailure('100');
    if (bill.deactivated || expired(bill)) throw new BniFailure('103');
    const amount = parseAmount(amountText);
    checkTypeMatchesAmount(bill.billingType, amount);
    if (amount < bill.paidAmount) throw new BniFailure('107');
    // Like BNI: whatever optional field the update leaves out is blanked.
    Object.assign(bill, {
      amount,
      customerName,
      customerEmail: optional(p, 'customer_email', 255),
      customerPhone: optional(p, 'customer_phone', 30),
      description: optional(p, 'description', 100),
      expiresAt: parseExpiry(p),
      updatedAt: new Date(now()),
    } satisfies Partial<SimBill>);
    return { virtual_account: bill.virtualAccount, trx_id: bill.trxId };
  }

  function inquiryBilling(p: Payload): Payload {
    const trxId = mandatory(p, 'trx_id');
    state.inquiryTimes = state.inquiryTimes.filter((t) => t > now() - HOUR_MS);
    if (state.inquiryTimes.length >= inquiryLimit) throw new BniFailure('996');
    state.inquiryTimes.push(now());
    const b = state.bills.get(trxId);
    if (!b) throw new BniFailure('101');
    const wib = (d: Date | null) => (d ? formatWib(d) : null);
    const iso = (d: Date | null) => (d ? formatWibIso(d) : null);
    return {
      client_id: clientId,
      trx_id: b.trxId,
      trx_amount: String(b.amount),
      virtual_account: b.virtualAccount,
      customer_name: b.customerName,
      customer_email: b.customerEmail || null,
      customer_phone: maskPhone(b.customerPhone) || null,
      datetime_created: wib(b.createdAt),
      datetime_expired: wib(b.expiresAt),
      datetime_payment: wib(b.paidAt),
      datetime_last_updated: wib(b.updatedAt),
      payment_ntb: b.paymentNtb,
      payment_amount: String(b.paidAmount),
      va_status: active(b) ? '1' : '2',
      billing_type: b.billingType,
      description: b.description || null,
      datetime_created_iso8601: iso(b.createdAt),
      datetime_expired_iso8601: iso(b.expiresAt),
      datetime_payment_iso8601: iso(b.paidAt),
      datetime_last_updated_iso8601: iso(b.updatedAt),
    };
  }

  function inactiveBilling(p: Payload): Payload {
    const bill = find(p);
    const va = field(p, 'virtual_account');
    if (va !== '' && va !== bill.virtualAccount) throw new BniFailure('006');
    if (settled(bill)) throw new BniFailure('100');
    if (!bill.deactivated && expired(bill)) throw new BniFailure('103');
    bill.deactivated = true;
    bill.updatedAt = new Date(now());
    return { virtual_account: bill.virtualAccount, trx_id: bill.trxId };
  }

  const handlers: Record<string, (p: Payload) => Payload> = {
    createbilling: createBilling,
    updatebilling: updateBilling,
    inquirybilling: inquiryBilling,
    inactivebilling: inactiveBilling,
  };

  function failure(status: string, message?: string) {
    return { status, message: message ?? STATUS_CODES[status]?.message ?? 'Failure' };
  }

  async function answer(envelope: unknown): Promise<object> {
    if (!isRecord(envelope) || typeof envelope.client_id !== 'string' || typeof envelope.data !== 'string') {
      return failure('001', 'The envelope needs client_id and data');
    }
    if (envelope.client_id !== clientId) return failure('002');
    const payload = decrypt(envelope.data, clientId, secret, nowSeconds());
    if (!isRecord(payload)) return failure('001', 'data cannot be decrypted: check client id, secret key and clock');
    if (payload.client_id !== clientId) return failure('002');
    if (typeof payload.type !== 'string' || payload.type === '') return failure('005');
    const handler = Object.prototype.hasOwnProperty.call(handlers, payload.type) ? handlers[payload.type] : undefined;
    if (!handler) return failure('004', `Service ${payload.type} not found`);

    const fault = takeFault(state.faults, (f) => f.operation, payload.type);
    if (fault?.status) {
      await sleep(fault.delayMs);
      return failure(fault.status);
    }
    let result: object;
    try {
      result = { status: '000', data: encrypt(handler(payload), clientId, secret, nowSeconds()) };
    } catch (e) {
      if (!(e instanceof BniFailure)) throw e;
      result = failure(e.status, e.message);
    }
    // A delay-only fault: the bank did the work, the answer comes too late for the caller.
    if (fault) await sleep(fault.delayMs);
    return result;
  }

  async function deliver(notification: SimNotification, send: boolean): Promise<SimDelivery> {
    const envelope = { client_id: clientId, data: encrypt(notification, clientId, secret, nowSeconds()) };
    if (!send) return { notification, envelope };
    try {
      const res = await axios.post(callbackUrl, envelope, { timeout: 10_000, validateStatus: () => true });
      return { notification, envelope, callback: { status: res.status, body: res.data as unknown } };
    } catch (e) {
      if (!axios.isAxiosError(e)) throw e;
      return { notification, envelope, callback: { status: 0, body: { error: e.message } } };
    }
  }

  /** A customer pays at the bank: record it, then notify the callback URL as BNI does. */
  async function pay(trxId: string, o: PayOptions = {}): Promise<SimDelivery> {
    const b = state.bills.get(trxId);
    if (!b) throw new SimError(404, `no bill ${trxId}`);
    if (!active(b)) throw new SimError(409, `bill ${trxId} is ${lifecycle(b)}`);
    const amount = acceptedPayment(b, o.amount, { noun: 'bill', type: b.billingType });
    const sent = state.notifications.get(trxId) ?? [];
    const ntb = o.ntb ?? String(++ntbSequence).padStart(6, '0');
    if (sent.some((n) => n.payment_ntb === ntb)) throw new SimError(409, `payment ${ntb} already recorded`);
    const paidAt = o.paidAt ?? new Date(now());
    Object.assign(b, {
      paidAmount: b.paidAmount + amount,
      paymentNtb: ntb,
      paidAt,
      updatedAt: new Date(now()),
    } satisfies Partial<SimBill>);
    const notification: SimNotification = {
      trx_id: b.trxId,
      virtual_account: b.virtualAccount,
      customer_name: b.customerName,
      trx_amount: String(b.amount),
      payment_amount: String(amount),
      cumulative_payment_amount: String(b.paidAmount),
      payment_ntb: ntb,
      datetime_payment: formatWib(paidAt),
      datetime_payment_iso8601: formatWibIso(paidAt),
    };
    state.notifications.set(trxId, [...sent, notification]);
    return deliver(notification, o.notify ?? true);
  }

  /** Redelivery of a stored notification (the last one by default), freshly encrypted as BNI would. */
  function notify(trxId: string, ntb?: string): Promise<SimDelivery> {
    const sent = state.notifications.get(trxId) ?? [];
    const notification = ntb === undefined ? sent.at(-1) : sent.find((n) => n.payment_ntb === ntb);
    if (!notification) throw new SimError(404, `no notification for ${trxId}${ntb ? ` payment ${ntb}` : ''}`);
    return deliver(notification, true);
  }

  const bills = () => [...state.bills.values()];

  /** Every payment made in [from, to] (WIB calendar days), in the order made. */
  function statement(from: string, to: string, format: StatementFormat = 'canonical'): string {
    const payments = [...state.notifications.values()]
      .flat()
      .filter((n) => n.datetime_payment.slice(0, 10) >= from && n.datetime_payment.slice(0, 10) <= to)
      .sort((a, b) => a.datetime_payment.localeCompare(b.datetime_payment) || a.payment_ntb.localeCompare(b.payment_ntb));
    return renderStatement(payments, from, to, format);
  }
  const view = (b: SimBill) => ({ ...b, state: lifecycle(b) });

  /**
   * The protocol endpoint, `POST /`, on bare node:http: it is what a bench or a demo loads, and
   * Express's routing and body parsing would cost more than the bank's own work. Malformed or
   * oversized JSON answers 001 at once; everything else after the configured latency.
   */
  function protocol(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_LIMIT) chunks.push(chunk);
    });
    req.on('end', () => {
      const send = (body: object) => {
        const json = JSON.stringify(body);
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json) });
        res.end(json);
      };
      if (!JSON_TYPE.test(req.headers['content-type'] ?? '') || size === 0) {
        void sleep(latencyMs).then(() => send(failure('998')));
        return;
      }
      if (size > BODY_LIMIT) return send(failure('001', 'Invalid request body: request entity too large'));
      let envelope: unknown;
      try {
        envelope = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        return send(failure('001', `Invalid request body: ${(e as Error).message}`));
      }
      answer(envelope).then(
        (body) => sleep(latencyMs).then(() => send(body)),
        () => send(failure('999')),
      );
    });
  }

  const routes = express();
  routes.use(express.json({ limit: BODY_LIMIT }));

  routes.get('/sim/bills', (_req, res) => {
    res.json(bills().map(view));
  });

  routes.get('/sim/bills/:trx_id', (req, res) => {
    const b = state.bills.get(req.params.trx_id);
    if (!b) throw new SimError(404, `no bill ${req.params.trx_id}`);
    res.json(view(b));
  });

  routes.post('/sim/bills/:trx_id/pay', async (req, res) => {
    const body: unknown = req.body ?? {};
    if (!isRecord(body)) throw new SimError(400, 'expected a JSON object');
    const { amount, ntb, notify: send } = body;
    if (amount !== undefined && typeof amount !== 'number') throw new SimError(400, 'amount must be a number');
    if (ntb !== undefined && (typeof ntb !== 'string' || ntb === '')) throw new SimError(400, 'ntb must be a string');
    if (send !== undefined && typeof send !== 'boolean') throw new SimError(400, 'notify must be a boolean');
    res.json(await pay(req.params.trx_id, { amount, ntb, notify: send }));
  });

  routes.post('/sim/bills/:trx_id/notify', async (req, res) => {
    const ntb: unknown = isRecord(req.body) ? req.body.ntb : undefined;
    if (ntb !== undefined && typeof ntb !== 'string') throw new SimError(400, 'ntb must be a string');
    res.json(await notify(req.params.trx_id, ntb));
  });

  routes.post('/sim/faults', (req, res) => {
    const body: unknown = req.body;
    if (!isRecord(body)) throw new SimError(400, 'expected a JSON object');
    const { status, count = 1, operation, delay_ms: delayMs = 0 } = body;
    if (status !== undefined && (typeof status !== 'string' || !/^\d{3}$/.test(status))) {
      throw new SimError(400, 'status must be a three-digit string such as "997"');
    }
    if (status === undefined && !delayMs) throw new SimError(400, 'give a status, a delay_ms or both');
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
      throw new SimError(400, 'count must be a positive whole number');
    }
    if (operation !== undefined && (typeof operation !== 'string' || !OPERATIONS.includes(operation))) {
      throw new SimError(400, `operation must be one of ${OPERATIONS.join(', ')}`);
    }
    if (typeof delayMs !== 'number' || !Number.isSafeInteger(delayMs) || delayMs < 0) {
      throw new SimError(400, 'delay_ms must be a non-negative whole number');
    }
    state.faults.push({ status, remaining: count, operation, delayMs });
    res.status(201).json({ faults: state.faults });
  });

  routes.get('/sim/statement', (req, res) => {
    const { from, to, format = 'canonical' } = req.query;
    const day = /^\d{4}-\d{2}-\d{2}$/;
    if (typeof from !== 'string' || typeof to !== 'string' || !day.test(from) || !day.test(to)) {
      throw new SimError(400, 'from and to must be dates (YYYY-MM-DD)');
    }
    if (typeof format !== 'string' || !(STATEMENT_FORMATS as readonly string[]).includes(format)) {
      throw new SimError(400, `format must be one of ${STATEMENT_FORMATS.join(', ')}`);
    }
    res.type(format === 'mt940' ? 'text/plain' : 'text/csv').send(statement(from, to, format as StatementFormat));
  });

  routes.delete('/sim/faults', (_req, res) => {
    state.faults = [];
    res.status(204).end();
  });

  routes.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'no such route' });
  });

  // Bad JSON, an oversized body or a bug: always a JSON answer.
  routes.use((err: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err instanceof SimError ? err.httpStatus : (err.status ?? 500);
    res.status(status).json({ error: err.message });
  });

  /** The simulator as a request listener: the protocol endpoint, and the operator routes. */
  const app: http.RequestListener = (req, res) => {
    if (req.method === 'POST' && (req.url === '/' || req.url?.startsWith('/?'))) protocol(req, res);
    else routes(req, res);
  };

  return { app, state, pay, notify, bills, statement };
}

export type BankSimulator = ReturnType<typeof createBankSimulator>;

export async function startBankSimulator(
  opts: BankSimulatorOptions & { port: number; host?: string },
): Promise<{ url: string; port: number; sim: BankSimulator; close(): Promise<void> }> {
  const sim = createBankSimulator(opts);
  const served = await serve(sim.app, opts.port, opts.host);
  return { url: `${served.origin}/`, port: served.port, sim, close: served.close };
}
