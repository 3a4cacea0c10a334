import crypto, { type KeyObject } from 'node:crypto';
import axios, { type AxiosInstance } from 'axios';
import type { BankCallLog, BankResult, BillingType, VaConnector, VaCreated, VaRequest, VaState } from '../types';
import { ungated, type Gate } from '../slots';
import { storable } from '../storable';
import {
  addressVirtualAccount,
  billingTypeOf,
  cumulativeAmountOf,
  formatSnapAmount,
  newExternalId,
  normalizeVirtualAccount,
  padPartnerServiceId,
  parseSnapAmount,
  trxTypeFor,
  type VaAddress,
} from './fields';
import {
  SERVICE_CODES,
  interpretResponseCode,
  isTokenRejection,
  outcomeForHttpStatus,
  parseResponseCode,
} from './response-codes';
import { asymmetricSignature, formatSnapTimestamp, parseSnapTimestamp, symmetricSignature } from './signatures';
import { backoffMs, sleep, withoutData } from '../retry';

/**
 * SNAP BI virtual accounts (docs/bni-ecollection.md §6), the bank-hosted billing model: Kasda
 * creates, updates, reads and deletes VAs at the bank and the bank notifies payments (see
 * notifications.ts).
 *
 * SNAP addresses a VA by partnerServiceId + customerNo, never by trxId alone, so reading or
 * deleting one needs the VA number; the connector keeps no state, so `inquireVa` takes it as a
 * second argument. Reading a VA takes two calls, because no single SNAP service reports both the
 * bill and its payments: inquiry-va (30) for amount, name, type and expiry, then status (26) for the
 * latest payment (its paymentRequestId, amount, time and, where the bank reports it, the
 * cumulative total).
 */

export interface SnapVaOptions {
  channelCode: string;
  /** Scheme, host and any path prefix before /v1.0, e.g. https://api.bank.co.id/snap. */
  baseUrl: string;
  /** Sent as X-CLIENT-KEY for the token and X-PARTNER-ID on every transaction. */
  clientId: string;
  /** The HMAC key of transaction signatures. */
  clientSecret: string;
  /** Signs the access-token request; the bank holds the public half. */
  privateKeyPem: string;
  /** The company code the bank assigned, at most 8 characters; sent left-padded with spaces. */
  partnerServiceId: string;
  /** CHANNEL-ID header, as the bank assigned it. */
  channelId: string;
  timeoutMs: number;
  /** Extra attempts after a transient failure or a timeout. */
  retries?: number;
  /** First backoff step; each further attempt doubles it, with jitter. */
  retryBaseMs?: number;
  /** Called once per HTTP call, awaited: a failure here fails the operation. */
  onCall?: (log: BankCallLog) => void | Promise<void>;
  /** Admits each HTTP exchange (the channel's limit of calls in flight); by default every one at once. */
  gate?: Gate;
  /** Milliseconds since the epoch, for timestamps and the token's lifetime. */
  now?: () => number;
}

type Json = Record<string, unknown>;

const SERVICES = {
  'create-va': { method: 'POST', code: SERVICE_CODES.createVa },
  'update-va': { method: 'PUT', code: SERVICE_CODES.updateVa },
  'inquiry-va': { method: 'POST', code: SERVICE_CODES.inquiryVa },
  'delete-va': { method: 'DELETE', code: SERVICE_CODES.deleteVa },
  status: { method: 'POST', code: SERVICE_CODES.status },
} as const;

type ServiceName = keyof typeof SERVICES;

const TOKEN_PATH = '/v1.0/access-token/b2b';

/** A token is dropped this long before the bank's expiry, so no call carries one that dies in flight. */
const TOKEN_MARGIN_SECONDS = 60;

/** Types that take one payment, so the last payment is also the total paid. */
const SINGLE_PAYMENT: ReadonlySet<BillingType> = new Set(['c', 'm']);

interface SnapBill {
  trxId: string;
  virtualAccount: string;
  amount: number;
  billingType: BillingType;
  customerName: string;
  expiresAt: Date | null;
}

interface SnapPayment {
  trxId: string | null;
  paymentRequestId: string;
  paidAmount: number;
  cumulative: number | null;
  paidAt: Date | null;
  succeeded: boolean;
}

interface Exchange {
  operation: string;
  trxId: string | null;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** What onCall records as the request: never a credential or the token. */
  logged: unknown;
}

type Reading<T> = { result: BankResult<T>; response: unknown };

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function requiredText(v: unknown, field: string): string {
  const s = text(v);
  if (s === null) throw new Error(`${field} missing`);
  return s;
}

function dateTime(v: unknown, field: string): Date | null {
  if (v === undefined || v === null || v === '') return null;
  const ms = parseSnapTimestamp(v);
  if (ms === null) throw new Error(`${field} is not a date-time: ${JSON.stringify(v)}`);
  return new Date(ms);
}

function vaData(body: Json): Json {
  if (!isRecord(body.virtualAccountData)) throw new Error('virtualAccountData missing');
  return body.virtualAccountData;
}

/** The trxId is optional in some answers (delete-va); the request's stands in for it. */
const toCreated =
  (trxId: string) =>
  (body: Json): VaCreated => {
    const data = vaData(body);
    return {
      trxId: text(data.trxId) ?? trxId,
      virtualAccount: normalizeVirtualAccount(requiredText(data.virtualAccountNo, 'virtualAccountNo')),
    };
  };

const toBill =
  (trxId: string) =>
  (body: Json): SnapBill => {
    const data = vaData(body);
    const trxType = data.virtualAccountTrxType ?? 'C';
    const billingType = billingTypeOf(trxType);
    if (!billingType) throw new Error(`unknown virtualAccountTrxType ${JSON.stringify(trxType)}`);
    return {
      trxId: text(data.trxId) ?? trxId,
      virtualAccount: normalizeVirtualAccount(requiredText(data.virtualAccountNo, 'virtualAccountNo')),
      amount: parseSnapAmount(data.totalAmount, 'totalAmount'),
      billingType,
      customerName: text(data.virtualAccountName) ?? '',
      expiresAt: dateTime(data.expiredDate, 'expiredDate'),
    };
  };

function toPayment(body: Json): SnapPayment {
  const data = vaData(body);
  const cumulative = cumulativeAmountOf(data);
  return {
    trxId: text(data.trxId),
    paymentRequestId: requiredText(data.paymentRequestId, 'paymentRequestId'),
    paidAmount: parseSnapAmount(data.paidAmount, 'paidAmount'),
    cumulative: cumulative === undefined ? null : parseSnapAmount(cumulative, 'cumulativePaymentAmount'),
    paidAt: dateTime(data.trxDateTime ?? data.transactionDate, 'trxDateTime'),
    succeeded: data.paymentFlagStatus === '00',
  };
}

interface IssuedToken {
  accessToken: string;
  expiresInSeconds: number;
}

function toToken(body: Json): IssuedToken {
  const accessToken = requiredText(body.accessToken, 'accessToken');
  const raw = body.expiresIn;
  // SNAP writes expiresIn as a string ("900"); some banks send a number.
  const seconds = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new Error(`expiresIn is not a lifetime: ${JSON.stringify(raw)}`);
  }
  return { accessToken, expiresInSeconds: seconds };
}

/** A SNAP answer: the body's responseCode decides; the HTTP status only when there is none. */
function readAnswer<T>(httpStatus: number, raw: string, parse: (body: Json) => T): Reading<T> {
  let body: unknown;
  try {
    body = storable(JSON.parse(raw));
  } catch {
    body = undefined;
  }
  if (!isRecord(body) || !parseResponseCode(body.responseCode)) {
    const byHttp = outcomeForHttpStatus(httpStatus);
    return {
      // A 2xx we cannot read is no success: whether it took effect is unknown.
      result: {
        outcome: byHttp === 'ok' ? 'transient' : byHttp,
        code: 'bad_response',
        message: `HTTP ${httpStatus} without a SNAP responseCode`,
      },
      response: storable(raw),
    };
  }
  const message = typeof body.responseMessage === 'string' ? body.responseMessage : undefined;
  const status = interpretResponseCode(body.responseCode as string, message) as BankResult;
  if (status.outcome !== 'ok') return { result: withoutData(status), response: body };
  try {
    return { result: { ...status, data: parse(body) }, response: body };
  } catch (e) {
    const unusable = `Success answer with unusable data: ${(e as Error).message}`;
    return { result: { outcome: 'transient', code: 'bad_response', message: unusable }, response: body };
  }
}

/** Failures after which a create may or may not have taken effect at the bank. */
function ambiguous(r: BankResult<unknown>): boolean {
  return r.outcome === 'timeout' || (r.outcome === 'transient' && (r.code === 'network' || r.code === 'bad_response'));
}

export class SnapVaConnector implements VaConnector {
  readonly channelCode: string;
  private readonly http: AxiosInstance;
  private readonly gate: Gate;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly now: () => number;
  private readonly privateKey: KeyObject;
  private readonly baseUrl: string;
  private token: { value: string; refreshAt: number } | null = null;
  private pendingToken: Promise<BankResult<string>> | null = null;

  constructor(private readonly options: SnapVaOptions) {
    this.channelCode = options.channelCode;
    this.retries = options.retries ?? 2;
    this.retryBaseMs = options.retryBaseMs ?? 250;
    this.now = options.now ?? Date.now;
    // Parsed once, so a broken key fails at start and not on the first payment of the day.
    this.privateKey = crypto.createPrivateKey(options.privateKeyPem);
    // Likewise a partnerServiceId that cannot be padded to 8 characters: it throws here.
    padPartnerServiceId(options.partnerServiceId);
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.gate = options.gate ?? ungated;
    this.http = axios.create({
      timeout: options.timeoutMs,
      // The body is signed byte for byte: axios must send the string as it is.
      transformRequest: [(data: unknown) => data],
      // The raw text, whatever it is: a gateway's HTML error page must not throw inside axios.
      responseType: 'text',
      transformResponse: (body: unknown) => body,
      validateStatus: () => true,
    });
  }

  async createVa(req: VaRequest): Promise<BankResult<VaCreated>> {
    const body = this.vaBody(req);
    const address = this.address(req.virtualAccount);
    let result = await this.call('create-va', body, req.trxId, toCreated(req.trxId));
    for (let attempt = 1; ; attempt++) {
      if (result.outcome === 'duplicate_reference') return this.claimDuplicate(req, result);
      if (ambiguous(result)) {
        // The first call may have created the VA; a blind retry would then answer 409.
        const existing = await this.readBill(req.trxId, address);
        if (existing.outcome === 'ok' && existing.data) return this.adopt(req, existing);
      } else if (result.outcome !== 'transient') {
        return result;
      }
      if (attempt > this.retries) return result;
      await sleep(backoffMs(this.retryBaseMs, attempt));
      result = await this.call('create-va', body, req.trxId, toCreated(req.trxId));
    }
  }

  /** update-va replaces the VA: every field goes every time, like create. */
  updateVa(req: VaRequest): Promise<BankResult<VaCreated>> {
    const body = this.vaBody(req);
    return this.withRetries(() => this.call('update-va', body, req.trxId, toCreated(req.trxId)));
  }

  /**
   * The bill from inquiry-va, its payments from status. Without the VA number SNAP cannot find the
   * bill, so the answer is invalid_request and nothing is sent.
   */
  async inquireVa(trxId: string, virtualAccount?: string): Promise<BankResult<VaState>> {
    if (virtualAccount === undefined) {
      return {
        outcome: 'invalid_request',
        code: 'no_virtual_account',
        message: 'SNAP addresses a VA by its number: inquireVa needs the virtual account',
      };
    }
    const address = this.address(virtualAccount);
    const bill = await this.withRetries(() => this.readBill(trxId, address));
    if (bill.outcome !== 'ok' || !bill.data) return withoutData(bill);
    // SNAP requires an inquiryRequestId; a bank-hosted VA had no inquiry (24) of ours, so a fresh id stands in.
    const status = await this.withRetries(() =>
      this.call('status', { ...address, inquiryRequestId: newExternalId(this.now()) }, trxId, toPayment),
    );
    if (status.outcome !== 'ok' && status.outcome !== 'not_found') return withoutData(status);
    // The latest payment on the VA may belong to an earlier bill that used the same number.
    const payment = status.data?.succeeded && (status.data.trxId ?? trxId) === trxId ? status.data : null;
    const { amount, billingType } = bill.data;
    const paidAmount =
      payment === null ? 0 : (payment.cumulative ?? (SINGLE_PAYMENT.has(billingType) ? payment.paidAmount : null));
    if (paidAmount === null) {
      return {
        outcome: 'invalid_request',
        code: 'no_cumulative',
        message: `The bank reports only the last payment of this type ${billingType} VA, not the total paid`,
      };
    }
    const settled = SINGLE_PAYMENT.has(billingType) ? paidAmount > 0 : billingType === 'i' && paidAmount >= amount;
    const expired = bill.data.expiresAt !== null && bill.data.expiresAt.getTime() <= this.now();
    return {
      outcome: 'ok',
      code: bill.code,
      message: bill.message,
      data: {
        trxId,
        virtualAccount: bill.data.virtualAccount,
        amount,
        paidAmount,
        active: !settled && !expired,
        customerName: bill.data.customerName,
        expiresAt: bill.data.expiresAt,
        lastPaymentRef: payment?.paymentRequestId ?? null,
        lastPaymentAt: payment?.paidAt ?? null,
        createdAt: null,
      },
    };
  }

  deactivateVa(trxId: string, virtualAccount: string): Promise<BankResult<VaCreated>> {
    const body = { ...this.address(virtualAccount), trxId };
    return this.withRetries(() => this.call('delete-va', body, trxId, toCreated(trxId)));
  }

  private address(virtualAccount: string): VaAddress {
    return addressVirtualAccount(this.options.partnerServiceId, virtualAccount);
  }

  /** Every field of a VA, for create and update alike; a bad amount or VA throws before any call. */
  private vaBody(req: VaRequest): Json {
    return {
      ...this.address(req.virtualAccount),
      virtualAccountName: req.customerName,
      virtualAccountEmail: req.customerEmail ?? '',
      virtualAccountPhone: req.customerPhone ?? '',
      trxId: req.trxId,
      totalAmount: formatSnapAmount(req.amount),
      virtualAccountTrxType: trxTypeFor(req.billingType),
      expiredDate: formatSnapTimestamp(req.expiresAt),
      additionalInfo: { description: req.description },
    };
  }

  /** One inquiry-va; a VA that now carries another trxId is not our bill. */
  private async readBill(trxId: string, address: VaAddress): Promise<BankResult<SnapBill>> {
    const bill = await this.call('inquiry-va', { ...address, trxId }, trxId, toBill(trxId));
    if (bill.outcome === 'ok' && bill.data && bill.data.trxId !== trxId) {
      return {
        outcome: 'not_found',
        code: 'other_trx',
        message: `VA ${bill.data.virtualAccount} carries trxId ${bill.data.trxId} at the bank, not ${trxId}`,
      };
    }
    return bill;
  }

  /**
   * A duplicate after our own create timed out (or a previous run crashed) is not a conflict: the
   * bank's VA is ours when it carries our amount and VA number.
   */
  private async claimDuplicate(req: VaRequest, duplicate: BankResult<VaCreated>): Promise<BankResult<VaCreated>> {
    const existing = await this.withRetries(() => this.readBill(req.trxId, this.address(req.virtualAccount)));
    if (existing.outcome === 'ok' && existing.data) return this.adopt(req, existing);
    return existing.outcome === 'not_found' ? duplicate : withoutData(existing);
  }

  private adopt(req: VaRequest, found: BankResult<SnapBill>): BankResult<VaCreated> {
    const bill = found.data as SnapBill;
    if (bill.amount === req.amount && bill.virtualAccount === normalizeVirtualAccount(req.virtualAccount)) {
      return {
        outcome: 'ok',
        code: found.code,
        message: 'VA already at the bank from an earlier attempt',
        data: { trxId: bill.trxId, virtualAccount: bill.virtualAccount },
      };
    }
    const holder = `amount ${bill.amount}, VA ${bill.virtualAccount}`;
    return {
      outcome: 'duplicate_reference',
      code: 'other_bill',
      message: `trxId ${req.trxId} is used at the bank by another bill (${holder})`,
    };
  }

  /** For operations that are safe to repeat as they are; throttling is returned, the job queue backs off. */
  private async withRetries<T>(attempt: () => Promise<BankResult<T>>): Promise<BankResult<T>> {
    let result = await attempt();
    for (let n = 1; n <= this.retries; n++) {
      if (result.outcome !== 'transient' && result.outcome !== 'timeout') break;
      await sleep(backoffMs(this.retryBaseMs, n));
      result = await attempt();
    }
    return result;
  }

  /** A transaction with a valid token; a token the bank no longer knows is replaced once. */
  private async call<T>(service: ServiceName, body: Json, trxId: string, parse: (b: Json) => T): Promise<BankResult<T>> {
    for (let attempt = 1; ; attempt++) {
      const token = await this.accessToken();
      if (token.outcome !== 'ok' || token.data === undefined) return withoutData(token);
      const result = await this.send(service, body, trxId, token.data, parse);
      if (!isTokenRejection(result.code)) return result;
      this.dropToken(token.data);
      if (attempt === 2) return result;
    }
  }

  private send<T>(
    service: ServiceName,
    body: Json,
    trxId: string,
    accessToken: string,
    parse: (b: Json) => T,
  ): Promise<BankResult<T>> {
    const { clientId, clientSecret, channelId } = this.options;
    const { method } = SERVICES[service];
    const url = `${this.baseUrl}/v1.0/transfer-va/${service}`;
    const { pathname, search } = new URL(url);
    const path = pathname + search;
    const timestamp = formatSnapTimestamp(this.now());
    const externalId = newExternalId(this.now());
    const text = JSON.stringify(body);
    return this.exchange(
      {
        operation: service,
        trxId,
        method,
        url,
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${accessToken}`,
          'X-TIMESTAMP': timestamp,
          'X-PARTNER-ID': clientId,
          'X-EXTERNAL-ID': externalId,
          'CHANNEL-ID': channelId,
          'X-SIGNATURE': symmetricSignature(clientSecret, method, path, accessToken, text, timestamp),
        },
        body: text,
        logged: { method, path, timestamp, externalId, body },
      },
      (status, raw) => readAnswer(status, raw, parse),
    );
  }

  /** The cached token, or one fetch that every concurrent caller waits for. */
  private accessToken(): Promise<BankResult<string>> {
    if (this.token && this.now() < this.token.refreshAt) {
      return Promise.resolve({ outcome: 'ok', code: 'cached', message: 'Cached access token', data: this.token.value });
    }
    this.pendingToken ??= this.fetchToken().finally(() => {
      this.pendingToken = null;
    });
    return this.pendingToken;
  }

  /** Only the token that was refused: a caller that already refreshed keeps the new one. */
  private dropToken(value: string): void {
    if (this.token?.value === value) this.token = null;
  }

  private async fetchToken(): Promise<BankResult<string>> {
    const { clientId } = this.options;
    const url = `${this.baseUrl}${TOKEN_PATH}`;
    const timestamp = formatSnapTimestamp(this.now());
    const body = { grantType: 'client_credentials' };
    const requestedAt = this.now();
    const result = await this.exchange(
      {
        operation: 'access-token-b2b',
        trxId: null,
        method: 'POST',
        url,
        headers: {
          'Content-Type': 'application/json',
          'X-TIMESTAMP': timestamp,
          'X-CLIENT-KEY': clientId,
          'X-SIGNATURE': asymmetricSignature(this.privateKey, clientId, timestamp),
        },
        body: JSON.stringify(body),
        logged: { method: 'POST', path: new URL(url).pathname, timestamp, body },
      },
      (status, raw) => {
        const reading = readAnswer(status, raw, toToken);
        const response = isRecord(reading.response) && 'accessToken' in reading.response
          ? { ...reading.response, accessToken: '[redacted]' }
          : reading.response;
        return { result: reading.result, response };
      },
    );
    if (result.outcome !== 'ok' || !result.data) return withoutData(result);
    const lifetime = result.data.expiresInSeconds;
    // Counted from before the request, so the bank's clock started no earlier than ours.
    const usable = lifetime - Math.min(TOKEN_MARGIN_SECONDS, lifetime / 2);
    this.token = { value: result.data.accessToken, refreshAt: requestedAt + usable * 1000 };
    return { ...withoutData(result), data: result.data.accessToken };
  }

  /** One HTTP call, reported through onCall whatever happens. */
  private async exchange<T>(
    call: Exchange,
    read: (httpStatus: number, raw: string) => Reading<T>,
  ): Promise<BankResult<T>> {
    let started = performance.now();
    let result: BankResult<T>;
    let response: unknown = null;
    let error: string | undefined;
    try {
      const res = await this.gate(() => {
        started = performance.now();
        return this.http.request<string>({
          method: call.method,
          url: call.url,
          headers: call.headers,
          data: call.body,
        });
      });
      ({ result, response } = read(res.status, res.data));
    } catch (e) {
      if (!axios.isAxiosError(e)) throw e;
      error = e.message;
      result =
        e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT'
          ? { outcome: 'timeout', code: 'timeout', message: `No answer within ${this.options.timeoutMs} ms` }
          : { outcome: 'transient', code: 'network', message: `${e.code ?? 'network error'}: ${e.message}` };
    }
    await this.options.onCall?.({
      operation: call.operation,
      trxId: call.trxId,
      request: call.logged,
      response,
      statusCode: result.code,
      outcome: result.outcome,
      durationMs: Math.round(performance.now() - started),
      error,
    });
    return result;
  }
}
