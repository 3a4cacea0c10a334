import http from 'node:http';
import https from 'node:https';
import type { BankCallLog, BankResult, VaConnector, VaCreated, VaRequest, VaState } from '../types';
import { decrypt, encrypt } from './bni-enc';
import { interpretStatus } from './status-codes';
import { backoffMs, sleep, withoutData } from '../retry';
import { ungated, type Gate } from '../slots';
import { storable } from '../storable';

export interface BniEcollectionOptions {
  channelCode: string;
  baseUrl: string;
  clientId: string;
  secret: string;
  prefix: string;
  timeoutMs: number;
  /** Extra attempts after a transient failure or a timeout. */
  retries?: number;
  /** First backoff step; each further attempt doubles it, with jitter. */
  retryBaseMs?: number;
  /** Called once per HTTP call, awaited: a failure here fails the operation. */
  onCall?: (log: BankCallLog) => void | Promise<void>;
  /** Admits each HTTP exchange (the channel's limit of calls in flight); by default every one at once. */
  gate?: Gate;
  /** Milliseconds since the epoch, for the cipher's timestamp. */
  now?: () => number;
}

type Payload = Record<string, unknown>;
type Data = Record<string, unknown>;

const WIB_OFFSET_MS = 7 * 3600 * 1000;

/** `YYYY-MM-DD HH:mm:ss` in WIB, the naive form BNI writes. */
export function formatWib(at: Date): string {
  return new Date(at.getTime() + WIB_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** ISO-8601 with an explicit `+07:00`, the form we send. */
export function formatWibIso(at: Date): string {
  return `${new Date(at.getTime() + WIB_OFFSET_MS).toISOString().slice(0, 19)}+07:00`;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A BNI date-time as an instant. Without an offset it is WIB (BNI's rule), never the process's own
 * zone. Null for anything else, including impossible dates such as 2027-02-30.
 */
export function parseBniDateTime(value: unknown): Date | null {
  const m = typeof value === 'string' ? DATE_TIME.exec(value) : null;
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const wall = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Date.UTC rolls 24:00 or February 30 over silently; a round trip catches it.
  if (wall.toISOString().slice(0, 19) !== `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`) return null;
  const zone = m[7];
  let offsetMinutes = 7 * 60;
  if (zone === 'Z') offsetMinutes = 0;
  else if (zone) {
    const digits = zone.replace(':', '');
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  return new Date(wall.getTime() - offsetMinutes * 60_000);
}

/** Failures after which a createbilling may or may not have taken effect at the bank. */
const AMBIGUOUS = new Set(['timeout', 'network', 'bad_response']);

function isRecord(v: unknown): v is Data {
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

/** BNI writes amounts as digit strings and an unset one as null; anything else is a bad answer. */
function rupiah(v: unknown, field: string): number {
  if (v === null || v === undefined) return 0;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw new Error(`${field} is not a whole amount: ${JSON.stringify(v)}`);
  return n;
}

function digits(amount: number): string {
  if (!Number.isSafeInteger(amount) || amount < 0) {
    throw new RangeError(`amount must be a whole, non-negative number of rupiah, got ${amount}`);
  }
  return String(amount);
}

function toCreated(data: Data): VaCreated {
  return {
    trxId: requiredText(data.trx_id, 'trx_id'),
    virtualAccount: requiredText(data.virtual_account, 'virtual_account'),
  };
}

function toState(data: Data): VaState {
  return {
    trxId: requiredText(data.trx_id, 'trx_id'),
    virtualAccount: requiredText(data.virtual_account, 'virtual_account'),
    amount: rupiah(data.trx_amount, 'trx_amount'),
    paidAmount: rupiah(data.payment_amount, 'payment_amount'),
    active: String(data.va_status) === '1',
    customerName: text(data.customer_name) ?? '',
    expiresAt: parseBniDateTime(data.datetime_expired ?? data.datetime_expired_iso8601),
    lastPaymentRef: text(data.payment_ntb),
    lastPaymentAt: parseBniDateTime(data.datetime_payment ?? data.datetime_payment_iso8601),
    createdAt: parseBniDateTime(data.datetime_created ?? data.datetime_created_iso8601),
  };
}

/** The request got no complete answer within the connector's timeout. */
class NoAnswer extends Error {}

interface HttpAnswer {
  status: number;
  body: string;
}

export class BniEcollectionConnector implements VaConnector {
  readonly channelCode: string;
  private readonly url: URL;
  private readonly transport: typeof http | typeof https;
  /** Keep-alive: a channel's calls reuse their connections instead of a handshake each. */
  private readonly agent: http.Agent;
  private readonly gate: Gate;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly now: () => number;

  constructor(private readonly options: BniEcollectionOptions) {
    this.channelCode = options.channelCode;
    this.retries = options.retries ?? 2;
    this.retryBaseMs = options.retryBaseMs ?? 250;
    this.now = options.now ?? Date.now;
    this.url = new URL(options.baseUrl);
    this.transport = this.url.protocol === 'https:' ? https : http;
    this.agent = new this.transport.Agent({ keepAlive: true });
    this.gate = options.gate ?? ungated;
  }

  async createVa(req: VaRequest): Promise<BankResult<VaCreated>> {
    const payload = {
      trx_id: req.trxId,
      trx_amount: digits(req.amount),
      billing_type: req.billingType,
      customer_name: req.customerName,
      customer_email: req.customerEmail ?? '',
      customer_phone: req.customerPhone ?? '',
      virtual_account: req.virtualAccount,
      datetime_expired: formatWibIso(req.expiresAt),
      description: req.description,
    };
    let result = await this.call('createbilling', payload, toCreated);
    for (let attempt = 1; ; attempt++) {
      if (result.outcome === 'duplicate_reference') return this.claimDuplicate(req, result);
      if (AMBIGUOUS.has(result.code)) {
        // The first call may have created the bill; a blind retry would then answer 105.
        const existing = await this.call('inquirybilling', { trx_id: req.trxId }, toState);
        if (existing.outcome === 'ok' && existing.data) return this.adopt(req, existing.data);
      } else if (result.outcome !== 'transient') {
        return result;
      }
      if (attempt > this.retries) return result;
      await sleep(backoffMs(this.retryBaseMs, attempt));
      result = await this.call('createbilling', payload, toCreated);
    }
  }

  updateVa(req: VaRequest): Promise<BankResult<VaCreated>> {
    // BNI blanks every optional field an update leaves out, so all of them go every time.
    const payload = {
      trx_id: req.trxId,
      trx_amount: digits(req.amount),
      customer_name: req.customerName,
      customer_email: req.customerEmail ?? '',
      customer_phone: req.customerPhone ?? '',
      datetime_expired: formatWibIso(req.expiresAt),
      description: req.description,
    };
    return this.withRetries('updatebilling', payload, toCreated);
  }

  inquireVa(trxId: string): Promise<BankResult<VaState>> {
    return this.withRetries('inquirybilling', { trx_id: trxId }, toState);
  }

  deactivateVa(trxId: string, virtualAccount: string): Promise<BankResult<VaCreated>> {
    return this.withRetries('inactivebilling', { trx_id: trxId, virtual_account: virtualAccount }, toCreated);
  }

  /**
   * 105 after our own create timed out (or a previous run crashed) is not a conflict: the bank's
   * bill is ours when it carries our amount and VA.
   */
  private async claimDuplicate(req: VaRequest, duplicate: BankResult<VaCreated>): Promise<BankResult<VaCreated>> {
    const existing = await this.inquireVa(req.trxId);
    if (existing.outcome === 'ok' && existing.data) return this.adopt(req, existing.data);
    return existing.outcome === 'not_found' ? duplicate : withoutData(existing);
  }

  private adopt(req: VaRequest, bill: VaState): BankResult<VaCreated> {
    // An empty VA in the request means the bank chose it, so only the amount can be compared.
    const sameVa = req.virtualAccount === '' || bill.virtualAccount === req.virtualAccount;
    if (bill.amount === req.amount && sameVa) {
      return {
        outcome: 'ok',
        code: '000',
        message: 'Bill already at the bank from an earlier attempt',
        data: { trxId: bill.trxId, virtualAccount: bill.virtualAccount },
      };
    }
    return {
      outcome: 'duplicate_reference',
      code: '105',
      message: `trx_id ${req.trxId} is used at the bank by another bill (amount ${bill.amount}, VA ${bill.virtualAccount})`,
    };
  }

  /** For operations that are safe to repeat as they are; 996 is returned, the job queue backs off. */
  private async withRetries<T>(operation: string, payload: Payload, parse: (d: Data) => T): Promise<BankResult<T>> {
    let result = await this.call(operation, payload, parse);
    for (let attempt = 1; attempt <= this.retries; attempt++) {
      if (result.outcome !== 'transient' && result.outcome !== 'timeout') break;
      await sleep(backoffMs(this.retryBaseMs, attempt));
      result = await this.call(operation, payload, parse);
    }
    return result;
  }

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /** One HTTP call, reported through onCall whatever happens. */
  private async call<T>(operation: string, fields: Payload, parse: (d: Data) => T): Promise<BankResult<T>> {
    const { clientId, secret, prefix } = this.options;
    const request = { type: operation, client_id: clientId, ...fields };
    const envelope = { client_id: clientId, prefix, data: encrypt(request, clientId, secret, this.nowSeconds()) };
    const body = JSON.stringify(envelope);
    let started = performance.now();
    let result: BankResult<T>;
    let response: unknown = null;
    let error: string | undefined;
    try {
      const res = await this.gate(() => {
        started = performance.now();
        return this.post(body);
      });
      ({ result, response } = this.read(res.status, res.body, parse));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      error = err.message;
      result =
        err instanceof NoAnswer || err.code === 'ETIMEDOUT'
          ? { outcome: 'timeout', code: 'timeout', message: `No answer within ${this.options.timeoutMs} ms` }
          : { outcome: 'transient', code: 'network', message: `${err.code ?? 'network error'}: ${err.message}` };
    }
    await this.options.onCall?.({
      operation,
      trxId: text(fields.trx_id),
      request,
      response,
      statusCode: result.code,
      outcome: result.outcome,
      durationMs: Math.round(performance.now() - started),
      error,
    });
    return result;
  }

  /**
   * POSTs the JSON text and reads the whole answer as text, whatever its HTTP status (BNI's answer
   * is in the body's status; a gateway's HTML error page is a bad answer, not an exception).
   */
  private post(json: string): Promise<HttpAnswer> {
    const timeoutMs = this.options.timeoutMs;
    return new Promise((resolve, reject) => {
      const req = this.transport.request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      // The first of answer, error and timeout settles the promise; the others change nothing.
      const timer = setTimeout(() => {
        reject(new NoAnswer(`timeout of ${timeoutMs}ms exceeded`));
        req.destroy();
      }, timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', reject);
      req.end(json);
    });
  }

  private read<T>(
    httpStatus: number,
    raw: string,
    parse: (d: Data) => T,
  ): { result: BankResult<T>; response: unknown } {
    let body: unknown;
    try {
      body = storable(JSON.parse(raw));
    } catch {
      body = undefined;
    }
    if (!isRecord(body) || typeof body.status !== 'string') {
      const message = `HTTP ${httpStatus} without an eCollection status`;
      return { result: { outcome: 'transient', code: 'bad_response', message }, response: storable(raw) };
    }
    const status = interpretStatus(body.status, typeof body.message === 'string' ? body.message : undefined);
    if (status.outcome !== 'ok') return { result: withoutData(status), response: body };

    const data = storable(decrypt(body.data, this.options.clientId, this.options.secret, this.nowSeconds()));
    const response = { ...body, data };
    try {
      if (!isRecord(data)) throw new Error('data cannot be decrypted (check keys and clock)');
      return { result: { ...status, data: parse(data) }, response };
    } catch (e) {
      const message = `Success answer with unusable data: ${(e as Error).message}`;
      return { result: { outcome: 'transient', code: 'bad_response', message }, response };
    }
  }
}
