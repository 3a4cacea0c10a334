import request from 'supertest';
import { resetConfig } from '../../src/config';
import { startStack, Stack } from '../support/harness';

describe('Rate limits: sign-in attempts per address and requests per token', () => {
  let stack: Stack;
  const saved = { ...process.env };

  beforeAll(async () => {
    process.env.SIGN_IN_RATE_LIMIT_PER_MINUTE = '3';
    process.env.RATE_LIMIT_PER_TOKEN_PER_MINUTE = '5';
    stack = await startStack({ workers: false });
  });
  afterAll(async () => {
    await stack.close();
    process.env = saved;
    resetConfig();
  });

  it('When an address keeps trying passwords, then it gets 429 rate_limited after the limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await request(stack.url).post('/api/v1/auth/sign-in').send({ email: 'nobody@example.go.id', password: `guess ${i}` })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('When one token sends more than its budget, then it is throttled while another token is not', async () => {
    const busy = stack.token({ role: 'finance', sub: 'busy' });
    const calm = stack.token({ role: 'finance', sub: 'calm' });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await request(stack.url).get('/api/v1/levy-types').set('Authorization', `Bearer ${busy}`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const throttled = await request(stack.url).get('/api/v1/levy-types').set('Authorization', `Bearer ${busy}`);
    expect(throttled.body.error.code).toBe('rate_limited');
    expect(throttled.headers['ratelimit']).toMatch(/r=0/);
    expect((await request(stack.url).get('/api/v1/levy-types').set('Authorization', `Bearer ${calm}`)).status).toBe(200);
  });
});
