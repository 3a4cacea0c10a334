import type { Knex } from 'knex';
import type { Principal } from '../auth/tokens';

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

/** Whose figures a caller may see: an OPD admin its own OPD, everyone else all of them. */
export interface ReportScope {
  opdCode: string | null;
  pemdaName: string;
  label: string;
}

export async function scopeOf(db: Knex, who: Principal): Promise<ReportScope> {
  if (who.role === 'opd_admin') {
    const opd = await db('opds').where({ code: who.opd }).first('name', 'pemda_name');
    return { opdCode: who.opd!, pemdaName: opd?.pemda_name ?? '', label: opd?.name ?? who.opd! };
  }
  const any = await db('opds').orderBy('id').first('pemda_name');
  return { opdCode: null, pemdaName: any?.pemda_name ?? '', label: 'Seluruh OPD' };
}

/** Restricts a query joining `opds` (by this alias) to the scope. */
export function restrictTo(q: Knex.QueryBuilder, scope: ReportScope, opdAlias = 'o'): Knex.QueryBuilder {
  if (scope.opdCode !== null) q.where(`${opdAlias}.code`, scope.opdCode);
  return q;
}
