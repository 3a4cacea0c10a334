import fs from 'node:fs';
import http from 'node:http';
import { encrypt } from '../src/banks/bni-ecollection/bni-enc';
import { formatWib, formatWibIso } from '../src/banks/bni-ecollection/connector';

/**
 * The bank's side of the notification benchmark, in its own process so that its CPU is not the
 * service's: posts BNI eCollection payment notifications (BniEnc-encrypted, built as BNI builds
 * them, see test/support/payments.ts) over loopback keep-alive connections, round-robin over the
 * API processes; every body is built and encrypted before the clock starts. Either closed-loop at a fixed concurrency (as fast as the service accepts them)
 * or open-loop at a fixed rate (each request leaves at its scheduled time, whatever is still in
 * flight, so a slow answer cannot hide the latency of the ones behind it). With `duplicateEvery`,
 * every n-th notification is also sent a second time at once to the next API process, as a bank
 * resending on a timeout would. Prints one JSON line with the figures.
 */
interface LoadSpec {
  targets: string[];
  notifications: Array<{ trx_id: string; virtual_account: string; amount: number; ntb: string }>;
  concurrency: number;
  ratePerSecond: number | null;
  duplicateEvery: number | null;
  clientId: string;
  secret: string;
}

const spec: LoadSpec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const agents = spec.targets.map(() => new http.Agent({ keepAlive: true, maxSockets: 1024 }));
const endpoints = spec.targets.map((t, i) => {
  const url = new URL(t);
  return { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: agents[i] };
});

function body(n: LoadSpec['notifications'][number]): string {
  const paidAt = new Date();
  const payload = {
    trx_id: n.trx_id,
    virtual_account: n.virtual_account,
    customer_name: 'Wajib Pajak',
    trx_amount: String(n.amount),
    payment_amount: String(n.amount),
    cumulative_payment_amount: String(n.amount),
    payment_ntb: n.ntb,
    datetime_payment: formatWib(paidAt),
    datetime_payment_iso8601: formatWibIso(paidAt),
  };
  return JSON.stringify({ client_id: spec.clientId, data: encrypt(payload, spec.clientId, spec.secret) });
}

const latencies: number[] = [];
let failed = 0;
const failures: string[] = [];

function post(target: number, text: Buffer): Promise<void> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      { ...endpoints[target], headers: { 'Content-Type': 'application/json', 'Content-Length': text.length } },
      (res) => {
        let answer = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          answer += c;
        });
        res.on('end', () => {
          latencies.push(performance.now() - started);
          if (res.statusCode !== 200 || !answer.includes('"000"')) {
            failed += 1;
            if (failures.length < 5) failures.push(`${res.statusCode} ${answer.slice(0, 200)}`);
          }
          resolve();
        });
      },
    );
    req.on('error', (e) => {
      failed += 1;
      if (failures.length < 5) failures.push(e.message);
      resolve();
    });
    req.end(text);
  });
}

/** One notification, and its duplicate when this is one of the resent ones. */
function send(i: number): Promise<void> {
  const text = bodies[i];
  const target = i % spec.targets.length;
  if (spec.duplicateEvery && i % spec.duplicateEvery === 0) {
    return Promise.all([post(target, text), post((target + 1) % spec.targets.length, text)]).then(() => undefined);
  }
  return post(target, text);
}

async function closedLoop(): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < spec.notifications.length) await send(next++);
  };
  await Promise.all(Array.from({ length: spec.concurrency }, lane));
}

async function openLoop(rate: number): Promise<void> {
  const total = spec.notifications.length;
  const start = performance.now();
  const inFlight = new Set<Promise<void>>();
  let next = 0;
  while (next < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
    while (next < due) {
      const p = send(next++);
      inFlight.add(p);
      void p.then(() => inFlight.delete(p));
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inFlight);
}

// Encrypted before the clock starts (well inside BniEnc's ±480 s window), so that the load
// generator's own CPU during the measurement is the HTTP client's only.
const bodies = spec.notifications.map((n) => Buffer.from(body(n)));

async function main() {
  const firstSendAt = Date.now();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await (spec.ratePerSecond ? openLoop(spec.ratePerSecond) : closedLoop());
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const sorted = latencies.sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  for (const a of agents) a.destroy();
  console.log(
    JSON.stringify({
      requests: sorted.length,
      failed,
      failures,
      firstSendAt,
      seconds,
      ackPerSecond: sorted.length / seconds,
      p50: at(50),
      p90: at(90),
      p99: at(99),
      max: sorted[sorted.length - 1],
      cpuMs: (cpu.user + cpu.system) / 1000,
    }),
  );
}

void main();
