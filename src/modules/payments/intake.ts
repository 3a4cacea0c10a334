import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { BankChannelRow, callbackAllowlist, findChannelByCode, notificationHandlerFor, tokenEndpointFor } from '../../banks/registry';
import type { BankNotification, CallbackAnswer, CallbackRequest } from '../../banks/types';
import { logger } from '../../logger';
import { queue, QUEUES } from '../../queues';
import { withPg } from '../../db';

/**
 * Receiving a bank's payment notification: verify, match against our bill, write it to the inbox
 * and commit, queue the apply job, and only then answer success. Nothing heavier happens here, so
 * the bank's answer stays fast; the apply job does the rest.
 *
 * Group commit: the notifications one API process receives at the same moment are written together,
 * one bill lookup and one multi-row INSERT (a single statement, so a single commit) for all of them,
 * and each is answered only once that statement has committed. If it fails, every notification in
 * it is answered with a failure (and nothing of it was written), so the bank sends them again.
 */
export type ApplyJob = { notificationId: number } | { notificationIds: number[] };

const EXCERPT_BYTES = 2048;
/** Most notifications one group write carries. */
const GROUP_MAX = 500;
/** A lost deadlock (two processes writing overlapping duplicates) is retried this many times. */
const DEADLOCK_RETRIES = 3;

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

/** The job of one inbox row, named by its business key (the sweeper, an operator's resend). */
export function applyJobId(channelId: number, trxId: string, paymentRef: string): string {
  const key = crypto.createHash('sha256').update(`${trxId}\u0000${paymentRef}`).digest('hex').slice(0, 32);
  return `pay-${channelId}-${key}`;
}

/**
 * The job of one intake group on a channel, named by the inbox rows it carries: the same rows give
 * the same id. The job is only a wake-up; the inbox row's status and the payments' unique key
 * decide what is applied.
 */
export function applyBatchJobId(channelId: number, ids: number[]): string {
  const digest = crypto.createHash('sha256').update(ids.join(',')).digest('hex').slice(0, 12);
  return `pay-batch-${channelId}-${ids[0]}-${ids[ids.length - 1]}-${digest}`;
}

interface QueueableRow {
  id: number;
  bank_channel_id: number;
  trx_id: string;
  payment_ref: string;
}

/** One job per inbox row, named by its business key. */
export async function enqueueApply(rows: QueueableRow[]) {
  if (rows.length === 0) return;
  await queue(QUEUES.payments).addBulk(
    rows.map((r) => ({
      name: 'apply-payment',
      data: { notificationId: r.id } satisfies ApplyJob,
      opts: { jobId: applyJobId(r.bank_channel_id, r.trx_id, r.payment_ref) },
    })),
  );
}

/** One job per channel for the rows of an intake group. */
export async function enqueueApplyGroup(rows: QueueableRow[]) {
  const byChannel = new Map<number, number[]>();
  for (const r of rows) {
    const ids = byChannel.get(r.bank_channel_id);
    if (ids) ids.push(r.id);
    else byChannel.set(r.bank_channel_id, [r.id]);
  }
  if (byChannel.size === 0) return;
  await queue(QUEUES.payments).addBulk(
    [...byChannel].map(([channelId, unsorted]) => {
      const ids = [...new Set(unsorted)].sort((a, b) => a - b);
      return {
        name: 'apply-payments',
        data: { notificationIds: ids } satisfies ApplyJob,
        opts: { jobId: applyBatchJobId(channelId, ids) },
      };
    }),
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

export interface InboxRow {
  id: number;
  bank_channel_id: number;
  trx_id: string;
  payment_ref: string;
  source: string;
  status: string;
  answer: CallbackAnswer;
  /** False for a repeat of a bank payment already in the inbox (or earlier in the same group). */
  inserted: boolean;
}

const MATCH_SQL = `
  SELECT r.bank_channel_id, r.trx_id, b.id, b.status, b.amount, b.paid_amount, b.billing_type, b.virtual_account
    FROM unnest($1::bigint[], $2::text[]) AS k(bank_channel_id, trx_id)
    JOIN bank_references r ON r.bank_channel_id = k.bank_channel_id AND r.trx_id = k.trx_id
    JOIN bills b ON b.id = r.bill_id`;

// Rows go in key order (the arrays are sorted), so two processes writing overlapping keys take their
// row locks in the same order. A repeat adds to `duplicates` what it carries: the copies of it in
// the group beyond the first, plus one for itself.
const INSERT_SQL = `
  INSERT INTO bank_notifications
    (bank_channel_id, source, source_ip, raw, decoded, trx_id, payment_ref, virtual_account, amount, cumulative,
     paid_at, bill_id, status, reason, answer, duplicates)
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::text[], $8::text[],
                       $9::bigint[], $10::bigint[], $11::timestamptz[], $12::bigint[], $13::text[], $14::text[], $15::jsonb[], $16::int[])
  ON CONFLICT (bank_channel_id, trx_id, payment_ref)
  DO UPDATE SET duplicates = bank_notifications.duplicates + EXCLUDED.duplicates + 1, last_received_at = now()
  RETURNING id, bank_channel_id, trx_id, payment_ref, source, status, answer, (xmax = 0) AS inserted`;

const keyOf = (channelId: number, trxId: string, paymentRef: string) => `${channelId}\u0000${trxId}\u0000${paymentRef}`;
const inputKey = (i: InboxInput) => keyOf(i.channel.id, i.notification.trxId, i.notification.paymentRef);

/**
 * Writes verified notifications to the inbox in one statement, once per bank payment: a repeat (of
 * an earlier row, or of another input in the same call) only counts as a duplicate and returns the
 * first row, with its original answer. Returns a row per input, in input order.
 */
export async function writeInbox(db: Knex, inputs: InboxInput[]): Promise<InboxRow[]> {
  const first = new Map<string, { input: InboxInput; copies: number }>();
  for (const i of inputs) {
    const k = inputKey(i);
    const seen = first.get(k);
    if (seen) seen.copies += 1;
    else first.set(k, { input: i, copies: 1 });
  }
  const unique = [...first.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  const result = await withPg(db, async (pg) => {
    const { rows: bills } = await pg.query({
      name: 'kasda-inbox-match',
      text: MATCH_SQL,
      values: [unique.map((u) => u.input.channel.id), unique.map((u) => u.input.notification.trxId)],
    });
    const billOf = new Map<string, BillForMatch>(bills.map((b: BillForMatch & { bank_channel_id: number; trx_id: string }) => [`${b.bank_channel_id}\u0000${b.trx_id}`, b]));
    const reasons = unique.map((u) => mismatch(billOf.get(`${u.input.channel.id}\u0000${u.input.notification.trxId}`), u.input.notification));
    const column = <T>(f: (u: { input: InboxInput; copies: number }, i: number) => T) => unique.map(f);
    const values = [
      column((u) => u.input.channel.id),
      column((u) => u.input.source),
      column((u) => u.input.sourceIp),
      column((u) => u.input.raw),
      column((u) => JSON.stringify(u.input.decoded ?? null)),
      column((u) => u.input.notification.trxId),
      column((u) => u.input.notification.paymentRef),
      column((u) => u.input.notification.virtualAccount),
      column((u) => u.input.notification.amount),
      column((u) => u.input.notification.cumulative),
      column((u) => u.input.notification.paidAt),
      column((u) => billOf.get(`${u.input.channel.id}\u0000${u.input.notification.trxId}`)?.id ?? null),
      column((_u, i) => (reasons[i] ? 'exception' : 'pending')),
      column((_u, i) => reasons[i]),
      column((u) => JSON.stringify(u.input.answer)),
      column((u) => u.copies - 1),
    ];
    for (let attempt = 1; ; attempt++) {
      try {
        const { rows: written } = await pg.query({ name: 'kasda-inbox-insert', text: INSERT_SQL, values });
        return { written: written as InboxRow[], reasons };
      } catch (e) {
        if ((e as { code?: string }).code !== '40P01' || attempt > DEADLOCK_RETRIES) throw e;
      }
    }
  });
  const byKey = new Map(
    result.written.map((r) => [keyOf(Number(r.bank_channel_id), r.trx_id, r.payment_ref), { ...r, id: Number(r.id), bank_channel_id: Number(r.bank_channel_id) }]),
  );
  unique.forEach((u, i) => {
    const reason = result.reasons[i];
    if (reason && byKey.get(inputKey(u.input))?.inserted) {
      const n = u.input.notification;
      logger.warn({ channel: u.input.channel.code, trx_id: n.trxId, payment_ref: n.paymentRef, reason }, 'payment notification kept as an exception');
    }
  });
  return inputs.map((i) => {
    const row = byKey.get(inputKey(i))!;
    // Only the first copy of a new row counts as inserted; the others are its duplicates.
    return { ...row, inserted: row.inserted && first.get(inputKey(i))!.input === i };
  });
}

/** One verified notification to the inbox (the sweeper's inquiries, statements); see writeInbox. */
export async function recordInbox(db: Knex, input: InboxInput): Promise<InboxRow> {
  const [row] = await writeInbox(db, [input]);
  return row;
}

interface Waiting {
  input: InboxInput;
  resolve(row: InboxRow): void;
  reject(e: unknown): void;
}

/**
 * Group commit for one process: a notification that arrives while a group is being written joins
 * the next group, so under load each statement and commit carries many notifications, and a lone
 * one is written at once. Each caller gets its own row once the group holding it has committed.
 */
class InboxGroups {
  private waiting: Waiting[] = [];
  private writing = false;

  constructor(private readonly db: Knex) {}

  write(input: InboxInput): Promise<InboxRow> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      this.flush();
    });
  }

  private flush(): void {
    if (this.writing || this.waiting.length === 0) return;
    const group = this.waiting.splice(0, GROUP_MAX);
    this.writing = true;
    void this.commit(group).finally(() => {
      this.writing = false;
      this.flush();
    });
  }

  private async commit(group: Waiting[]): Promise<void> {
    let rows: InboxRow[];
    try {
      rows = await writeInbox(this.db, group.map((w) => w.input));
    } catch (e) {
      for (const w of group) w.reject(e);
      return;
    }
    group.forEach((w, i) => w.resolve(rows[i]));
    // Redis being away only delays the payments: the rows are committed and the sweeper queues them.
    const pending = rows.filter((r) => r.status === 'pending');
    if (pending.length) {
      enqueueApplyGroup(pending).catch((e) => logger.warn({ err: e, notifications: pending.map((r) => r.id) }, 'could not queue the payments now'));
    }
  }
}

const groups = new WeakMap<Knex, InboxGroups>();
const channelLookups = new WeakMap<Knex, Map<string, Promise<BankChannelRow | undefined>>>();

/** The channel as the database has it now; callbacks arriving during one lookup share it. */
function channelNamed(db: Knex, code: string): Promise<BankChannelRow | undefined> {
  let inFlight = channelLookups.get(db);
  if (!inFlight) channelLookups.set(db, (inFlight = new Map()));
  let lookup = inFlight.get(code);
  if (!lookup) {
    const map = inFlight;
    lookup = findChannelByCode(db, code).finally(() => map.delete(code));
    map.set(code, lookup);
  }
  return lookup;
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
  const channel = await channelNamed(db, channelCode);
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
  let group = groups.get(db);
  if (!group) groups.set(db, (group = new InboxGroups(db)));
  let row: InboxRow;
  try {
    row = await group.write({
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
