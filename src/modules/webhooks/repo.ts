import type { Knex } from 'knex';
import { insertColumns } from '../../db';
import type { DeliveryStatus, WebhookEnvelope, WebhookEventType } from './schema';

export interface PayerRef {
  id: number;
  npwrd: string;
  name: string;
}

export interface EndpointRow {
  id: number;
  payer_id: number;
  url: string;
  secret_encrypted: string;
  enabled_at: Date;
  disabled_at: Date | null;
  disabled_reason: string | null;
  deleted_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface EventRow {
  id: number;
  public_id: string;
  payer_id: number;
  type: WebhookEventType;
  api_version: string;
  payload: WebhookEnvelope;
  created_at: Date;
}

export type EventView = EventRow & { payer_npwrd: string; payer_name: string };

export interface DeliveryRow {
  id: number;
  event_id: number;
  endpoint_id: number;
  status: DeliveryStatus;
  attempts: number;
  cycle: number;
  last_http_status: number | null;
  last_error: string | null;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export type DeliveryView = DeliveryRow & { url: string };

/** A delivery with what sending it needs: the endpoint and the event. */
export type DeliveryWork = DeliveryRow & {
  url: string;
  secret_encrypted: string;
  payer_id: number;
  endpoint_disabled_at: Date | null;
  event_public_id: string;
  payload: WebhookEnvelope;
};

export function findPayer(db: Knex, npwrd: string): Promise<PayerRef | undefined> {
  return db('payers').where({ npwrd }).first('id', 'npwrd', 'name');
}

export function endpointOf(db: Knex, payerId: number, opts: { forUpdate?: boolean } = {}): Promise<EndpointRow | undefined> {
  const q = db<EndpointRow>('webhook_endpoints').where({ payer_id: payerId });
  if (opts.forUpdate) q.forUpdate();
  return q.first();
}

/** Inserts the payer's endpoint; undefined when one already exists (a concurrent request won). */
export async function insertEndpoint(trx: Knex, row: { payer_id: number; url: string; secret_encrypted: string }): Promise<EndpointRow | undefined> {
  const [inserted] = await trx('webhook_endpoints').insert(row).onConflict('payer_id').ignore().returning('*');
  return inserted;
}

/** Points the endpoint at a URL (and secret) and enables it, undoing a disable or delete. */
export async function reenableEndpoint(trx: Knex, id: number, fields: { url: string; secret_encrypted: string }): Promise<EndpointRow> {
  const [row] = await trx('webhook_endpoints')
    .where({ id })
    .update({
      ...fields,
      enabled_at: trx.fn.now(),
      disabled_at: null,
      disabled_reason: null,
      deleted_at: null,
      updated_at: trx.fn.now(),
    })
    .returning('*');
  return row;
}

/** Disables an enabled endpoint; `deleted` also hides it from its payer. Undefined if already disabled. */
export async function disableEndpoint(trx: Knex, id: number, reason: string, opts: { deleted?: boolean } = {}): Promise<EndpointRow | undefined> {
  const [row] = await trx('webhook_endpoints')
    .where({ id })
    .whereNull(opts.deleted ? 'deleted_at' : 'disabled_at')
    .update({
      disabled_at: trx.raw('coalesce(disabled_at, now())'),
      disabled_reason: trx.raw('coalesce(disabled_reason, ?)', [reason]),
      ...(opts.deleted ? { deleted_at: trx.fn.now() } : {}),
      updated_at: trx.fn.now(),
    })
    .returning('*');
  return row;
}

export async function skipPendingDeliveries(trx: Knex, endpointId: number, reason: string): Promise<number> {
  return trx('webhook_deliveries')
    .where({ endpoint_id: endpointId, status: 'pending' })
    .update({ status: 'skipped', last_error: reason, next_attempt_at: null, updated_at: trx.fn.now() });
}

const INSERT_EVENTS_SQL = `
  INSERT INTO webhook_events (public_id, payer_id, type, api_version, payload, created_at)
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::jsonb[], $6::timestamptz[])
  RETURNING id, public_id`;

/** Outbox events, in one statement; their ids keyed by public id. */
export async function insertEvents(
  trx: Knex,
  rows: Array<{ public_id: string; payer_id: number; type: WebhookEventType; api_version: string; payload: WebhookEnvelope; created_at: Date }>,
): Promise<Map<string, number>> {
  const inserted = await insertColumns<{ id: number; public_id: string }>(trx, 'kasda-webhook-events', INSERT_EVENTS_SQL, [
    rows.map((r) => r.public_id),
    rows.map((r) => r.payer_id),
    rows.map((r) => r.type),
    rows.map((r) => r.api_version),
    rows.map((r) => JSON.stringify(r.payload)),
    rows.map((r) => r.created_at),
  ]);
  return new Map(inserted.map((r) => [r.public_id, r.id]));
}

/** The enabled endpoint of each of these payers that has one, keyed by payer. */
export async function enabledEndpointsOf(trx: Knex, payerIds: number[]): Promise<Map<number, EndpointRow>> {
  const rows = await trx<EndpointRow>('webhook_endpoints').whereIn('payer_id', [...new Set(payerIds)]).whereNull('disabled_at');
  return new Map(rows.map((r) => [Number(r.payer_id), r]));
}

/** New pending deliveries, due now, in one statement; those an event already has are skipped. */
export async function insertDeliveries(trx: Knex, pairs: Array<{ eventId: number; endpointId: number }>): Promise<Map<number, number>> {
  if (pairs.length === 0) return new Map();
  const rows: Array<{ id: number; event_id: number }> = await trx('webhook_deliveries')
    .insert(pairs.map((p) => ({ event_id: p.eventId, endpoint_id: p.endpointId, status: 'pending', next_attempt_at: trx.fn.now() })))
    .onConflict(['event_id', 'endpoint_id'])
    .ignore()
    .returning(['id', 'event_id']);
  return new Map(rows.map((r) => [Number(r.event_id), r.id]));
}

/** A new pending delivery, due now; undefined when the event already has one to this endpoint. */
export async function insertDelivery(trx: Knex, eventId: number, endpointId: number): Promise<DeliveryRow | undefined> {
  const [row] = await trx('webhook_deliveries')
    .insert({ event_id: eventId, endpoint_id: endpointId, status: 'pending', next_attempt_at: trx.fn.now() })
    .onConflict(['event_id', 'endpoint_id'])
    .ignore()
    .returning('*');
  return row;
}

export function lockDeliveryWork(trx: Knex, id: number): Promise<DeliveryWork | undefined> {
  return trx('webhook_deliveries as d')
    .join('webhook_endpoints as ep', 'ep.id', 'd.endpoint_id')
    .join('webhook_events as ev', 'ev.id', 'd.event_id')
    .where('d.id', id)
    .forUpdate('d')
    .first(
      'd.*',
      'ep.url',
      'ep.secret_encrypted',
      'ep.payer_id',
      'ep.disabled_at as endpoint_disabled_at',
      'ev.public_id as event_public_id',
      'ev.payload',
    );
}

export function lockDelivery(trx: Knex, eventId: number, endpointId: number): Promise<DeliveryRow | undefined> {
  return trx<DeliveryRow>('webhook_deliveries').where({ event_id: eventId, endpoint_id: endpointId }).forUpdate().first();
}

/**
 * Changes a pending delivery; the status guard keeps a late result from overwriting what a
 * concurrent disable or resend decided. Undefined when the delivery was no longer pending.
 */
export async function updatePending(trx: Knex, id: number, fields: Partial<Omit<DeliveryRow, 'id'>>): Promise<DeliveryRow | undefined> {
  const [row] = await trx('webhook_deliveries')
    .where({ id, status: 'pending' })
    .update({ ...fields, updated_at: trx.fn.now() })
    .returning('*');
  return row;
}

/** A finished delivery goes round again: pending, due now, counted from zero, under a new cycle. */
export async function restartDelivery(trx: Knex, id: number): Promise<DeliveryRow | undefined> {
  const [row] = await trx('webhook_deliveries')
    .where({ id })
    .whereNot({ status: 'pending' })
    .update({
      status: 'pending',
      attempts: 0,
      cycle: trx.raw('cycle + 1'),
      last_http_status: null,
      last_error: null,
      next_attempt_at: trx.fn.now(),
      delivered_at: null,
      updated_at: trx.fn.now(),
    })
    .returning('*');
  return row;
}

export function overduePending(db: Knex, dueBefore: Date, limit: number): Promise<Array<Pick<DeliveryRow, 'id' | 'cycle'>>> {
  return db('webhook_deliveries')
    .where('status', 'pending')
    .andWhere('next_attempt_at', '<', dueBefore)
    .orderBy('next_attempt_at')
    .limit(limit)
    .select('id', 'cycle');
}

export function findEvent(db: Knex, publicId: string): Promise<EventView | undefined> {
  return db('webhook_events as e')
    .join('payers as p', 'p.id', 'e.payer_id')
    .where('e.public_id', publicId)
    .first('e.*', 'p.npwrd as payer_npwrd', 'p.name as payer_name');
}

export interface EventFilter {
  payer?: string;
  type?: WebhookEventType;
  status?: DeliveryStatus;
  beforeId?: number;
  limit: number;
}

/** Newest first. */
export function listEvents(db: Knex, f: EventFilter): Promise<EventView[]> {
  const q = db('webhook_events as e').join('payers as p', 'p.id', 'e.payer_id');
  if (f.payer) q.where('p.npwrd', f.payer);
  if (f.type) q.where('e.type', f.type);
  if (f.status) {
    q.whereExists((s) => s.select(db.raw('1')).from('webhook_deliveries as d').whereRaw('d.event_id = e.id').andWhere('d.status', f.status!));
  }
  if (f.beforeId) q.where('e.id', '<', f.beforeId);
  return q.orderBy('e.id', 'desc').limit(f.limit).select('e.*', 'p.npwrd as payer_npwrd', 'p.name as payer_name');
}

export function deliveriesOf(db: Knex, eventIds: number[]): Promise<DeliveryView[]> {
  if (eventIds.length === 0) return Promise.resolve([]);
  return db('webhook_deliveries as d')
    .join('webhook_endpoints as ep', 'ep.id', 'd.endpoint_id')
    .whereIn('d.event_id', eventIds)
    .orderBy('d.id')
    .select('d.*', 'ep.url');
}
