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

// nock patches Node's shared http module; each test file loads its own copy of nock, so the copy of
// the file that ends must take its patch away before the next one installs its own.
afterAll(() => {
  nock.cleanAll();
  nock.restore();
});
