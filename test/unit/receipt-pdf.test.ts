import { renderReceipt, type ReceiptDocument } from '../../src/modules/documents/receipt-v1';
import { pdfText } from '../support/pdf-text';

/** Mitratel pays its 2027 tower levy of Rp13.300.000 at a BNI channel, 15 March 2027 14:05 WIB. */
function sampleReceipt(overrides: Partial<ReceiptDocument> = {}): ReceiptDocument {
  return {
    pemdaName: 'Pemerintah Kota Padang',
    opd: {
      name: 'Dinas Komunikasi dan Informatika',
      address: 'Jl. Bagindo Aziz Chan No. 1, Aie Pacah, Kec. Koto Tangah, Kota Padang, Sumatera Barat 25176',
      headName: 'Dr. Rinaldi Syafri, S.Kom., M.T.',
      headNip: '19750312 200003 1 004',
      headTitle: 'Kepala Dinas Komunikasi dan Informatika Kota Padang',
    },
    receiptNo: 'NTPD-DISKOMINFO-2027-000042',
    billNo: 'SKRD-DISKOMINFO-2027-000123',
    documentType: 'SKRD',
    period: '2027',
    levyName: 'Retribusi Pengendalian Menara Telekomunikasi',
    payer: {
      npwrd: 'R.13.71.0123',
      name: 'PT Dayamitra Telekomunikasi Tbk (Mitratel)',
      address: 'Telkom Landmark Tower Lt. 25, Jl. Jend. Gatot Subroto Kav. 52, Jakarta Selatan 12710',
    },
    lines: [{ accountCode: '4.1.02.01.13.0001', description: 'Retribusi Pengendalian Menara Telekomunikasi 2027', amount: 13_300_000 }],
    paymentRef: '202703150705123456',
    paidAt: new Date('2027-03-15T07:05:00Z'),
    amount: 13_300_000,
    cumulativePaid: 13_300_000,
    billAmount: 13_300_000,
    outstanding: 0,
    virtualAccount: '9881012700012345',
    bankName: 'BNI',
    channelName: 'BNI eCollection',
    source: 'notification',
    generatedAt: new Date('2027-03-15T07:06:00Z'),
    ...overrides,
  };
}

/** A first instalment of Rp5.000.000 on the same bill, found by inquiry. */
function partialReceipt(): ReceiptDocument {
  const base = sampleReceipt();
  return sampleReceipt({
    lines: [{ ...base.lines[0], amount: 5_000_000 }],
    amount: 5_000_000,
    cumulativePaid: 5_000_000,
    outstanding: 8_300_000,
    source: 'inquiry',
  });
}

/** The text drawn in the PDF: each TJ array of hex strings in the Flate-compressed content streams. */

describe('SSRD receipt PDF, layout v1', () => {
  test('renders a valid one-page PDF with the payment on it', async () => {
    const pdf = await renderReceipt(sampleReceipt());
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.subarray(-6).toString().trim()).toBe('%%EOF');

    const text = pdfText(pdf);
    expect(text).toContain('SURAT SETORAN RETRIBUSI DAERAH (SSRD)');
    expect(text).toContain('Nomor: NTPD-DISKOMINFO-2027-000042');
    expect(text).toContain('SKRD Nomor SKRD-DISKOMINFO-2027-000123');
    expect(text).toContain('PT Dayamitra Telekomunikasi Tbk (Mitratel)');
    expect(text).toContain('R.13.71.0123');
    expect(text).toContain('4.1.02.01.13.0001');
    expect(text).toContain('202703150705123456');
    expect(text).toContain('9881 0127 0001 2345');
    expect(text).toContain('Rp13.300.000');
    expect(text.join(' ')).toContain('Tiga belas juta tiga ratus ribu rupiah');
    expect(text).toContain('Notifikasi bank');
    expect(text).toContain('Padang, 15 Maret 2027');
    expect(text).toContain('NIP. 19750312 200003 1 004');
    expect(text).toContain('Halaman 1 dari 1');
  });

  test('prints the payment time in WIB whatever the process time zone', async () => {
    const text = pdfText(await renderReceipt(sampleReceipt()));
    expect(text).toContain('15 Maret 2027 14:05 WIB');
    // 23:30 UTC is already the next day in Padang.
    const late = pdfText(await renderReceipt(sampleReceipt({ paidAt: new Date('2027-03-14T23:30:00Z') })));
    expect(late).toContain('15 Maret 2027 06:30 WIB');
  });

  test('When the bill is settled, then the receipt is stamped LUNAS', async () => {
    const text = pdfText(await renderReceipt(sampleReceipt()));
    expect(text).toContain('LUNAS');
    expect(text).not.toContain('SEBAGIAN');
  });

  test('When some of the bill is still owed, then the receipt is stamped SEBAGIAN with what is left', async () => {
    const text = pdfText(await renderReceipt(partialReceipt()));
    expect(text).toContain('SEBAGIAN');
    expect(text).toContain('Sisa Rp8.300.000');
    expect(text).not.toContain('LUNAS');
    expect(text).toContain('Rp5.000.000');
    expect(text.join(' ')).toContain('Lima juta rupiah');
    expect(text).toContain('Inkuiri ke bank');
  });

  test('When an overpayment is held as credit, then it is a line of its own and the bill is LUNAS', async () => {
    const base = sampleReceipt();
    const text = pdfText(
      await renderReceipt({
        ...base,
        lines: [...base.lines, { accountCode: '-', description: 'Kelebihan bayar, dicatat sebagai kredit wajib retribusi', amount: 700_000 }],
        amount: 14_000_000,
        source: 'statement',
      }),
    );
    expect(text).toContain('Rp14.000.000');
    expect(text).toContain('LUNAS');
    expect(text).toContain('Rekening koran bank');
  });

  test('When the same payment is rendered twice, then the bytes are identical, dated at the payment time', async () => {
    const a = await renderReceipt(sampleReceipt());
    const b = await renderReceipt(sampleReceipt());
    expect(a.equals(b)).toBe(true);
    expect(a.toString('latin1')).toContain('(D:20270315070500Z)');
    const c = await renderReceipt(partialReceipt());
    expect(c.equals(a)).toBe(false);
  });

  test('When the figures do not add up, then nothing is rendered', async () => {
    const doc = sampleReceipt();
    await expect(renderReceipt({ ...doc, amount: doc.amount + 1 })).rejects.toThrow(/sum of the lines/);
    await expect(renderReceipt({ ...doc, outstanding: 1 })).rejects.toThrow(/outstanding/);
    await expect(renderReceipt({ ...doc, cumulativePaid: doc.cumulativePaid - 1 })).rejects.toThrow(/outstanding/);
    await expect(renderReceipt({ ...doc, lines: [] })).rejects.toThrow(/at least one line/);
    await expect(renderReceipt({ ...doc, lines: [{ ...doc.lines[0], amount: 0.5 }] })).rejects.toThrow(RangeError);
    await expect(renderReceipt({ ...doc, source: 'callback' as ReceiptDocument['source'] })).rejects.toThrow(/source/);
  });
});
