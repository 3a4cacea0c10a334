import fs from 'node:fs';
import { closeDb, db } from '../../src/db';
import { importStatement } from '../../src/modules/reconciliation/service';
import { closeQueues } from '../../src/queues';

/**
 * One Kasda process importing and matching one statement file with the real statement import
 * (stream, parse, COPY, match, in one transaction), as the API or `kasda reconcile` does. Prints
 * one JSON line: the seconds it took and the run's counts.
 */
async function main() {
  const [file, channel, from, to] = process.argv.slice(2);
  const started = performance.now();
  const { run } = await importStatement(
    db(),
    { sub: 'bench', role: 'finance' },
    { channel, from, to, format: 'canonical', fileName: 'bench-statement.csv' },
    fs.createReadStream(file),
  );
  const seconds = (performance.now() - started) / 1000;
  await closeQueues();
  await closeDb();
  console.log(JSON.stringify({ seconds, run: { id: run.id, lines_loaded: run.lines_loaded, lines_rejected: run.lines_rejected, counts: run.counts } }));
}

void main();
