import type { JobsOptions } from 'bullmq';
import type { Knex } from 'knex';
import { AppError, Conflict, NotFound } from '../../errors';
import { logger } from '../../logger';
import { queue, QUEUES } from '../../queues';
import { recordAudit } from '../audit/service';
import type { Principal } from '../auth/tokens';
import { openSecret, sealSecret } from './crypto';
import * as repo from './repo';
import {
  API_VERSION,
  DeliveryStatus,
  newEventId,
  serializeEnvelope,
  WebhookEnvelope,
  WebhookEventType,
  webhookUrlProblem,
} from './schema';
import { generateSecret } from './signing';

/**
 * Payer webhooks. An event is written to the outbox in the same transaction as the change it
 * reports, with a pending delivery when the payer has an enabled endpoint; after commit a job per
 * delivery sends it. PostgreSQL holds the truth (status, attempts, next attempt); the queue only
 * carries delivery ids, and the sweeper re-queues deliveries whose job was lost.
 */

export interface DeliverWebhookJob {
  deliveryId: number;
}

/**
 * The retry schedule: about a day in all (14 waits summing to 23.3 h), each wait shortened by up
 * to `jitter` at random so endpoints that failed together do not all come back at once. Mutable so
 * tests can shrink the day to milliseconds.
 */
export const deliveryRetry: { attempts: number; delaysMs: number[]; jitter: number } = {
  attempts: 15,
  delaysMs: [30, 60, 120, 300, 600, 1200, 2400, 3600, 7200, 10800, 14400, 14400, 14400, 14400].map((s) => s * 1000),
  jitter: 0.2,
};

/** The wait after failed attempt number `attempt` (1-based). */
export function retryDelayMs(attempt: number): number {
  const { delaysMs, jitter } = deliveryRetry;
  const base = delaysMs[Math.min(Math.max(attempt, 1), delaysMs.length) - 1];
  return Math.round(base * (1 - jitter * Math.random()));
}

const SYSTEM = 'system:webhooks';

const actorOf = (who: Principal) => `${who.role}:${who.sub}`;

/** Binds a sealed secret to its payer, so it cannot be moved to another payer's row. */
const secretContext = (payerId: number) => `webhook_endpoint:payer:${payerId}`;

// ---------------------------------------------------------------------------------------------
// Recording and dispatching (called by the modules whose changes payers hear about)

/**
 * Writes an event to the outbox inside the caller's transaction, and a pending delivery when the
 * payer has an enabled endpoint. Returns the delivery id (pass it to `dispatchDeliveries` after
 * the commit) or null when there is no one to tell.
 */
export async function recordEvent(
  trx: Knex,
  e: { payerId: number; type: WebhookEventType; data: Record<string, unknown> },
): Promise<number | null> {
  const [delivery] = await recordEvents(trx, [e]);
  return delivery;
}

/** Several events at once, in a constant number of statements; a delivery id or null for each. */
export async function recordEvents(
  trx: Knex,
  events: Array<{ payerId: number; type: WebhookEventType; data: Record<string, unknown> }>,
): Promise<Array<number | null>> {
  if (events.length === 0) return [];
  const createdAt = new Date();
  const envelopes: WebhookEnvelope[] = events.map((e) => ({
    id: newEventId(),
    type: e.type,
    api_version: API_VERSION,
    created: Math.floor(createdAt.getTime() / 1000),
    data: e.data,
  }));
  const eventIds = await repo.insertEvents(
    trx,
    envelopes.map((envelope, i) => ({
      public_id: envelope.id,
      payer_id: events[i].payerId,
      type: events[i].type,
      api_version: API_VERSION,
      payload: envelope,
      created_at: createdAt,
    })),
  );
  const endpoints = await repo.enabledEndpointsOf(trx, events.map((e) => e.payerId));
  const pairs = envelopes.flatMap((envelope, i) => {
    const endpoint = endpoints.get(events[i].payerId);
    return endpoint ? [{ eventId: eventIds.get(envelope.id)!, endpointId: endpoint.id }] : [];
  });
  const deliveries = await repo.insertDeliveries(trx, pairs);
  return envelopes.map((envelope) => deliveries.get(eventIds.get(envelope.id)!) ?? null);
}

// Colons are BullMQ's key separator; the cycle keeps a resend from being swallowed by the
// finished job of the cycle before it, which BullMQ keeps for a while under the same id.
const jobIdOf = (d: { id: number; cycle: number }) => `webhook-delivery-${d.id}-${d.cycle}`;

function jobOptions(d: { id: number; cycle: number }): JobsOptions {
  return { jobId: jobIdOf(d), attempts: deliveryRetry.attempts, backoff: { type: 'webhook' } };
}

async function enqueue(deliveries: Array<{ id: number; cycle: number }>): Promise<void> {
  if (deliveries.length === 0) return;
  await queue(QUEUES.webhooks).addBulk(
    deliveries.map((d) => ({ name: 'deliver-webhook', data: { deliveryId: d.id } satisfies DeliverWebhookJob, opts: jobOptions(d) })),
  );
}

/** After commit: one job per new delivery. A failure is logged, not thrown: the sweeper catches up. */
export async function dispatchDeliveries(ids: number[]): Promise<void> {
  try {
    await enqueue(ids.map((id) => ({ id, cycle: 1 })));
  } catch (err) {
    logger.warn({ err, deliveries: ids }, 'could not queue webhook deliveries now; the sweeper will');
  }
}

const REQUEUE_BATCH = 500;

/**
 * For the sweeper: pending deliveries due more than `olderThanMs` ago whose job is gone (Redis
 * lost it, or the process died between commit and enqueue) are queued again. A job still waiting,
 * delayed or running is left alone; a finished one is replaced, since its id would swallow the new.
 */
export async function requeuePendingDeliveries(db: Knex, olderThanMs: number): Promise<number> {
  const due = await repo.overduePending(db, new Date(Date.now() - olderThanMs), REQUEUE_BATCH);
  const q = queue(QUEUES.webhooks);
  const lost: typeof due = [];
  for (const d of due) {
    const job = await q.getJob(jobIdOf(d));
    if (job) {
      const state = await job.getState();
      if (state !== 'completed' && state !== 'failed' && state !== 'unknown') continue;
      await job.remove();
    }
    lost.push(d);
  }
  await enqueue(lost);
  return lost.length;
}

// ---------------------------------------------------------------------------------------------
// Delivering (the delivery job's steps; the HTTP call itself is in jobs/deliver-webhook.ts)

/** One attempt to send: where, with which secret, and the exact bytes. */
export interface Attempt {
  deliveryId: number;
  attempt: number;
  url: string;
  secret: string;
  eventId: string;
  body: string;
}

export type AttemptStart = { kind: 'send'; attempt: Attempt } | { kind: 'done'; status: DeliveryStatus };

/**
 * Claims the next attempt: counts it before anything is sent, so a crash mid-request still
 * counts. A delivery that is no longer pending, or whose endpoint was disabled or points somewhere
 * Kasda does not deliver to, ends here.
 */
export function beginAttempt(db: Knex, deliveryId: number): Promise<AttemptStart> {
  return db.transaction(async (trx): Promise<AttemptStart> => {
    const work = await repo.lockDeliveryWork(trx, deliveryId);
    if (!work) return { kind: 'done', status: 'skipped' };
    if (work.status !== 'pending') return { kind: 'done', status: work.status };
    if (work.endpoint_disabled_at) {
      await repo.updatePending(trx, work.id, { status: 'skipped', last_error: 'endpoint disabled', next_attempt_at: null });
      return { kind: 'done', status: 'skipped' };
    }
    const refused = webhookUrlProblem(work.url);
    if (refused) {
      await repo.updatePending(trx, work.id, { status: 'failed', last_error: `refused: URL ${refused}`, next_attempt_at: null });
      return { kind: 'done', status: 'failed' };
    }
    const attempt = work.attempts + 1;
    await repo.updatePending(trx, work.id, { attempts: attempt, last_attempt_at: new Date() });
    return {
      kind: 'send',
      attempt: {
        deliveryId: work.id,
        attempt,
        url: work.url,
        secret: openSecret(work.secret_encrypted, secretContext(work.payer_id)),
        eventId: work.event_public_id,
        body: serializeEnvelope(work.payload),
      },
    };
  });
}

export type AttemptOutcome =
  | { kind: 'delivered' }
  | { kind: 'gone' }
  | { kind: 'retry'; error: string; retryInMs: number }
  | { kind: 'failed'; error: string }
  | { kind: 'superseded' };

/**
 * Records what the endpoint answered. 2xx: delivered. 410 Gone: the payer has retired the URL, so
 * the endpoint is disabled and nothing more is sent to it. Anything else (another status, a
 * timeout, a refused connection) is retried on the schedule until the attempts run out.
 */
export function finishAttempt(db: Knex, a: Attempt, result: { httpStatus: number | null; error: string | null }): Promise<AttemptOutcome> {
  const status = result.httpStatus;
  const ok = status !== null && status >= 200 && status < 300;
  const error = ok ? null : (result.error ?? `HTTP ${status}`);
  const note = { last_http_status: status, last_error: error };
  return db.transaction(async (trx): Promise<AttemptOutcome> => {
    if (error === null) {
      const row = await repo.updatePending(trx, a.deliveryId, { ...note, status: 'delivered', delivered_at: new Date(), next_attempt_at: null });
      return row ? { kind: 'delivered' } : { kind: 'superseded' };
    }
    if (status === 410) {
      const row = await repo.updatePending(trx, a.deliveryId, { ...note, status: 'skipped', next_attempt_at: null });
      if (!row) return { kind: 'superseded' };
      await disableGoneEndpoint(trx, row.endpoint_id);
      return { kind: 'gone' };
    }
    if (a.attempt >= deliveryRetry.attempts) {
      const row = await repo.updatePending(trx, a.deliveryId, { ...note, status: 'failed', next_attempt_at: null });
      return row ? { kind: 'failed', error: `gave up after ${a.attempt} attempts: ${error}` } : { kind: 'superseded' };
    }
    const retryInMs = retryDelayMs(a.attempt);
    const row = await repo.updatePending(trx, a.deliveryId, { ...note, next_attempt_at: new Date(Date.now() + retryInMs) });
    return row ? { kind: 'retry', error, retryInMs } : { kind: 'superseded' };
  });
}

async function disableGoneEndpoint(trx: Knex, endpointId: number): Promise<void> {
  const reason = 'the endpoint answered 410 Gone';
  const endpoint = await repo.disableEndpoint(trx, endpointId, reason);
  if (!endpoint) return;
  await repo.skipPendingDeliveries(trx, endpointId, 'endpoint disabled');
  await recordAudit(trx, {
    actor: SYSTEM,
    action: 'webhook_endpoint.disabled',
    entityType: 'webhook_endpoint',
    entityId: endpoint.id,
    before: { url: endpoint.url, enabled: true },
    after: { url: endpoint.url, enabled: false, disabled_reason: reason },
  });
  logger.info({ endpoint: endpoint.id }, 'webhook endpoint answered 410 Gone and was disabled');
}

// ---------------------------------------------------------------------------------------------
// A payer's endpoint

async function requirePayer(db: Knex, who: Principal): Promise<repo.PayerRef> {
  const payer = who.npwrd ? await repo.findPayer(db, who.npwrd) : undefined;
  if (!payer) throw new NotFound('payer_not_found', `No payer is registered under NPWRD ${who.npwrd}`);
  return payer;
}

function presentEndpoint(e: repo.EndpointRow, shownSecret?: string) {
  return {
    url: e.url,
    enabled: e.disabled_at === null,
    enabled_at: e.enabled_at,
    disabled_at: e.disabled_at,
    disabled_reason: e.disabled_reason,
    created_at: e.created_at,
    updated_at: e.updated_at,
    ...(shownSecret ? { secret: shownSecret } : {}),
  };
}

const endpointAudit = (e: repo.EndpointRow | undefined) =>
  e && !e.deleted_at ? { url: e.url, enabled: e.disabled_at === null, disabled_reason: e.disabled_reason } : null;

/**
 * Registers or changes the caller's endpoint and enables it. Without a secret the current one is
 * kept; a payer with no endpoint (or a deleted one) gets a new `whsec_` secret, shown in this
 * answer only.
 */
export async function putEndpoint(db: Knex, who: Principal, input: { url: string; secret?: string }) {
  const problem = webhookUrlProblem(input.url);
  if (problem) throw new AppError('invalid_webhook_url', `The webhook URL ${problem}`, 400);
  const payer = await requirePayer(db, who);
  return db.transaction(async (trx) => {
    let before = await repo.endpointOf(trx, payer.id, { forUpdate: true });
    const current = before && !before.deleted_at ? before : undefined;
    const generated = input.secret || current ? undefined : generateSecret();
    const secret = input.secret ?? generated;
    const sealed = secret ? sealSecret(secret, secretContext(payer.id)) : current!.secret_encrypted;

    let after = before ? undefined : await repo.insertEndpoint(trx, { payer_id: payer.id, url: input.url, secret_encrypted: sealed });
    if (!after) {
      // Lost a race to create it: the winner's row is there now, and this request updates it.
      before ??= await repo.endpointOf(trx, payer.id, { forUpdate: true });
      after = await repo.reenableEndpoint(trx, before!.id, { url: input.url, secret_encrypted: sealed });
    }
    await recordAudit(trx, {
      actor: actorOf(who),
      action: 'webhook_endpoint.put',
      entityType: 'webhook_endpoint',
      entityId: after.id,
      before: endpointAudit(before),
      after: { ...endpointAudit(after), secret: generated ? 'generated' : input.secret ? 'given' : 'kept' },
    });
    return presentEndpoint(after, generated);
  });
}

async function requireEndpoint(db: Knex, payerId: number, forUpdate = false): Promise<repo.EndpointRow> {
  const endpoint = await repo.endpointOf(db, payerId, { forUpdate });
  if (!endpoint || endpoint.deleted_at) throw new NotFound('webhook_endpoint_not_found', 'No webhook endpoint is registered');
  return endpoint;
}

export async function getEndpoint(db: Knex, who: Principal) {
  const payer = await requirePayer(db, who);
  return presentEndpoint(await requireEndpoint(db, payer.id));
}

/** Deletes the caller's endpoint: nothing more is sent to it, including deliveries still pending. */
export async function deleteEndpoint(db: Knex, who: Principal): Promise<void> {
  const payer = await requirePayer(db, who);
  await db.transaction(async (trx) => {
    const before = await requireEndpoint(trx, payer.id, true);
    const after = await repo.disableEndpoint(trx, before.id, 'deleted by the payer', { deleted: true });
    await repo.skipPendingDeliveries(trx, before.id, 'endpoint deleted');
    await recordAudit(trx, {
      actor: actorOf(who),
      action: 'webhook_endpoint.deleted',
      entityType: 'webhook_endpoint',
      entityId: before.id,
      before: endpointAudit(before),
      after: endpointAudit(after),
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Staff: the outbox and resending

function presentEvent(e: repo.EventView, deliveries: repo.DeliveryView[]) {
  return {
    id: e.public_id,
    type: e.type,
    api_version: e.api_version,
    payer: { npwrd: e.payer_npwrd, name: e.payer_name },
    created_at: e.created_at,
    data: e.payload.data,
    deliveries: deliveries.map((d) => ({
      id: d.id,
      url: d.url,
      status: d.status,
      attempts: d.attempts,
      last_http_status: d.last_http_status,
      last_error: d.last_error,
      next_attempt_at: d.next_attempt_at,
      last_attempt_at: d.last_attempt_at,
      delivered_at: d.delivered_at,
      created_at: d.created_at,
    })),
  };
}

function encodeCursor(id: number): string {
  return Buffer.from(`we:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const m = /^we:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new AppError('invalid_cursor', 'The cursor is not one this API gave out', 400);
  return Number(m[1]);
}

export async function listEvents(
  db: Knex,
  q: { payer?: string; type?: WebhookEventType; status?: DeliveryStatus; limit?: number; cursor?: string },
) {
  const limit = q.limit ?? 50;
  const rows = await repo.listEvents(db, {
    payer: q.payer,
    type: q.type,
    status: q.status,
    beforeId: q.cursor ? decodeCursor(q.cursor) : undefined,
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const deliveries = await repo.deliveriesOf(db, page.map((e) => e.id));
  return {
    data: page.map((e) => presentEvent(e, deliveries.filter((d) => d.event_id === e.id))),
    next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null,
  };
}

/**
 * Sends an event again, as a new cycle of attempts, to the payer's current endpoint: its delivery
 * there is reset (or created, when the endpoint was registered after the event).
 */
export async function resendEvent(db: Knex, who: Principal, publicId: string) {
  const event = await repo.findEvent(db, publicId);
  if (!event) throw new NotFound('webhook_event_not_found', `No webhook event ${publicId}`);
  const delivery = await db.transaction(async (trx) => {
    const endpoint = await repo.endpointOf(trx, event.payer_id, { forUpdate: true });
    if (!endpoint || endpoint.deleted_at) throw new Conflict('webhook_endpoint_not_found', 'The payer has no webhook endpoint');
    if (endpoint.disabled_at) {
      throw new Conflict('webhook_endpoint_disabled', `The payer's webhook endpoint is disabled: ${endpoint.disabled_reason}`);
    }
    const existing = await repo.lockDelivery(trx, event.id, endpoint.id);
    const row = existing ? await repo.restartDelivery(trx, existing.id) : await repo.insertDelivery(trx, event.id, endpoint.id);
    if (!row) throw new Conflict('webhook_delivery_pending', `Event ${publicId} is still being delivered`);
    await recordAudit(trx, {
      actor: actorOf(who),
      action: 'webhook_event.resend',
      entityType: 'webhook_delivery',
      entityId: row.id,
      before: existing ? { status: existing.status, attempts: existing.attempts, cycle: existing.cycle } : null,
      after: { status: row.status, attempts: row.attempts, cycle: row.cycle, event: publicId },
    });
    return row;
  });
  await enqueue([delivery]).catch((err) => {
    logger.warn({ err, delivery: delivery.id }, 'could not queue the resend now; the sweeper will');
  });
  return presentEvent(event, await repo.deliveriesOf(db, [event.id]));
}
