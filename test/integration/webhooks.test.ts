import crypto from 'node:crypto';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { owners } from '../../seeds/data/padang-towers';
import { db } from '../../src/db';
import {
  deliveryRetry,
  dispatchDeliveries,
  recordEvent,
  requeuePendingDeliveries,
} from '../../src/modules/webhooks/service';
import type { WebhookEventType } from '../../src/modules/webhooks/schema';
import { startStack, Stack, waitFor } from '../support/harness';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A payer's system: records every request, answers each path from a script of statuses (200 once it runs out). */
async function startReceiver() {
  const received: Received[] = [];
  const script = new Map<string, number[]>();
  const app = express();
  app.post('/:name', express.raw({ type: '*/*' }), (req, res) => {
    received.push({ path: req.path, headers: req.headers, body: (req.body as Buffer).toString('utf8') });
    res.status(script.get(req.path)?.shift() ?? 200).end();
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    received,
    script,
    at: (path: string) => received.filter((r) => r.path === path),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Checks a Kasda-Signature header the way a payer's system would, with its own HMAC. */
function verify(header: string, body: string, secret: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const expected = crypto.createHmac('sha256', secret).update(`${m[1]}.${body}`).digest('hex');
  return crypto.timingSafeEqual(Buffer.from(m[2], 'hex'), Buffer.from(expected, 'hex')) && Math.abs(Date.now() / 1000 - Number(m[1])) < 300;
}

describe('Payer webhooks: signed, retried, disabled on 410, visible and re-sendable by an admin', () => {
  let stack: Stack;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let admin: string;
  const saved = { ...deliveryRetry };
  const [a, b, c, d, e, f] = owners;
  const payerToken = (npwrd: string) => stack.token({ role: 'payer', npwrd });

  beforeAll(async () => {
    // A day of retries shrunk to a fraction of a second, and three attempts instead of fifteen.
    Object.assign(deliveryRetry, { attempts: 3, delaysMs: [150, 300], jitter: 0.2 });
    receiver = await startReceiver();
    stack = await startStack();
    admin = stack.token({ role: 'admin' });
  });
  afterAll(async () => {
    await stack.close();
    await receiver.close();
    Object.assign(deliveryRetry, saved);
  });

  const put = (npwrd: string, body: Record<string, unknown>) =>
    request(stack.url).put('/api/v1/webhook-endpoint').set('Authorization', `Bearer ${payerToken(npwrd)}`).send(body);
  const getEndpoint = (npwrd: string) => request(stack.url).get('/api/v1/webhook-endpoint').set('Authorization', `Bearer ${payerToken(npwrd)}`);
  const events = (query = '', token = admin) => request(stack.url).get(`/api/v1/webhook-events${query}`).set('Authorization', `Bearer ${token}`);
  const resend = (id: string, token = admin) => request(stack.url).post(`/api/v1/webhook-events/${id}/resend`).set('Authorization', `Bearer ${token}`);

  async function payerId(npwrd: string): Promise<number> {
    return (await db()('payers').where({ npwrd }).first('id')).id;
  }

  /** What the paying module does: record inside its transaction, dispatch after the commit. */
  async function emit(npwrd: string, type: WebhookEventType = 'bill.paid', data: Record<string, unknown> = { bill_no: 'SKRD-X-1', amount: 2_450_000 }) {
    const id = await db().transaction(async (trx) => recordEvent(trx, { payerId: await payerId(npwrd), type, data }));
    if (id !== null) await dispatchDeliveries([id]);
    return id;
  }

  const delivery = (id: number) => db()('webhook_deliveries').where({ id }).first();

  it('When a payer registers an endpoint without a secret, then Kasda generates one, shows it once and keeps it encrypted', async () => {
    const res = await put(a.npwrd, { url: `${receiver.base}/a` });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ url: `${receiver.base}/a`, enabled: true, disabled_at: null, disabled_reason: null });
    expect(res.body.secret).toMatch(/^whsec_/);

    const again = await getEndpoint(a.npwrd);
    expect(again.status).toBe(200);
    expect(again.body.url).toBe(`${receiver.base}/a`);
    expect(again.body.secret).toBeUndefined();

    const row = await db()('webhook_endpoints').where({ payer_id: await payerId(a.npwrd) }).first();
    expect(row.secret_encrypted).toMatch(/^v1\./);
    expect(row.secret_encrypted).not.toContain(res.body.secret.slice(6));

    // Changing the URL keeps the secret and does not show it again.
    const moved = await put(a.npwrd, { url: `${receiver.base}/a` });
    expect(moved.status).toBe(200);
    expect(moved.body.secret).toBeUndefined();
    expect((await db()('webhook_endpoints').where({ id: row.id }).first()).secret_encrypted).toBe(row.secret_encrypted);
  });

  it('When an event is recorded and dispatched, then the payer receives it once, signed over the exact bytes', async () => {
    const secret = 'payer-b-own-secret-0123456789abcdef';
    expect((await put(b.npwrd, { url: `${receiver.base}/b`, secret })).body.secret).toBeUndefined();

    const id = await emit(b.npwrd, 'bill.paid', { bill_no: 'SKRD-DISKOMINFO-2027-000002', amount: 4_900_000, paid_at: '2027-03-15T07:05:00Z' });
    expect(id).toEqual(expect.any(Number));
    const [got] = await waitFor('delivery to b', async () => receiver.at('/b').length > 0 && receiver.at('/b'));
    await waitFor('delivered', async () => (await delivery(id!)).status === 'delivered');

    expect(got.headers['content-type']).toBe('application/json');
    expect(verify(String(got.headers['kasda-signature']), got.body, secret)).toBe(true);
    expect(verify(String(got.headers['kasda-signature']), got.body, `${secret}x`)).toBe(false);
    const event = JSON.parse(got.body);
    expect(Object.keys(event)).toEqual(['id', 'type', 'api_version', 'created', 'data']);
    expect(event).toMatchObject({ type: 'bill.paid', api_version: '2026-11-29', data: { bill_no: 'SKRD-DISKOMINFO-2027-000002', amount: 4_900_000 } });
    expect(event.id).toMatch(/^evt_[0-9a-f]{24}$/);
    expect(got.headers['kasda-event-id']).toBe(event.id);
    expect(Math.abs(event.created - Date.now() / 1000)).toBeLessThan(60);

    const row = await delivery(id!);
    expect(row).toMatchObject({ status: 'delivered', attempts: 1, last_http_status: 200, last_error: null, next_attempt_at: null });
    expect(row.delivered_at).toBeInstanceOf(Date);
    expect(receiver.at('/b')).toHaveLength(1);
  });

  it('When the payer answers 500 and then 200, then the same event is sent again after a backoff and delivered', async () => {
    receiver.script.set('/a', [500]);
    const id = await emit(a.npwrd, 'bill.partially_paid');
    await waitFor('delivered after a retry', async () => (await delivery(id!)).status === 'delivered');
    const [first, second] = receiver.at('/a');
    expect(first.body).toBe(second.body);
    expect(first.headers['kasda-event-id']).toBe(second.headers['kasda-event-id']);
    expect(await delivery(id!)).toMatchObject({ status: 'delivered', attempts: 2, last_http_status: 200 });
  });

  it('When the payer keeps failing, then the delivery is failed after the last attempt, and an admin can resend it', async () => {
    receiver.received.length = 0;
    receiver.script.set('/a', [503, 503, 503]);
    const id = await emit(a.npwrd, 'bill.issued');
    await waitFor('failed', async () => (await delivery(id!)).status === 'failed');
    expect(await delivery(id!)).toMatchObject({ attempts: 3, last_http_status: 503, last_error: 'HTTP 503', next_attempt_at: null });
    expect(receiver.at('/a')).toHaveLength(3);

    const listed = await events(`?payer=${encodeURIComponent(a.npwrd)}&status=failed`);
    expect(listed.status).toBe(200);
    expect(listed.body.data).toHaveLength(1);
    const event = listed.body.data[0];
    expect(event).toMatchObject({ type: 'bill.issued', payer: { npwrd: a.npwrd } });
    expect(event.deliveries).toEqual([expect.objectContaining({ id, status: 'failed', attempts: 3, last_http_status: 503, url: `${receiver.base}/a` })]);

    // Finance reads but may not resend; an admin may.
    expect((await resend(event.id, stack.token({ role: 'finance' }))).status).toBe(403);
    const res = await resend(event.id);
    expect(res.status).toBe(202);
    expect(res.body.id).toBe(event.id);
    await waitFor('delivered on resend', async () => (await delivery(id!)).status === 'delivered');
    expect(await delivery(id!)).toMatchObject({ attempts: 1, cycle: 2, last_http_status: 200, last_error: null });
    const bodies = receiver.at('/a').map((r) => r.body);
    expect(bodies).toHaveLength(4);
    expect(new Set(bodies).size).toBe(1);

    const audit = await db()('audit_log').where({ entity_type: 'webhook_delivery', entity_id: String(id), action: 'webhook_event.resend' });
    expect(audit).toHaveLength(1);
    expect(audit[0].actor).toBe('admin:test');
  });

  it('When the payer answers 410, then its endpoint is disabled, pending work is skipped and nothing more is sent', async () => {
    expect((await put(c.npwrd, { url: `${receiver.base}/c` })).status).toBe(200);
    receiver.script.set('/c', [410]);
    const id = await emit(c.npwrd, 'bill.expired');
    await waitFor('skipped', async () => (await delivery(id!)).status === 'skipped');
    expect(await delivery(id!)).toMatchObject({ attempts: 1, last_http_status: 410 });

    const endpoint = await getEndpoint(c.npwrd);
    expect(endpoint.body).toMatchObject({ enabled: false, disabled_reason: 'the endpoint answered 410 Gone' });
    expect(endpoint.body.disabled_at).toEqual(expect.any(String));

    // A later event is kept in the outbox but not sent, and a resend is refused.
    expect(await emit(c.npwrd, 'bill.issued')).toBeNull();
    const listed = await events(`?payer=${encodeURIComponent(c.npwrd)}&type=bill.issued`);
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0].deliveries).toEqual([]);
    const refused = await resend(listed.body.data[0].id);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('webhook_endpoint_disabled');
    expect(receiver.at('/c')).toHaveLength(1);

    // Registering again re-enables it; the event written while it was off can then be resent.
    expect((await put(c.npwrd, { url: `${receiver.base}/c` })).body.enabled).toBe(true);
    expect((await resend(listed.body.data[0].id)).status).toBe(202);
    await waitFor('the missed event arrives', async () => receiver.at('/c').length === 2);
  });

  it('A payer sees and changes only its own endpoint', async () => {
    const theirs = await getEndpoint(b.npwrd);
    // d has no endpoint: it gets 404, and nothing it does touches b's.
    const none = await getEndpoint(d.npwrd);
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe('webhook_endpoint_not_found');
    const del = await request(stack.url).delete('/api/v1/webhook-endpoint').set('Authorization', `Bearer ${payerToken(d.npwrd)}`);
    expect(del.status).toBe(404);
    expect((await put(d.npwrd, { url: `${receiver.base}/d` })).status).toBe(200);
    expect((await getEndpoint(b.npwrd)).body).toEqual(theirs.body);

    // Payers have no access to the outbox or resends.
    expect((await events('', payerToken(b.npwrd))).status).toBe(403);
    expect((await resend('evt_000000000000000000000000', payerToken(b.npwrd))).status).toBe(403);
    // Staff have no endpoint of their own to manage.
    expect((await request(stack.url).get('/api/v1/webhook-endpoint').set('Authorization', `Bearer ${admin}`)).status).toBe(403);

    const unknown = await getEndpoint('R.99.99.9999');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('payer_not_found');
  });

  it('When a payer deletes its endpoint, then pending deliveries are skipped and it is gone', async () => {
    receiver.script.set('/d', [500, 500]);
    const id = await emit(d.npwrd);
    await waitFor('first failure', async () => (await delivery(id!)).last_http_status === 500);
    const del = await request(stack.url).delete('/api/v1/webhook-endpoint').set('Authorization', `Bearer ${payerToken(d.npwrd)}`);
    expect(del.status).toBe(204);
    expect((await getEndpoint(d.npwrd)).status).toBe(404);
    expect(await delivery(id!)).toMatchObject({ status: 'skipped', last_error: 'endpoint deleted' });
    expect(await emit(d.npwrd)).toBeNull();

    // Registering anew after a delete issues a new secret.
    const again = await put(d.npwrd, { url: `${receiver.base}/d` });
    expect(again.body.secret).toMatch(/^whsec_/);
  });

  it('When a delivery was committed but never queued, then the sweeper queues it', async () => {
    const id = await db().transaction(async (trx) => recordEvent(trx, { payerId: await payerId(b.npwrd), type: 'bill.paid', data: { lost: true } }));
    await db()('webhook_deliveries').where({ id }).update({ next_attempt_at: new Date(Date.now() - 120_000) });
    expect(await requeuePendingDeliveries(db(), 60_000)).toBe(1);
    await waitFor('delivered by the sweeper', async () => (await delivery(id!)).status === 'delivered');
    expect(await requeuePendingDeliveries(db(), 0)).toBe(0);
    expect(receiver.at('/b').some((r) => JSON.parse(r.body).data.lost === true)).toBe(true);
  });

  it('When an endpoint URL is not one Kasda delivers to, then the delivery is refused, not sent', async () => {
    const id = await db().transaction(async (trx) => {
      const pid = await payerId(e.npwrd);
      await trx('webhook_endpoints').insert({ payer_id: pid, url: `http://user:pw@127.0.0.1:1/e`, secret_encrypted: 'v1.x.y.z' });
      return recordEvent(trx, { payerId: pid, type: 'bill.paid', data: {} });
    });
    await dispatchDeliveries([id!]);
    await waitFor('refused', async () => (await delivery(id!)).status === 'failed');
    expect((await delivery(id!)).last_error).toMatch(/^refused: URL must not carry a user name or password/);
  });

  it('When the endpoint cannot be reached, then the network error is recorded and retried until the attempts run out', async () => {
    const closed = await startReceiver();
    await closed.close();
    expect((await put(f.npwrd, { url: `${closed.base}/f` })).status).toBe(200);
    const id = await emit(f.npwrd);
    await waitFor('failed', async () => (await delivery(id!)).status === 'failed');
    const row = await delivery(id!);
    expect(row).toMatchObject({ attempts: 3, last_http_status: null });
    expect(row.last_error).toMatch(/ECONNREFUSED/);
  });

  it('An admin pages through the outbox, newest first, and filters by type and status', async () => {
    const first = await events('?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await events(`?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.data).toHaveLength(2);
    const ids = [...first.body.data, ...second.body.data].map((x: { id: string }) => x.id);
    expect(new Set(ids).size).toBe(4);
    const all = await events('?limit=500');
    expect(all.body.next_cursor).toBeNull();
    expect(all.body.data.slice(0, 4).map((x: { id: string }) => x.id)).toEqual(ids);

    const expired = await events('?type=bill.expired');
    expect(expired.body.data.map((x: { type: string }) => x.type)).toEqual(['bill.expired']);
    const skipped = await events('?status=skipped');
    expect(skipped.body.data.length).toBeGreaterThanOrEqual(2);
    for (const ev of skipped.body.data) expect(ev.deliveries.some((x: { status: string }) => x.status === 'skipped')).toBe(true);

    expect((await events('', stack.token({ role: 'finance' }))).status).toBe(200);
    expect((await events('', stack.token({ role: 'auditor' }))).status).toBe(200);
    expect((await events('', stack.token({ role: 'opd_admin', opd: 'DISKOMINFO' }))).status).toBe(403);
  });

  it.each([
    ['a non-http URL', () => put(a.npwrd, { url: 'ftp://example.com/hook' }), 400, 'validation_failed'],
    ['a javascript: URL', () => put(a.npwrd, { url: 'javascript:alert(1)' }), 400, 'validation_failed'],
    ['a URL with credentials', () => put(a.npwrd, { url: 'https://user:pass@example.com/hook' }), 400, 'invalid_webhook_url'],
    ['a URL that does not parse', () => put(a.npwrd, { url: 'https://exa mple.com/hook' }), 400, 'invalid_webhook_url'],
    ['a huge URL', () => put(a.npwrd, { url: `https://example.com/${'a'.repeat(5000)}` }), 400, 'validation_failed'],
    ['an unknown field', () => put(a.npwrd, { url: 'https://example.com/hook', events: ['bill.paid'] }), 400, 'validation_failed'],
    ['no URL', () => put(a.npwrd, { secret: 'x'.repeat(32) }), 400, 'validation_failed'],
    ['a short secret', () => put(a.npwrd, { url: 'https://example.com/hook', secret: 'short' }), 400, 'validation_failed'],
    ['a secret with spaces', () => put(a.npwrd, { url: 'https://example.com/hook', secret: 'has spaces in it and is long enough' }), 400, 'validation_failed'],
    ['an unknown query parameter', () => events('?colour=red'), 400, 'validation_failed'],
    ['an unknown event type', () => events('?type=bill.lost'), 400, 'validation_failed'],
    ['a forged cursor', () => events('?cursor=Zm9yZ2Vk'), 400, 'invalid_cursor'],
    ['a malformed event id', () => resend('42'), 400, 'validation_failed'],
    ['an absent event', () => resend('evt_000000000000000000000000'), 404, 'webhook_event_not_found'],
  ])('When a request has %s, then it is refused with its own code', async (_what, send, status, code) => {
    const before = await getEndpoint(a.npwrd);
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect((await getEndpoint(a.npwrd)).body).toEqual(before.body);
  });
});
