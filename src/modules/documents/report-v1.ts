import { formatDateTimeWib } from '../../lib/format';
import { PdfWriter, type Align, type TableCell, type TableColumn } from './pdf';

/**
 * Finance reports (daily recap, realisation, arrears ageing, objects per payer) as a PDF, layout
 * version 1: a heading naming the Pemda, whose figures they are and the period, then one ruled
 * table whose header repeats on every page, subtotal and total rows in bold, and notes. The cells
 * arrive already formatted; this file only lays them out.
 *
 * Amounts are never wrapped: right-aligned columns get the width of their widest cell, text
 * columns at least that of their longest word, the text columns share what is left in their given
 * proportions, and a wide table is set in a smaller size until it fits across the portrait page.
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

const SIZES = [7.5, 7, 6.5, 6, 5.5];
/** PdfWriter's cell padding on each side, with a hair to spare. */
const CELL_PAD = 4;
/** A text column is never made wider than this just to keep a long word whole. */
const MAX_TEXT_MINIMUM = 90;

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
    const { size, widths } = fitColumns(w, doc);
    const columns: TableColumn[] = doc.columns.map((c, i) => ({ header: c.header, width: widths[i], align: c.align }));
    const rows: TableCell[][] = doc.rows.map((r) => r.cells.map((text) => (r.bold ? [{ text, font: 'bold' as const }] : text)));
    w.table(columns, rows, { size });
  }
  if (doc.notes.length) {
    w.moveDown(8);
    for (const note of doc.notes) w.paragraph(note, { font: 'italic', size: 8 });
  }
  return w.finish(`${doc.title}, dicetak dari Kasda ${formatDateTimeWib(doc.generatedAt)}.`);
}

function fitColumns(w: PdfWriter, doc: ReportDocument): { size: number; widths: number[] } {
  const textWeight = doc.columns.reduce((s, c) => s + (c.align === 'left' ? c.width : 0), 0);
  for (const size of SIZES) {
    const widest = (texts: string[], font: 'regular' | 'bold') => Math.max(0, ...texts.map((t) => w.widthOf(t, font, size)));
    const words = (text: string) => text.split(/\s+/);
    // An amount must fit whole; a text column needs room for its longest word, within reason.
    const needed = doc.columns.map((c, i) => {
      const header = widest(words(c.header), 'bold');
      const cells = doc.rows.map((r) => (c.align === 'left' ? widest(words(r.cells[i]), r.bold ? 'bold' : 'regular') : widest([r.cells[i]], r.bold ? 'bold' : 'regular')));
      const width = Math.max(header, ...cells) + 2 * CELL_PAD;
      return c.align === 'left' ? Math.min(width, MAX_TEXT_MINIMUM) : width;
    });
    const spare = w.width - needed.reduce((s, n) => s + n, 0);
    if (spare < 0) continue;
    const share = (c: ReportDocument['columns'][number]) => (textWeight ? (c.align === 'left' ? c.width / textWeight : 0) : 1 / doc.columns.length);
    return { size, widths: doc.columns.map((c, i) => needed[i] + spare * share(c)) };
  }
  // Too wide even in the smallest size: share the page by the given proportions and let cells wrap.
  const weight = doc.columns.reduce((s, c) => s + c.width, 0);
  return { size: SIZES[SIZES.length - 1], widths: doc.columns.map((c) => (w.width * c.width) / weight) };
}
