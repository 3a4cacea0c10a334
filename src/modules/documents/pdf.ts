import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { terbilangRupiah } from '../../lib/money';
import { useStandardFont } from './standard-fonts';

/**
 * Shared layout for the official documents (SKRD, SSRD, STRD, STS): an A4 page with a y-cursor,
 * the Pemda letterhead, key/value blocks, tables that break across pages with their header
 * repeated, totals, a QR code, the signature block and "Halaman i dari N" footers.
 *
 * All text is placed line by line at computed positions with pdfkit's line breaking switched off:
 * pdfkit then never adds pages on its own, so pagination is decided here and stays predictable,
 * and text is measured once per string instead of on every draw. Only the built-in Helvetica fonts are used
 * (nothing to embed; their metrics are parsed once per process, see standard-fonts.ts), and the
 * creation date comes from the caller, so equal input gives equal bytes.
 */

export const FONTS = { regular: 'Helvetica', bold: 'Helvetica-Bold', italic: 'Helvetica-Oblique' } as const;
export type FontStyle = keyof typeof FONTS;
export type Align = 'left' | 'center' | 'right';

export interface Margins {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

const MARGINS: Margins = { top: 42, bottom: 64, left: 50, right: 50 };

/** Line spacing as a multiple of the font size. */
const LEADING = 1.25;
/** Where the footer's text sits below the bottom margin. */
const FOOTER_OFFSET = 18;
/** Helvetica's ascender minus descender in ems: how much of a line the glyphs occupy. */
const GLYPH_EXTENT = 0.925;
const BORDER = 0.5;
const HEADER_FILL = '#e8e8e8';

export const SIGNATURE_WIDTH = 220;
/** Room for the signature and the agency stamp. */
const SIGNING_SPACE = 52;

const EM_WIDTH_CACHE_SIZE = 20_000;
const emWidths: Record<FontStyle, Map<string, number>> = { regular: new Map(), bold: new Map(), italic: new Map() };

export interface PdfInfo {
  title: string;
  subject: string;
  author: string;
  keywords?: string;
  /** Written as CreationDate and ModDate; pdfkit also derives the file ID from it. */
  createdAt: Date;
}

/** A denser page for a layout that needs one; every document type keeps the defaults otherwise. */
export interface PageLayout {
  margins?: Margins;
  /** Line spacing as a multiple of the font size. */
  leading?: number;
}

export interface TextOptions {
  font?: FontStyle;
  size?: number;
  align?: Align;
  /** Left edge and width of the box the text is aligned in; default the content area. */
  x?: number;
  width?: number;
}

export interface KeyValue {
  label: string;
  value: string;
  bold?: boolean;
}

export interface TableColumn {
  header: string;
  width: number;
  align?: Align;
}

/** A cell is plain text or paragraphs that each start on a new line, e.g. a bold code above a name. */
export interface CellParagraph {
  text: string;
  font?: FontStyle;
  /** Set in bold before the text on its first line, e.g. an object code before the object's name. */
  lead?: string;
}
export type TableCell = string | readonly CellParagraph[];

export interface TotalRow {
  label: string;
  value: string;
  bold?: boolean;
}

export interface Signatory {
  /** "Padang, 15 Maret 2027" */
  placeAndDate: string;
  title: string;
  name: string;
  nip: string;
}

export interface SignatureOptions {
  /** Left edge; default right-aligned in the content area. */
  x?: number;
  width?: number;
  size?: number;
  /** Room for the signature and the agency stamp. */
  signingSpace?: number;
}

export interface LetterheadOptions {
  governmentSize?: number;
  agencySize?: number;
  addressSize?: number;
  /** From the upper rule to what follows. */
  gap?: number;
}

export interface TitleOptions {
  titleSize?: number;
  numberSize?: number;
  /** Space below the number. */
  gap?: number;
}

export interface TableOptions {
  size?: number;
  /** Space between a cell's rules and its text. */
  pad?: number;
}

interface Line {
  text: string;
  font: FontStyle;
  lead?: string;
}

export class PdfWriter {
  private readonly doc: PDFKit.PDFDocument;
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
  readonly width: number;
  /** The cursor: where the next block starts. */
  y: number;
  /** Called after each page break, e.g. to repeat the document number above a continued table. */
  onNewPage: (() => void) | null = null;
  private readonly chunks: Uint8Array[] = [];
  private readonly margins: Margins;
  private readonly leading: number;

  constructor(info: PdfInfo, layout: PageLayout = {}) {
    this.margins = layout.margins ?? MARGINS;
    this.leading = layout.leading ?? LEADING;
    this.left = this.margins.left;
    this.top = this.margins.top;
    this.doc = new PDFDocument({
      size: 'A4',
      margins: this.margins,
      // No default font: pdfkit would parse Helvetica's metrics for it. The writer sets its fonts
      // through useStandardFont, starting with the regular one just below.
      font: '',
      bufferPages: true, // page numbers "i dari N" are written once N is known
      lang: 'id-ID',
      displayTitle: true,
      info: {
        Title: info.title,
        Subject: info.subject,
        Author: info.author,
        ...(info.keywords ? { Keywords: info.keywords } : {}),
        CreationDate: info.createdAt,
        ModDate: info.createdAt,
      },
    });
    useStandardFont(this.doc, FONTS.regular);
    this.doc.on('data', (chunk: Uint8Array) => this.chunks.push(chunk));
    this.right = this.doc.page.width - this.margins.right;
    this.bottom = this.doc.page.height - this.margins.bottom;
    this.width = this.right - this.left;
    this.y = this.top;
  }

  lineHeight(size: number): number {
    return size * this.leading;
  }

  /** Starts a new page unless `height` still fits below the cursor. */
  ensureSpace(height: number): void {
    if (this.y + height > this.bottom) this.newPage();
  }

  newPage(): void {
    this.doc.addPage();
    this.y = this.top;
    this.onNewPage?.();
  }

  moveDown(points: number): void {
    this.y += points;
  }

  widthOf(text: string, font: FontStyle, size: number): number {
    return (this.emWidth(text, font) * size) / 1000;
  }

  /**
   * Greedy word wrap; a word wider than the box (a long code) is cut where it overflows. The first
   * line is `indent` points shorter, for text that follows something else on that line.
   */
  wrap(text: string, width: number, font: FontStyle, size: number, indent = 0): string[] {
    const fullLimit = (width * 1000) / size;
    let limit = ((width - indent) * 1000) / size;
    // Summing word widths leaves out kerning against the space, which in Helvetica only ever
    // tightens, so a line can come out a hair shorter than the limit but never longer.
    const space = this.emWidth(' ', font);
    const lines: string[] = [];
    for (const paragraph of text.split('\n')) {
      let line = '';
      let lineWidth = 0;
      for (const word of paragraph.split(/\s+/).filter(Boolean)) {
        const wordWidth = this.emWidth(word, font);
        if (line && lineWidth + space + wordWidth <= limit) {
          line += ` ${word}`;
          lineWidth += space + wordWidth;
          continue;
        }
        if (line) {
          lines.push(line);
          limit = fullLimit;
        }
        line = word;
        lineWidth = wordWidth;
        while (lineWidth > limit) {
          let cut = line.length - 1;
          while (cut > 1 && this.measure(line.slice(0, cut), font) > limit) cut--;
          lines.push(line.slice(0, cut));
          limit = fullLimit;
          line = line.slice(cut);
          lineWidth = this.measure(line, font);
        }
      }
      lines.push(line);
      limit = fullLimit;
    }
    return lines;
  }

  /**
   * Width in thousandths of an em, cached across documents: font metrics never change and the
   * same words and amounts recur on every bill, while measuring through pdfkit (a kerning lookup
   * per character pair) was the largest cost of a render.
   */
  private emWidth(text: string, font: FontStyle): number {
    const widths = emWidths[font];
    let width = widths.get(text);
    if (width === undefined) {
      if (widths.size >= EM_WIDTH_CACHE_SIZE) widths.clear();
      width = this.measure(text, font);
      widths.set(text, width);
    }
    return width;
  }

  private measure(text: string, font: FontStyle): number {
    useStandardFont(this.doc, FONTS[font]);
    return this.doc.fontSize(1000).widthOfString(text);
  }

  /** One line of text with its top at `y`; never wraps and never breaks the page. */
  textAt(text: string, y: number, options: TextOptions = {}): void {
    const { font = 'regular', size = 9.5, align = 'left', x = this.left, width = this.width } = options;
    const textWidth = this.widthOf(text, font, size);
    let tx = x;
    if (align !== 'left') tx = align === 'right' ? x + width - textWidth : x + (width - textWidth) / 2;
    // textWidth is the option pdfkit's own line wrapper passes; without it pdfkit measures the
    // string again, which costs a kerning lookup per character.
    const opts = { lineBreak: false, textWidth, wordCount: 1 };
    useStandardFont(this.doc, FONTS[font]);
    this.doc.fontSize(size).text(text, tx, y, opts);
  }

  /** Wrapped text at the cursor, breaking pages between lines as needed. */
  paragraph(text: string, options: TextOptions = {}): void {
    const { font = 'regular', size = 9.5, x = this.left, width = this.width } = options;
    const lh = this.lineHeight(size);
    for (const line of this.wrap(text, width, font, size)) {
      this.ensureSpace(lh);
      this.textAt(line, this.y, { ...options, font, size, x, width });
      this.y += lh;
    }
  }

  hline(y: number, thickness = BORDER, x1 = this.left, x2 = this.right): void {
    this.doc.moveTo(x1, y).lineTo(x2, y).lineWidth(thickness).strokeColor('black').stroke();
  }

  box(x: number, y: number, width: number, height: number): void {
    this.doc.rect(x, y, width, height).lineWidth(BORDER).strokeColor('black').stroke();
  }

  /** Centred government and agency names over the address, closed by the customary double rule. */
  letterhead(government: string, agency: string, address: string, options: LetterheadOptions = {}): void {
    const { governmentSize = 13, agencySize = 12, addressSize = 8.5, gap = 14 } = options;
    this.textAt(government.toUpperCase(), this.y, { font: 'bold', size: governmentSize, align: 'center' });
    this.y += this.lineHeight(governmentSize);
    this.textAt(agency.toUpperCase(), this.y, { font: 'bold', size: agencySize, align: 'center' });
    this.y += this.lineHeight(agencySize);
    this.paragraph(address, { size: addressSize, align: 'center' });
    this.y += 3;
    this.hline(this.y, 1.6);
    this.hline(this.y + 2.6, 0.5);
    this.y += gap;
  }

  title(title: string, number: string, options: TitleOptions = {}): void {
    const { titleSize = 12, numberSize = 10, gap = 8 } = options;
    this.paragraph(title, { font: 'bold', size: titleSize, align: 'center' });
    this.textAt(number, this.y, { size: numberSize, align: 'center' });
    this.y += this.lineHeight(numberSize) + gap;
  }

  /** "Label : value" rows with the colons aligned. */
  keyValues(rows: readonly KeyValue[], options: { x?: number; width?: number; labelWidth: number; size?: number }): void {
    const { x = this.left, width = this.width, labelWidth, size = 9.5 } = options;
    const lh = this.lineHeight(size);
    const valueX = x + labelWidth + 8;
    const valueWidth = x + width - valueX;
    for (const row of rows) {
      const font: FontStyle = row.bold ? 'bold' : 'regular';
      const lines = this.wrap(row.value, valueWidth, font, size);
      this.ensureSpace(lines.length * lh);
      this.textAt(row.label, this.y, { x, size });
      this.textAt(':', this.y, { x: x + labelWidth, size });
      for (const line of lines) {
        this.textAt(line, this.y, { x: valueX, font, size });
        this.y += lh;
      }
      this.y += 1.5;
    }
  }

  /**
   * A ruled table. A row never splits; when the next row does not fit, the page breaks and the
   * header is drawn again at the top of the new page.
   */
  table(columns: readonly TableColumn[], rows: readonly (readonly TableCell[])[], options: TableOptions = {}): void {
    const { size = 8.5, pad = 3.5 } = options;
    const lh = this.lineHeight(size);
    const textOffset = (lh - size * GLYPH_EXTENT) / 2;
    const xs = columnEdges(this.left, columns);
    if (xs[xs.length - 1] > this.right + 0.01) throw new RangeError('table columns are wider than the page');

    const layout = (cells: readonly TableCell[], font: FontStyle): Line[][] =>
      columns.map((col, i) => {
        const cell = cells[i] ?? '';
        const paragraphs = typeof cell === 'string' ? [{ text: cell, font }] : cell;
        return paragraphs.flatMap((p): Line[] => {
          const f = p.font ?? font;
          if (!p.lead) return this.wrap(p.text, col.width - 2 * pad, f, size).map((text) => ({ text, font: f }));
          const indent = this.leadWidth(p.lead, size);
          const [first, ...rest] = this.wrap(p.text, col.width - 2 * pad, f, size, indent);
          return [{ text: first, font: f, lead: p.lead }, ...rest.map((text) => ({ text, font: f }))];
        });
      });
    const heightOf = (cells: Line[][]): number => Math.max(...cells.map((c) => c.length)) * lh + 2 * pad;

    const drawRow = (cells: Line[][], height: number, isHeader: boolean): void => {
      if (isHeader) {
        this.doc.rect(this.left, this.y, xs[xs.length - 1] - this.left, height).fillColor(HEADER_FILL).fill();
        this.doc.fillColor('black');
      }
      cells.forEach((lines, i) => {
        const align = isHeader ? 'center' : (columns[i].align ?? 'left');
        lines.forEach((line, n) => {
          const y = this.y + pad + textOffset + n * lh;
          let x = xs[i] + pad;
          let width = columns[i].width - 2 * pad;
          if (line.lead) {
            const indent = this.leadWidth(line.lead, size);
            this.textAt(line.lead, y, { x, font: 'bold', size });
            x += indent;
            width -= indent;
          }
          this.textAt(line.text, y, { x, width, font: line.font, size, align });
        });
      });
      // All of a row's rules as one path: fewer operators, same look.
      const doc = this.doc;
      if (isHeader) doc.moveTo(this.left, this.y).lineTo(xs[xs.length - 1], this.y);
      doc.moveTo(this.left, this.y + height).lineTo(xs[xs.length - 1], this.y + height);
      for (const x of xs) doc.moveTo(x, this.y).lineTo(x, this.y + height);
      doc.lineWidth(BORDER).strokeColor('black').stroke();
      this.y += height;
    };

    const header = layout(columns.map((c) => c.header), 'bold');
    const headerHeight = heightOf(header);
    const laidOut = rows.map((r) => layout(r, 'regular'));

    const firstHeight = laidOut.length ? heightOf(laidOut[0]) : 0;
    this.ensureSpace(headerHeight + firstHeight);
    drawRow(header, headerHeight, true);
    for (const cells of laidOut) {
      const height = heightOf(cells);
      if (this.y + height > this.bottom) {
        this.newPage();
        drawRow(header, headerHeight, true);
      }
      drawRow(cells, height, false);
    }
  }

  /** A bold lead and the space after it, as set before a cell's text. */
  private leadWidth(lead: string, size: number): number {
    return this.widthOf(`${lead} `, 'bold', size);
  }

  /** The total in Indonesian words (terbilang), boxed under a document's totals. */
  amountInWords(amount: number): void {
    const size = 9;
    const pad = 4;
    const label = 'Terbilang:';
    const labelWidth = this.widthOf(label, 'bold', size) + 6;
    const lh = this.lineHeight(size);
    const lines = this.wrap(terbilangRupiah(amount), this.width - labelWidth - 2 * pad, 'italic', size);
    const height = lines.length * lh + 2 * pad;
    this.ensureSpace(height);
    this.box(this.left, this.y, this.width, height);
    this.textAt(label, this.y + pad, { x: this.left + pad, font: 'bold', size });
    lines.forEach((line, i) => {
      this.textAt(line, this.y + pad + i * lh, { x: this.left + pad + labelWidth, font: 'italic', size });
    });
    this.moveDown(height);
  }

  /**
   * Totals under a table, ruled like it: labels right-aligned on the left, amounts in a right
   * column of `valueWidth`. The rows stay together on one page.
   */
  totals(rows: readonly TotalRow[], options: { valueWidth: number; size?: number }): void {
    const size = options.size ?? 9;
    const pad = 3.5;
    const lh = this.lineHeight(size);
    const rowHeight = lh + 2 * pad;
    const textOffset = (lh - size * GLYPH_EXTENT) / 2;
    const split = this.right - options.valueWidth;
    this.ensureSpace(rows.length * rowHeight);
    for (const row of rows) {
      const font: FontStyle = row.bold ? 'bold' : 'regular';
      const y = this.y + pad + textOffset;
      this.textAt(row.label, y, { x: this.left + pad, width: split - this.left - 2 * pad, align: 'right', font, size });
      this.textAt(row.value, y, { x: split + pad, width: options.valueWidth - 2 * pad, align: 'right', font, size });
      this.box(this.left, this.y, split - this.left, rowHeight);
      this.box(split, this.y, options.valueWidth, rowHeight);
      this.y += rowHeight;
    }
  }

  /**
   * A QR code drawn as vector squares (exact at any zoom, no image to encode), including the
   * four-module quiet zone that scanners need, inside a `size` × `size` square at (x, y).
   */
  qr(payload: string, x: number, y: number, size: number): void {
    const { modules } = QRCode.create(payload, { errorCorrectionLevel: 'M' });
    const n = modules.size;
    const quiet = 4;
    const cell = size / (n + 2 * quiet);
    const x0 = x + quiet * cell;
    const y0 = y + quiet * cell;
    const doc = this.doc;
    for (let row = 0; row < n; row++) {
      // Runs of dark modules in a row become one rectangle each.
      let col = 0;
      while (col < n) {
        if (!modules.data[row * n + col]) {
          col++;
          continue;
        }
        const start = col;
        while (col < n && modules.data[row * n + col]) col++;
        doc.rect(x0 + start * cell, y0 + row * cell, (col - start) * cell, cell);
      }
    }
    doc.fillColor('black').fill();
  }

  /** The signature block: place and date, office, space to sign and stamp, name, NIP. */
  signature(signatory: Signatory, options: SignatureOptions = {}): void {
    const { width = SIGNATURE_WIDTH, size = 9.5, x = this.right - width, signingSpace = SIGNING_SPACE } = options;
    const lh = this.lineHeight(size);
    const titleLines = this.wrap(signatory.title, width, 'regular', size);
    this.ensureSpace(this.signatureHeight(signatory, options));
    const at = { x, width, size, align: 'center' as const };
    this.textAt(signatory.placeAndDate, this.y, at);
    this.y += lh;
    for (const line of titleLines) {
      this.textAt(line, this.y, at);
      this.y += lh;
    }
    this.y += signingSpace;
    this.textAt(signatory.name, this.y, { ...at, font: 'bold' });
    const nameWidth = this.widthOf(signatory.name, 'bold', size);
    const underlineY = this.y + size * GLYPH_EXTENT + 0.5;
    this.hline(underlineY, 0.6, x + (width - nameWidth) / 2, x + (width + nameWidth) / 2);
    this.y += lh;
    this.textAt(`NIP. ${signatory.nip}`, this.y, at);
    this.y += lh;
  }

  signatureHeight(signatory: Signatory, options: SignatureOptions = {}): number {
    const { width = SIGNATURE_WIDTH, size = 9.5, signingSpace = SIGNING_SPACE } = options;
    const titleLines = this.wrap(signatory.title, width, 'regular', size).length;
    return (titleLines + 3) * this.lineHeight(size) + signingSpace;
  }

  /** Writes the footer on every page and returns the finished file. */
  async finish(footerNote: string): Promise<Buffer> {
    const doc = this.doc;
    const { start, count } = doc.bufferedPageRange();
    const footerY = doc.page.height - this.margins.bottom + FOOTER_OFFSET;
    for (let i = start; i < start + count; i++) {
      doc.switchToPage(i);
      this.hline(footerY - 5, 0.5);
      this.textAt(footerNote, footerY, { font: 'italic', size: 8 });
      this.textAt(`Halaman ${i - start + 1} dari ${count}`, footerY, { size: 8, align: 'right' });
    }
    const ended = new Promise<Buffer>((resolve, reject) => {
      doc.on('end', () => resolve(Buffer.concat(this.chunks)));
      doc.on('error', reject);
    });
    doc.end();
    return ended;
  }
}

function columnEdges(left: number, columns: readonly TableColumn[]): number[] {
  const xs = [left];
  for (const c of columns) xs.push(xs[xs.length - 1] + c.width);
  return xs;
}
