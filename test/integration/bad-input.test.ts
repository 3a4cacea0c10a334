import request from 'supertest';
import { startStack, Stack } from '../support/harness';

describe('Bad input gets a 4xx with a stable code, never a 500, and the server stays up', () => {
  let stack: Stack;
  let admin: string;

  beforeAll(async () => {
    stack = await startStack({ workers: false });
    admin = stack.token({ role: 'admin' });
  });
  afterAll(() => stack.close());

  const post = (path: string) => request(stack.url).post(path).set('Authorization', `Bearer ${admin}`);
  const get = (path: string) => request(stack.url).get(path).set('Authorization', `Bearer ${admin}`);

  it.each([
    ['malformed JSON', () => post('/api/v1/assessments').set('Content-Type', 'application/json').send('{"levy_type": "retribusi-menara",'), 400, 'malformed_json'],
    ['a JSON array instead of an object', () => post('/api/v1/assessments').send([1, 2]), 400, 'validation_failed'],
    ['a number where a string belongs', () => post('/api/v1/assessments').send({ levy_type: 42, period: '2027' }), 400, 'validation_failed'],
    ['a missing field', () => post('/api/v1/assessments').send({ levy_type: 'retribusi-menara' }), 400, 'validation_failed'],
    ['an unknown field', () => post('/api/v1/assessments').send({ levy_type: 'retribusi-menara', period: '2027', amount: 1 }), 400, 'validation_failed'],
    ['a malformed period', () => post('/api/v1/assessments').send({ levy_type: 'retribusi-menara', period: '27' }), 400, 'validation_failed'],
    ['a huge body', () => post('/api/v1/assessments').send({ levy_type: 'x'.repeat(300_000), period: '2027' }), 413, 'payload_too_large'],
    ['a non-JSON content type', () => post('/api/v1/assessments').set('Content-Type', 'text/plain').send('levy_type=x'), 415, 'unsupported_media_type'],
    ['an unknown levy type', () => post('/api/v1/assessments').send({ levy_type: 'no-such-levy', period: '2027' }), 404, 'levy_type_not_found'],
    ['a monthly period for a yearly levy', () => post('/api/v1/assessments').send({ levy_type: 'retribusi-menara', period: '2027-03' }), 400, 'invalid_period'],
    ['an unknown query parameter', () => get('/api/v1/bills?colour=red'), 400, 'validation_failed'],
    ['a limit above 500', () => get('/api/v1/bills?limit=501'), 400, 'validation_failed'],
    ['a non-numeric limit', () => get('/api/v1/bills?limit=ten'), 400, 'validation_failed'],
    ['an unknown status', () => get('/api/v1/bills?status=lost'), 400, 'validation_failed'],
    ['a forged cursor', () => get('/api/v1/bills?cursor=Zm9yZ2Vk'), 400, 'invalid_cursor'],
    ['a malformed bill number', () => get('/api/v1/bills/drop%20table'), 400, 'validation_failed'],
    ['an absent bill', () => get('/api/v1/bills/NOPE-2027-000001'), 404, 'bill_not_found'],
    ['a malformed assessment id', () => get('/api/v1/assessments/not-a-uuid'), 400, 'validation_failed'],
    ['an absent assessment', () => get('/api/v1/assessments/00000000-0000-4000-8000-000000000000'), 404, 'assessment_not_found'],
    ['an unknown route', () => get('/api/v1/nothing-here'), 404, 'not_found'],
    ['a wrong method', () => request(stack.url).delete('/api/v1/bills').set('Authorization', `Bearer ${admin}`), 405, 'method_not_allowed'],
    ['retrying an absent bill', () => post('/api/v1/bills/NOPE-2027-000001/issue'), 404, 'bill_not_found'],
  ])('When a request has %s, then it is refused with its own code', async (_what, send, status, code) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(typeof res.body.error.message).toBe('string');
    expect(res.body.error.request_id).toBeTruthy();
    expect((await request(stack.url).get('/healthz')).status).toBe(200);
  });

  it('A validation error names the failing field', async () => {
    const res = await post('/api/v1/assessments').send({ levy_type: 'retribusi-menara', period: '2027', amount: 1 });
    expect(JSON.stringify(res.body.error)).toContain('amount');
    const typed = await post('/api/v1/assessments').send({ levy_type: 42, period: '2027' });
    expect(typed.body.error.message).toContain('levy_type');
  });

  it('The request id given by the caller is echoed back', async () => {
    const res = await get('/api/v1/bills/NOPE-2027-000001').set('X-Request-Id', 'trace-123');
    expect(res.headers['x-request-id']).toBe('trace-123');
    expect(res.body.error.request_id).toBe('trace-123');
  });
});
