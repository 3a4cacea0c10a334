import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { config } from '../src/config';
import { runAssessment } from '../src/modules/assessments/service';
import { startRun } from '../src/modules/assessments/repo';
import { kecamatan } from '../seeds/data/padang-wilayah';
import { seedPadang, TOWER_LEVY } from '../seeds/padang';
import { freshEnv, heading, log, round, Sizes } from './lib/common';
import { startProc } from './lib/procs';

/**
 * Documents: SKRDs of the tower levy with 20 lines each (a provider with 20 towers), issued with a
 * VA (so each carries its QR code), rendered by one Kasda process in the current layout, skrd-v2,
 * where 20 lines fit one page. The bills come from the real assessment; their VAs are set in SQL,
 * as issuing would leave them. The page count and layout are printed with the figure.
 */
const LINES = 20;
const TEMPLATE = 'skrd-v2';
const TYPES = ['self_supporting', 'monopole', 'rooftop'] as const;

export async function benchDocuments(s: Sizes): Promise<number> {
  heading(`Documents: ${s.skrds} SKRDs with ${LINES} lines, rendered by one process`);
  const env = await freshEnv('skrd');
  try {
    await seedPadang(env.db);
    const levy = await env.db('levy_types').where({ code: TOWER_LEVY }).first('id');
    const version = await env.db('levy_type_versions').where({ levy_type_id: levy.id }).first('id');
    // The seeded levy version names the layout its bills have been printed with; the benchmark's
    // own database measures the current one.
    await env.db('levy_type_versions').where({ id: version.id }).update({ document_template: TEMPLATE });
    await env.db.raw(
      `INSERT INTO payers (npwrd, name, address)
       SELECT 'R.13.71.' || lpad(g::text, 6, '0'), 'PT Menara Nusantara ' || g || ' Tbk', 'Jl. Jend. Sudirman No. ' || g || ', Padang'
         FROM generate_series(1, ?) g`,
      [s.skrds],
    );
    const payers: Array<{ id: number }> = await env.db('payers').where('npwrd', 'like', 'R.13.71.%').orderBy('id').select('id');
    const objects = payers.flatMap((p, i) =>
      Array.from({ length: LINES }, (_, j) => {
        const k = kecamatan[(i + j) % kecamatan.length];
        const n = i * LINES + j + 1;
        return {
          levy_type_id: levy.id,
          code: `PDG-BNC-${String(n).padStart(6, '0')}`,
          name: `Menara ${TYPES[n % 3].replace('_', ' ')} ${20 + (n % 60)} m, Kel. ${k.kelurahan[n % k.kelurahan.length]}`,
          payer_id: p.id,
          attributes: JSON.stringify({
            site_id: `PDG-BNC-${String(n).padStart(6, '0')}`,
            tower_type: TYPES[n % 3],
            height_m: 20 + (n % 60),
            kecamatan: k.name,
            kelurahan: k.kelurahan[n % k.kelurahan.length],
            zone: k.zone,
          }),
        };
      }),
    );
    for (let i = 0; i < objects.length; i += 2000) await env.db('objects').insert(objects.slice(i, i + 2000));
    // Only the benchmark's providers: Padang's own towers have other line counts.
    await env.db('objects').where({ levy_type_id: levy.id }).andWhere('code', 'not like', 'PDG-BNC-%').update({ status: 'dismantled' });
    const { run } = await startRun(env.db, { levy_type_id: levy.id, levy_type_version_id: version.id, period: '2027', requested_by: 'bench' });
    await runAssessment(env.db, run.id);
    const { BNI_PREFIX: prefix, BNI_CLIENT_ID: clientId } = config();
    await env.db.raw(
      `UPDATE bills SET status = 'issued', trx_id = bill_no || '-1', virtual_account = ? || lpad(id::text, ?, '0'),
              expires_at = '2027-04-02 23:59:59+07', issued_at = now()
        WHERE assessment_id = ?`,
      [prefix + clientId, 16 - prefix.length - clientId.length, run.id],
    );
    const billNos: string[] = await env.db('bills').where({ assessment_id: run.id }).orderBy('id').pluck('bill_no');
    if (billNos.length !== s.skrds) throw new Error(`expected ${s.skrds} bills, the assessment made ${billNos.length}`);

    // Bill numbers go to the process in a file: thousands of them would not fit a command line.
    const list = path.join(os.tmpdir(), `kasda-bench-${process.pid}-skrd.txt`);
    fs.writeFileSync(list, billNos.join('\n'));
    try {
      const child = startProc('skrd', 'bench/children/skrd.ts', [list], { env: env.env });
      const r = JSON.parse((await child.output()).trim().split('\n').pop()!) as {
        documents: number;
        seconds: number;
        renderSeconds: number;
        cpuSeconds: number;
        bytes: number;
        pages: number[];
        lines: number[];
        templates: string[];
      };
      if (r.pages.length !== 1 || r.lines.join() !== String(LINES) || r.templates.join() !== TEMPLATE) {
        throw new Error(`expected ${TEMPLATE} SKRDs alike with ${LINES} lines, got pages ${r.pages}, lines ${r.lines}, layouts ${r.templates}`);
      }
      const perSecond = r.documents / r.seconds;
      log(
        `  ${r.documents} SKRDs (${TEMPLATE}, ${r.pages[0]} page${r.pages[0] > 1 ? 's' : ''}, ${LINES} lines, ${round(r.bytes / r.documents / 1024)} KiB each) in ${round(r.seconds, 2)} s: ` +
          `${round(perSecond)}/s gathered and rendered; rendering alone ${round(r.documents / r.renderSeconds)}/s; ` +
          `${round((1000 * r.cpuSeconds) / r.documents, 2)} ms of CPU per document (${round(r.documents / r.cpuSeconds)}/s on a core of its own)`,
      );
      return perSecond;
    } finally {
      fs.rmSync(list, { force: true });
    }
  } finally {
    await env.close();
  }
}
