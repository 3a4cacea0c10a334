import fs from 'node:fs';
import path from 'node:path';
import type { AxiosInstance } from 'axios';
import { formatRupiah } from './lib/money';

/**
 * The demo's second act: the levies Bapenda and Dinas Perdagangan brought as definition files
 * (seeds/onboarding.ts), assessed, issued on each levy's own bank channel (the market levy banks with
 * Bank Nagari over SNAP) and printed like the towers, with no code of their own.
 */
const RUNS = [
  { levy: 'pajak-reklame', period: '2027' },
  { levy: 'retribusi-pasar', period: '2027-01' },
];

interface DemoTools {
  step(text: string): void;
  poll<T>(what: string, fn: () => Promise<T | undefined>): Promise<T>;
}

interface BillJson {
  bill_no: string;
  document_type: string;
  status: string;
  amount: number;
  virtual_account: string | null;
  bank_channel: string;
  payer: { name: string };
}

/** Returns whether every bill got its VA. */
export async function demoOnboardedLevies(api: AxiosInstance, outDir: string, { step, poll }: DemoTools): Promise<boolean> {
  step(`Levies brought as configuration: ${RUNS.map((r) => `${r.levy} ${r.period}`).join(', ')}`);
  let allIssued = true;
  for (const { levy, period } of RUNS) {
    const { data: run } = await api.post('/api/v1/assessments', { levy_type: levy, period });
    const done = await poll(`${levy} to be assessed`, async () => {
      const { data } = await api.get(`/api/v1/assessments/${run.id}`);
      return data.status === 'running' ? undefined : data;
    });
    if (done.status !== 'completed') throw new Error(`${levy} assessment ${done.status}: ${done.error}`);
    const bills: BillJson[] = await poll(`${levy} VAs`, async () => {
      const { data } = await api.get('/api/v1/bills', { params: { levy_type: levy, period, limit: 500 } });
      return data.data.some((b: BillJson) => b.status === 'draft' || b.status === 'issuing') ? undefined : data.data;
    });
    for (const b of bills) {
      const { data } = await api.get(`/api/v1/bills/${b.bill_no}/skrd.pdf`, { responseType: 'arraybuffer' });
      fs.writeFileSync(path.join(outDir, 'skrd', `${b.bill_no}.pdf`), Buffer.from(data));
    }
    const issued = bills.filter((b) => b.status === 'issued').length;
    allIssued &&= issued === bills.length;
    console.log(
      `  ${levy} ${period}: ${bills.length} ${bills[0]?.document_type ?? 'bill'}s for ${done.lines_created} objects, ` +
        `${formatRupiah(done.amount_created)}; ${issued} issued, PDFs written`,
    );
    const w = Math.max(...bills.map((b) => b.payer.name.length));
    for (const b of bills) {
      console.log(
        `    ${b.bill_no.padEnd(20)} ${b.payer.name.padEnd(w)} ${formatRupiah(b.amount).padStart(13)}  ${b.bank_channel} ${b.virtual_account ?? '-'}`,
      );
    }
  }
  return allIssued;
}
