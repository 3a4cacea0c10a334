import { renderSkrd, type SkrdDocument } from '../../src/modules/documents/skrd-v1';
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
    const pdf = await renderSkrd(sampleSkrd(3));
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
    const a = await renderSkrd(sampleSkrd(20));
    const b = await renderSkrd(sampleSkrd(20));
    expect(a.equals(b)).toBe(true);
  });

  test('When an owner has 180 towers, then the table runs over numbered pages with its header repeated', async () => {
    const pdf = await renderSkrd(sampleSkrd(180));
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
    const pdf = await renderSkrd({ ...sampleSkrd(1), kind: 'pajak', documentType: 'SKPD', documentTitle: 'Surat Ketetapan Pajak Daerah' });
    const text = pdfText(pdf).join(' ');
    expect(text).toContain('WAJIB PAJAK');
    expect(text).toContain('NPWPD');
    expect(text).toContain('Masa Pajak');
  });

  test('When there is no VA yet, then the SKRD says where to pay instead', async () => {
    const pdf = await renderSkrd({ ...sampleSkrd(1), virtualAccount: null, expiresAt: null, qrPayload: '' });
    expect(pdfText(pdf).join(' ')).toContain('Setor di loket BNI');
  });

  test('When the sums do not add up, then nothing is rendered', async () => {
    const doc = sampleSkrd(2);
    await expect(renderSkrd({ ...doc, principal: doc.principal + 1 })).rejects.toThrow(/principal/);
    await expect(renderSkrd({ ...doc, total: doc.total - 1 })).rejects.toThrow(/total/);
    await expect(renderSkrd({ ...doc, interest: 0.5 })).rejects.toThrow(RangeError);
  });
});
