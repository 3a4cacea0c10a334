import type { CellValue, ReportTable } from './table';

/**
 * CSV as RFC 4180 (CRLF, fields quoted when they hold a quote, comma, semicolon or line break)
 * and safe to open in a spreadsheet: text starting with = + - @ (or a tab or carriage return,
 * which some spreadsheets skip) is prefixed with a quote so that it is never run as a formula.
 * Numbers are written as they are, so amounts stay numbers.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",;\r\n]/;

export function csvCell(value: CellValue): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: CellValue[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

export function tableToCsv(table: ReportTable): string {
  const header = csvLine(table.columns.map((c) => c.csvName ?? c.key));
  const body = table.rows
    .filter((r) => !r.pdfOnly)
    .map((r) => csvLine(table.columns.map((c) => r.cells[c.key] ?? null)))
    .join('');
  return header + body;
}
