import fs from 'node:fs';
import path from 'node:path';
import nock from 'nock';

// Runs in every test file before it loads: point the code at the run's own database and Redis key
// prefix (written by global-setup), and make sure no test can reach beyond this machine.
const run = JSON.parse(fs.readFileSync(path.join(__dirname, '.run.json'), 'utf8')) as {
  databaseUrl: string;
  queuePrefix: string;
};
process.env.NODE_ENV = 'test';
process.env.DATABASE_URL = run.databaseUrl;
process.env.QUEUE_PREFIX = run.queuePrefix;
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';

nock.disableNetConnect();
nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);
