import fs from 'node:fs';
import path from 'node:path';
import type { AxiosInstance } from 'axios';
import type { BankSimulator } from './banks/bni-ecollection/simulator';
import { jakartaDate } from './lib/time';

/**
 * The demo's finance act: the day's BNI statement exported from the simulator with a few planted
 * differences (a credit Kasda never heard of, a missing line, an amount that differs, a line twice),
 * imported and matched; then the day's deposit slips (STS) and daily recap written as PDFs.
 */
interface DemoTools {
  step(text: string): void;
  poll<T>(what: string, fn: () => Promise<T | undefined>): Promise<T>;
}

function plantDifferences(csv: string): { csv: string; planted: string[] } {
  const [header, ...lines] = csv.trim().split('\n');
  const [first, second, third, ...rest] = lines;
  const cells = third.split(',');
  cells[2] = String(Number(cells[2]) - 1000);
  const unknown = [first.split(',')[0], '9880012399999999', '2500000', 'NTB-UNKNOWN-1', 'Transfer VA tanpa tagihan'].join(',');
  return {
    csv: [header, first, first, cells.join(','), ...rest, unknown].join('\n') + '\n',
    planted: ['one line twice', `one line left out (${second.split(',')[3]})`, 'one amount Rp1.000 short', 'one credit for an unknown VA'],
  };
}

export async function demoFinance(api: AxiosInstance, bni: BankSimulator, outDir: string, { step, poll }: DemoTools): Promise<void> {
  const today = jakartaDate();
  step(`Reconciling today's BNI statement (${today}) exported from the simulator`);
  const { csv, planted } = plantDifferences(bni.statement(today, today, 'canonical'));
  console.log(`  planted: ${planted.join('; ')}`);
  const { data: uploaded } = await api.post('/api/v1/reconciliation/statements', csv, {
    params: { channel: 'bni-ecollection', from: today, to: today, format: 'canonical' },
    headers: { 'Content-Type': 'text/csv' },
  });
  const run = await poll('the reconciliation run', async () => {
    const { data } = await api.get(`/api/v1/reconciliation/runs/${uploaded.id}`);
    return data.outcomes ? data : undefined;
  });
  const show = (o: Record<string, number>) =>
    Object.entries(o)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
  console.log(`  ${run.lines.loaded} statement lines loaded, ${run.lines.rejected} rejected`);
  console.log(`  statement lines: ${show(run.outcomes.lines)}`);
  console.log(`  Kasda payments:  ${show(run.outcomes.payments)}`);
  console.log(`  ${run.exceptions.opened} exception(s) opened for finance to resolve`);

  step(`Writing today's deposit slips (STS) and daily recap to ${outDir}`);
  const { data: sts } = await api.post('/api/v1/treasury/sts', { date: today });
  fs.mkdirSync(path.join(outDir, 'sts'), { recursive: true });
  fs.mkdirSync(path.join(outDir, 'reports'), { recursive: true });
  const slips = [...(sts.created ?? []), ...(sts.existing ?? [])] as Array<{ sts_no: string; bank_channel?: string; total?: number }>;
  for (const s of slips) {
    const { data } = await api.get(`/api/v1/treasury/sts/${s.sts_no}.pdf`, { responseType: 'arraybuffer' });
    fs.writeFileSync(path.join(outDir, 'sts', `${s.sts_no}.pdf`), Buffer.from(data));
  }
  console.log(`  ${slips.length} STS: ${slips.map((s) => s.sts_no).join(', ')}`);
  const { data: recap } = await api.get('/api/v1/reports/daily-recap', {
    params: { from: today, to: today, format: 'pdf' },
    responseType: 'arraybuffer',
  });
  fs.writeFileSync(path.join(outDir, 'reports', `daily-recap-${today}.pdf`), Buffer.from(recap));
  console.log(`  daily recap per OPD, account code and bank written`);
}
