import crypto, { type KeyObject } from 'node:crypto';
import axios from 'axios';
import express, { type NextFunction, type Request, type Response } from 'express';
import { acceptedPayment, isRecord, serve, SimError, sleep, takeFault } from '../simulator-kit';
import type { BillingType } from '../types';
import {
  billingTypeOf,
  formatSnapAmount,
  newExternalId,
  padPartnerServiceId,
  trxTypeFor,
  type VaAddress,
} from './fields';
import { SERVICE_CODES, buildResponseCode, responseCaseOf } from './response-codes';
import {
  asymmetricSignature,
  formatSnapTimestamp,
  notificationSignature,
  parseSnapTimestamp,
  symmetricSignature,
  verifyAsymmetricSignature,
  verifySymmetricSignature,
} from './signatures';

/**
 * A stand-in for a SNAP BI bank (docs/bni-ecollection.md §6) for tests, the demo and a developer's
 * machine: the B2B token, the VA services with their signature checks and response codes, and a
 * signed payment notification (25) when an operator pays a VA under /sim. State lives in memory.
 *
 * Where SNAP leaves the choice to each bank, the simulator chooses, and says so here:
 * - transactions are checked in this order: token (401xx01 for a missing, unknown or expired one),
 *   Content-Type and mandatory headers (400xx01/02), X-EXTERNAL-ID and CHANNEL-ID formats
 *   (400xx01), X-PARTNER-ID (401xx00), X-TIMESTAMP format (400xx01), X-TIMESTAMP more than
 *   clockSkewSeconds from the bank's clock (401xx00 "Unauthorized. [X-TIMESTAMP outside allowed
 *   skew]"), signature (401xx00 "Unauthorized. [Signature]"), X-EXTERNAL-ID already seen this WIB
 *   day (409xx00), body (400xx00). A header timestamp other than the signed one fails as a
 *   signature. The token request: headers, X-CLIENT-KEY, timestamp, signature, grantType;
 * - a partnerServiceId other than the configured one (8 characters, space-padded): 404xx16;
 * - a trxId is never reusable, and a VA number is taken while a VA on it is active: both 409xx01;
 * - an amount with a fraction of a rupiah, an open VA (O) with an amount or another type without
 *   one, and an update below what was paid: 404xx13; a malformed amount or a currency other than
 *   IDR: 400xx01;
 * - update, inquiry-va and delete of an unknown VA (or of another trxId on it): 404xx12; of a
 *   settled one: 404xx14 (inquiry-va excepted: it shows paid VAs); of an expired one: 404xx19;
 *   delete of a deleted VA answers success again, so a retry is harmless;
 * - status (26) reports the latest payment on the VA number (or the one named by
 *   paymentRequestId) with its trxId and the cumulative total; none: 404xx01;
 * - notifications carry X-PARTNER-ID = the company code and CHANNEL-ID 95221, and are signed as
 *   `notifications` says: RSA with the bank's key, or HMAC with a bearer token (the partner's
 *   own, fetched from its token endpoint first when `token` is set; otherwise a random one);
 * - injected faults (POST /sim/faults) apply to requests that passed every check above.
 */

export type SnapSimNotificationAuth =
  | { mode: 'rsa'; bankPrivateKeyPem: string }
  | {
      mode: 'hmac';
      clientSecret: string;
      /** Fetch the partner's token first, as banks that use its /v1.0/access-token/b2b do. */
      token?: { url: string; clientKey: string; bankPrivateKeyPem: string };
    };

export interface SnapSimulatorOptions {
  /** The partner's X-CLIENT-KEY and X-PARTNER-ID. */
  clientId: string;
  /** The HMAC key of the partner's transaction signatures. */
  clientSecret: string;
  /** Verifies the partner's token requests. */
  partnerPublicKeyPem: string;
  partnerServiceId: string;
  callbackUrl: string;
  notifications: SnapSimNotificationAuth;
  /** Delay before every protocol answer. */
  latencyMs?: number;
  clockSkewSeconds?: number;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

export interface SnapSimPayment {
  paymentRequestId: string;
  amount: number;
  /** Total paid on the VA after this payment. */
  cumulative: number;
  paidAt: Date;
  notification: Record<string, unknown>;
}

export interface SnapSimVa {
  trxId: string;
  partnerServiceId: string;
  customerNo: string;
  virtualAccountNo: string;
  billingType: BillingType;
  amount: number;
  name: string;
  email: string;
  phone: string;
  description: string;
  expiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** Cumulative. */
  paidAmount: number;
  payments: SnapSimPayment[];
  deleted: boolean;
}

export const SIM_SERVICES = ['access-token', 'create-va', 'update-va', 'inquiry-va', 'delete-va', 'status'] as const;
export type SnapSimService = (typeof SIM_SERVICES)[number];

export interface SnapSimFault {
  /** Answer this responseCode instead of processing; without it the request is processed, answered late. */
  responseCode?: string;
  remaining: number;
  service?: SnapSimService;
  delayMs: number;
}

export interface SnapSimDelivery {
  notification: Record<string, unknown>;
  /** What the callback URL answered; status 0 when it could not be reached. */
  callback?: { status: number; body: unknown };
}

export interface SnapSimulatorState {
  vas: Map<string, SnapSimVa>;
  /** Access tokens issued, with their expiry in epoch milliseconds. */
  tokens: Map<string, number>;
  /** X-EXTERNAL-IDs seen on one WIB day. */
  externalIds: { day: string; seen: Set<string> };
  faults: SnapSimFault[];
}

export interface SnapPayOptions {
  amount?: number;
  paymentRequestId?: string;
  notify?: boolean;
  paidAt?: Date;
}

type Json = Record<string, unknown>;

const SERVICE_CODE: Record<SnapSimService, string> = {
  'access-token': SERVICE_CODES.accessToken,
  'create-va': SERVICE_CODES.createVa,
  'update-va': SERVICE_CODES.updateVa,
  'inquiry-va': SERVICE_CODES.inquiryVa,
  'delete-va': SERVICE_CODES.deleteVa,
  status: SERVICE_CODES.status,
};

const TOKEN_LIFETIME_SECONDS = 900;
/** What the bank puts in CHANNEL-ID when it calls the partner. */
const BANK_CHANNEL_ID = '95221';

/** A protocol refusal: HTTP status and case; the service code comes from the route. */
class SnapFailure extends Error {
  constructor(
    readonly http: number,
    readonly caseCode: string,
    message: string,
  ) {
    super(message);
  }
}

const invalidFormat = (field: string) => new SnapFailure(400, '01', `Invalid Field Format [${field}]`);
const missing = (field: string) => new SnapFailure(400, '02', `Invalid Mandatory Field [${field}]`);
const unauthorized = (reason: string) => new SnapFailure(401, '00', `Unauthorized. [${reason}]`);
const vaNotFound = (detail: string) => new SnapFailure(404, '12', `Invalid Bill/Virtual Account [${detail}]`);
const invalidAmount = (detail: string) => new SnapFailure(404, '13', `Invalid Amount [${detail}]`);

function field(p: Json, name: string, maxLength: number, required: true): string;
function field(p: Json, name: string, maxLength: number, required: false): string | null;
function field(p: Json, name: string, maxLength: number, required: boolean): string | null {
  const v = p[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw missing(name);
    return null;
  }
  if (typeof v !== 'string' || v.length > maxLength) throw invalidFormat(name);
  return v;
}

/** SNAP money: two decimals and IDR, else a format error; a fraction of a rupiah is an invalid amount. */
function amount(p: Json, name: string): number {
  const v = p[name];
  if (v === undefined || v === null) throw missing(name);
  if (!isRecord(v)) throw invalidFormat(name);
  const m = typeof v.value === 'string' ? /^(\d{1,16})\.(\d{2})$/.exec(v.value) : null;
  if (!m) throw invalidFormat(`${name}.value`);
  if (v.currency !== 'IDR') throw invalidFormat(`${name}.currency`);
  if (m[2] !== '00') throw invalidAmount(`${name} has a fraction of a rupiah`);
  return Number(m[1]);
}

function header(req: Request, name: string): string | null {
  const v = req.get(name);
  return v === undefined || v === '' ? null : v;
}

function requiredHeader(req: Request, name: string): string {
  const v = header(req, name);
  if (v === null) throw missing(name);
  return v;
}

/** Installments close at the full amount; open types (o, n, x) take payments until they expire. */
function settled(va: SnapSimVa): boolean {
  if (va.billingType === 'c' || va.billingType === 'm') return va.paidAmount > 0;
  if (va.billingType === 'i') return va.paidAmount >= va.amount;
  return false;
}

export function createSnapSimulator(opts: SnapSimulatorOptions) {
  const { clientId, clientSecret, callbackUrl } = opts;
  const partnerServiceId = padPartnerServiceId(opts.partnerServiceId);
  const partnerKey = crypto.createPublicKey(opts.partnerPublicKeyPem);
  const auth = opts.notifications;
  const notificationKey: KeyObject | null = auth.mode === 'rsa' ? crypto.createPrivateKey(auth.bankPrivateKeyPem) : null;
  const latencyMs = opts.latencyMs ?? 0;
  const skewMs = (opts.clockSkewSeconds ?? 300) * 1000;
  const now = opts.now ?? Date.now;
  const state: SnapSimulatorState = {
    vas: new Map(),
    tokens: new Map(),
    externalIds: { day: '', seen: new Set() },
    faults: [],
  };
  let paymentSequence = 0;

  const expired = (va: SnapSimVa) => va.expiresAt !== null && va.expiresAt.getTime() <= now();
  const active = (va: SnapSimVa) => !va.deleted && !settled(va) && !expired(va);

  function lifecycle(va: SnapSimVa): 'active' | 'paid' | 'deleted' | 'expired' {
    if (settled(va)) return 'paid';
    if (va.deleted) return 'deleted';
    return expired(va) ? 'expired' : 'active';
  }

  function address(p: Json): VaAddress {
    const psid = field(p, 'partnerServiceId', 8, true);
    const customerNo = field(p, 'customerNo', 20, true);
    const virtualAccountNo = field(p, 'virtualAccountNo', 28, true);
    if (psid.length !== 8) throw invalidFormat('partnerServiceId');
    if (psid !== partnerServiceId) throw new SnapFailure(404, '16', 'Partner Not Found');
    if (!/^\d+$/.test(customerNo)) throw invalidFormat('customerNo');
    if (virtualAccountNo !== psid + customerNo) throw invalidFormat('virtualAccountNo');
    return { partnerServiceId: psid, customerNo, virtualAccountNo };
  }

  /** The VA by trxId (which must sit on this number), else the latest VA on the number. */
  function find(a: VaAddress, trxId: string | null, includeDeleted: boolean): SnapSimVa {
    const onNumber = [...state.vas.values()].filter(
      (va) => va.virtualAccountNo === a.virtualAccountNo && (includeDeleted || !va.deleted),
    );
    const va = trxId === null ? onNumber.at(-1) : onNumber.find((v) => v.trxId === trxId);
    if (!va) throw vaNotFound(trxId === null ? 'not found' : `no VA ${trxId} on this number`);
    return va;
  }

  function parseExpiry(p: Json): Date | null {
    const raw = field(p, 'expiredDate', 35, false);
    if (raw === null) return null;
    const at = parseSnapTimestamp(raw);
    if (at === null || at <= now()) throw invalidFormat('expiredDate');
    return new Date(at);
  }

  function billingType(p: Json, fallback: BillingType): BillingType {
    const raw = field(p, 'virtualAccountTrxType', 1, false);
    if (raw === null) return fallback;
    const type = billingTypeOf(raw);
    if (!type) throw invalidFormat('virtualAccountTrxType');
    return type;
  }

  function checkTypeMatchesAmount(type: BillingType, total: number): void {
    if (type === 'o' ? total !== 0 : total === 0) throw invalidAmount(`type ${trxTypeFor(type)} with ${total}`);
  }

  function additionalInfo(p: Json): Json {
    return isRecord(p.additionalInfo) ? p.additionalInfo : {};
  }

  function description(p: Json): string {
    const d = additionalInfo(p).description;
    if (d !== undefined && (typeof d !== 'string' || d.length > 100)) throw invalidFormat('additionalInfo.description');
    return d ?? '';
  }

  function view(va: SnapSimVa, withDates: boolean): Json {
    const data: Json = {
      partnerServiceId: va.partnerServiceId,
      customerNo: va.customerNo,
      virtualAccountNo: va.virtualAccountNo,
      virtualAccountName: va.name,
      virtualAccountEmail: va.email,
      virtualAccountPhone: va.phone,
      trxId: va.trxId,
      totalAmount: formatSnapAmount(va.amount),
      virtualAccountTrxType: trxTypeFor(va.billingType),
      additionalInfo: { description: va.description },
    };
    if (va.expiresAt) data.expiredDate = formatSnapTimestamp(va.expiresAt);
    if (withDates) {
      data.lastUpdateDate = formatSnapTimestamp(va.updatedAt);
      const last = va.payments.at(-1);
      if (last) data.paymentDate = formatSnapTimestamp(last.paidAt);
    }
    return data;
  }

  function createVa(p: Json): Json {
    const a = address(p);
    const name = field(p, 'virtualAccountName', 255, true);
    const trxId = field(p, 'trxId', 64, true);
    const total = amount(p, 'totalAmount');
    const type = billingType(p, 'c');
    const email = field(p, 'virtualAccountEmail', 255, false) ?? '';
    const phone = field(p, 'virtualAccountPhone', 30, false) ?? '';
    const expiresAt = parseExpiry(p);
    const text = description(p);
    checkTypeMatchesAmount(type, total);
    if (state.vas.has(trxId)) throw new SnapFailure(409, '01', 'Duplicate partnerReferenceNo [trxId]');
    if ([...state.vas.values()].some((va) => va.virtualAccountNo === a.virtualAccountNo && active(va))) {
      throw new SnapFailure(409, '01', 'Duplicate partnerReferenceNo [virtualAccountNo]');
    }
    const at = new Date(now());
    const va: SnapSimVa = {
      trxId,
      ...a,
      billingType: type,
      amount: total,
      name,
      email,
      phone,
      description: text,
      expiresAt,
      createdAt: at,
      updatedAt: at,
      paidAmount: 0,
      payments: [],
      deleted: false,
    };
    state.vas.set(trxId, va);
    return view(va, false);
  }

  function updateVa(p: Json): Json {
    const a = address(p);
    const trxId = field(p, 'trxId', 64, true);
    const name = field(p, 'virtualAccountName', 255, true);
    const total = amount(p, 'totalAmount');
    const email = field(p, 'virtualAccountEmail', 255, false) ?? '';
    const phone = field(p, 'virtualAccountPhone', 30, false) ?? '';
    const text = description(p);
    const va = find(a, trxId, false);
    if (billingType(p, va.billingType) !== va.billingType) throw invalidFormat('virtualAccountTrxType');
    if (settled(va)) throw new SnapFailure(404, '14', 'Paid Bill');
    if (expired(va)) throw new SnapFailure(404, '19', 'Invalid Bill/Virtual Account [expired]');
    checkTypeMatchesAmount(va.billingType, total);
    if (total < va.paidAmount) throw invalidAmount(`below the ${va.paidAmount} already paid`);
    // Whatever optional field the update leaves out is blanked, as banks do.
    Object.assign(va, {
      amount: total,
      name,
      email,
      phone,
      description: text,
      expiresAt: parseExpiry(p),
      updatedAt: new Date(now()),
    } satisfies Partial<SnapSimVa>);
    return view(va, false);
  }

  function inquiryVa(p: Json): Json {
    const va = find(address(p), field(p, 'trxId', 64, false), false);
    if (!settled(va) && expired(va)) throw new SnapFailure(404, '19', 'Invalid Bill/Virtual Account [expired]');
    return view(va, true);
  }

  function deleteVa(p: Json): Json {
    const a = address(p);
    const va = find(a, field(p, 'trxId', 64, false), true);
    if (settled(va)) throw new SnapFailure(404, '14', 'Paid Bill');
    if (!va.deleted && expired(va)) throw new SnapFailure(404, '19', 'Invalid Bill/Virtual Account [expired]');
    va.deleted = true;
    va.updatedAt = new Date(now());
    return { ...a, trxId: va.trxId };
  }

  function status(p: Json): Json {
    const a = address(p);
    const inquiryRequestId = field(p, 'inquiryRequestId', 128, false);
    const paymentRequestId = field(p, 'paymentRequestId', 128, false);
    const onNumber = [...state.vas.values()].filter((va) => va.virtualAccountNo === a.virtualAccountNo);
    if (onNumber.length === 0) throw vaNotFound('not found');
    const payments = onNumber
      .flatMap((va) => va.payments.map((payment) => ({ va, payment })))
      .sort((x, y) => x.payment.paidAt.getTime() - y.payment.paidAt.getTime());
    const hit =
      paymentRequestId === null
        ? payments.at(-1)
        : payments.find(({ payment }) => payment.paymentRequestId === paymentRequestId);
    if (!hit) throw new SnapFailure(404, '01', 'Transaction Not Found');
    const { va, payment } = hit;
    return {
      paymentFlagReason: { english: 'Success', indonesia: 'Sukses' },
      ...a,
      inquiryRequestId: inquiryRequestId ?? payment.paymentRequestId,
      paymentRequestId: payment.paymentRequestId,
      trxId: va.trxId,
      paidAmount: formatSnapAmount(payment.amount),
      cumulativePaymentAmount: formatSnapAmount(payment.cumulative),
      totalAmount: formatSnapAmount(va.amount),
      trxDateTime: formatSnapTimestamp(payment.paidAt),
      transactionDate: formatSnapTimestamp(payment.paidAt),
      paymentFlagStatus: '00',
    };
  }

  type VaService = Exclude<SnapSimService, 'access-token'>;
  const handlers: Record<VaService, { method: 'post' | 'put' | 'delete'; handle: (p: Json) => Json }> = {
    'create-va': { method: 'post', handle: createVa },
    'update-va': { method: 'put', handle: updateVa },
    'inquiry-va': { method: 'post', handle: inquiryVa },
    'delete-va': { method: 'delete', handle: deleteVa },
    status: { method: 'post', handle: status },
  };

  function rawBody(req: Request): Buffer {
    return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  }

  function parseBody(req: Request): Json {
    try {
      const body: unknown = JSON.parse(rawBody(req).toString('utf8'));
      if (isRecord(body)) return body;
    } catch {
      // Answered below, like any other body that is not a JSON object.
    }
    throw new SnapFailure(400, '00', 'Bad Request');
  }

  /** Parses X-TIMESTAMP and checks it against the bank's clock. */
  function checkTimestamp(timestamp: string): void {
    const at = parseSnapTimestamp(timestamp);
    if (at === null) throw invalidFormat('X-TIMESTAMP');
    if (Math.abs(at - now()) > skewMs) throw unauthorized('X-TIMESTAMP outside allowed skew');
  }

  function requireJson(req: Request): void {
    if (!req.is('application/json')) throw invalidFormat('Content-Type');
  }

  /** The token request's checks: headers, client, clock, RSA signature, grant type. */
  function authenticateTokenRequest(req: Request): Json {
    requireJson(req);
    const clientKey = requiredHeader(req, 'X-CLIENT-KEY');
    const timestamp = requiredHeader(req, 'X-TIMESTAMP');
    const signature = requiredHeader(req, 'X-SIGNATURE');
    if (clientKey !== clientId) throw unauthorized('Unknown client');
    checkTimestamp(timestamp);
    if (!verifyAsymmetricSignature(partnerKey, clientKey, timestamp, signature)) throw unauthorized('Signature');
    const body = parseBody(req);
    if (body.grantType === undefined) throw missing('grantType');
    if (body.grantType !== 'client_credentials') throw invalidFormat('grantType');
    return body;
  }

  function grantToken(): Json {
    for (const [token, expiry] of state.tokens) if (expiry <= now()) state.tokens.delete(token);
    const accessToken = crypto.randomBytes(32).toString('base64url');
    state.tokens.set(accessToken, now() + TOKEN_LIFETIME_SECONDS * 1000);
    return { accessToken, tokenType: 'Bearer', expiresIn: String(TOKEN_LIFETIME_SECONDS) };
  }

  /** Every check of a transaction before its body is read; see the header comment for the order. */
  function authenticate(req: Request, method: string): Json {
    const token = /^Bearer\s+(\S+)$/i.exec(header(req, 'Authorization') ?? '')?.[1];
    const expiry = token === undefined ? undefined : state.tokens.get(token);
    if (token === undefined || expiry === undefined || expiry <= now()) {
      throw new SnapFailure(401, '01', 'Invalid Token (B2B)');
    }
    requireJson(req);
    const timestamp = requiredHeader(req, 'X-TIMESTAMP');
    const signature = requiredHeader(req, 'X-SIGNATURE');
    const partnerId = requiredHeader(req, 'X-PARTNER-ID');
    const externalId = requiredHeader(req, 'X-EXTERNAL-ID');
    const channelId = requiredHeader(req, 'CHANNEL-ID');
    if (!/^\d{1,36}$/.test(externalId)) throw invalidFormat('X-EXTERNAL-ID');
    if (!/^\d{1,5}$/.test(channelId)) throw invalidFormat('CHANNEL-ID');
    if (partnerId !== clientId) throw unauthorized('Unknown partner');
    checkTimestamp(timestamp);
    const body = rawBody(req);
    if (!verifySymmetricSignature(clientSecret, method, req.originalUrl, token, body, timestamp, signature)) {
      throw unauthorized('Signature');
    }
    const day = formatSnapTimestamp(now()).slice(0, 10);
    if (state.externalIds.day !== day) state.externalIds = { day, seen: new Set() };
    if (state.externalIds.seen.has(externalId)) throw new SnapFailure(409, '00', 'Conflict');
    state.externalIds.seen.add(externalId);
    return parseBody(req);
  }

  function failureBody(service: SnapSimService, f: SnapFailure): { http: number; body: Json } {
    return {
      http: f.http,
      body: { responseCode: buildResponseCode(f.http, SERVICE_CODE[service], f.caseCode), responseMessage: f.message },
    };
  }

  /** Checks, then a fault or the work; a SNAP body and the HTTP status its responseCode names. */
  async function answer(
    service: SnapSimService,
    check: () => Json,
    work: (body: Json) => Json,
    wrap: (result: Json) => Json,
  ): Promise<{ http: number; body: Json }> {
    let body: Json;
    try {
      body = check();
    } catch (e) {
      if (!(e instanceof SnapFailure)) throw e;
      return failureBody(service, e);
    }
    const fault = takeFault(state.faults, (f) => f.service, service);
    if (fault?.responseCode) {
      await sleep(fault.delayMs);
      const code = fault.responseCode;
      return {
        http: Number(code.slice(0, 3)),
        body: { responseCode: code, responseMessage: responseCaseOf(code)?.message ?? 'Injected fault' },
      };
    }
    let result: { http: number; body: Json };
    try {
      const responseCode = buildResponseCode(200, SERVICE_CODE[service], '00');
      result = { http: 200, body: { responseCode, responseMessage: 'Successful', ...wrap(work(body)) } };
    } catch (e) {
      if (!(e instanceof SnapFailure)) throw e;
      result = failureBody(service, e);
    }
    // A delay-only fault: the bank did the work, the answer comes too late for the caller.
    if (fault) await sleep(fault.delayMs);
    return result;
  }

  /** The partner's token, requested the way a partner requests the bank's. */
  async function callbackToken(t: { url: string; clientKey: string; bankPrivateKeyPem: string }) {
    const timestamp = formatSnapTimestamp(now());
    const res = await axios.post(t.url, JSON.stringify({ grantType: 'client_credentials' }), {
      headers: {
        'Content-Type': 'application/json',
        'X-TIMESTAMP': timestamp,
        'X-CLIENT-KEY': t.clientKey,
        'X-SIGNATURE': asymmetricSignature(t.bankPrivateKeyPem, t.clientKey, timestamp),
      },
      timeout: 10_000,
      validateStatus: () => true,
    });
    const body: unknown = res.data;
    const token = isRecord(body) && typeof body.accessToken === 'string' ? body.accessToken : null;
    return { status: res.status, body, token };
  }

  /** Signs and posts a notification (25) as the configured bank would. */
  async function deliver(notification: Json, send: boolean): Promise<SnapSimDelivery> {
    if (!send) return { notification };
    const body = JSON.stringify(notification);
    const target = new URL(callbackUrl);
    const path = target.pathname + target.search;
    const timestamp = formatSnapTimestamp(now());
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'X-TIMESTAMP': timestamp,
      'X-PARTNER-ID': partnerServiceId.trim(),
      'X-EXTERNAL-ID': newExternalId(now()),
      'CHANNEL-ID': BANK_CHANNEL_ID,
    };
    try {
      if (auth.mode === 'rsa') {
        headers['X-SIGNATURE'] = notificationSignature(notificationKey as KeyObject, 'POST', path, body, timestamp);
      } else {
        let token = crypto.randomBytes(16).toString('hex');
        if (auth.token) {
          const issued = await callbackToken(auth.token);
          if (issued.token === null) return { notification, callback: { status: issued.status, body: issued.body } };
          token = issued.token;
        }
        headers.Authorization = `Bearer ${token}`;
        headers['X-SIGNATURE'] = symmetricSignature(auth.clientSecret, 'POST', path, token, body, timestamp);
      }
      const res = await axios.post(callbackUrl, body, {
        headers,
        timeout: 10_000,
        transformRequest: [(data: unknown) => data],
        validateStatus: () => true,
      });
      return { notification, callback: { status: res.status, body: res.data as unknown } };
    } catch (e) {
      if (!axios.isAxiosError(e)) throw e;
      return { notification, callback: { status: 0, body: { error: e.message } } };
    }
  }

  /** A customer pays at the bank: record it, then notify the callback URL. */
  async function pay(trxId: string, o: SnapPayOptions = {}): Promise<SnapSimDelivery> {
    const va = state.vas.get(trxId);
    if (!va) throw new SimError(404, `no VA ${trxId}`);
    if (!active(va)) throw new SimError(409, `VA ${trxId} is ${lifecycle(va)}`);
    const paid = acceptedPayment(va, o.amount, { noun: 'VA', type: trxTypeFor(va.billingType) });
    const paymentRequestId = o.paymentRequestId ?? `SIMPAY${String(++paymentSequence).padStart(10, '0')}`;
    const taken = [...state.vas.values()].some((v) => v.payments.some((p) => p.paymentRequestId === paymentRequestId));
    if (taken) throw new SimError(409, `payment ${paymentRequestId} already recorded`);
    const paidAt = o.paidAt ?? new Date(now());
    va.paidAmount += paid;
    va.updatedAt = new Date(now());
    const notification: Json = {
      partnerServiceId: va.partnerServiceId,
      customerNo: va.customerNo,
      virtualAccountNo: va.virtualAccountNo,
      virtualAccountName: va.name,
      virtualAccountEmail: va.email,
      virtualAccountPhone: va.phone,
      trxId: va.trxId,
      paymentRequestId,
      channelCode: 6011,
      paidAmount: formatSnapAmount(paid),
      cumulativePaymentAmount: formatSnapAmount(va.paidAmount),
      totalAmount: formatSnapAmount(va.amount),
      trxDateTime: formatSnapTimestamp(paidAt),
      referenceNo: paymentRequestId,
      flagAdvise: 'N',
      additionalInfo: {},
    };
    va.payments.push({ paymentRequestId, amount: paid, cumulative: va.paidAmount, paidAt, notification });
    return deliver(notification, o.notify ?? true);
  }

  /** The last payment's notification again, marked as a resend, freshly signed. */
  function notify(trxId: string, paymentRequestId?: string): Promise<SnapSimDelivery> {
    const payments = state.vas.get(trxId)?.payments ?? [];
    const payment =
      paymentRequestId === undefined ? payments.at(-1) : payments.find((p) => p.paymentRequestId === paymentRequestId);
    if (!payment) {
      throw new SimError(404, `no payment on ${trxId}${paymentRequestId ? ` with id ${paymentRequestId}` : ''}`);
    }
    return deliver({ ...payment.notification, flagAdvise: 'Y' }, true);
  }

  const vas = () => [...state.vas.values()];
  const operatorView = (va: SnapSimVa) => ({ ...va, state: lifecycle(va) });

  const app = express();
  // Signatures are over the exact bytes, so the protocol routes keep the raw body.
  app.use('/v1.0', express.raw({ type: () => true, limit: '16kb' }));
  app.use('/sim', express.json({ limit: '16kb' }));

  async function reply(res: Response, outcome: { http: number; body: Json }): Promise<void> {
    await sleep(latencyMs);
    res.status(outcome.http).set('X-TIMESTAMP', formatSnapTimestamp(now())).json(outcome.body);
  }

  app.post('/v1.0/access-token/b2b', async (req, res) => {
    await reply(res, await answer('access-token', () => authenticateTokenRequest(req), grantToken, (token) => token));
  });

  for (const [service, { method, handle }] of Object.entries(handlers)) {
    app[method](`/v1.0/transfer-va/${service}`, async (req: Request, res: Response) => {
      const outcome = await answer(
        service as SnapSimService,
        () => authenticate(req, method.toUpperCase()),
        handle,
        (virtualAccountData) => ({ virtualAccountData }),
      );
      await reply(res, outcome);
    });
  }

  app.get('/sim/va', (_req, res) => {
    res.json(vas().map(operatorView));
  });

  app.get('/sim/va/:trxId', (req, res) => {
    const va = state.vas.get(req.params.trxId);
    if (!va) throw new SimError(404, `no VA ${req.params.trxId}`);
    res.json(operatorView(va));
  });

  app.post('/sim/va/:trxId/pay', async (req, res) => {
    const body: unknown = req.body ?? {};
    if (!isRecord(body)) throw new SimError(400, 'expected a JSON object');
    const { amount: paid, paymentRequestId, notify: send } = body;
    if (paid !== undefined && typeof paid !== 'number') throw new SimError(400, 'amount must be a number');
    if (paymentRequestId !== undefined && (typeof paymentRequestId !== 'string' || paymentRequestId === '')) {
      throw new SimError(400, 'paymentRequestId must be a non-empty string');
    }
    if (send !== undefined && typeof send !== 'boolean') throw new SimError(400, 'notify must be a boolean');
    res.json(await pay(req.params.trxId, { amount: paid, paymentRequestId, notify: send }));
  });

  app.post('/sim/va/:trxId/notify', async (req, res) => {
    const id: unknown = isRecord(req.body) ? req.body.paymentRequestId : undefined;
    if (id !== undefined && typeof id !== 'string') throw new SimError(400, 'paymentRequestId must be a string');
    res.json(await notify(req.params.trxId, id));
  });

  app.post('/sim/faults', (req, res) => {
    const body: unknown = req.body;
    if (!isRecord(body)) throw new SimError(400, 'expected a JSON object');
    const { responseCode, count = 1, service, delayMs = 0 } = body;
    if (responseCode !== undefined && (typeof responseCode !== 'string' || !/^[1-5]\d{6}$/.test(responseCode))) {
      throw new SimError(400, 'responseCode must be a seven-digit string such as "5002700"');
    }
    if (responseCode === undefined && !delayMs) throw new SimError(400, 'give a responseCode, a delayMs or both');
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
      throw new SimError(400, 'count must be a positive whole number');
    }
    if (service !== undefined && !(SIM_SERVICES as readonly unknown[]).includes(service)) {
      throw new SimError(400, `service must be one of ${SIM_SERVICES.join(', ')}`);
    }
    if (typeof delayMs !== 'number' || !Number.isSafeInteger(delayMs) || delayMs < 0) {
      throw new SimError(400, 'delayMs must be a non-negative whole number');
    }
    state.faults.push({ responseCode, remaining: count, service: service as SnapSimService | undefined, delayMs });
    res.status(201).json({ faults: state.faults });
  });

  app.delete('/sim/faults', (_req, res) => {
    state.faults = [];
    res.status(204).end();
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'no such route' });
  });

  // An oversized body or a bug: always a JSON answer, in the form the caller expects.
  app.use((err: Error & { status?: number }, req: Request, res: Response, _next: NextFunction) => {
    if (req.path.startsWith('/sim/')) {
      const status = err instanceof SimError ? err.httpStatus : (err.status ?? 500);
      res.status(status).json({ error: err.message });
      return;
    }
    const service = SIM_SERVICES.find((s) => req.path.endsWith(s === 'access-token' ? '/access-token/b2b' : `/${s}`));
    const code = service ? SERVICE_CODE[service] : '00';
    const clientError = err.status !== undefined && err.status >= 400 && err.status < 500;
    res
      .status(clientError ? 400 : 500)
      .json(
        clientError
          ? { responseCode: buildResponseCode(400, code, '00'), responseMessage: 'Bad Request' }
          : { responseCode: buildResponseCode(500, code, '00'), responseMessage: 'General Error' },
      );
  });

  return { app, state, pay, notify, vas };
}

export type SnapSimulator = ReturnType<typeof createSnapSimulator>;

export async function startSnapSimulator(
  opts: SnapSimulatorOptions & { port: number; host?: string },
): Promise<{ url: string; port: number; sim: SnapSimulator; close(): Promise<void> }> {
  const sim = createSnapSimulator(opts);
  const served = await serve(sim.app, opts.port, opts.host);
  return { url: served.origin, port: served.port, sim, close: served.close };
}
