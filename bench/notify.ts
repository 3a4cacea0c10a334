import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { config } from '../src/config';
import { verifyLedger } from '../src/modules/ledger/verify';
import { QUEUES } from '../src/queues';
import { seedPadang } from '../seeds/padang';
import { BenchEnv, freshEnv, heading, log, round, Sizes, waitUntil } from './lib/common';
import { IssuedBill, seedIssuedBills } from './lib/issued';
import { defineBenchLevy } from './lib/levy';
import { machineCpu, Proc, startKasda, startProc } from './lib/procs';

/**
 * Notifications end to end: API and worker processes of their own, a separate load process posting
 * encrypted BNI notifications for distinct issued bills, the applied rate measured from the first
 * send until the last bill is paid, then the ledger and audit chains verified and every payment
 * checked to have been applied exactly once.
 */
export interface NotifyFigures {
  appliedPerSecond: number;
  ackPerSecond: number;
  ackP50: number;
  ackP99: number;
  /** At half the applied rate, when measured. */
  halfRate?: { rate: number; ackP50: number; ackP99: number; appliedPerSecond: number };
  verifySeconds: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function waitForApi(url: string, proc: Proc): Promise<void> {
  await waitUntil(
    `${proc.name} to listen`,
    async () => {
      if (proc.exitCode !== null) throw new Error(`${proc.name} exited with ${proc.exitCode}`);
      return fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
    },
    60_000,
    100,
  );
}

/** Waits until `count` worker processes have their blocking connection on `queueName`. */
export async function waitForWorkers(env: BenchEnv, queueName: string, count: number, procs: Proc[]): Promise<void> {
  const connection = new Redis(config().REDIS_URL, { maxRetriesPerRequest: null });
  const q = new Queue(queueName, { connection, prefix: env.prefix });
  try {
    await waitUntil(
      `${count} worker(s) on ${queueName}`,
      async () => {
        const dead = procs.find((p) => p.exitCode !== null);
        if (dead) throw new Error(`${dead.name} exited with ${dead.exitCode}`);
        return (await q.getWorkersCount()) >= count;
      },
      60_000,
      100,
    );
  } finally {
    await q.close();
    connection.disconnect();
  }
}

interface LoadResult {
  requests: number;
  failed: number;
  failures: string[];
  firstSendAt: number;
  seconds: number;
  ackPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** The load generator's own CPU while it sent. */
  cpuMs: number;
}

async function runLoad(
  label: string,
  env: BenchEnv,
  targets: string[],
  bills: IssuedBill[],
  opts: { concurrency: number; ratePerSecond: number | null; duplicateEvery: number | null },
): Promise<LoadResult> {
  const file = path.join(os.tmpdir(), `kasda-bench-${process.pid}-${label.replace(/\W+/g, '-')}.json`);
  const c = config();
  fs.writeFileSync(
    file,
    JSON.stringify({
      targets,
      notifications: bills.map((b) => ({ trx_id: b.trx_id, virtual_account: b.virtual_account, amount: b.amount, ntb: `NTB${b.id}` })),
      clientId: c.BNI_CLIENT_ID,
      secret: c.BNI_SECRET_KEY,
      ...opts,
    }),
  );
  try {
    const load = startProc(`load-${label}`, 'bench/notify-load.ts', [file], { env: env.env, kasda: false });
    const result = JSON.parse((await load.output()).trim().split('\n').pop()!) as LoadResult;
    if (result.failed) throw new Error(`${result.failed} notifications were not acknowledged with 000: ${result.failures.join(' | ')}`);
    return result;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

async function paidCount(env: BenchEnv): Promise<number> {
  const [{ n }] = await env.db('bills').where({ status: 'paid' }).count<{ n: number }[]>('* as n');
  return Number(n);
}

/** Payments whose receipt is not rendered yet. */
async function receiptBacklog(env: BenchEnv): Promise<number> {
  const { rows } = await env.db.raw(
    `SELECT count(*)::int AS n FROM payments p WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.payment_id = p.id AND d.kind = 'receipt')`,
  );
  return rows[0].n;
}

/** Sends, then waits for every bill to be paid; the applied rate runs from the first send. */
async function phase(
  label: string,
  env: BenchEnv,
  procs: Proc[],
  targets: string[],
  bills: IssuedBill[],
  paidBefore: number,
  opts: { concurrency: number; ratePerSecond: number | null; duplicateEvery: number | null },
) {
  const cpuBefore = procs.map((p) => p.cpuSeconds());
  const machineBefore = machineCpu();
  const load = await runLoad(label, env, targets, bills, opts);
  const expected = paidBefore + bills.length;
  const doneAt = await waitUntil(`${bills.length} bills paid`, async () => (await paidCount(env)) >= expected, 600_000, 100);
  const appliedPerSecond = bills.length / ((doneAt - load.firstSendAt) / 1000);
  const machine = machineCpu();
  const busy = (machine.busy - machineBefore.busy) / (machine.total - machineBefore.total);
  const perPayment = procs.map((p, i) => `${p.name.split('/').pop()} ${round(((p.cpuSeconds() - cpuBefore[i]) * 1000) / bills.length, 2)} ms`);
  log(
    `  ${label}: ${bills.length} notifications, acknowledged at ${round(load.ackPerSecond)}/s ` +
      `(p50 ${round(load.p50, 2)} ms, p90 ${round(load.p90, 2)} ms, p99 ${round(load.p99, 2)} ms, max ${round(load.max)} ms); ` +
      `applied end to end at ${round(appliedPerSecond)}/s`,
  );
  log(
    `    CPU per payment: ${perPayment.join(', ')}, load generator ${round(load.cpuMs / bills.length, 2)} ms; ` +
      `the machine was ${round(busy * 100)}% busy (every process on it); receipts not yet rendered: ${await receiptBacklog(env)}`,
  );
  return { load, appliedPerSecond };
}

/** Every payment applied exactly once: one payment per bill, one applied inbox row per payment. */
async function checkExactlyOnce(env: BenchEnv, expected: number): Promise<void> {
  const { rows } = await env.db.raw(`
    SELECT (SELECT count(*) FROM payments)::int AS payments,
           (SELECT count(DISTINCT bill_id) FROM payments)::int AS bills_with_payment,
           (SELECT count(*) FROM bank_notifications WHERE status = 'applied')::int AS applied,
           (SELECT count(*) FROM bank_notifications WHERE status <> 'applied')::int AS other,
           (SELECT coalesce(sum(duplicates), 0) FROM bank_notifications)::int AS resent,
           (SELECT count(*) FROM bills WHERE status = 'paid' AND paid_amount = amount)::int AS paid,
           (SELECT count(*) FROM ledger_entries WHERE kind = 'payment')::int AS postings`);
  const r = rows[0];
  const ok = [r.payments, r.bills_with_payment, r.applied, r.paid, r.postings].every((n: number) => n === expected) && r.other === 0;
  log(
    `  exactly once: ${r.payments} payments on ${r.bills_with_payment} bills, ${r.applied} inbox rows applied, ` +
      `${r.resent} resends answered as duplicates, ${r.postings} ledger postings: ${ok ? 'OK' : 'BROKEN'}`,
  );
  if (!ok) throw new Error(`exactly-once check failed: ${JSON.stringify(r)}`);
}

export async function benchNotifications(s: Sizes, opts: { apis: number; workers: number; halfRate: boolean }): Promise<NotifyFigures> {
  const label = opts.apis > 1 || opts.workers > 1 ? `notify${opts.apis}x${opts.workers}` : 'notify';
  heading(`Notifications: ${s.notifications} distinct bills, ${opts.apis} API and ${opts.workers} worker process(es)`);
  const env = await freshEnv(label);
  const procs: Proc[] = [];
  try {
    await seedPadang(env.db);
    const levy = await defineBenchLevy(env.db);
    const half = opts.halfRate ? Math.round(s.notifications / 2) : 0;
    const seededAt = Date.now();
    const bills = await seedIssuedBills(env.db, levy, s.notifications + half);
    log(`  seeded ${bills.length} issued bills in SQL in ${round((Date.now() - seededAt) / 1000)} s`);

    const targets: string[] = [];
    for (let i = 0; i < opts.apis; i++) {
      const port = await freePort();
      const api = startKasda(`${label}/api${i + 1}`, 'serve', { env: { ...env.env, PORT: String(port), HOST: '127.0.0.1' } });
      procs.push(api);
      await waitForApi(`http://127.0.0.1:${port}`, api);
      targets.push(`http://127.0.0.1:${port}/api/v1/bank-callbacks/bni-ecollection`);
    }
    // Receipts render in a process of their own at a lower priority (WORKER_NICE), as
    // docs/scaling.md advises, so a burst's receipts trail it without starving the bank's answers;
    // its CPU is counted like every other Kasda process's.
    const workerEnv = { ...env.env, WORKER_QUEUES: 'assessments,payments,webhooks,maintenance,issuing' };
    const workers = Array.from({ length: opts.workers }, (_, i) => startKasda(`${label}/worker${i + 1}`, 'work', { env: workerEnv }));
    const receipts = startKasda(`${label}/receipts`, 'work', { env: { ...env.env, WORKER_QUEUES: 'receipts', WORKER_NICE: '10' } });
    procs.push(...workers, receipts);
    await waitForWorkers(env, QUEUES.payments, opts.workers, workers);
    await waitForWorkers(env, QUEUES.receipts, 1, [receipts]);

    const scaled = opts.apis > 1;
    const max = await phase('max rate', env, procs, targets, bills.slice(0, s.notifications), 0, {
      concurrency: 16 * opts.apis,
      ratePerSecond: null,
      // Scale-out also has every 10th notification resent at once to the other API process.
      duplicateEvery: scaled ? 10 : null,
    });
    const verifyStarted = Date.now();
    const report = await verifyLedger(env.db);
    const verifySeconds = (Date.now() - verifyStarted) / 1000;
    log(`  verifyLedger: ${report.entries} entries, ${report.audit.entries} audit entries, ${report.ok ? 'OK' : 'FAILED'} in ${round(verifySeconds, 2)} s`);
    if (!report.ok) throw new Error('the ledger does not verify');
    await checkExactlyOnce(env, s.notifications);

    const figures: NotifyFigures = {
      appliedPerSecond: max.appliedPerSecond,
      ackPerSecond: max.load.ackPerSecond,
      ackP50: max.load.p50,
      ackP99: max.load.p99,
      verifySeconds,
    };
    if (half) {
      const rate = max.appliedPerSecond / 2;
      const h = await phase(`half rate (${round(rate)}/s)`, env, procs, targets, bills.slice(s.notifications), s.notifications, {
        concurrency: 0,
        ratePerSecond: rate,
        duplicateEvery: null,
      });
      figures.halfRate = { rate, ackP50: h.load.p50, ackP99: h.load.p99, appliedPerSecond: h.appliedPerSecond };
      const again = await verifyLedger(env.db);
      if (!again.ok) throw new Error('the ledger does not verify after the half-rate phase');
      await checkExactlyOnce(env, bills.length);
    }
    return figures;
  } finally {
    for (const p of procs.reverse()) await p.stop();
    await env.close();
  }
}
