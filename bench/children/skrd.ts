import fs from 'node:fs';
import { closeDb, db } from '../../src/db';
import { renderSkrd, skrdDocumentsFor, type SkrdToRender } from '../../src/modules/documents/service';

/**
 * One Kasda process rendering SKRDs one after another, as a worker would: the documents of the next
 * batch of bills are gathered from the database (two queries a batch) while the current batch
 * renders, each to PDF in the layout its levy version names. Prints one JSON line: documents,
 * seconds in all and in rendering, CPU seconds of the process (on a shared machine, the figure that
 * other processes do not move), and a check of pages, lines and layouts.
 */
const ADMIN = { sub: 'bench', role: 'admin' as const };
const BATCH = 50;

function pages(pdf: Buffer): number {
  return (pdf.toString('latin1').match(/\/Type \/Page[^s]/g) ?? []).length;
}

async function main() {
  const billNos = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean);
  let renderSeconds = 0;
  let bytes = 0;
  const pageCounts = new Set<number>();
  const lineCounts = new Set<number>();
  const templates = new Set<string>();
  const gather = (from: number) => skrdDocumentsFor(db(), ADMIN, billNos.slice(from, from + BATCH));
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  let next: Promise<SkrdToRender[]> = gather(0);
  for (let from = 0; from < billNos.length; from += BATCH) {
    const batch = await next;
    if (from + BATCH < billNos.length) next = gather(from + BATCH);
    for (const found of batch) {
      const t = performance.now();
      const pdf = await renderSkrd(found);
      renderSeconds += (performance.now() - t) / 1000;
      bytes += pdf.length;
      pageCounts.add(pages(pdf));
      lineCounts.add(found.document.lines.length);
      templates.add(found.template);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  await closeDb();
  console.log(
    JSON.stringify({
      documents: billNos.length,
      seconds,
      renderSeconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      bytes,
      pages: [...pageCounts],
      lines: [...lineCounts],
      templates: [...templates],
    }),
  );
}

void main();
