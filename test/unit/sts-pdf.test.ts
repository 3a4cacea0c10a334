import { renderSts, type StsDocument } from '../../src/modules/documents/sts-v1';
import { pdfText } from '../support/pdf-text';

/** Diskominfo deposits 15 March 2027's BNI receipts: two full payments and one with Rp5.000 over. */
function sampleSts(overrides: Partial<StsDocument> = {}): StsDocument {
  const payments = [
    { receiptNo: 'DISKOMINFO-NTPD-2027-000101', paymentRef: '000731', billNo: 'DISKOMINFO-2027-000001', payerName: 'PT Dayamitra Telekomunikasi Tbk (Mitratel)', npwrd: 'R.13.71.0001', paidAt: new Date('2027-03-15T02:05:00Z'), applied: 656_565_000, credit: 0, amount: 656_565_000 },
    { receiptNo: 'DISKOMINFO-NTPD-2027-000102', paymentRef: '000732', billNo: 'DISKOMINFO-2027-000011', payerName: 'PT Padang TV', npwrd: 'R.13.71.0022', paidAt: new Date('2027-03-15T09:40:00Z'), applied: 4_200_000, credit: 5_000, amount: 4_205_000 },
    { receiptNo: 'DISKOMINFO-NTPD-2027-000103', paymentRef: '000733', billNo: 'DISKOMINFO-2027-000009', payerName: 'LPP TVRI Stasiun Sumatera Barat', npwrd: 'R.13.71.0021', paidAt: new Date('2027-03-15T16:30:00Z'), applied: 9_030_000, credit: 0, amount: 9_030_000 },
  ];
  return {
    pemdaName: 'Pemerintah Kota Padang',
    opd: {
      name: 'Dinas Komunikasi dan Informatika',
      address: 'Jl. Bagindo Aziz Chan No. 1, Aie Pacah, Padang',
      headName: 'Dra. Siti Rahmawati, M.Si',
      headNip: '19710412 199803 2 004',
      headTitle: 'Kepala Dinas Komunikasi dan Informatika',
      treasurerName: 'Yuliana Putri, S.E.',
      treasurerNip: '19880214 201101 2 003',
    },
    stsNo: 'DISKOMINFO-STS-2027-000042',
    depositDate: '2027-03-15',
    bankName: 'BNI',
    channelName: 'BNI eCollection (Diskominfo)',
    lines: [{ accountCode: '4.1.02.01.13.0001', description: 'Retribusi Pengendalian Menara Telekomunikasi', amount: 669_795_000 }],
    revenue: 669_795_000,
    credit: 5_000,
    total: 669_800_000,
    payments,
    createdAt: new Date('2027-03-15T17:15:00Z'),
    ...overrides,
  };
}

describe('STS PDF, layout v1', () => {
  it('renders a valid PDF with the lines, the credit apart from revenue, the total in words and both signatures', async () => {
    const pdf = await renderSts(sampleSts());
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.subarray(-6).toString().trim()).toBe('%%EOF');
    const text = pdfText(pdf);
    expect(text).toEqual(
      expect.arrayContaining([
        'SURAT TANDA SETORAN (STS)',
        'Nomor: DISKOMINFO-STS-2027-000042',
        '15 Maret 2027',
        '4.1.02.01.13.0001',
        'Rp669.795.000',
        'Rp5.000',
        'JUMLAH DISETOR',
        'Rp669.800.000',
        'DISKOMINFO-NTPD-2027-000103',
        'Mengetahui,',
        'Kepala Dinas Komunikasi dan Informatika',
        'Bendahara Penerimaan',
        'Yuliana Putri, S.E.',
        'NIP. 19880214 201101 2 003',
        'Padang, 16 Maret 2027',
      ]),
    );
    expect(text.join(' ')).toContain('Enam ratus enam puluh sembilan juta delapan ratus ribu rupiah');
    // 23:30 WIB, printed in WIB.
    expect(text).toContain('15 Maret 2027 23:30 WIB');
  });

  it('gives the same bytes for the same STS', async () => {
    const [a, b] = await Promise.all([renderSts(sampleSts()), renderSts(sampleSts())]);
    expect(a.equals(b)).toBe(true);
  });

  it('leaves the bendahara penerimaan to be written by hand when the OPD has none on record', async () => {
    const doc = sampleSts();
    const text = pdfText(await renderSts({ ...doc, opd: { ...doc.opd, treasurerName: '', treasurerNip: '' } }));
    expect(text.some((t) => /^\(\.+\)$/.test(t))).toBe(true);
  });

  it('breaks a long list of receipts across pages, numbering them', async () => {
    const base = sampleSts().payments[2];
    const payments = Array.from({ length: 90 }, (_, i) => ({ ...base, receiptNo: `DISKOMINFO-NTPD-2027-${String(i + 1).padStart(6, '0')}` }));
    const text = pdfText(await renderSts(sampleSts({ payments, lines: [{ ...sampleSts().lines[0], amount: 90 * base.amount }], revenue: 90 * base.amount, credit: 0, total: 90 * base.amount })));
    const pages = text.filter((t) => /^Halaman \d+ dari \d+$/.test(t));
    expect(pages.length).toBeGreaterThan(1);
    expect(pages[0]).toBe(`Halaman 1 dari ${pages.length}`);
    expect(text).toContain('DISKOMINFO-NTPD-2027-000090');
  });

  it.each([
    ['lines that do not add up to the revenue', { revenue: 669_795_001, total: 669_800_001 }],
    ['a total other than revenue plus credit', { total: 669_795_000 }],
    ['a credit the payments do not carry', { credit: 10_000, total: 669_805_000 }],
    ['no payments', { payments: [] }],
    ['a fraction of a rupiah', { lines: [{ accountCode: '4.1.02.01.13.0001', description: 'x', amount: 669_795_000.5 }] }],
  ])('refuses to print %s', async (_what, overrides) => {
    await expect(renderSts(sampleSts(overrides as Partial<StsDocument>))).rejects.toThrow(RangeError);
  });
});
