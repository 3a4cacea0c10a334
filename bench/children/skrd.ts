import fs from 'node:fs';
import { closeDb, db } from '../../src/db';
import { skrdDocumentFor } from '../../src/modules/documents/service';
import { renderSkrd } from '../../src/modules/documents/skrd-v1';
import type { SkrdDocument } from '../../src/modules/documents/skrd-v1';

/**
 * One Kasda process rendering SKRDs one after another, as a worker would: each bill's document is
 * gathered from the database (the next one while the current one renders) and rendered to PDF.
 * Prints one JSON line: documents, seconds in all and in rendering, and a check of pages and lines.
 */
const ADMIN = { sub: 'bench', role: 'admin' as const };

function pages(pdf: Buffer): number {
  return (pdf.toString('latin1').match(/\/Type \/Page[^s]/g) ?? []).length;
}

async function main() {
  const billNos = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean);
  let renderSeconds = 0;
  let bytes = 0;
  const pageCounts = new Set<number>();
  const lineCounts = new Set<number>();
  const started = performance.now();
  let next: Promise<SkrdDocument> = skrdDocumentFor(db(), ADMIN, billNos[0]);
  for (let i = 0; i < billNos.length; i++) {
    const doc = await next;
    if (i + 1 < billNos.length) next = skrdDocumentFor(db(), ADMIN, billNos[i + 1]);
    const t = performance.now();
    const pdf = await renderSkrd(doc);
    renderSeconds += (performance.now() - t) / 1000;
    bytes += pdf.length;
    pageCounts.add(pages(pdf));
    lineCounts.add(doc.lines.length);
  }
  const seconds = (performance.now() - started) / 1000;
  await closeDb();
  console.log(JSON.stringify({ documents: billNos.length, seconds, renderSeconds, bytes, pages: [...pageCounts], lines: [...lineCounts] }));
}

void main();
