import net from 'node:net';
import Redis from 'ioredis';
import request from 'supertest';
import { createApp } from '../../src/app';
import { resetConfig } from '../../src/config';
import { db } from '../../src/db';
import { logger } from '../../src/logger';
import { RunningServer, startServer } from '../../src/server';
import { startStack, Stack } from '../support/harness';

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Rate limits: sign-in attempts per address and requests per token', () => {
  let stack: Stack;
  let second: RunningServer;
  const saved = { ...process.env };

  beforeAll(async () => {
    process.env.SIGN_IN_RATE_LIMIT_PER_MINUTE = '3';
    process.env.RATE_LIMIT_PER_TOKEN_PER_MINUTE = '5';
    stack = await startStack({ workers: false });
    second = await startServer(0, '127.0.0.1');
  });
  afterAll(async () => {
    await second.close();
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

  it('When requests are spread over two API processes, then they count against one limit', async () => {
    const split = stack.token({ role: 'finance', sub: 'split' });
    const answers: request.Response[] = [];
    for (let i = 0; i < 6; i++) {
      const url = i % 2 === 0 ? stack.url : second.url;
      answers.push(await request(url).get('/api/v1/levy-types').set('Authorization', `Bearer ${split}`));
    }
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429]);
    expect(answers[5].body.error.code).toBe('rate_limited');
    expect(answers[4].headers['ratelimit']).toMatch(/r=0/);
    const onFirst = await request(stack.url).get('/api/v1/levy-types').set('Authorization', `Bearer ${split}`);
    expect(onFirst.status).toBe(429);
    expect(onFirst.body.error.code).toBe('rate_limited');
  });

  describe('with the counters’ Redis unreachable', () => {
    let unreachable: Redis;
    let warn: jest.SpyInstance;

    beforeAll(async () => {
      // Refused, and not retried: the connection ends and every command fails.
      unreachable = new Redis(await closedPort(), '127.0.0.1', { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => null });
      unreachable.on('error', () => undefined);
      await new Promise((resolve) => unreachable.once('end', resolve));
      warn = jest.spyOn(logger, 'warn');
    });
    afterAll(() => warn.mockRestore());

    it('When Redis cannot count, then requests pass unlimited and a warning is logged', async () => {
      const app = await createApp({ db: db(), redis: unreachable });
      const offline = stack.token({ role: 'finance', sub: 'offline' });
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await request(app).get('/api/v1/levy-types').set('Authorization', `Bearer ${offline}`)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200]);
      const signIns: number[] = [];
      for (let i = 0; i < 5; i++) {
        signIns.push((await request(app).post('/api/v1/auth/sign-in').send({ email: 'nobody@example.go.id', password: `guess ${i}` })).status);
      }
      expect(signIns).toEqual([401, 401, 401, 401, 401]);
      expect(warn).toHaveBeenCalledWith(expect.objectContaining({ limiter: 'token' }), expect.stringMatching(/allowing request without rate-limiting/));
      expect(warn).toHaveBeenCalledWith(expect.objectContaining({ limiter: 'sign-in' }), expect.stringMatching(/allowing request without rate-limiting/));
    });
  });
});
