import fs from 'node:fs';
import { closeDb, db } from '../../src/db';
import { importStatement } from '../../src/modules/reconciliation/service';
import { closeQueues } from '../../src/queues';

/**
 * One Kasda process importing and matching one statement file with the real statement import
 * (stream, parse, COPY, match, in one transaction), as the API or `kasda reconcile` does. Prints
 * one JSON line: the seconds it took, the CPU seconds this process and its PostgreSQL backends used
 * in them (steadier than the seconds on a shared machine), and the run's counts.
 */
/** CPU seconds each PostgreSQL backend of this database has used so far, by pid (Linux /proc). */
async function backendCpu(): Promise<Map<number, number>> {
  const { rows } = await db().raw('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
  const cpu = new Map<number, number>();
  for (const { pid } of rows as Array<{ pid: number }>) {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    cpu.set(pid, (Number(fields[11]) + Number(fields[12])) / 100);
  }
  return cpu;
}

async function main() {
  const [file, channel, from, to] = process.argv.slice(2);
  const pgBefore = await backendCpu();
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const { run } = await importStatement(
    db(),
    { sub: 'bench', role: 'finance' },
    { channel, from, to, format: 'canonical', fileName: 'bench-statement.csv' },
    fs.createReadStream(file),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  let pgCpuSeconds = 0;
  for (const [pid, seconds] of await backendCpu()) pgCpuSeconds += seconds - (pgBefore.get(pid) ?? 0);
  await closeQueues();
  await closeDb();
  console.log(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, pgCpuSeconds, run: { id: run.id, lines_loaded: run.lines_loaded, lines_rejected: run.lines_rejected, counts: run.counts } }));
}

void main();
