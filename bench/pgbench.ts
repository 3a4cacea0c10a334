import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dropDatabase, ensureDatabase } from '../src/db';
import { heading, log, round, Sizes, urlFor } from './lib/common';

const run = promisify(execFile);

/**
 * The machine's own limit for short write transactions: `pgbench -N` (the TPC-B-like script
 * without the branch and teller updates: three statements and a commit per transaction), 8
 * clients, on the same server the benchmarks use, in a scratch database of its own.
 */
export interface ServerFacts {
  version: string;
  fsync: string;
  synchronousCommit: string;
  walSync: string;
  sharedBuffers: string;
  maxConnections: string;
  pgStatStatements: boolean;
}

export async function serverFacts(sql: (q: string) => Promise<string>): Promise<ServerFacts> {
  return {
    version: await sql('SHOW server_version'),
    fsync: await sql('SHOW fsync'),
    synchronousCommit: await sql('SHOW synchronous_commit'),
    walSync: await sql('SHOW wal_sync_method'),
    sharedBuffers: await sql('SHOW shared_buffers'),
    maxConnections: await sql('SHOW max_connections'),
    pgStatStatements: (await sql(`SELECT count(*) FROM pg_settings WHERE name = 'shared_preload_libraries' AND setting LIKE '%pg_stat_statements%'`)) !== '0',
  };
}

function connectionArgs(url: string): string[] {
  const u = new URL(url);
  return ['-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username || 'postgres'), decodeURIComponent(u.pathname.slice(1))];
}

export async function benchPgbench(s: Sizes): Promise<number> {
  heading(`Baseline: pgbench -N, 8 clients, ${s.pgbenchSeconds} s`);
  const url = urlFor(`kasda_bench_pgbench_${process.pid}`);
  await dropDatabase(url);
  await ensureDatabase(url);
  try {
    await run('pgbench', ['-i', '-q', '-s', '10', ...connectionArgs(url)], { maxBuffer: 1 << 24 });
    const { stdout } = await run('pgbench', ['-N', '-c', '8', '-j', '2', '-T', String(s.pgbenchSeconds), '-n', ...connectionArgs(url)], {
      maxBuffer: 1 << 24,
    });
    const m = /tps = ([\d.]+) \((?:without initial connection time|excluding connections establishing)\)/.exec(stdout);
    if (!m) throw new Error(`pgbench printed no tps:\n${stdout}`);
    const latency = /latency average = ([\d.]+) ms/.exec(stdout);
    const tps = Number(m[1]);
    log(`  ${round(tps)} transactions/s${latency ? `, average latency ${latency[1]} ms` : ''}`);
    return tps;
  } finally {
    await dropDatabase(url);
  }
}
