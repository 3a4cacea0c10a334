import type { BankNotification, CallbackAnswer, CallbackRequest, NotificationHandler, NotificationVerdict } from '../types';
import { decrypt } from './bni-enc';
import { parseBniDateTime } from './connector';

/**
 * BNI's payment notification: `{"client_id","data"}` with `data` = BniEnc(JSON of strings). There
 * is no signature; it is genuine only if the client id is ours and `data` decrypts with our keys
 * inside the ±480 s window. Whether it matches one of our bills is checked by the intake.
 */
export interface BniNotificationOptions {
  clientId: string;
  secret: string;
  now?: () => number;
}

const AMOUNT = /^\d{1,15}$/;

function text(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

export class BniNotificationHandler implements NotificationHandler {
  constructor(private readonly options: BniNotificationOptions) {}

  verify(req: CallbackRequest): NotificationVerdict {
    if (req.rawBody.length === 0) return { ok: false, reason: 'empty body' };
    let envelope: unknown;
    try {
      envelope = JSON.parse(req.rawBody.toString('utf8'));
    } catch {
      return { ok: false, reason: 'body is not JSON' };
    }
    if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
      return { ok: false, reason: 'body is not a JSON object' };
    }
    const { client_id: clientId, data } = envelope as Record<string, unknown>;
    if (typeof clientId !== 'string' || typeof data !== 'string') {
      return { ok: false, reason: 'envelope needs client_id and data strings' };
    }
    if (clientId !== this.options.clientId) return { ok: false, reason: `foreign client id ${clientId.slice(0, 10)}` };
    const nowSeconds = Math.floor((this.options.now ?? Date.now)() / 1000);
    const decoded = decrypt(data, this.options.clientId, this.options.secret, nowSeconds);
    if (decoded === null || typeof decoded !== 'object' || Array.isArray(decoded)) {
      return { ok: false, reason: 'data does not decrypt with this channel’s keys within ±480 s' };
    }
    // PostgreSQL cannot store a NUL character in text or jsonb; no genuine notification has one.
    if (JSON.stringify(decoded).includes('\\u0000')) return { ok: false, reason: 'NUL character in notification' };
    const d = decoded as Record<string, unknown>;
    const trxId = text(d.trx_id);
    const virtualAccount = text(d.virtual_account);
    const paymentRef = text(d.payment_ntb);
    const amount = text(d.payment_amount);
    const cumulative = text(d.cumulative_payment_amount);
    const paidAt = parseBniDateTime(d.datetime_payment_iso8601) ?? parseBniDateTime(d.datetime_payment);
    const missing = [
      ['trx_id', trxId],
      ['virtual_account', virtualAccount],
      ['payment_ntb', paymentRef],
      ['payment_amount', amount],
      ['datetime_payment', paidAt],
    ].filter(([, v]) => v === null);
    if (missing.length) {
      return { ok: false, reason: `missing or invalid ${missing.map(([k]) => k).join(', ')}`, decoded };
    }
    if (!AMOUNT.test(amount!) || (cumulative !== null && !AMOUNT.test(cumulative))) {
      return { ok: false, reason: 'amounts must be whole rupiah digit strings', decoded };
    }
    const notification: BankNotification = {
      trxId: trxId!,
      virtualAccount: virtualAccount!,
      paymentRef: paymentRef!,
      amount: Number(amount),
      cumulative: cumulative === null ? null : Number(cumulative),
      paidAt: paidAt!,
      customerName: text(d.customer_name),
    };
    if (notification.amount <= 0) return { ok: false, reason: 'payment_amount must be positive', decoded };
    return { ok: true, notification, decoded };
  }

  answer(kind: 'accepted' | 'rejected' | 'failed', ctx: { reason?: string }): CallbackAnswer {
    if (kind === 'accepted') return { status: 200, body: { status: '000' } };
    // BNI reads the body's status; a failure to record is a 5xx as well, inviting a resend.
    return { status: kind === 'failed' ? 503 : 200, body: { status: '999', message: ctx.reason ?? 'rejected' } };
  }
}
