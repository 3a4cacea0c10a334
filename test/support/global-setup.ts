import crypto from 'node:crypto';

/**
 * One fresh database per test run, created and migrated here, dropped in global-teardown.
 * Queues use a random hash-tagged prefix so runs never see each other's jobs.
 */
export default async function globalSetup(): Promise<void> {
  const id = `${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;
  const base = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const u = new URL(base);
  u.pathname = `/kasda_test_${id}`;
  const run = { databaseUrl: u.toString(), queuePrefix: `{kasda-test-${id}}` };
  // Test files (in this process or in workers started after this) read these.
  process.env.KASDA_TEST_DATABASE_URL = run.databaseUrl;
  process.env.KASDA_TEST_QUEUE_PREFIX = run.queuePrefix;

  process.env.DATABASE_URL = run.databaseUrl;
  const { ensureDatabase, createDb, migrateLatest } = await import('../../src/db');
  await ensureDatabase(run.databaseUrl);
  const d = createDb(run.databaseUrl, 2);
  try {
    await migrateLatest(d);
  } finally {
    await d.destroy();
  }
}
