import nock from 'nock';

// Runs in every test file before it loads: point the code at the run's own database and Redis key
// prefix (set by global-setup), and make sure no test can reach beyond this machine.
process.env.NODE_ENV = 'test';
process.env.DATABASE_URL = process.env.KASDA_TEST_DATABASE_URL;
process.env.QUEUE_PREFIX = process.env.KASDA_TEST_QUEUE_PREFIX;
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';

nock.disableNetConnect();
nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);

// nock patches Node's shared http module, and each test file loads its own copy of nock. A copy is
// active only while its own file's tests run: a file whose tests are all skipped runs no hooks,
// and its copy, left active from its import on, stood in front of every later file's copy and
// refused their requests ("Disallowed net connect") with their interceptors still pending.
nock.restore();
beforeAll(() => {
  nock.activate();
});
afterAll(() => {
  nock.cleanAll();
  nock.restore();
});
