import { formatDateTimeWib } from '../../lib/format';
import { PdfWriter, type Align, type TableCell, type TableColumn } from './pdf';

/**
 * Finance reports (daily recap, realisation, arrears ageing, objects per payer) as a PDF, layout
 * version 1: a heading naming the Pemda, whose figures they are and the period, then one ruled
 * table whose header repeats on every page, subtotal and total rows in bold, and notes. The cells
 * arrive already formatted; this file only lays them out.
 */
export interface ReportDocument {
  pemdaName: string;
  scope: string;
  title: string;
  subtitle: string[];
  /** `width` is relative: the columns share the page width in these proportions. */
  columns: Array<{ header: string; width: number; align: Align }>;
  rows: Array<{ cells: string[]; bold?: boolean }>;
  notes: string[];
  generatedAt: Date;
}

const TABLE_SIZE = 7.5;

export async function renderReport(doc: ReportDocument): Promise<Buffer> {
  const w = new PdfWriter({
    title: doc.title,
    subject: [doc.scope, ...doc.subtitle].join(', '),
    author: doc.pemdaName,
    createdAt: doc.generatedAt,
  });

  w.textAt(doc.pemdaName.toUpperCase(), w.y, { font: 'bold', size: 11, align: 'center' });
  w.moveDown(w.lineHeight(11));
  w.textAt(doc.scope, w.y, { size: 10, align: 'center' });
  w.moveDown(w.lineHeight(10) + 3);
  w.hline(w.y, 1.2);
  w.moveDown(10);
  w.paragraph(doc.title.toUpperCase(), { font: 'bold', size: 12, align: 'center' });
  for (const line of doc.subtitle) w.paragraph(line, { size: 9, align: 'center' });
  w.moveDown(8);

  w.onNewPage = () => {
    w.textAt(`${doc.title} – ${doc.subtitle.join(', ')} (lanjutan)`, w.y, { font: 'italic', size: 8.5 });
    w.moveDown(16);
  };
  if (doc.rows.length === 0) {
    w.paragraph('Tidak ada data untuk periode dan cakupan ini.', { font: 'italic', size: 9.5 });
  } else {
    const total = doc.columns.reduce((s, c) => s + c.width, 0);
    const columns: TableColumn[] = doc.columns.map((c) => ({ header: c.header, width: (w.width * c.width) / total, align: c.align }));
    const rows: TableCell[][] = doc.rows.map((r) => r.cells.map((text) => (r.bold ? [{ text, font: 'bold' as const }] : text)));
    w.table(columns, rows, { size: TABLE_SIZE });
  }
  if (doc.notes.length) {
    w.moveDown(8);
    for (const note of doc.notes) w.paragraph(note, { font: 'italic', size: 8 });
  }
  return w.finish(`${doc.title}, dicetak dari Kasda ${formatDateTimeWib(doc.generatedAt)}.`);
}
