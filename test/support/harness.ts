import crypto from 'node:crypto';
import { startBankSimulator, BankSimulator } from '../../src/banks/bni-ecollection/simulator';
import { snapSimulatorOptions } from '../../src/banks/snap/dev';
import { SnapSimulator, startSnapSimulator } from '../../src/banks/snap/simulator';
import { config, resetConfig } from '../../src/config';
import { closeDb, db, dropDatabase, ensureDatabase } from '../../src/db';
import { Principal, signToken } from '../../src/modules/auth/tokens';
import { closeQueues, deleteQueueKeys } from '../../src/queues';
import { startServer } from '../../src/server';
import { startWorkers, Workers } from '../../src/worker';
import { seedPadang } from '../../seeds/padang';

/**
 * Each test file gets its own database, cloned from the run's migrated template (fast), and its
 * own queue prefix; the real PostgreSQL and Redis, the real API on a free port, the real workers,
 * and the bundled BNI simulator standing in for the bank.
 */
const template = new URL(process.env.DATABASE_URL!).pathname.slice(1);

export async function useFreshDatabase(): Promise<() => Promise<void>> {
  const name = `${template}_${crypto.randomBytes(4).toString('hex')}`;
  const u = new URL(process.env.DATABASE_URL!);
  u.pathname = `/${name}`;
  await ensureDatabase(u.toString(), template);
  process.env.DATABASE_URL = u.toString();
  const prefix = `{kasda-test-${crypto.randomBytes(4).toString('hex')}}`;
  process.env.QUEUE_PREFIX = prefix;
  resetConfig();
  return async () => {
    await closeDb();
    await dropDatabase(u.toString());
    await deleteQueueKeys(prefix);
  };
}

export interface Stack {
  url: string;
  nagari: SnapSimulator;
  stopWorkers(): Promise<void>;
  sim: BankSimulator;
  simUrl: string;
  token(p: Partial<Principal> & Pick<Principal, 'role'>): string;
  close(): Promise<void>;
}

export async function startStack(opts: { seed?: boolean; workers?: boolean } = {}): Promise<Stack> {
  const dropDb = await useFreshDatabase();
  if (opts.seed !== false) await seedPadang(db());
  const server = await startServer(0, '127.0.0.1');
  const sim = await startBankSimulator({
    port: 0,
    clientId: config().BNI_CLIENT_ID,
    secret: config().BNI_SECRET_KEY,
    prefix: config().BNI_PREFIX,
    callbackUrl: `${server.url}/api/v1/bank-callbacks/bni-ecollection`,
  });
  const nagari = await startSnapSimulator({
    port: 0,
    ...snapSimulatorOptions(`${server.url}/api/v1/bank-callbacks/bank-nagari/v1.0/transfer-va/payment`),
  });
  process.env.BNI_BASE_URL = sim.url;
  process.env.NAGARI_BASE_URL = nagari.url;
  resetConfig();
  let workers: Workers | undefined;
  if (opts.workers !== false) workers = await startWorkers(db());
  return {
    url: server.url,
    sim: sim.sim,
    nagari: nagari.sim,
    simUrl: sim.url,
    token: (p) => signToken({ sub: 'test', ...p } as Principal),
    async stopWorkers() {
      await workers?.close();
      workers = undefined;
    },
    async close() {
      await workers?.close();
      await server.close();
      await sim.close();
      await nagari.close();
      await closeQueues();
      await dropDb();
    },
  };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
