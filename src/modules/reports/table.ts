/**
 * A report as one table, the shape its CSV and PDF are written from (the JSON answer keeps each
 * report's own richer shape). Values stay raw here: integers for money, 'YYYY-MM-DD' for days;
 * only the PDF formats them for people.
 */
export type CellValue = string | number | null;
export type ColumnKind = 'text' | 'date' | 'money' | 'count' | 'percent';

export interface ReportColumn {
  /** The row field, and the CSV header unless `csvName` is given. */
  key: string;
  csvName?: string;
  /** The PDF header. */
  header: string;
  kind: ColumnKind;
  /** Relative width in the PDF. */
  width: number;
}

export interface ReportRow {
  cells: Record<string, CellValue>;
  bold?: boolean;
  /** A subtotal for people reading the PDF, left out of the CSV so that sums over the file stay right. */
  pdfOnly?: boolean;
}

export interface ReportTable {
  pemdaName: string;
  /** Whose figures: an OPD's name, or all OPDs. */
  scope: string;
  title: string;
  subtitle: string[];
  /** Without extension. */
  fileName: string;
  columns: ReportColumn[];
  rows: ReportRow[];
  totals?: Record<string, CellValue>;
  notes?: string[];
}

export interface Report<J> {
  json: J;
  table: ReportTable;
}
