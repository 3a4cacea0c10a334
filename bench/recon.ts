import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { config } from '../src/config';
import { BNI_CHANNEL, seedPadang } from '../seeds/padang';
import { BenchEnv, freshEnv, heading, log, round, Sizes } from './lib/common';
import { BENCH_PERIOD, defineBenchLevy } from './lib/levy';
import { startProc } from './lib/procs';

/**
 * Reconciliation: a canonical statement with one line per payment of a month on the BNI channel,
 * matched by the real statement import in a Kasda process of its own, against a plain COPY of the
 * same file into a scratch table (the floor any import has to stand on). The file is not perfect:
 * one line in a thousand carries the wrong amount, one payment in a thousand is missing from it, and
 * one line in a thousand credits a VA and reference Kasda never saw, so every kind of exception is
 * raised.
 */
const FROM = '2026-10-01';
const TO = '2026-10-31';
const PAYMENTS_PER_BILL = 10;

/** CPU seconds a PostgreSQL backend has used so far (Linux /proc). */
function backendCpu(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export interface ReconFigures {
  reconSeconds: number;
  copySeconds: number;
}

/**
 * Bills, inbox rows and payments written in set-based SQL, as the apply worker leaves them (the
 * ledger is not needed here: matching reads payments and their VAs).
 */
async function seedPayments(env: BenchEnv, count: number): Promise<void> {
  await seedPadang(env.db);
  const levy = await defineBenchLevy(env.db);
  const bills = Math.ceil(count / PAYMENTS_PER_BILL);
  const { BNI_PREFIX: prefix, BNI_CLIENT_ID: clientId } = config();
  const free = 16 - prefix.length - clientId.length;
  await env.db.raw(
    `INSERT INTO payers (npwrd, name, address) SELECT 'P.1.' || lpad(g::text, 9, '0'), 'Wajib Pajak ' || g, '' FROM generate_series(1, ?) g`,
    [bills],
  );
  await env.db.raw(
    `INSERT INTO bills (id, bill_no, document_type, opd_id, levy_type_id, levy_type_version_id, payer_id, period, subject_key, status,
                        amount, paid_amount, billing_type, bank_channel_id, trx_id, virtual_account, issue_date, due_date, issued_at)
     SELECT p.id, 'BAPENDA-2027-' || lpad(p.id::text, 7, '0'), 'SKPD', ?, ?, ?, p.id, ?, 'payer:' || p.id, 'partially_paid',
            ? * 100000000, 0, 'i', ?, 'BAPENDA-2027-' || lpad(p.id::text, 7, '0') || '-1', ? || lpad(p.id::text, ?, '0'),
            '2026-09-01', '2027-09-30', '2026-09-01'
       FROM payers p WHERE p.npwrd LIKE 'P.1.%'`,
    [levy.opdId, levy.levyTypeId, levy.versionId, BENCH_PERIOD, PAYMENTS_PER_BILL, levy.channelId, prefix + clientId, free],
  );
  // Payment g: bill 1 + g % bills, paid at a time spread over the month in WIB.
  const paidAt = `timestamptz '${FROM} 00:00:00+07' + (g * interval '1 second' * (31 * 86400 - 1) / ${count})`;
  await env.db.raw(
    `INSERT INTO bank_notifications (id, bank_channel_id, source, raw, trx_id, payment_ref, virtual_account, amount, cumulative, paid_at,
                                     bill_id, status, answer, processed_at)
     SELECT g, ?, 'callback', '{}', b.trx_id, 'NTB' || lpad(g::text, 10, '0'), b.virtual_account, 50000 + (g % 97) * 1000, NULL,
            ${paidAt}, b.id, 'applied', '{"status":"000"}', ${paidAt}
       FROM generate_series(1, ?) g JOIN bills b ON b.id = (SELECT min(id) FROM bills) + g % ?`,
    [levy.channelId, count, bills],
  );
  await env.db.raw(
    `INSERT INTO payments (bank_channel_id, bill_id, notification_id, trx_id, payment_ref, receipt_no, amount, applied_amount,
                           credit_amount, source, paid_at, virtual_account)
     SELECT n.bank_channel_id, n.bill_id, n.id, n.trx_id, n.payment_ref, 'BAPENDA-NTPD-2026-' || lpad(n.id::text, 8, '0'), n.amount, n.amount,
            0, 'callback', n.paid_at, n.virtual_account
       FROM bank_notifications n`,
  );
  await env.db.raw(`SELECT setval('bank_notifications_id_seq', ?)`, [count]);
  await env.db.raw('ANALYZE');
}

/** The statement, written by PostgreSQL itself (COPY … TO), with its deliberate differences. */
async function writeStatement(env: BenchEnv, file: string): Promise<number> {
  const conn = (await env.db.client.acquireConnection()) as PoolClient;
  try {
    const sql = `COPY (
      SELECT to_char(p.paid_at AT TIME ZONE 'Asia/Jakarta', 'YYYY-MM-DD HH24:MI:SS') AS posted_at, n.virtual_account,
             CASE WHEN p.id % 1000 = 1 THEN p.amount + 1 ELSE p.amount END AS amount, p.payment_ref AS bank_reference,
             'SETORAN VA ' || n.virtual_account AS description
        FROM payments p JOIN bank_notifications n ON n.id = p.notification_id
       WHERE p.id % 1000 <> 2
      UNION ALL
      SELECT to_char(p.paid_at AT TIME ZONE 'Asia/Jakarta', 'YYYY-MM-DD HH24:MI:SS'), '9889999' || lpad(p.id::text, 9, '0'), 12345,
             'XNTB' || lpad(p.id::text, 10, '0'), 'SETORAN TANPA TAGIHAN'
        FROM payments p
       WHERE p.id % 1000 = 3
    ) TO STDOUT (FORMAT csv, HEADER)`;
    await pipeline(conn.query(copyTo(sql)), fs.createWriteStream(file));
  } finally {
    await env.db.client.releaseConnection(conn);
  }
  const text = fs.readFileSync(file);
  let lines = 0;
  for (let i = text.indexOf(10); i !== -1; i = text.indexOf(10, i + 1)) lines += 1;
  return lines - 1;
}

/** The floor: the same file into a table of the same shape, by COPY, nothing else. */
async function plainCopy(env: BenchEnv, file: string): Promise<{ seconds: number; pgCpuSeconds: number }> {
  await env.db.raw(
    'CREATE TABLE copy_scratch (posted_at timestamp, virtual_account text, amount bigint, bank_reference text, description text)',
  );
  const conn = (await env.db.client.acquireConnection()) as PoolClient;
  try {
    const { rows } = await conn.query('SELECT pg_backend_pid() AS pid');
    const cpuBefore = backendCpu(rows[0].pid);
    const started = performance.now();
    await conn.query('BEGIN');
    await pipeline(fs.createReadStream(file), conn.query(copyFrom('COPY copy_scratch FROM STDIN (FORMAT csv, HEADER)')));
    await conn.query('COMMIT');
    return { seconds: (performance.now() - started) / 1000, pgCpuSeconds: backendCpu(rows[0].pid) - cpuBefore };
  } finally {
    await env.db.client.releaseConnection(conn);
  }
}

export async function benchReconciliation(s: Sizes): Promise<ReconFigures> {
  heading(`Reconciliation: a ${s.statementLines}-line canonical statement against ${s.statementLines} payments`);
  const env = await freshEnv('recon');
  const file = path.join(os.tmpdir(), `kasda-bench-${process.pid}-statement.csv`);
  try {
    const seededAt = Date.now();
    await seedPayments(env, s.statementLines);
    const lines = await writeStatement(env, file);
    log(
      `  seeded ${s.statementLines} payments on ${Math.ceil(s.statementLines / PAYMENTS_PER_BILL)} bills and wrote a ${lines}-line ` +
        `statement (${round(fs.statSync(file).size / 2 ** 20)} MiB) in ${round((Date.now() - seededAt) / 1000)} s`,
    );
    const copy = await plainCopy(env, file);
    const copySeconds = copy.seconds;
    log(`  plain COPY into a scratch table: ${round(copySeconds, 2)} s, ${round(copy.pgCpuSeconds, 2)} s of PostgreSQL CPU`);
    const child = startProc('recon', 'bench/children/recon.ts', [file, BNI_CHANNEL, FROM, TO], { env: env.env });
    const result = JSON.parse((await child.output()).trim().split('\n').pop()!) as {
      seconds: number;
      cpuSeconds: number;
      pgCpuSeconds: number;
      run: { lines_loaded: number; lines_rejected: number; counts: { lines: Record<string, number>; payments: Record<string, number> } | null };
    };
    const counts = result.run.counts;
    log(
      `  statement import and matching: ${round(result.seconds, 2)} s (×${round(result.seconds / copySeconds, 2)} the COPY), ` +
        `${round(result.cpuSeconds, 2)} s of Kasda CPU and ${round(result.pgCpuSeconds, 2)} s of PostgreSQL CPU ` +
        `(×${round(result.pgCpuSeconds / copy.pgCpuSeconds, 2)} the COPY's); ` +
        `${result.run.lines_loaded} lines loaded, ${result.run.lines_rejected} rejected`,
    );
    if (counts) {
      log(`    per line: ${Object.entries(counts.lines).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      log(`    per payment: ${Object.entries(counts.payments).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
    return { reconSeconds: result.seconds, copySeconds };
  } finally {
    fs.rmSync(file, { force: true });
    await env.close();
  }
}
