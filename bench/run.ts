import os from 'node:os';
import Redis from 'ioredis';
import pg from 'pg';
import { baseUrl, heading, log, round, sizes } from './lib/common';
import { HEAP_MB, memoryPeaks } from './lib/procs';
import { benchAssessment } from './assess';
import { benchIssuing } from './issue';
import { benchReconciliation } from './recon';
import { benchDocuments } from './skrd';
import { benchNotifications, NotifyFigures } from './notify';
import { benchPgbench, serverFacts } from './pgbench';

/**
 * `npm run bench [-- --quick] [-- --only pgbench,notify,scaleout,assess,issue,recon,skrd]`: every
 * benchmark in turn, each in a fresh database with its own queue prefix, then one JSON line with
 * the figures (the last line printed; a figure not measured is -1). `--quick` runs a tenth of the
 * sizes; figures named for the full size (assess_100k_s, recon_1m_s, copy_1m_s) are then scaled up
 * linearly from what was measured, and say so. BENCHMARKS.md explains every figure.
 */
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyArg = argv.find((a) => a.startsWith('--only'));
const only = onlyArg ? new Set((onlyArg.includes('=') ? onlyArg.split('=')[1] : argv[argv.indexOf(onlyArg) + 1]).split(',')) : null;
const wanted = (name: string) => !only || only.has(name);

async function sql(q: string): Promise<string> {
  const client = new pg.Client({ connectionString: baseUrl().replace(/\/[^/]*$/, '/postgres') });
  await client.connect();
  try {
    const { rows } = await client.query(q);
    return String(Object.values(rows[0])[0]);
  } finally {
    await client.end();
  }
}

async function redisVersion(): Promise<string> {
  const r = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    const info = await r.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } finally {
    r.disconnect();
  }
}

async function main() {
  const s = sizes(quick);
  const started = Date.now();
  const facts = await serverFacts(sql);
  log(`Kasda benchmarks${quick ? ' (quick: a tenth of the sizes)' : ''}, ${new Date().toISOString()}`);
  log(
    `Machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), ${round(os.totalmem() / 2 ** 30)} GiB, ` +
      `Node ${process.version}, PostgreSQL ${facts.version}, Redis ${await redisVersion()}`,
  );
  log(
    `PostgreSQL: fsync=${facts.fsync}, synchronous_commit=${facts.synchronousCommit}, wal_sync_method=${facts.walSync}, ` +
      `shared_buffers=${facts.sharedBuffers}, max_connections=${facts.maxConnections}, pg_stat_statements ${facts.pgStatStatements ? 'loaded' : 'not loaded'}`,
  );
  if (facts.fsync !== 'on' || facts.synchronousCommit !== 'on') throw new Error('fsync and synchronous_commit must be on: durability is not traded for speed');
  log(
    `Kasda processes: node --import tsx${HEAP_MB > 0 ? ` --max-old-space-size=${HEAP_MB}` : ''}; ` +
      `load average before the run ${os.loadavg().map((l) => round(l, 2)).join(' ')} (the machine is shared)`,
  );

  const out: Record<string, number> = {
    pgbench_tps: NaN,
    notify_applied_per_s: NaN,
    notify_ratio: NaN,
    ack_p50_ms: NaN,
    ack_p99_ms: NaN,
    assess_100k_s: NaN,
    issue_per_s: NaN,
    issue_ideal_per_s: NaN,
    issue_ratio: NaN,
    recon_1m_s: NaN,
    copy_1m_s: NaN,
    recon_ratio: NaN,
    skrd_pdf_per_s: NaN,
    peak_rss_mb: NaN,
  };

  if (wanted('pgbench')) out.pgbench_tps = await benchPgbench(s);
  let single: NotifyFigures | undefined;
  if (wanted('notify')) {
    single = await benchNotifications(s, { apis: 1, workers: 1, halfRate: true });
    out.notify_applied_per_s = single.appliedPerSecond;
    out.notify_ratio = single.appliedPerSecond / out.pgbench_tps;
    out.ack_p50_ms = single.halfRate!.ackP50;
    out.ack_p99_ms = single.halfRate!.ackP99;
  }
  if (wanted('scaleout')) {
    const scaled = await benchNotifications(s, { apis: 2, workers: 2, halfRate: false });
    if (single) {
      log(
        `  scale-out: ${round(scaled.appliedPerSecond)}/s with 2 API + 2 worker processes against ` +
          `${round(single.appliedPerSecond)}/s with one of each (×${round(scaled.appliedPerSecond / single.appliedPerSecond, 2)})`,
      );
    }
  }

  if (wanted('assess')) {
    const seconds = await benchAssessment(s);
    // A quick run assesses a tenth of the objects; the figure is scaled to 100,000 (it is linear).
    out.assess_100k_s = seconds * (100_000 / s.assessObjects);
    if (quick) log(`  assess_100k_s scaled from ${s.assessObjects} objects: ${round(out.assess_100k_s, 2)} s`);
  }

  if (wanted('issue')) {
    const issued = await benchIssuing(s);
    out.issue_per_s = issued.perSecond;
    out.issue_ideal_per_s = issued.idealPerSecond;
    out.issue_ratio = issued.perSecond / issued.idealPerSecond;
  }

  if (wanted('recon')) {
    const r = await benchReconciliation(s);
    // A quick run matches a tenth of the lines; both times are scaled to a million alike.
    const scale = 1_000_000 / s.statementLines;
    out.recon_1m_s = r.reconSeconds * scale;
    out.copy_1m_s = r.copySeconds * scale;
    out.recon_ratio = r.reconSeconds / r.copySeconds;
    if (quick) log(`  recon_1m_s and copy_1m_s scaled from ${s.statementLines} lines`);
  }

  if (wanted('skrd')) out.skrd_pdf_per_s = await benchDocuments(s);

  const peaks = memoryPeaks();
  heading('Memory: peak RSS (VmHWM) per Kasda process');
  for (const p of peaks) log(`  ${p.name.padEnd(14)} ${round(p.mb)} MiB`);
  out.peak_rss_mb = peaks.length ? peaks[0].mb : NaN;

  log(`\nDone in ${round((Date.now() - started) / 1000)} s; load average ${os.loadavg().map((l) => round(l, 2)).join(' ')}.`);
  const rounded = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Number.isFinite(v) ? round(v, 3) : -1]));
  console.log(JSON.stringify(rounded));
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
