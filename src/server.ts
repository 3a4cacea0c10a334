import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app';
import { config } from './config';
import { db } from './db';
import { logger } from './logger';
import { closeQueues, redisConnection } from './queues';

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the API; port 0 picks a free one (tests, the demo). */
export async function startServer(port = config().PORT, host = config().HOST): Promise<RunningServer> {
  const redis = redisConnection(false);
  const app = await createApp({ db: db(), redis });
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const actual = (server.address() as AddressInfo).port;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actual}`;
  logger.info({ url }, 'API listening');
  return {
    url,
    port: actual,
    async close() {
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeQueues();
      redis.disconnect();
    },
  };
}
