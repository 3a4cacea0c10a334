import { renderReport } from '../../src/modules/documents/report-v1';
import { reportDocument } from '../../src/modules/reports/respond';
import type { ReportTable } from '../../src/modules/reports/table';
import { pdfText } from '../support/pdf-text';

/** An ageing table as wide as they come: seven amount columns of hundreds of millions. */
function ageing(): ReportTable {
  const row = (npwrd: string, name: string, n: number) => ({
    cells: { npwrd, name, bills: 1, not_due: 0, days_0_30: n, days_31_90: n, days_91_180: n, days_181_365: n, days_over_365: n, total: 5 * n },
  });
  return {
    pemdaName: 'Pemerintah Kota Padang',
    scope: 'Seluruh OPD',
    title: 'Umur Piutang per Wajib Retribusi',
    subtitle: ['Per 30 Juni 2027'],
    fileName: 'umur-piutang-2027-06-30',
    columns: [
      { key: 'npwrd', header: 'NPWRD', kind: 'text', width: 11 },
      { key: 'name', header: 'Wajib Retribusi', kind: 'text', width: 20 },
      { key: 'bills', header: 'Tagihan', kind: 'count', width: 6 },
      ...['not_due', 'days_0_30', 'days_31_90', 'days_91_180', 'days_181_365', 'days_over_365'].map((key) => ({ key, header: key, kind: 'money' as const, width: 11 })),
      { key: 'total', header: 'Jumlah', kind: 'money', width: 12 },
    ],
    rows: [row('R.13.71.0001', 'PT Dayamitra Telekomunikasi Tbk (Mitratel)', 656_565_000), row('R.13.71.0022', 'PT Padang TV', 4_200_000)],
    totals: { npwrd: 'Jumlah', bills: 2, not_due: 0, days_0_30: 660_765_000, days_31_90: 660_765_000, days_91_180: 660_765_000, days_181_365: 660_765_000, days_over_365: 660_765_000, total: 3_303_825_000 },
  };
}

describe('Report PDF, layout v1', () => {
  it('formats rupiah, counts, percentages and days for people; the CSV keeps them raw', () => {
    const doc = reportDocument(
      {
        ...ageing(),
        columns: [
          { key: 'date', header: 'Tanggal', kind: 'date', width: 1 },
          { key: 'n', header: 'Transaksi', kind: 'count', width: 1 },
          { key: 'p', header: '%', kind: 'percent', width: 1 },
          { key: 'a', header: 'Jumlah', kind: 'money', width: 1 },
          { key: 'code', header: 'Kode', kind: 'text', width: 1 },
        ],
        rows: [{ cells: { date: '2027-03-15', n: 12_345, p: 66.1, a: 1_234_567, code: null } }],
        totals: { date: 'Jumlah', a: 1_234_567 },
      },
      new Date('2027-03-16T01:00:00Z'),
    );
    expect(doc.rows).toEqual([
      { cells: ['15 Maret 2027', '12.345', '66,10%', 'Rp1.234.567', '–'], bold: undefined },
      { cells: ['Jumlah', '–', '–', 'Rp1.234.567', '–'], bold: true },
    ]);
    expect(doc.columns.map((c) => c.align)).toEqual(['left', 'right', 'right', 'right', 'left']);
  });

  it('sets a wide table small enough that no amount is broken across lines', async () => {
    const pdf = await renderReport(reportDocument(ageing(), new Date('2027-06-30T10:00:00Z')));
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const text = pdfText(pdf);
    expect(text).toEqual(expect.arrayContaining(['UMUR PIUTANG PER WAJIB RETRIBUSI', 'Rp656.565.000', 'Rp3.282.825.000', 'Rp3.303.825.000']));
  });

  it('says so when there is nothing to show', async () => {
    const text = pdfText(await renderReport(reportDocument({ ...ageing(), rows: [] }, new Date('2027-06-30T10:00:00Z'))));
    expect(text).toContain('Tidak ada data untuk periode dan cakupan ini.');
  });
});
