import { dropDatabase } from '../../src/db';
import { deleteQueueKeys } from '../../src/queues';

export default async function globalTeardown(): Promise<void> {
  await dropDatabase(process.env.KASDA_TEST_DATABASE_URL!);
  await deleteQueueKeys(process.env.KASDA_TEST_QUEUE_PREFIX!, process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
}
