import { CsvError, parse } from 'csv-parse/sync';
import { AppError } from '../../errors';

/**
 * CSV uploads (payers, objects): parsed with csv-parse, one record per spreadsheet row, so a
 * rejected row is reported by the row number a person sees in the spreadsheet (the header is
 * row 1). A file that is not CSV at all (an unclosed quote) is refused whole; a row that is CSV
 * but wrong is reported and the rest imported.
 */
export const MAX_IMPORT_ROWS = 20_000;
export const CSV_BODY_LIMIT = '5mb';

export interface CsvRow {
  row: number;
  cells: Record<string, string>;
}

export interface RowRejection {
  row: number;
  column: string | null;
  reason: string;
}

export interface CsvTable {
  columns: string[];
  rows: CsvRow[];
  rejected: RowRejection[];
}

/** Excel in an Indonesian locale saves CSV with semicolons; a header without commas says so. */
function delimiterOf(text: string): string {
  const header = text.slice(0, text.search(/\r?\n|$/));
  return header.includes(';') && !header.includes(',') ? ';' : ',';
}

export function readCsv(text: unknown): CsvTable {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new AppError('csv_empty', 'The body must be a CSV file (Content-Type: text/csv) with a header row', 400);
  }
  let records: Array<{ record: string[]; info: { records: number } }>;
  try {
    // With `info`, csv-parse returns each record with its position; its types do not follow the option.
    records = parse(text, { bom: true, info: true, trim: true, skip_empty_lines: true, relax_column_count: true, delimiter: delimiterOf(text) }) as unknown as typeof records;
  } catch (e) {
    if (!(e instanceof CsvError)) throw e;
    throw new AppError('csv_malformed', `The file is not valid CSV: ${e.message}`, 400, { line: (e as CsvError & { lines?: number }).lines });
  }
  const [header, ...body] = records;
  const columns = header.record;
  const dup = columns.find((c, i) => columns.indexOf(c) !== i);
  if (dup) throw new AppError('csv_invalid_header', `Column ${dup} appears twice in the header`, 400, { column: dup });
  if (body.length > MAX_IMPORT_ROWS) {
    throw new AppError('csv_too_many_rows', `A file may hold at most ${MAX_IMPORT_ROWS} rows; split it`, 400);
  }
  const rows: CsvRow[] = [];
  const rejected: RowRejection[] = [];
  for (const { record, info } of body) {
    if (record.length !== columns.length) {
      rejected.push({ row: info.records, column: null, reason: `has ${record.length} cells; the header has ${columns.length}` });
      continue;
    }
    rows.push({ row: info.records, cells: Object.fromEntries(columns.map((c, i) => [c, record[i]])) });
  }
  return { columns, rows, rejected };
}

/** Refuses a header missing a required column or holding one nobody reads. */
export function checkColumns(columns: string[], required: string[], allowed: Set<string>): void {
  const missing = required.find((c) => !columns.includes(c));
  if (missing) throw new AppError('csv_invalid_header', `The header has no ${missing} column`, 400, { column: missing });
  const unknown = columns.find((c) => !allowed.has(c));
  if (unknown) {
    throw new AppError('csv_invalid_header', `Column ${unknown} is not one this import reads (${[...allowed].join(', ')})`, 400, { column: unknown });
  }
}

/**
 * A text cell that a spreadsheet would run as a formula when the data is exported and opened
 * again (CSV injection). Such a value has no business in a name or an address, so it is refused
 * rather than escaped.
 */
export function formulaInjection(value: string): string | undefined {
  return /^[=+\-@\t\r]/.test(value) ? `starts with ${JSON.stringify(value[0])}, which a spreadsheet would run as a formula` : undefined;
}
