import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import axios, { AxiosInstance } from 'axios';
import { startBankSimulator } from './banks/bni-ecollection/simulator';
import { snapSimulatorOptions } from './banks/snap/dev';
import { startSnapSimulator } from './banks/snap/simulator';
import { config, resetConfig } from './config';
import { closeDb, db, dropDatabase, ensureDatabase, migrateLatest } from './db';
import { formatRupiah } from './lib/money';
import { logger } from './logger';
import { signToken } from './modules/auth/tokens';
import { closeQueues, deleteQueueKeys } from './queues';
import { startServer } from './server';
import { startWorkers } from './worker';
import { verifyLedger } from './modules/ledger/verify';
import { sweep } from './modules/reconciliation/sweeper';
import { sweepOptions } from '../jobs/sweep';
import { seedPadang, TOWER_LEVY } from '../seeds/padang';
import { seedOnboardedLevies } from '../seeds/onboarding';
import { demoOnboardedLevies } from './demo-levies';
import { demoFinance } from './demo-finance';

/**
 * The main job, end to end on this machine: a fresh demo database, Padang's towers, the 2027
 * assessment, every VA issued on the bundled BNI simulator, the SKRDs written under out/, part of
 * the bills paid through real encrypted notifications (one sent twice, one never sent and found by
 * the sweeper), the receipts, the ledger verified, and a summary a person can read. Everything it
 * starts, it stops.
 */
const PERIOD = '2027';

function step(text: string) {
  console.log(`\n▶ ${text}`);
}

async function poll<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface BillJson {
  bill_no: string;
  status: string;
  amount: number;
  paid_amount: number;
  virtual_account: string | null;
  due_date: string;
  payer: { npwrd: string; name: string };
  last_bank_status: string | null;
}

async function allBills(api: AxiosInstance): Promise<BillJson[]> {
  const out: BillJson[] = [];
  let cursor: string | null = null;
  do {
    const res: { data: { data: BillJson[]; next_cursor: string | null } } = await api.get('/api/v1/bills', {
      params: { levy_type: TOWER_LEVY, period: PERIOD, limit: 500, ...(cursor ? { cursor } : {}) },
    });
    out.push(...res.data.data);
    cursor = res.data.next_cursor;
  } while (cursor);
  return out;
}

async function towersByPayer(): Promise<Map<string, number>> {
  const rows = await db()('bill_lines as l')
    .join('bills as b', 'b.id', 'l.bill_id')
    .join('payers as p', 'p.id', 'b.payer_id')
    .groupBy('p.npwrd')
    .select('p.npwrd')
    .count<{ npwrd: string; count: number }[]>('* as count');
  return new Map(rows.map((r) => [r.npwrd, Number(r.count)]));
}

const STATUS_ID: Record<string, string> = {
  paid: 'lunas',
  partially_paid: 'dibayar sebagian',
  issued: 'belum dibayar',
};

function printSummary(bills: BillJson[], towers: Map<string, number>, unbilled: Array<{ object_code: string }>) {
  const rows = [...bills].sort((a, b) => b.amount - a.amount);
  const w = Math.max(...rows.map((b) => b.payer.name.length));
  const money = (n: number) => formatRupiah(n).padStart(16);
  console.log(`  ${'Provider'.padEnd(w)}  Towers  ${'SKRD'.padEnd(22)} ${'Billed'.padStart(16)} ${'Paid'.padStart(16)} ${'Outstanding'.padStart(16)}  Status`);
  for (const b of rows) {
    console.log(
      `  ${b.payer.name.padEnd(w)}  ${String(towers.get(b.payer.npwrd) ?? 0).padStart(6)}  ${b.bill_no.padEnd(22)} ` +
        `${money(b.amount)} ${money(b.paid_amount)} ${money(b.amount - b.paid_amount)}  ${STATUS_ID[b.status] ?? b.status}`,
    );
  }
  const sum = (f: (b: BillJson) => number) => rows.reduce((s, b) => s + f(b), 0);
  const count = (status: string) => rows.filter((b) => b.status === status).length;
  console.log(
    `  ${'Total'.padEnd(w)}  ${String(sum((b) => towers.get(b.payer.npwrd) ?? 0)).padStart(6)}  ${''.padEnd(22)} ` +
      `${money(sum((b) => b.amount))} ${money(sum((b) => b.paid_amount))} ${money(sum((b) => b.amount - b.paid_amount))}`,
  );
  console.log(`  ${count('paid')} paid, ${count('partially_paid')} partly paid, ${count('issued')} unpaid`);
  if (unbilled.length) console.log(`  Not billed (no known owner): ${unbilled.map((u) => u.object_code).join(', ')}`);
}

export async function runDemo(): Promise<number> {
  const started = Date.now();
  const base = new URL(process.env.DATABASE_URL ?? config().DATABASE_URL);
  base.pathname = '/kasda_demo';
  process.env.DATABASE_URL = base.toString();
  process.env.QUEUE_PREFIX = `{kasda-demo-${crypto.randomBytes(3).toString('hex')}}`;
  process.env.LOG_LEVEL ??= 'warn';
  resetConfig();
  logger.level = config().LOG_LEVEL;
  const outDir = path.resolve(config().DOCUMENTS_DIR);

  const stops: Array<() => Promise<void>> = [];
  try {
    step(`Fresh demo database ${base.pathname.slice(1)} on ${base.host}, migrated and seeded`);
    await dropDatabase(config().DATABASE_URL);
    await ensureDatabase(config().DATABASE_URL);
    await migrateLatest();
    const seeded = await seedPadang(db());
    console.log(`  Diskominfo Kota Padang: ${seeded.owners} tower owners, ${seeded.towers} towers`);
    const onboarded = await seedOnboardedLevies(db());
    console.log(`  Bapenda and Dinas Perdagangan, from levies/*.yaml: ${onboarded.payers} payers, ${onboarded.billboards} billboards, ${onboarded.stalls} market stalls`);

    step('Starting the API, the bank simulators (BNI eCollection, SNAP Bank Nagari) and the workers on free ports');
    const server = await startServer(0, '127.0.0.1');
    stops.push(() => server.close());
    const sim = await startBankSimulator({
      port: 0,
      clientId: config().BNI_CLIENT_ID,
      secret: config().BNI_SECRET_KEY,
      prefix: config().BNI_PREFIX,
      callbackUrl: `${server.url}/api/v1/bank-callbacks/bni-ecollection`,
    });
    stops.push(() => sim.close());
    const nagari = await startSnapSimulator({
      port: 0,
      ...snapSimulatorOptions(`${server.url}/api/v1/bank-callbacks/bank-nagari/v1.0/transfer-va/payment`),
    });
    stops.push(() => nagari.close());
    process.env.BNI_BASE_URL = sim.url;
    process.env.NAGARI_BASE_URL = nagari.url;
    resetConfig();
    const workers = await startWorkers(db());
    stops.push(() => workers.close());
    console.log(`  API ${server.url} · BNI ${sim.url} · Bank Nagari ${nagari.url} · queue prefix ${config().QUEUE_PREFIX}`);

    const api = axios.create({
      baseURL: server.url,
      headers: { Authorization: `Bearer ${signToken({ sub: 'demo', role: 'admin' })}` },
    });

    step(`Assessing ${TOWER_LEVY} for ${PERIOD}`);
    const { data: run } = await api.post('/api/v1/assessments', { levy_type: TOWER_LEVY, period: PERIOD });
    const done = await poll('the assessment', async () => {
      const { data } = await api.get(`/api/v1/assessments/${run.id}`);
      return data.status === 'running' ? undefined : data;
    });
    if (done.status !== 'completed') throw new Error(`assessment ${done.status}: ${done.error}`);
    console.log(
      `  ${done.bills_created} SKRDs with ${done.lines_created} tower lines, ${formatRupiah(done.amount_created)} in total;` +
        ` ${done.unbilled.length} towers not billed (no known owner)`,
    );

    step('Issuing every VA at the bank (BNI eCollection createbilling)');
    const bills = await poll('every VA to be issued', async () => {
      const list = await allBills(api);
      return list.some((b) => b.status === 'draft' || b.status === 'issuing') ? undefined : list;
    });
    const issued = bills.filter((b) => b.status === 'issued');
    console.log(`  ${issued.length} of ${bills.length} bills issued; the simulator holds ${sim.sim.bills().length} VAs`);

    step(`Writing the SKRDs to ${path.join(outDir, 'skrd')}`);
    fs.mkdirSync(path.join(outDir, 'skrd'), { recursive: true });
    for (const b of bills) {
      const { data } = await api.get(`/api/v1/bills/${b.bill_no}/skrd.pdf`, { responseType: 'arraybuffer' });
      fs.writeFileSync(path.join(outDir, 'skrd', `${b.bill_no}.pdf`), Buffer.from(data));
    }
    console.log(`  ${bills.length} PDFs written`);

    step('Paying part of the bills at BNI (the simulator posts real encrypted notifications)');
    const byAmount = [...issued].sort((a, b) => b.amount - a.amount);
    const [largest, second, twice, silent, ...rest] = byAmount;
    const fullPayers = rest.slice(0, 10);
    const trx = new Map(sim.sim.bills().map((b) => [b.virtualAccount, b.trxId]));
    const trxOf = (b: BillJson) => trx.get(b.virtual_account!)!;
    const installment = Math.round(largest.amount * 0.4);
    await sim.sim.pay(trxOf(largest), { amount: installment });
    console.log(`  ${largest.payer.name}: first installment ${formatRupiah(installment)}`);
    await sim.sim.pay(trxOf(second), { amount: Math.round(second.amount / 2) });
    await sim.sim.pay(trxOf(second));
    console.log(`  ${second.payer.name}: paid in two installments`);
    for (const b of fullPayers) await sim.sim.pay(trxOf(b));
    console.log(`  ${fullPayers.length} more providers paid in full`);
    await sim.sim.pay(trxOf(twice));
    const resent = await sim.sim.notify(trxOf(twice));
    console.log(`  ${twice.payer.name}: paid, and BNI sent the notification twice (second answer ${JSON.stringify(resent.callback?.body)})`);
    await sim.sim.pay(trxOf(silent), { notify: false });
    console.log(`  ${silent.payer.name}: paid at the bank, but the notification never came`);
    const sent = 1 + 2 + fullPayers.length + 1;
    await poll('every notification to be applied', async () => {
      const { data } = await api.get('/api/v1/bank-notifications', { params: { status: 'applied', limit: 500 } });
      return data.data.length >= sent ? true : undefined;
    });

    step('Sweeping: inquiring quiet bills at the bank (finds the payment whose notification never came)');
    const swept = await sweep(db(), sweepOptions({ quietForMs: 0, inquiriesPerSecond: 20 }));
    console.log(`  inquired ${swept.inquired} bills, found ${swept.foundByInquiry} payment(s) by inquiry`);

    const final = await allBills(api);
    step(`Writing the receipts (SSRD) to ${path.join(outDir, 'receipts')}`);
    fs.mkdirSync(path.join(outDir, 'receipts'), { recursive: true });
    let receipts = 0;
    for (const b of final.filter((x) => x.paid_amount > 0)) {
      const { data: payments } = await api.get(`/api/v1/bills/${b.bill_no}/payments`);
      for (const p of payments.data as Array<{ id: number; receipt_no: string }>) {
        const { data } = await api.get(`/api/v1/payments/${p.id}/receipt.pdf`, { responseType: 'arraybuffer' });
        fs.writeFileSync(path.join(outDir, 'receipts', `${p.receipt_no}.pdf`), Buffer.from(data));
        receipts += 1;
      }
    }
    console.log(`  ${receipts} receipts written`);

    const othersIssued = await demoOnboardedLevies(api, outDir, { step, poll });
    const [stall] = nagari.sim.vas();
    if (stall) {
      const paid = await nagari.sim.pay(stall.trxId);
      const answer = paid.callback?.body as { responseCode?: string } | undefined;
      await poll('the market bill paid over SNAP', async () => {
        const { data } = await api.get('/api/v1/bank-notifications', { params: { status: 'applied', limit: 500 } });
        return data.data.some((n: { trx_id: string }) => n.trx_id === stall.trxId) ? true : undefined;
      });
      console.log(`  A trader paid ${formatRupiah(stall.amount)} at Bank Nagari: signed SNAP notification answered ${answer?.responseCode}, applied`);
    }

    await demoFinance(api, sim.sim, outDir, { step, poll });

    step('Verifying the ledger and the audit trail');
    const ledger = await verifyLedger(db());
    console.log(
      `  ${ledger.entries} journal entries, ${ledger.audit.entries} audit entries: ` +
        (ledger.ok ? 'every entry balances, every bill matches its ledger, every audit chain is intact' : 'DOES NOT VERIFY'),
    );

    step('Summary per provider');
    printSummary(final, await towersByPayer(), done.unbilled);
    console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s. Documents under ${outDir}`);
    return issued.length === bills.length && othersIssued && ledger.ok ? 0 : 1;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await closeQueues();
    await deleteQueueKeys(config().QUEUE_PREFIX).catch(() => undefined);
    await closeDb();
  }
}
