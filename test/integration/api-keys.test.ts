import request from 'supertest';
import { owners } from '../../seeds/data/padang-towers';
import { db } from '../../src/db';
import { startStack, Stack, waitFor } from '../support/harness';

describe("API keys: a payer's own system exchanges a key for a short-lived token", () => {
  let stack: Stack;
  const [me, other] = owners;
  const password = 'correct horse battery staple';
  let cookie: string;
  let csrf: string;

  beforeAll(async () => {
    stack = await startStack();
    const admin = stack.token({ role: 'admin' });
    for (const [email, npwrd] of [['akuntansi@mitratel.example', me.npwrd], ['akuntansi@other.example', other.npwrd]]) {
      await request(stack.url).post('/api/v1/users').set('Authorization', `Bearer ${admin}`).send({ email, name: email, role: 'payer', payer: npwrd, password }).expect(201);
    }
    const run = await request(stack.url).post('/api/v1/assessments').set('Authorization', `Bearer ${admin}`).send({ levy_type: 'retribusi-menara', period: '2027' });
    await waitFor('assessment', async () => (await request(stack.url).get(`/api/v1/assessments/${run.body.id}`).set('Authorization', `Bearer ${admin}`)).body.status === 'completed');
    const signedIn = await request(stack.url).post('/api/v1/auth/sign-in').send({ email: 'akuntansi@mitratel.example', password });
    cookie = (signedIn.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    csrf = signedIn.body.csrf_token;
  });
  afterAll(() => stack.close());

  const newKey = (name: string) => request(stack.url).post('/api/v1/api-keys').set('Cookie', cookie).set('X-CSRF-Token', csrf).send({ name });
  const exchange = (id: string, secret: string) =>
    request(stack.url).post('/api/v1/auth/token').type('form').send({ grant_type: 'client_credentials', client_id: id, client_secret: secret });

  it('When a signed-in payer creates a key, then the secret is shown once and only its hash is kept', async () => {
    const created = await newKey('SAP finance');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'SAP finance', client_id: expect.stringMatching(/^kasda_[0-9a-f]{16}$/), client_secret: expect.stringMatching(/^ksk_/), revoked_at: null });
    const listed = await request(stack.url).get('/api/v1/api-keys').set('Cookie', cookie);
    expect(listed.body.data).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.client_secret);
    const stored = await db()('api_keys').where({ client_id: created.body.client_id }).first();
    expect(JSON.stringify(stored)).not.toContain(created.body.client_secret);
  });

  it('When the system exchanges its key, then the token reads only its own bills and registers its webhook', async () => {
    const { body: key } = await newKey('ERP');
    const token = await exchange(key.client_id, key.client_secret);
    expect(token.status).toBe(200);
    expect(token.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect(token.headers['cache-control']).toBe('no-store');
    const bearer = `Bearer ${token.body.access_token}`;
    const bills = await request(stack.url).get('/api/v1/bills').set('Authorization', bearer);
    expect(bills.body.data.length).toBeGreaterThan(0);
    expect(new Set(bills.body.data.map((b: { payer: { npwrd: string } }) => b.payer.npwrd))).toEqual(new Set([me.npwrd]));
    const hook = await request(stack.url).put('/api/v1/webhook-endpoint').set('Authorization', bearer).send({ url: 'https://erp.mitratel.example/kasda' });
    expect(hook.status).toBe(200);
    expect(hook.body.secret).toMatch(/^whsec_/);

    const basic = await request(stack.url)
      .post('/api/v1/auth/token')
      .auth(key.client_id, key.client_secret)
      .type('form')
      .send({ grant_type: 'client_credentials' });
    expect(basic.status).toBe(200);
    const json = await request(stack.url).post('/api/v1/auth/token').send({ grant_type: 'client_credentials', client_id: key.client_id, client_secret: key.client_secret });
    expect(json.status).toBe(200);

    const minted = await request(stack.url).post('/api/v1/api-keys').set('Authorization', bearer).send({ name: 'self-made' });
    expect(minted.status).toBe(403);
  });

  it.each([
    ['a wrong secret', (k: { client_id: string }) => [k.client_id, 'ksk_wrong']],
    ['an unknown client id', (k: { client_secret: string }) => ['kasda_0000000000000000', k.client_secret]],
  ])('When the system sends %s, then 401 invalid_client', async (_what, creds) => {
    const { body: key } = await newKey('typo');
    const [id, secret] = creds(key);
    const r = await exchange(id, secret);
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('invalid_client');
  });

  it('When the payer revokes a key, then it is no longer exchanged; another payer cannot revoke it', async () => {
    const { body: key } = await newKey('old ERP');
    const otherSignIn = await request(stack.url).post('/api/v1/auth/sign-in').send({ email: 'akuntansi@other.example', password });
    const otherCookie = (otherSignIn.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    const foreign = await request(stack.url).delete(`/api/v1/api-keys/${key.id}`).set('Cookie', otherCookie).set('X-CSRF-Token', otherSignIn.body.csrf_token);
    expect(foreign.status).toBe(404);
    expect((await exchange(key.client_id, key.client_secret)).status).toBe(200);
    expect((await request(stack.url).delete(`/api/v1/api-keys/${key.id}`).set('Cookie', cookie).set('X-CSRF-Token', csrf)).status).toBe(204);
    expect((await request(stack.url).delete(`/api/v1/api-keys/${key.id}`).set('Cookie', cookie).set('X-CSRF-Token', csrf)).status).toBe(204);
    const refused = await exchange(key.client_id, key.client_secret);
    expect(refused.status).toBe(401);
    const listed = await request(stack.url).get('/api/v1/api-keys').set('Cookie', cookie);
    expect(listed.body.data.find((k: { id: number }) => k.id === key.id).revoked_at).toEqual(expect.any(String));
  });
});
