import crypto, { type KeyObject } from 'node:crypto';
import type {
  BankNotification,
  CallbackAnswer,
  CallbackRequest,
  NotificationHandler,
  NotificationVerdict,
} from '../types';
import { cumulativeAmountOf, normalizeVirtualAccount, padPartnerServiceId, parseSnapAmount } from './fields';
import { SERVICE_CODES, buildResponseCode } from './response-codes';
import {
  formatSnapTimestamp,
  parseSnapTimestamp,
  verifyAsymmetricSignature,
  verifyNotificationSignature,
  verifySymmetricSignature,
} from './signatures';

/**
 * The inbound half of SNAP: the bank's payment notification (service 25,
 * `POST …/v1.0/transfer-va/payment`) and, for banks that want one, the access token they request
 * from us first.
 *
 * How a bank proves a notification is its own varies, so the channel configures it:
 * - hmac: a bearer token (ours, from snapTokenEndpoint) and X-SIGNATURE = HMAC-SHA512 with the
 *   shared client secret over `METHOD:path:token:lowerhex(sha256(body)):timestamp`;
 * - rsa: X-SIGNATURE = RSA-SHA256 with the bank's private key over
 *   `METHOD:path:lowerhex(sha256(body)):timestamp`.
 * The path is the one received (CallbackRequest.path), which is the path the bank called as long as
 * no proxy in between rewrites it.
 */

/** Why a notification was refused; the intake passes it back to `answer`, optionally as `code:detail`. */
export const SNAP_REJECT_CODES = [
  'missing_header',
  'bad_timestamp',
  'stale_timestamp',
  'missing_token',
  'invalid_token',
  'bad_signature',
  'wrong_partner',
  'malformed_json',
  'missing_field',
  'invalid_field',
] as const;

export type SnapRejectCode = (typeof SNAP_REJECT_CODES)[number];

/** `missing_field:paymentRequestId` says which; the detail is always one of our own field names. */
export type SnapRejectReason = SnapRejectCode | `${SnapRejectCode}:${string}`;

export type SnapVerification =
  | { mode: 'hmac'; clientSecret: string; acceptedTokens?: (token: string) => boolean }
  | { mode: 'rsa'; bankPublicKeyPem: string };

export interface SnapNotificationOptions {
  channelCode: string;
  /** The company code the bank assigned us; notifications for any other are refused. */
  partnerServiceId: string;
  verification: SnapVerification;
  now?: () => number;
  /** How far X-TIMESTAMP may be from our clock, either way. */
  clockSkewSeconds?: number;
}

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function header(headers: CallbackRequest['headers'], name: string): string | undefined {
  const v = headers[name.toLowerCase()] ?? headers[name];
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined || first === '' ? undefined : first;
}

function bearer(headers: CallbackRequest['headers']): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header(headers, 'Authorization') ?? '');
  return m ? m[1] : undefined;
}

/** A refusal, carried as an exception only inside verify so each check reads as one line. */
class Rejection extends Error {
  constructor(readonly reason: SnapRejectReason) {
    super(reason);
  }
}

function reject(reason: SnapRejectReason): never {
  throw new Rejection(reason);
}

function mandatoryText(body: Json, field: string): string {
  const v = body[field];
  if (v === undefined || v === null || v === '') reject(`missing_field:${field}`);
  if (typeof v !== 'string') reject(`invalid_field:${field}`);
  return v;
}

function amountField(value: unknown, field: string): number {
  if (value === undefined || value === null) reject(`missing_field:${field}`);
  try {
    return parseSnapAmount(value, field);
  } catch {
    return reject(`invalid_field:${field}`);
  }
}

/** The fields of the notification's VA data that the bank expects to see again in our answer. */
const ECHOED = [
  'partnerServiceId',
  'customerNo',
  'virtualAccountNo',
  'virtualAccountName',
  'virtualAccountEmail',
  'virtualAccountPhone',
  'trxId',
  'paymentRequestId',
  'paidAmount',
  'paidBills',
  'totalAmount',
  'trxDateTime',
  'referenceNo',
  'journalNum',
  'paymentType',
  'billDetails',
  'freeTexts',
];

function answerBody(responseCode: string, responseMessage: string, extra: Json = {}): Json {
  return { responseCode, responseMessage, ...extra };
}

const PAYMENT = SERVICE_CODES.payment;

/** HTTP status, case and message per refusal: SNAP's codes for the payment service (25). */
const REJECTIONS: Record<SnapRejectCode, { http: number; case: string; message: (detail?: string) => string }> = {
  missing_header: { http: 400, case: '02', message: (d) => `Invalid Mandatory Field [${d ?? 'header'}]` },
  bad_timestamp: { http: 400, case: '01', message: () => 'Invalid Field Format [X-TIMESTAMP]' },
  stale_timestamp: { http: 401, case: '00', message: () => 'Unauthorized. [X-TIMESTAMP outside allowed skew]' },
  // 401xx01 rather than xx00: it is what tells a bank's client to fetch a new token.
  missing_token: { http: 401, case: '01', message: () => 'Invalid Token (B2B)' },
  invalid_token: { http: 401, case: '01', message: () => 'Invalid Token (B2B)' },
  bad_signature: { http: 401, case: '00', message: () => 'Unauthorized. [Signature]' },
  wrong_partner: { http: 401, case: '00', message: () => 'Unauthorized. [Unknown partner]' },
  malformed_json: { http: 400, case: '01', message: () => 'Invalid Field Format [body]' },
  missing_field: { http: 400, case: '02', message: (d) => `Invalid Mandatory Field [${d ?? 'body'}]` },
  invalid_field: { http: 400, case: '01', message: (d) => `Invalid Field Format [${d ?? 'body'}]` },
};

/**
 * A rejection in SNAP's own words. A reason this module did not produce (the intake's own) gets a
 * plain 401, and its text is not shown to the bank.
 */
function snapRejection(reason: string | undefined, service: string, headers: Record<string, string>): CallbackAnswer {
  const [code, detail] = (reason ?? '').split(/:(.*)/s);
  const known = (SNAP_REJECT_CODES as readonly string[]).includes(code) ? REJECTIONS[code as SnapRejectCode] : undefined;
  if (!known) {
    return { status: 401, headers, body: answerBody(buildResponseCode(401, service, '00'), 'Unauthorized. [Rejected]') };
  }
  return {
    status: known.http,
    headers,
    body: answerBody(buildResponseCode(known.http, service, known.case), known.message(detail || undefined)),
  };
}

export class SnapNotificationHandler implements NotificationHandler {
  readonly channelCode: string;
  private readonly partnerServiceId: string;
  private readonly now: () => number;
  private readonly skewMs: number;
  private readonly bankPublicKey: KeyObject | null;

  constructor(private readonly options: SnapNotificationOptions) {
    this.channelCode = options.channelCode;
    this.partnerServiceId = padPartnerServiceId(options.partnerServiceId).trim();
    this.now = options.now ?? Date.now;
    this.skewMs = (options.clockSkewSeconds ?? 300) * 1000;
    const { verification } = options;
    // Parsed once, so a broken key fails at start and not on the first payment.
    this.bankPublicKey = verification.mode === 'rsa' ? crypto.createPublicKey(verification.bankPublicKeyPem) : null;
  }

  verify(req: CallbackRequest): NotificationVerdict {
    let decoded: unknown;
    try {
      decoded = JSON.parse(req.rawBody.toString('utf8'));
    } catch {
      decoded = undefined;
    }
    try {
      this.authenticate(req);
      if (!isRecord(decoded)) reject('malformed_json');
      // PostgreSQL text cannot hold a NUL character, and no genuine notification has one.
      if (JSON.stringify(decoded).includes('\\u0000')) reject('invalid_field:body');
      return { ok: true, notification: this.read(decoded), decoded };
    } catch (e) {
      if (!(e instanceof Rejection)) throw e;
      return decoded === undefined ? { ok: false, reason: e.reason } : { ok: false, reason: e.reason, decoded };
    }
  }

  /**
   * accepted: 2002500 with the VA data echoed and paymentFlagStatus "00". The answer depends only on
   * the notification's content, so a resend (flagAdvise "Y") gets the original answer again.
   * failed (genuine, not recorded): 5002500, which a bank treats as "send it again".
   */
  answer(kind: 'accepted' | 'rejected' | 'failed', ctx: { reason?: string; decoded?: unknown }): CallbackAnswer {
    const headers = { 'Content-Type': 'application/json', 'X-TIMESTAMP': formatSnapTimestamp(this.now()) };
    if (kind === 'rejected') return snapRejection(ctx.reason, PAYMENT, headers);
    if (kind === 'failed') {
      return { status: 500, headers, body: answerBody(buildResponseCode(500, PAYMENT, '00'), 'General Error') };
    }
    const request = isRecord(ctx.decoded) ? ctx.decoded : {};
    const virtualAccountData: Json = {};
    for (const field of ECHOED) if (request[field] !== undefined) virtualAccountData[field] = request[field];
    virtualAccountData.paymentFlagReason = { english: 'Success', indonesia: 'Sukses' };
    virtualAccountData.paymentFlagStatus = '00';
    return {
      status: 200,
      headers,
      body: answerBody(buildResponseCode(200, PAYMENT, '00'), 'Successful', { virtualAccountData }),
    };
  }

  /** Headers, clock, token and signature, in the order that tells a bank's engineer the most. */
  private authenticate(req: CallbackRequest): void {
    const timestamp = header(req.headers, 'X-TIMESTAMP') ?? reject('missing_header:X-TIMESTAMP');
    const signature = header(req.headers, 'X-SIGNATURE') ?? reject('missing_header:X-SIGNATURE');
    const partnerId = header(req.headers, 'X-PARTNER-ID') ?? reject('missing_header:X-PARTNER-ID');
    const at = parseSnapTimestamp(timestamp) ?? reject('bad_timestamp');
    if (Math.abs(at - this.now()) > this.skewMs) reject('stale_timestamp');
    // Banks send our company code here; a notification for another channel must not pass.
    if (partnerId.trim() !== this.partnerServiceId) reject('wrong_partner');

    const { verification } = this.options;
    if (verification.mode === 'hmac') {
      const token = bearer(req.headers) ?? reject('missing_token');
      if (verification.acceptedTokens && !verification.acceptedTokens(token)) reject('invalid_token');
      const genuine = verifySymmetricSignature(
        verification.clientSecret,
        req.method,
        req.path,
        token,
        req.rawBody,
        timestamp,
        signature,
      );
      if (!genuine) reject('bad_signature');
    } else {
      const key = this.bankPublicKey as KeyObject;
      const genuine = verifyNotificationSignature(key, req.method, req.path, req.rawBody, timestamp, signature);
      if (!genuine) reject('bad_signature');
    }
  }

  private read(body: Json): BankNotification {
    const partnerServiceId = mandatoryText(body, 'partnerServiceId');
    if (partnerServiceId.trim() !== this.partnerServiceId) reject('wrong_partner');
    const virtualAccount = normalizeVirtualAccount(mandatoryText(body, 'virtualAccountNo'));
    if (!virtualAccount.startsWith(this.partnerServiceId)) reject('invalid_field:virtualAccountNo');
    const customerNo = body.customerNo;
    const consistent = typeof customerNo === 'string' && this.partnerServiceId + customerNo.trim() === virtualAccount;
    if (customerNo !== undefined && !consistent) reject('invalid_field:customerNo');
    const paymentRef = mandatoryText(body, 'paymentRequestId');
    const trxId = mandatoryText(body, 'trxId');
    const amount = amountField(body.paidAmount, 'paidAmount');
    if (amount <= 0) reject('invalid_field:paidAmount');
    const cumulativeRaw = cumulativeAmountOf(body);
    const cumulative = cumulativeRaw === undefined ? null : amountField(cumulativeRaw, 'cumulativePaymentAmount');
    const paidAt = parseSnapTimestamp(mandatoryText(body, 'trxDateTime')) ?? reject('invalid_field:trxDateTime');
    if (body.flagAdvise !== undefined && body.flagAdvise !== 'Y' && body.flagAdvise !== 'N') {
      reject('invalid_field:flagAdvise');
    }
    const name = body.virtualAccountName;
    return {
      trxId,
      virtualAccount,
      paymentRef,
      amount,
      cumulative,
      paidAt: new Date(paidAt),
      customerName: typeof name === 'string' && name.trim() !== '' ? name : null,
    };
  }
}

/** Access tokens we issue to a bank: self-contained and HMAC-signed, so any API process can check one. */
export interface SnapTokenEndpointOptions {
  channelCode: string;
  /** The X-CLIENT-KEY the bank sends: the client id we gave it. */
  bankClientKey: string;
  /** Verifies the bank's signature on its token request. */
  bankPublicKeyPem: string;
  /** Signs our tokens; every API process of the deployment shares it, nothing else needs to. */
  tokenSecret: string;
  /** 900 unless the agreement with the bank says otherwise. */
  lifetimeSeconds?: number;
  now?: () => number;
  clockSkewSeconds?: number;
}

export interface SnapTokenEndpoint {
  /** The answer to the bank's `POST …/v1.0/access-token/b2b`. */
  answer(req: CallbackRequest): CallbackAnswer;
  /** For SnapVerification.acceptedTokens: issued here, for this channel, and not expired. */
  acceptsToken(token: string): boolean;
}

/**
 * A token is `<expiry in epoch seconds>.<random>.<mac>`, the MAC over channel, client key, expiry and
 * random part: a token issued for one channel is refused on another even with a shared secret.
 */
export function snapTokenEndpoint(options: SnapTokenEndpointOptions): SnapTokenEndpoint {
  const now = options.now ?? Date.now;
  const lifetime = options.lifetimeSeconds ?? 900;
  const skewMs = (options.clockSkewSeconds ?? 300) * 1000;
  const bankKey = crypto.createPublicKey(options.bankPublicKeyPem);
  const service = SERVICE_CODES.accessToken;

  const mac = (payload: string) =>
    crypto
      .createHmac('sha256', options.tokenSecret)
      .update(`${options.channelCode}|${options.bankClientKey}|${payload}`)
      .digest('base64url');

  function issue(): string {
    const payload = `${Math.floor(now() / 1000) + lifetime}.${crypto.randomBytes(16).toString('base64url')}`;
    return `${payload}.${mac(payload)}`;
  }

  function acceptsToken(token: string): boolean {
    const m = /^(\d{1,12})\.([\w-]{22})\.([\w-]{43})$/.exec(token);
    if (!m) return false;
    const expected = Buffer.from(mac(`${m[1]}.${m[2]}`));
    const given = Buffer.from(m[3]);
    return crypto.timingSafeEqual(expected, given) && Number(m[1]) * 1000 > now();
  }

  function answer(req: CallbackRequest): CallbackAnswer {
    const headers = { 'Content-Type': 'application/json', 'X-TIMESTAMP': formatSnapTimestamp(now()) };
    const fail = (http: number, caseCode: string, message: string): CallbackAnswer => ({
      status: http,
      headers,
      body: answerBody(buildResponseCode(http, service, caseCode), message),
    });
    const clientKey = header(req.headers, 'X-CLIENT-KEY');
    const timestamp = header(req.headers, 'X-TIMESTAMP');
    const signature = header(req.headers, 'X-SIGNATURE');
    if (!clientKey) return fail(400, '02', 'Invalid Mandatory Field [X-CLIENT-KEY]');
    if (!timestamp) return fail(400, '02', 'Invalid Mandatory Field [X-TIMESTAMP]');
    if (!signature) return fail(400, '02', 'Invalid Mandatory Field [X-SIGNATURE]');
    const at = parseSnapTimestamp(timestamp);
    if (at === null) return fail(400, '01', 'Invalid Field Format [X-TIMESTAMP]');
    if (clientKey !== options.bankClientKey) return fail(401, '00', 'Unauthorized. [Unknown client]');
    if (Math.abs(at - now()) > skewMs) return fail(401, '00', 'Unauthorized. [X-TIMESTAMP outside allowed skew]');
    if (!verifyAsymmetricSignature(bankKey, clientKey, timestamp, signature)) {
      return fail(401, '00', 'Unauthorized. [Signature]');
    }
    let body: unknown;
    try {
      body = JSON.parse(req.rawBody.toString('utf8'));
    } catch {
      return fail(400, '01', 'Invalid Field Format [body]');
    }
    if (!isRecord(body) || body.grantType === undefined) return fail(400, '02', 'Invalid Mandatory Field [grantType]');
    if (body.grantType !== 'client_credentials') return fail(400, '01', 'Invalid Field Format [grantType]');
    return {
      status: 200,
      headers,
      body: answerBody(buildResponseCode(200, service, '00'), 'Successful', {
        accessToken: issue(),
        tokenType: 'Bearer',
        expiresIn: String(lifetime),
      }),
    };
  }

  return { answer, acceptsToken };
}
