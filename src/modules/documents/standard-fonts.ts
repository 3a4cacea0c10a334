import PDFDocument from 'pdfkit';

/**
 * Parsed metrics of pdfkit's built-in fonts, shared by every document this process renders.
 *
 * pdfkit builds a new `StandardFont` for each font each document uses, and its constructor parses
 * the whole AFM table again, turning every kerning pair into a string key: thousands of short-lived
 * strings per font per document. Profiles of the SKRD renderer put that constructor at 5–14% of
 * the samples, and the garbage it leaves behind in the 11–17% spent collecting it.
 *
 * The fonts are immutable once parsed, so one instance per font name is parsed here (through
 * pdfkit itself, in a probe document) and each document gets a thin per-document view of it: its
 * own `document`, resource id and PDF dictionary, inheriting the metrics. The view is put in the
 * document's font table under the name, which is where `doc.font(name)` looks before it would build
 * a font, and it takes the next resource id exactly as pdfkit would have, so the output is
 * byte-for-byte what pdfkit writes on its own (test/unit/skrd-pdf.test.ts checks this).
 *
 * Two more costs go with it. pdfkit looks up kerning by building the string "left\0right" for
 * every pair of characters it draws or measures; the shared metrics get a map of maps with the same
 * pairs instead. And pdfkit measures every string it draws once more after drawing it (to advance
 * its cursor), although PdfWriter has just measured it to place it: the shared font remembers
 * widths.
 *
 * This relies on two fields pdfkit keeps on a document (`_fontFamilies`, `_fontCount`), on the
 * font's `widthOfString`, and on its metrics' `kernPairs` and `getKernPair`. If a pdfkit upgrade
 * changes any of them, `probe` finds out once and every document falls back to pdfkit's own
 * `doc.font(name)` (or the metrics keep pdfkit's own kerning lookup): slower, never wrong.
 */

interface FontInternals {
  document: unknown;
  id: string;
  name: string;
  dictionary?: unknown;
  embedded?: boolean;
  widthOfString(text: string, size: number, features?: unknown): number;
  /** pdfkit's AFMFont: the parsed metrics. */
  font?: { kernPairs?: unknown; getKernPair?: unknown };
}

interface DocumentInternals {
  _fontFamilies: Record<string, FontInternals>;
  _fontCount: number;
}

const WIDTH_CACHE_SIZE = 20_000;

/** Per font name: the shared font to inherit from, or null where pdfkit's own path must be used. */
const shared = new Map<string, FontInternals | null>();

function internals(doc: PDFKit.PDFDocument): DocumentInternals | null {
  const d = doc as unknown as Partial<DocumentInternals>;
  if (typeof d._fontCount !== 'number' || typeof d._fontFamilies !== 'object' || d._fontFamilies === null) return null;
  return d as DocumentInternals;
}

/** Builds the shared font through pdfkit and checks that it looks as this module expects. */
function probe(name: string): FontInternals | null {
  const doc = new PDFDocument({ autoFirstPage: false });
  doc.font(name);
  const d = internals(doc);
  const font = d?._fontFamilies[name];
  if (
    !font ||
    font.document !== doc ||
    font.name !== name ||
    typeof font.widthOfString !== 'function' ||
    font.dictionary != null
  ) {
    return null;
  }
  if (font.font) indexKerning(font.font);
  const { widthOfString } = font;
  const base: FontInternals = Object.create(font);
  // Widths are kept at 1000 points (the AFM unit, so exact) and scaled as pdfkit scales them.
  const widths = new Map<string, number>();
  base.widthOfString = function (this: FontInternals, text: string, size: number, features?: unknown) {
    if (features !== undefined) return widthOfString.call(this, text, size, features);
    let width = widths.get(text);
    if (width === undefined) {
      if (widths.size >= WIDTH_CACHE_SIZE) widths.clear();
      width = widthOfString.call(this, text, 1000);
      widths.set(text, width);
    }
    return width * (size / 1000);
  };
  return base;
}

/** Replaces the metrics' kerning lookup by one that allocates nothing, if they are as expected. */
function indexKerning(metrics: NonNullable<FontInternals['font']>): void {
  const { kernPairs } = metrics;
  if (typeof metrics.getKernPair !== 'function' || typeof kernPairs !== 'object' || kernPairs === null) return;
  const pairs = new Map<string, Map<string, number>>();
  for (const [key, amount] of Object.entries(kernPairs)) {
    const [left, right, ...rest] = key.split('\0');
    if (right === undefined || rest.length || typeof amount !== 'number') return;
    let rights = pairs.get(left);
    if (!rights) pairs.set(left, (rights = new Map()));
    rights.set(right, amount);
  }
  metrics.getKernPair = (left: string, right: string | undefined) => (right === undefined ? 0 : (pairs.get(left)?.get(right) ?? 0));
}

function sharedFont(name: string): FontInternals | null {
  let font = shared.get(name);
  if (font === undefined) {
    font = probe(name);
    shared.set(name, font);
  }
  return font;
}

/**
 * `doc.font(name)` for a standard font (Helvetica and the like), with the metrics parsed once per
 * process instead of once per document.
 */
export function useStandardFont(doc: PDFKit.PDFDocument, name: string): void {
  const d = internals(doc);
  const base = sharedFont(name);
  if (d && base && !(name in d._fontFamilies)) {
    const view: FontInternals = Object.create(base);
    view.document = doc;
    view.id = `F${++d._fontCount}`;
    view.dictionary = null;
    view.embedded = false;
    d._fontFamilies[name] = view;
  }
  doc.font(name);
}
