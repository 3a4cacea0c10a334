import { csvCell, tableToCsv } from '../../src/modules/reports/csv';
import type { ReportTable } from '../../src/modules/reports/table';

describe('Report CSV', () => {
  it.each([
    ['=HYPERLINK("http://evil.example","klik")', `"'=HYPERLINK(""http://evil.example"",""klik"")"`],
    ['+62 812 0000', "'+62 812 0000"],
    ['-1+2', "'-1+2"],
    ['@SUM(A1:A9)', "'@SUM(A1:A9)"],
    ['\tcmd', "'\tcmd"],
    ['\r=1', `"'\r=1"`],
    ['PT Dayamitra Telekomunikasi Tbk', 'PT Dayamitra Telekomunikasi Tbk'],
    ['Jl. Sudirman, No. 5', '"Jl. Sudirman, No. 5"'],
    ['Padang; Sumatera Barat', '"Padang; Sumatera Barat"'],
    ['a "quoted" word', '"a ""quoted"" word"'],
    ['two\nlines', '"two\nlines"'],
    ['4.1.02.01.13.0001', '4.1.02.01.13.0001'],
    ['', ''],
  ])('a text cell %j is written as %s', (value, written) => {
    expect(csvCell(value)).toBe(written);
  });

  it('writes numbers as numbers, even negative ones, and null as an empty cell', () => {
    expect(csvCell(1_836_541_000)).toBe('1836541000');
    expect(csvCell(-5000)).toBe('-5000');
    expect(csvCell(66.12)).toBe('66.12');
    expect(csvCell(null)).toBe('');
  });

  it('writes a header of column keys, CRLF rows, and leaves subtotals meant for the PDF out', () => {
    const table: ReportTable = {
      pemdaName: 'Pemerintah Kota Padang',
      scope: 'Seluruh OPD',
      title: 'Contoh',
      subtitle: [],
      fileName: 'contoh',
      columns: [
        { key: 'name', header: 'Nama', kind: 'text', width: 1 },
        { key: 'value', csvName: 'kecamatan', header: 'Kecamatan', kind: 'text', width: 1 },
        { key: 'amount', header: 'Jumlah', kind: 'money', width: 1 },
      ],
      rows: [
        { cells: { name: '=cmd|calc', value: 'Padang Barat', amount: 4_200_000 } },
        { cells: { name: 'PT A', value: null, amount: 0 } },
        { cells: { name: 'Jumlah', value: null, amount: 4_200_000 }, bold: true, pdfOnly: true },
      ],
      totals: { name: 'Jumlah', amount: 4_200_000 },
    };
    expect(tableToCsv(table)).toBe("name,kecamatan,amount\r\n'=cmd|calc,Padang Barat,4200000\r\nPT A,,0\r\n");
  });
});
