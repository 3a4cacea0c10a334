import PDFDocument from 'pdfkit';
import { renderSkrd, sanctionNotice } from '../../src/modules/documents/service';
import type { SkrdDocument } from '../../src/modules/documents/skrd-document';
import { renderSkrdV1 } from '../../src/modules/documents/skrd-v1';
import { renderSkrdV2 } from '../../src/modules/documents/skrd-v2';
import { useStandardFont } from '../../src/modules/documents/standard-fonts';
import type { InterestRule } from '../../src/modules/levy-types/schema';
import { pdfText } from '../support/pdf-text';

const KECAMATAN = ['Padang Utara', 'Koto Tangah', 'Kuranji', 'Lubuk Begalung', 'Bungus Teluk Kabung'];

/** A Mitratel-like bill: one line per tower, each 2 inspections × Rp1.750.000 × a zone coefficient. */
function sampleSkrd(towerCount: number): SkrdDocument {
  const lines = Array.from({ length: towerCount }, (_, i) => {
    const coefficient = i % 3 === 0 ? 1.4 : 1.2;
    const kecamatan = KECAMATAN[i % KECAMATAN.length];
    return {
      lineNo: i + 1,
      objectCode: `PDG-${String(i + 1).padStart(4, '0')}`,
      objectName:
        i % 4 === 0
          ? `Menara rangka mandiri 52 m, Jl. Adinegoro, Kel. Lubuk Buaya, Kec. ${kecamatan}`
          : `Menara monopole 30 m, Kec. ${kecamatan}`,
      accountCode: '4.1.02.01.13.0001',
      calculation: `2 pemeriksaan × Rp1.750.000 × ${coefficient === 1.4 ? '1,40 (zona I, tinggi > 40 m)' : '1,20 (zona II)'}`,
      amount: Math.round(2 * 1_750_000 * coefficient),
    };
  });
  const principal = lines.reduce((s, l) => s + l.amount, 0);
  const interest = 0;
  return {
    kind: 'retribusi',
    pemdaName: 'Pemerintah Kota Padang',
    opd: {
      name: 'Dinas Komunikasi dan Informatika',
      address: 'Jl. Bagindo Aziz Chan No. 1, Aie Pacah, Kec. Koto Tangah, Kota Padang, Sumatera Barat 25176',
      headName: 'Dr. Rinaldi Syafri, S.Kom., M.T.',
      headNip: '19750312 200003 1 004',
      headTitle: 'Kepala Dinas Komunikasi dan Informatika Kota Padang',
    },
    documentType: 'SKRD',
    documentTitle: 'Surat Ketetapan Retribusi Daerah',
    billNo: 'SKRD/DISKOMINFO/2027/000123',
    period: '2027',
    levyName: 'Retribusi Pengendalian Menara Telekomunikasi',
    legalBasis:
      'Peraturan Daerah Kota Padang Nomor 3 Tahun 2012 tentang Retribusi Pengendalian Menara Telekomunikasi sebagaimana telah diubah terakhir dengan Peraturan Daerah Kota Padang Nomor 1 Tahun 2019',
    issueDate: '2027-03-15',
    dueDate: '2027-04-14',
    payer: {
      npwrd: 'R.13.71.0123',
      name: 'PT Dayamitra Telekomunikasi Tbk (Mitratel)',
      address: 'Telkom Landmark Tower Lt. 25, Jl. Jend. Gatot Subroto Kav. 52, Jakarta Selatan 12710',
    },
    lines,
    principal,
    interest,
    total: principal + interest,
    virtualAccount: '9881012700012345',
    bankName: 'BNI',
    expiresAt: new Date('2027-04-14T16:59:00Z'),
    qrPayload: `VA:9881012700012345;AMT:${principal + interest};BANK:BNI`,
    sanctionNotice:
      'Apabila SKRD ini tidak atau kurang dibayar setelah jatuh tempo, dikenakan sanksi administratif berupa bunga sebesar 1% (satu persen) setiap bulan dari retribusi terutang yang tidak atau kurang dibayar, paling lama 24 (dua puluh empat) bulan, dan ditagih dengan STRD.',
    generatedAt: new Date('2027-03-15T02:00:00Z'),
  };
}


function pageCount(pdf: Buffer): number {
  return (pdf.toString('latin1').match(/\/Type \/Page(?!s)/g) ?? []).length;
}

describe('SKRD PDF, layout v1', () => {
  test('renders a valid PDF with the bill on it', async () => {
    const pdf = await renderSkrdV1(sampleSkrd(3));
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.subarray(-6).toString().trim()).toBe('%%EOF');

    const text = pdfText(pdf);
    expect(text).toContain('SURAT KETETAPAN RETRIBUSI DAERAH (SKRD)');
    expect(text).toContain('Nomor: SKRD/DISKOMINFO/2027/000123');
    expect(text).toContain('9881 0127 0001 2345');
    expect(text).toContain('Rp4.900.000');
    // 4.900.000 + 2 × 4.200.000
    expect(text).toContain('Rp13.300.000');
    expect(text.join(' ')).toContain('Tiga belas juta tiga ratus ribu rupiah');
    expect(text).toContain('Padang, 15 Maret 2027');
    expect(text).toContain('NIP. 19750312 200003 1 004');
    expect(text).toContain('SKRD ini bukan bukti pembayaran.');
    expect(text).toContain('Halaman 1 dari 1');
  });

  test('When the same bill is rendered twice, then the bytes are identical', async () => {
    const a = await renderSkrdV1(sampleSkrd(20));
    const b = await renderSkrdV1(sampleSkrd(20));
    expect(a.equals(b)).toBe(true);
  });

  test('When an owner has 180 towers, then the table runs over numbered pages with its header repeated', async () => {
    const pdf = await renderSkrdV1(sampleSkrd(180));
    const pages = pageCount(pdf);
    expect(pages).toBeGreaterThan(1);

    const text = pdfText(pdf);
    for (let i = 1; i <= pages; i++) expect(text).toContain(`Halaman ${i} dari ${pages}`);
    // One table header per page that carries table rows, and every line printed exactly once.
    const headers = text.filter((t) => t === 'Kode Rekening').length;
    expect(headers).toBeGreaterThanOrEqual(pages - 1);
    expect(text.filter((t) => /^PDG-\d{4}$/.test(t))).toHaveLength(180);
    expect(text.filter((t) => t.endsWith('(lanjutan)'))).toHaveLength(pages - 1);
  });

  test('A tax assessment (SKPD) speaks of the tax and the NPWPD, not of a levy', async () => {
    const pdf = await renderSkrdV1({ ...sampleSkrd(1), kind: 'pajak', documentType: 'SKPD', documentTitle: 'Surat Ketetapan Pajak Daerah' });
    const text = pdfText(pdf).join(' ');
    expect(text).toContain('WAJIB PAJAK');
    expect(text).toContain('NPWPD');
    expect(text).toContain('Masa Pajak');
  });

  test('When there is no VA yet, then the SKRD says where to pay instead', async () => {
    const pdf = await renderSkrdV1({ ...sampleSkrd(1), virtualAccount: null, expiresAt: null, qrPayload: '' });
    expect(pdfText(pdf).join(' ')).toContain('Setor di loket BNI');
  });

  test('When the sums do not add up, then nothing is rendered', async () => {
    const doc = sampleSkrd(2);
    await expect(renderSkrdV1({ ...doc, principal: doc.principal + 1 })).rejects.toThrow(/principal/);
    await expect(renderSkrdV1({ ...doc, total: doc.total - 1 })).rejects.toThrow(/total/);
    await expect(renderSkrdV1({ ...doc, interest: 0.5 })).rejects.toThrow(RangeError);
  });
});

describe('SKRD PDF, layout v2 (compact)', () => {
  const CODES = /^PDG-\d{4}$/;

  test('When an owner has 20 towers, then the whole SKRD fits one page with every line, the totals and the terbilang', async () => {
    const pdf = await renderSkrdV2(sampleSkrd(20));
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pageCount(pdf)).toBe(1);

    const text = pdfText(pdf);
    const all = text.join(' ');
    expect(text).toContain('PEMERINTAH KOTA PADANG');
    expect(text).toContain('SURAT KETETAPAN RETRIBUSI DAERAH (SKRD)');
    expect(text).toContain('Nomor: SKRD/DISKOMINFO/2027/000123');
    expect(text).toContain('PT Dayamitra Telekomunikasi Tbk (Mitratel)');
    expect(text).toContain('R.13.71.0123');
    expect(all).toContain('Masa Retribusi');
    expect(text.filter((t) => CODES.test(t))).toEqual(Array.from({ length: 20 }, (_, i) => `PDG-${String(i + 1).padStart(4, '0')}`));
    expect(text.filter((t) => t === '4.1.02.01.13.0001')).toHaveLength(20);
    expect(text.filter((t) => t.startsWith('2 pemeriksaan × Rp1.750.000'))).toHaveLength(20);
    // 7 lines of Rp4.900.000 and 13 of Rp4.200.000: the principal and the amount due.
    expect(text.filter((t) => t === 'Rp88.900.000')).toHaveLength(2);
    expect(all).toContain('Delapan puluh delapan juta sembilan ratus ribu rupiah');
    expect(text).toContain('9881 0127 0001 2345');
    expect(all).toContain('14 April 2027');
    expect(all).toContain('ditagih dengan STRD');
    expect(text).toContain('Padang, 15 Maret 2027');
    expect(text).toContain('NIP. 19750312 200003 1 004');
    expect(text).toContain('SKRD ini bukan bukti pembayaran.');
    expect(text).toContain('Halaman 1 dari 1');
  });

  test('When an STRD adds interest to 20 lines, then the interest and its calculation are shown and it still fits one page', async () => {
    const doc = sampleSkrd(20);
    const pdf = await renderSkrdV2({
      ...doc,
      documentType: 'STRD',
      documentTitle: 'Surat Tagihan Retribusi Daerah',
      interest: 1_764_000,
      total: doc.principal + 1_764_000,
      interestCalculation: 'Bunga 1% × 2 bulan × Rp88.200.000 (4.1.04.13.01.0001)',
    });
    expect(pageCount(pdf)).toBe(1);
    const text = pdfText(pdf);
    expect(text).toContain('Rp1.764.000');
    expect(text).toContain('Rp90.664.000');
    expect(text.join(' ')).toContain('Bunga (Sanksi Administratif): Bunga 1% × 2 bulan ×');
    expect(text.join(' ')).toContain('Sembilan puluh juta enam ratus enam puluh empat ribu rupiah');
  });

  test('When an owner has 60 towers, then the table flows over numbered pages, each line once, and the totals close it', async () => {
    const pdf = await renderSkrdV2(sampleSkrd(60));
    const pages = pageCount(pdf);
    expect(pages).toBeGreaterThanOrEqual(3);

    const text = pdfText(pdf);
    for (let i = 1; i <= pages; i++) expect(text).toContain(`Halaman ${i} dari ${pages}`);
    expect(text.filter((t) => CODES.test(t))).toHaveLength(60);
    expect(new Set(text.filter((t) => CODES.test(t))).size).toBe(60);
    expect(text.filter((t) => t.endsWith('(lanjutan)'))).toHaveLength(pages - 1);
    expect(text.filter((t) => t === 'Kode Rekening').length).toBeGreaterThanOrEqual(2);
    // 20 lines of Rp4.900.000 and 40 of Rp4.200.000.
    expect(text.filter((t) => t === 'Rp266.000.000')).toHaveLength(2);
    expect(text.join(' ')).toContain('Dua ratus enam puluh enam juta rupiah');
    expect(text).toContain('NIP. 19750312 200003 1 004');
  });

  test('When the same bill is rendered twice, then the bytes are identical', async () => {
    expect((await renderSkrdV2(sampleSkrd(20))).equals(await renderSkrdV2(sampleSkrd(20)))).toBe(true);
  });

  test('A tax assessment (SKPD) speaks of the tax and the NPWPD, not of a levy', async () => {
    const pdf = await renderSkrdV2({ ...sampleSkrd(2), kind: 'pajak', documentType: 'SKPD', documentTitle: 'Surat Ketetapan Pajak Daerah' });
    const text = pdfText(pdf).join(' ');
    expect(text).toContain('SURAT KETETAPAN PAJAK DAERAH (SKPD)');
    expect(text).toContain('Wajib Pajak');
    expect(text).toContain('NPWPD');
    expect(text).toContain('Masa Pajak');
    expect(text).toContain('Objek Pajak dan Perhitungan');
  });

  test('Signs the built-in fonts cannot print are spelled out, not printed as other characters', async () => {
    const doc = sampleSkrd(1);
    const line = { ...doc.lines[0], calculation: '2 pemeriksaan × Rp1.750.000 × 0,9 (tinggi ≤ 30 m) × 1,2 (zona I)' };
    const text = pdfText(await renderSkrdV2({ ...doc, lines: [line] }));
    expect(text).toContain('2 pemeriksaan × Rp1.750.000 × 0,9 (tinggi <= 30 m) × 1,2 (zona I)');
  });

  test('When there is no VA yet, then the SKRD says where to pay instead', async () => {
    const pdf = await renderSkrdV2({ ...sampleSkrd(1), virtualAccount: null, expiresAt: null, qrPayload: '' });
    expect(pdfText(pdf).join(' ')).toContain('Setor di loket BNI');
  });

  test('When the sums do not add up, then nothing is rendered', async () => {
    const doc = sampleSkrd(2);
    await expect(renderSkrdV2({ ...doc, principal: doc.principal + 1 })).rejects.toThrow(/principal/);
    await expect(renderSkrdV2({ ...doc, total: doc.total - 1 })).rejects.toThrow(/total/);
  });

  test('A bill is rendered in the layout its levy version names', async () => {
    const doc = sampleSkrd(20);
    expect((await renderSkrd({ template: 'skrd-v1', document: doc })).equals(await renderSkrdV1(doc))).toBe(true);
    expect((await renderSkrd({ template: 'skrd-v2', document: doc })).equals(await renderSkrdV2(doc))).toBe(true);
  });
});

describe('The sanction notice', () => {
  const rules: InterestRule[] = [
    { effective_from: '2024-01-05', rate_per_month_bp: 100, max_months: 24, started_month_counts_whole: true, base: 'principal' },
  ];

  test('A levy (retribusi) is billed for its arrears with an STRD', () => {
    const notice = sanctionNotice(rules, '2027-04-14', 'SKRD', 'retribusi');
    expect(notice).toMatch(/^Apabila SKRD ini tidak atau kurang dibayar/);
    expect(notice).toContain('bunga sebesar 1% setiap bulan');
    expect(notice).toContain('paling lama 24 bulan');
    expect(notice).toMatch(/ditagih dengan menggunakan STRD\.$/);
  });

  test('A tax (pajak) is billed for its arrears with an STPD, never an STRD', async () => {
    const notice = sanctionNotice(rules, '2027-04-14', 'SKPD', 'pajak');
    expect(notice).toMatch(/^Apabila SKPD ini tidak atau kurang dibayar/);
    expect(notice).toMatch(/ditagih dengan menggunakan STPD\.$/);
    expect(notice).not.toContain('STRD');

    const doc = { ...sampleSkrd(1), kind: 'pajak' as const, documentType: 'SKPD', documentTitle: 'Surat Ketetapan Pajak Daerah', sanctionNotice: notice };
    const text = pdfText(await renderSkrdV2(doc)).join(' ');
    expect(text).toContain('dan ditagih dengan menggunakan STPD.');
    expect(text).not.toContain('STRD');
  });

  test('Without an interest rule in force by the due date, the notice only states the due date', () => {
    expect(sanctionNotice(rules, '2023-12-31', 'SKPD', 'pajak')).toBe('SKPD ini wajib dilunasi paling lambat pada tanggal jatuh tempo.');
  });
});

describe('Standard fonts shared across documents', () => {
  const info = { CreationDate: new Date('2027-03-15T02:00:00Z') };

  async function bytesOf(doc: PDFKit.PDFDocument): Promise<Buffer> {
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
    doc.end();
    return ended;
  }

  function draw(doc: PDFKit.PDFDocument, select: (name: string) => void): void {
    select('Helvetica-Bold');
    doc.fontSize(12).text('PEMERINTAH KOTA PADANG', 50, 50, { lineBreak: false });
    select('Helvetica');
    doc.fontSize(9).text('2 pemeriksaan × Rp1.750.000 × 1,40 (zona I, tinggi > 40 m)', 50, 70, { lineBreak: false });
    select('Helvetica-Oblique');
    doc.fontSize(8).text('Tiga belas juta tiga ratus ribu rupiah', 50, 90, { lineBreak: false });
    select('Helvetica-Bold');
    doc.text(`AVATAR ${doc.widthOfString('AVATAR WAVE Tj')}`, 50, 110, { lineBreak: false });
  }

  /** The parsed metrics (pdfkit's AFMFont) behind the document's current font. */
  const metricsOf = (doc: PDFKit.PDFDocument) => (doc as unknown as { _font: { font: object } })._font.font;

  test('A document set with the shared fonts has the same bytes as one where pdfkit parses them itself', async () => {
    const metrics: object[] = [];
    for (let i = 0; i < 2; i++) {
      const own = new PDFDocument({ info });
      draw(own, (name) => own.font(name));
      const shared = new PDFDocument({ info, font: '' });
      useStandardFont(shared, 'Helvetica');
      draw(shared, (name) => useStandardFont(shared, name));
      metrics.push(metricsOf(shared));
      expect((await bytesOf(shared)).equals(await bytesOf(own))).toBe(true);
    }
    // Parsed once for both documents.
    expect(metrics[0]).toBe(metrics[1]);
  });

  test('Each document has its own font resources: fonts first used in another order get their own ids', async () => {
    const a = new PDFDocument({ info, font: '' });
    useStandardFont(a, 'Helvetica-Oblique');
    a.text('miring', 50, 50, { lineBreak: false });
    const b = new PDFDocument({ info });
    useStandardFont(b, 'Helvetica-Bold');
    b.text('tebal', 50, 50, { lineBreak: false });
    const [pa, pb] = [(await bytesOf(a)).toString('latin1'), (await bytesOf(b)).toString('latin1')];
    expect(pa).toMatch(/\/BaseFont \/Helvetica-Oblique/);
    expect(pa).not.toMatch(/\/BaseFont \/Helvetica-Bold/);
    expect(pb).toMatch(/\/BaseFont \/Helvetica-Bold/);
    expect(pb).toMatch(/\/F2 \d+ 0 R/);
  });
});
