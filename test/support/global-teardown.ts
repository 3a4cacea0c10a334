import pg from 'pg';
import Redis from 'ioredis';

export default async function globalTeardown(): Promise<void> {
  const run = { databaseUrl: process.env.KASDA_TEST_DATABASE_URL!, queuePrefix: process.env.KASDA_TEST_QUEUE_PREFIX! };
  const u = new URL(run.databaseUrl);
  const name = u.pathname.slice(1);
  u.pathname = '/postgres';
  const client = new pg.Client({ connectionString: u.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${run.queuePrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
