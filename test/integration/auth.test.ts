import jwt from 'jsonwebtoken';
import request from 'supertest';
import { config } from '../../src/config';
import { owners } from '../../seeds/data/padang-towers';
import { startStack, Stack, waitFor } from '../support/harness';

describe('Auth: every /api/v1 route needs a token, and a payer sees only its own bills', () => {
  let stack: Stack;
  let admin: string;
  let mine: string;
  let theirs: string;
  const [me, other] = owners;

  beforeAll(async () => {
    stack = await startStack();
    admin = stack.token({ role: 'admin' });
    const run = await request(stack.url)
      .post('/api/v1/assessments')
      .set('Authorization', `Bearer ${admin}`)
      .send({ levy_type: 'retribusi-menara', period: '2027' });
    await waitFor('assessment', async () => {
      const r = await request(stack.url).get(`/api/v1/assessments/${run.body.id}`).set('Authorization', `Bearer ${admin}`);
      return r.body.status === 'completed';
    });
    const list = await request(stack.url).get('/api/v1/bills').set('Authorization', `Bearer ${admin}`);
    mine = list.body.data.find((b: { payer: { npwrd: string } }) => b.payer.npwrd === me.npwrd).bill_no;
    theirs = list.body.data.find((b: { payer: { npwrd: string } }) => b.payer.npwrd === other.npwrd).bill_no;
  });
  afterAll(() => stack.close());

  const get = (path: string, token?: string) => {
    const r = request(stack.url).get(path);
    return token ? r.set('Authorization', `Bearer ${token}`) : r;
  };

  it.each([
    ['no header', undefined],
    ['a token signed with another secret', jwt.sign({ sub: 'x', role: 'admin' }, 'not-the-secret-'.repeat(3), { issuer: 'kasda' })],
    ['an expired token', jwt.sign({ sub: 'x', role: 'admin', exp: Math.floor(Date.now() / 1000) - 60 }, config().JWT_SECRET, { issuer: 'kasda' })],
    ['a token of another issuer', jwt.sign({ sub: 'x', role: 'admin' }, config().JWT_SECRET, { issuer: 'elsewhere' })],
    ['a token with an unknown role', jwt.sign({ sub: 'x', role: 'root' }, config().JWT_SECRET, { issuer: 'kasda' })],
    ['a payer token without its NPWRD', jwt.sign({ sub: 'x', role: 'payer' }, config().JWT_SECRET, { issuer: 'kasda' })],
    ['an unsigned token', jwt.sign({ sub: 'x', role: 'admin' }, '', { algorithm: 'none', issuer: 'kasda' } as jwt.SignOptions)],
    ['garbage', 'not.a.jwt'],
  ])('When a request carries %s, then it gets 401 and no data', async (_what, token) => {
    for (const path of ['/api/v1/bills', `/api/v1/bills/${mine}`, '/api/v1/levy-types']) {
      const res = await get(path, token);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
      expect(res.body.data).toBeUndefined();
    }
  });

  it('A payer listing bills sees only its own, even when it asks for another payer', async () => {
    const token = stack.token({ role: 'payer', npwrd: me.npwrd });
    const own = await get('/api/v1/bills', token);
    expect(own.status).toBe(200);
    expect(own.body.data.map((b: { bill_no: string }) => b.bill_no)).toEqual([mine]);
    const asked = await get(`/api/v1/bills?payer=${encodeURIComponent(other.npwrd)}`, token);
    expect(asked.status).toBe(200);
    expect(asked.body.data).toEqual([]);
  });

  it("A payer asking for another payer's bill or SKRD gets 404, as if it did not exist", async () => {
    const token = stack.token({ role: 'payer', npwrd: me.npwrd });
    expect((await get(`/api/v1/bills/${mine}`, token)).status).toBe(200);
    for (const path of [`/api/v1/bills/${theirs}`, `/api/v1/bills/${theirs}/skrd.pdf`]) {
      const res = await get(path, token);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('bill_not_found');
    }
  });

  it('An OPD admin of another OPD sees none of Diskominfo’s levy types or bills', async () => {
    const token = stack.token({ role: 'opd_admin', opd: 'BAPENDA' });
    expect((await get('/api/v1/levy-types', token)).body.data).toEqual([]);
    expect((await get('/api/v1/bills', token)).body.data).toEqual([]);
    expect((await get(`/api/v1/bills/${mine}`, token)).status).toBe(404);
    const assess = await request(stack.url)
      .post('/api/v1/assessments')
      .set('Authorization', `Bearer ${token}`)
      .send({ levy_type: 'retribusi-menara', period: '2028' });
    expect(assess.status).toBe(404);
  });

  it('Diskominfo’s OPD admin sees its levy type and bills', async () => {
    const token = stack.token({ role: 'opd_admin', opd: 'DISKOMINFO' });
    expect((await get('/api/v1/levy-types', token)).body.data.map((l: { code: string }) => l.code)).toEqual(['retribusi-menara']);
    expect((await get('/api/v1/bills', token)).body.data).toHaveLength(owners.length);
  });

  it.each([
    ['payer', { npwrd: owners[0].npwrd }],
    ['auditor', {}],
  ] as const)('A %s may not start an assessment or retry issuing (403)', async (role, extra) => {
    const token = stack.token({ role, ...extra });
    const a = await request(stack.url)
      .post('/api/v1/assessments')
      .set('Authorization', `Bearer ${token}`)
      .send({ levy_type: 'retribusi-menara', period: '2028' });
    expect(a.status).toBe(403);
    expect(a.body.error.code).toBe('forbidden');
    const r = await request(stack.url).post(`/api/v1/bills/${mine}/issue`).set('Authorization', `Bearer ${token}`);
    expect(r.status).toBe(403);
  });

  it('An auditor reads everything but changes nothing', async () => {
    const token = stack.token({ role: 'auditor' });
    expect((await get('/api/v1/bills', token)).body.data).toHaveLength(owners.length);
    expect((await get(`/api/v1/bills/${theirs}`, token)).status).toBe(200);
  });

  it('The queue dashboard is for admins only', async () => {
    expect((await get('/admin/queues')).status).toBe(401);
    expect((await get('/admin/queues', stack.token({ role: 'finance' }))).status).toBe(403);
    expect((await get('/admin/queues', admin)).status).toBe(200);
  });

  it('Health, readiness, metrics and the API docs need no token', async () => {
    expect((await get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await get('/readyz')).body).toEqual({ status: 'ok', checks: { database: 'ok', redis: 'ok' } });
    const metrics = await get('/metrics');
    expect(metrics.text).toContain('kasda_http_request_duration_seconds');
    expect(metrics.text).toContain('kasda_bank_call_duration_seconds');
    expect(metrics.text).toContain('kasda_queue_jobs');
    expect((await get('/api/docs/')).status).toBe(200);
  });
});
