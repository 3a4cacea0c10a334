import type { Request, Response } from 'express';
import { formatDateId, formatDecimalId } from '../../lib/format';
import { formatRupiah } from '../../lib/money';
import { isCalendarDate } from '../../lib/time';
import { renderReport, ReportDocument } from '../documents/report-v1';
import { tableToCsv } from './csv';
import type { CellValue, ColumnKind, Report, ReportTable } from './table';

/** JSON by default; CSV for `?format=csv` or `Accept: text/csv`; PDF for `?format=pdf` or `Accept: application/pdf`. */
export type ReportFormat = 'json' | 'csv' | 'pdf';

export function requestedFormat(req: Request): ReportFormat {
  const given = req.query.format;
  if (given === 'json' || given === 'csv' || given === 'pdf') return given;
  const accepted = req.accepts(['application/json', 'text/csv', 'application/pdf']);
  return accepted === 'text/csv' ? 'csv' : accepted === 'application/pdf' ? 'pdf' : 'json';
}

export async function sendReport<J>(req: Request, res: Response, report: Report<J>): Promise<void> {
  const format = requestedFormat(req);
  if (format === 'json') {
    res.json(report.json);
    return;
  }
  const name = `${report.table.fileName}.${format}`;
  if (format === 'csv') {
    res.type('text/csv; charset=utf-8').setHeader('Content-Disposition', `attachment; filename="${name}"`);
    res.send(tableToCsv(report.table));
    return;
  }
  const pdf = await renderReport(reportDocument(report.table, new Date()));
  res.type('application/pdf').setHeader('Content-Disposition', `inline; filename="${name}"`);
  res.send(pdf);
}

/** Rupiah, thousands and dates the way people in Padang read them; only the PDF does this. */
function formatCell(kind: ColumnKind, value: CellValue): string {
  if (value === null) return '–';
  // A label in a date column ("Jumlah" on the totals row) is printed as it is.
  if (typeof value === 'string') return kind === 'date' && isCalendarDate(value) ? formatDateId(value) : value;
  switch (kind) {
    case 'money':
      return formatRupiah(value);
    case 'percent':
      return `${formatDecimalId(value, 2)}%`;
    default:
      return formatDecimalId(value);
  }
}

export function reportDocument(table: ReportTable, generatedAt: Date): ReportDocument {
  const text = (cells: Record<string, CellValue>) => table.columns.map((c) => formatCell(c.kind, cells[c.key] ?? null));
  const rows = table.rows.map((r) => ({ cells: text(r.cells), bold: r.bold }));
  if (table.totals && table.rows.length) rows.push({ cells: text(table.totals), bold: true });
  return {
    pemdaName: table.pemdaName,
    scope: table.scope,
    title: table.title,
    subtitle: table.subtitle,
    columns: table.columns.map((c) => ({ header: c.header, width: c.width, align: c.kind === 'text' || c.kind === 'date' ? 'left' : 'right' })),
    rows,
    notes: table.notes ?? [],
    generatedAt,
  };
}
