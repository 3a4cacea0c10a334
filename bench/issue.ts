import fs from 'node:fs';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { config } from '../src/config';
import { QUEUES } from '../src/queues';
import { BNI_CHANNEL, seedPadang } from '../seeds/padang';
import { assessInChild } from './assess';
import { freshEnv, heading, log, round, Sizes, waitUntil } from './lib/common';
import { defineBenchLevy, seedBenchObjects } from './lib/levy';
import { machineCpu, Proc, startKasda } from './lib/procs';
import { freePort, waitForWorkers } from './notify';

/** The simulator's answer time and the channel's concurrency: the ideal is their ratio. */
const LATENCY_MS = 20;
const CONCURRENCY = 32;

/** CPU seconds of a process so far, from /proc/<pid>/stat (user + system, 100 ticks a second); 0 once it is gone. */
function cpuSecondsOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export interface IssueFigures {
  perSecond: number;
  idealPerSecond: number;
}

/**
 * Issuing: bills assessed (the real runAssessment) with their VA jobs waiting on a paused queue,
 * then a worker process creates every VA on the BNI simulator (its own process, answering after
 * 20 ms) through the real connector, 32 at a time. Timed from the queue's resume until the last
 * bill is issued; the CPU per VA is read from /proc for the simulator, the worker and the
 * PostgreSQL backends serving the bench's database.
 */
export async function benchIssuing(s: Sizes): Promise<IssueFigures> {
  heading(`Issuing: ${s.issueBills} VAs, simulator latency ${LATENCY_MS} ms, channel concurrency ${CONCURRENCY}`);
  const env = await freshEnv('issue');
  const procs: Proc[] = [];
  const connection = new Redis(config().REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUES.issueVa(BNI_CHANNEL), { connection, prefix: env.prefix });
  try {
    await seedPadang(env.db);
    // The limit BullMQ enforces stays out of the way: the ideal is set by concurrency and latency.
    await env.db('bank_channels').where({ code: BNI_CHANNEL }).update({ concurrency: CONCURRENCY, rate_per_second: 10_000 });
    const levy = await defineBenchLevy(env.db);
    await seedBenchObjects(env.db, levy, s.issueBills);
    await env.db.raw('ANALYZE');
    await queue.pause();
    const assessed = await assessInChild(env, levy, 'issue/assess');
    log(`  assessed ${assessed.run.bills_created} bills in ${round(assessed.seconds, 2)} s; their VA jobs wait on the paused queue`);

    const [bniPort, snapPort] = [await freePort(), await freePort()];
    const sim = startKasda('issue/bank-sim', 'bank-sim', {
      env: { ...env.env, BANK_SIM_PORT: String(bniPort), SNAP_SIM_PORT: String(snapPort), BANK_SIM_LATENCY_MS: String(LATENCY_MS) },
      kasda: false,
    });
    procs.push(sim);
    const simUrl = `http://127.0.0.1:${bniPort}/`;
    await waitUntil(
      'the bank simulator',
      async () => {
        if (sim.exitCode !== null) throw new Error(`the simulator exited with ${sim.exitCode}`);
        return fetch(`${simUrl}sim/bills`).then(
          (r) => r.ok,
          () => false,
        );
      },
      60_000,
    );
    const worker = startKasda('issue/worker', 'work', { env: { ...env.env, BNI_BASE_URL: simUrl } });
    procs.push(worker);
    await waitForWorkers(env, QUEUES.issueVa(BNI_CHANNEL), 1, [worker]);

    // PostgreSQL's share: the backends serving this database (the worker's pool), less the ones
    // the bench itself polls through.
    const benchBackends = new Set<number>();
    const backends = async () => {
      const { rows } = await env.db.raw('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
      return new Map<number, number>(rows.map((r: { pid: number }) => [r.pid, cpuSecondsOf(r.pid)]));
    };
    const count = async () => {
      const [row] = await env.db('bills')
        .whereIn('status', ['issued', 'issue_failed'])
        .select(env.db.raw('pg_backend_pid() AS pid'), env.db.raw(`count(*) FILTER (WHERE status = 'issue_failed')::int AS failed`), env.db.raw('count(*)::int AS done'));
      benchBackends.add(row.pid);
      return row as { done: number; failed: number };
    };

    const cpuBefore = procs.map((p) => p.cpuSeconds());
    const databaseBefore = await backends();
    const machineBefore = machineCpu();
    const started = Date.now();
    await queue.resume();
    const doneAt = await waitUntil(`${s.issueBills} VAs`, async () => (await count()).done >= s.issueBills, 600_000, 100);
    const databaseAfter = await backends();
    const { failed } = await count();
    if (failed) throw new Error(`${failed} bills failed to issue`);
    const perSecond = s.issueBills / ((doneAt - started) / 1000);
    const idealPerSecond = CONCURRENCY / (LATENCY_MS / 1000);
    const machine = machineCpu();
    const busy = (machine.busy - machineBefore.busy) / (machine.total - machineBefore.total);
    const [{ calls }] = await env.db('bank_requests').count<{ calls: number }[]>('* as calls');
    log(
      `  ${s.issueBills} VAs issued in ${round((doneAt - started) / 1000, 2)} s: ${round(perSecond)}/s against an ideal of ` +
        `${idealPerSecond}/s (×${round(perSecond / idealPerSecond, 3)}); ${calls} bank calls`,
    );
    let databaseCpu = 0;
    for (const [pid, after] of databaseAfter) if (!benchBackends.has(pid)) databaseCpu += after - (databaseBefore.get(pid) ?? 0);
    const perVa = (seconds: number) => `${round((seconds * 1000) / s.issueBills, 2)} ms`;
    log(
      `    CPU per VA: ${procs.map((p, i) => `${p.name.split('/').pop()} ${perVa(p.cpuSeconds() - cpuBefore[i])}`).join(', ')}, ` +
        `postgres ${perVa(databaseCpu)} (this database's backends); the machine was ${round(busy * 100)}% busy`,
    );
    return { perSecond, idealPerSecond };
  } finally {
    for (const p of procs.reverse()) await p.stop();
    await queue.close();
    connection.disconnect();
    await env.close();
  }
}
