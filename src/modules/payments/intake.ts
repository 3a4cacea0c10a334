import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { BankChannelRow, callbackAllowlist, findChannelByCode, notificationHandlerFor, tokenEndpointFor } from '../../banks/registry';
import type { BankNotification, CallbackAnswer, CallbackRequest } from '../../banks/types';
import { logger } from '../../logger';
import { queue, QUEUES } from '../../queues';

/**
 * Receiving a bank's payment notification: verify, match against our bill, write it to the inbox
 * and commit, queue the apply job, and only then answer success. Nothing heavier happens here, so
 * the bank's answer stays fast; the apply job does the rest.
 */
export interface ApplyJob {
  notificationId: number;
}

const EXCERPT_BYTES = 2048;

interface BillForMatch {
  id: number;
  status: string;
  amount: number;
  paid_amount: number;
  billing_type: string;
  virtual_account: string | null;
}

/** Why an authentic notification cannot be applied automatically; null when it matches our bill. */
export function mismatch(bill: BillForMatch | undefined, n: BankNotification): string | null {
  if (!bill) return `unknown trx_id ${n.trxId}`;
  if (bill.virtual_account !== n.virtualAccount) return `virtual account ${n.virtualAccount} is not the bill's`;
  if (bill.billing_type === 'c' && n.amount !== bill.amount) {
    return `fixed bill of ${bill.amount} cannot take a payment of ${n.amount}`;
  }
  if (bill.billing_type === 'i' && (n.amount > bill.amount || (n.cumulative !== null && n.cumulative > bill.amount))) {
    return `installment bill of ${bill.amount} cannot reach ${n.cumulative ?? n.amount}`;
  }
  return null;
}

export function applyJobId(channelId: number, trxId: string, paymentRef: string): string {
  const key = crypto.createHash('sha256').update(`${trxId}\u0000${paymentRef}`).digest('hex').slice(0, 32);
  return `pay-${channelId}-${key}`;
}

export async function enqueueApply(rows: Array<{ id: number; bank_channel_id: number; trx_id: string; payment_ref: string }>) {
  if (rows.length === 0) return;
  await queue(QUEUES.payments).addBulk(
    rows.map((r) => ({
      name: 'apply-payment',
      data: { notificationId: r.id } satisfies ApplyJob,
      opts: { jobId: applyJobId(r.bank_channel_id, r.trx_id, r.payment_ref) },
    })),
  );
}

export interface InboxInput {
  channel: BankChannelRow;
  source: 'callback' | 'inquiry' | 'statement';
  sourceIp: string | null;
  raw: string;
  decoded: unknown;
  notification: BankNotification;
  answer: CallbackAnswer;
}

/**
 * Writes a verified notification to the inbox, once per bank payment: a repeat only counts as a
 * duplicate and returns the first row (and its original answer).
 */
export async function recordInbox(db: Knex, input: InboxInput) {
  const n = input.notification;
  const bill: BillForMatch | undefined = await db('bank_references as r')
    .join('bills as b', 'b.id', 'r.bill_id')
    .where({ 'r.bank_channel_id': input.channel.id, 'r.trx_id': n.trxId })
    .first('b.id', 'b.status', 'b.amount', 'b.paid_amount', 'b.billing_type', 'b.virtual_account');
  const reason = mismatch(bill, n);
  const { rows } = await db.raw(
    `INSERT INTO bank_notifications
       (bank_channel_id, source, source_ip, raw, decoded, trx_id, payment_ref, virtual_account, amount, cumulative,
        paid_at, bill_id, status, reason, answer)
     VALUES (?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb)
     ON CONFLICT (bank_channel_id, trx_id, payment_ref)
     DO UPDATE SET duplicates = bank_notifications.duplicates + 1, last_received_at = now()
     RETURNING id, bank_channel_id, trx_id, payment_ref, source, status, answer, (xmax = 0) AS inserted`,
    [
      input.channel.id,
      input.source,
      input.sourceIp,
      input.raw,
      JSON.stringify(input.decoded ?? null),
      n.trxId,
      n.paymentRef,
      n.virtualAccount,
      n.amount,
      n.cumulative,
      n.paidAt,
      bill?.id ?? null,
      reason ? 'exception' : 'pending',
      reason,
      JSON.stringify(input.answer),
    ],
  );
  const row = rows[0] as {
    id: number;
    bank_channel_id: number;
    trx_id: string;
    payment_ref: string;
    source: string;
    status: string;
    answer: CallbackAnswer;
    inserted: boolean;
  };
  if (reason && row.inserted) {
    logger.warn({ channel: input.channel.code, trx_id: n.trxId, payment_ref: n.paymentRef, reason }, 'payment notification kept as an exception');
  }
  return row;
}

async function reject(db: Knex, channelCode: string, req: CallbackRequest, reason: string) {
  logger.warn({ channel: channelCode, source_ip: req.sourceIp, reason, bytes: req.rawBody.length }, 'bank callback rejected');
  await db('bank_callback_rejections')
    .insert({
      channel_code: channelCode.slice(0, 60),
      source_ip: req.sourceIp,
      reason,
      // PostgreSQL text cannot hold NUL bytes.
      raw_excerpt: req.rawBody.subarray(0, EXCERPT_BYTES).toString('utf8').split('\u0000').join(''),
      raw_bytes: req.rawBody.length,
    })
    .catch((e) => logger.error({ err: e }, 'could not record a rejected bank callback'));
}

/** The whole intake for one callback; always returns the answer in the bank's own format. */
export async function receiveCallback(db: Knex, channelCode: string, req: CallbackRequest): Promise<CallbackAnswer> {
  const channel = await findChannelByCode(db, channelCode);
  if (!channel) {
    await reject(db, channelCode, req, 'unknown channel');
    return { status: 404, body: { status: '999', message: 'unknown channel' } };
  }
  const handler = notificationHandlerFor(channel);
  const allow = callbackAllowlist(channel);
  if (allow.length && !allow.includes(req.sourceIp)) {
    await reject(db, channelCode, req, `source ${req.sourceIp} is not allowed`);
    return handler.answer('rejected', { reason: 'source not allowed' });
  }
  const verdict = await handler.verify(req);
  if (!verdict.ok) {
    await reject(db, channelCode, req, verdict.reason);
    return handler.answer('rejected', { reason: verdict.reason, decoded: verdict.decoded });
  }
  const answer = handler.answer('accepted', { decoded: verdict.decoded });
  let row;
  try {
    row = await recordInbox(db, {
      channel,
      source: 'callback',
      sourceIp: req.sourceIp,
      raw: req.rawBody.toString('utf8').split('\u0000').join(''),
      decoded: verdict.decoded,
      notification: verdict.notification,
      answer,
    });
  } catch (e) {
    logger.error({ err: e, channel: channelCode, trx_id: verdict.notification.trxId }, 'could not record a payment notification');
    return handler.answer('failed', { reason: 'not recorded; send again' });
  }
  if (row.status === 'pending') {
    // Redis being away only delays the payment: the row is committed and the sweeper queues it.
    await enqueueApply([row]).catch((e) => logger.warn({ err: e, notification: row.id }, 'could not queue the payment now'));
  }
  // A resend gets the answer the bank was first given; a payment first learnt another way (an
  // inquiry, a statement) gets the ordinary acknowledgement.
  return row.source === 'callback' ? row.answer : answer;
}

/** Answers a bank's request for our access token, where the channel's bank works that way. */
export async function issueBankToken(db: Knex, channelCode: string, req: CallbackRequest): Promise<CallbackAnswer> {
  const channel = await findChannelByCode(db, channelCode);
  const endpoint = channel ? tokenEndpointFor(channel) : null;
  if (!endpoint) {
    await reject(db, channelCode, req, 'token requested on a channel that issues none');
    return { status: 404, body: { responseCode: '4047300', responseMessage: 'Not Found' } };
  }
  const answer = endpoint.answer(req);
  if (answer.status >= 400) await reject(db, channelCode, req, `token refused: ${JSON.stringify(answer.body).slice(0, 200)}`);
  return answer;
}
