import { formatDateId, formatDateTimeWib, formatVirtualAccount } from '../../lib/format';
import { formatRupiah, terbilangRupiah } from '../../lib/money';
import { PdfWriter, type FontStyle, type TableCell, type TableColumn } from './pdf';
import { assertSkrdAmounts, signingPlace, SKRD_TERMS, type SkrdDocument } from './skrd-document';

/**
 * SKRD layout, version 2: an owner's 20 towers on one A4 page. A line takes two text lines (the
 * object code in bold before the object's name, the calculation below it) in one wide column; the
 * totals carry the amount in words beside them; how to pay and the signature sit side by side. A
 * longer bill flows onto further pages with the table header repeated.
 *
 * Printed SKRDs must come out the same when rendered again, so a change of layout is a new version.
 */

const LAYOUT = { margins: { top: 34, bottom: 44, left: 40, right: 40 }, leading: 1.15 };
const SIZE = 8;
const TABLE_SIZE = 7.5;
const PAD = 2;
const NO_WIDTH = 18;
const ACCOUNT_WIDTH = 72;
const AMOUNT_WIDTH = 68;
const TOTAL_LABEL_WIDTH = 190;
const QR_SIZE = 74;
const SIGNATURE_WIDTH = 200;
const GAP = 6;

export async function renderSkrdV2(doc: SkrdDocument): Promise<Buffer> {
  assertSkrdAmounts(doc);
  const terms = SKRD_TERMS[doc.kind];
  const w = new PdfWriter(
    {
      title: `${doc.documentType} ${doc.billNo}`,
      subject: `${doc.documentTitle} ${doc.levyName} ${doc.period}`,
      author: doc.opd.name,
      keywords: `${doc.documentType}, ${doc.payer.npwrd}`,
      createdAt: doc.generatedAt,
    },
    LAYOUT,
  );

  w.letterhead(doc.pemdaName, doc.opd.name, doc.opd.address, { governmentSize: 11.5, agencySize: 10.5, addressSize: 7.5, gap: 11 });
  w.title(`${doc.documentTitle.toUpperCase()} (${doc.documentType})`, `Nomor: ${doc.billNo}`, { titleSize: 10.5, numberSize: 8.5, gap: 6 });
  drawParticulars(w, doc);

  w.onNewPage = () => {
    w.textAt(`${doc.documentType} Nomor ${doc.billNo} – ${doc.payer.name} (lanjutan)`, w.y, { font: 'italic', size: SIZE });
    w.moveDown(w.lineHeight(SIZE) + 4);
  };
  const columns: TableColumn[] = [
    { header: 'No', width: NO_WIDTH, align: 'right' },
    { header: `Objek ${terms.noun} dan Perhitungan`, width: w.width - NO_WIDTH - ACCOUNT_WIDTH - AMOUNT_WIDTH },
    { header: 'Kode Rekening', width: ACCOUNT_WIDTH },
    { header: 'Jumlah', width: AMOUNT_WIDTH, align: 'right' },
  ];
  const rows: TableCell[][] = doc.lines.map((line) => [
    String(line.lineNo),
    [
      ...(line.objectCode || line.objectName ? [{ lead: line.objectCode, text: printable(line.objectName) }] : []),
      { text: printable(line.calculation) },
    ],
    line.accountCode,
    formatRupiah(line.amount),
  ]);
  w.table(columns, rows, { size: TABLE_SIZE, pad: PAD });
  drawTotals(w, doc);
  w.moveDown(GAP);
  drawPaymentAndSignature(w, doc);
  w.moveDown(GAP);
  drawNotice(w, doc);

  return w.finish(`${doc.documentType} ini bukan bukti pembayaran.`);
}

/** Period, levy, dates on the left; the payer on the right; the legal basis across. */
function drawParticulars(w: PdfWriter, doc: SkrdDocument): void {
  const terms = SKRD_TERMS[doc.kind];
  const leftWidth = 232;
  const gutter = 12;
  const top = w.y;
  w.keyValues(
    [
      { label: `Masa ${terms.noun}`, value: doc.period },
      { label: `Jenis ${terms.noun}`, value: doc.levyName },
      { label: 'Tanggal Penetapan', value: formatDateId(doc.issueDate) },
      { label: 'Jatuh Tempo', value: formatDateId(doc.dueDate), bold: true },
    ],
    { width: leftWidth, labelWidth: 76, size: SIZE },
  );
  const leftBottom = w.y;
  w.y = top;
  w.keyValues(
    [
      { label: `Wajib ${terms.noun}`, value: doc.payer.name, bold: true },
      { label: 'Alamat', value: doc.payer.address },
      { label: terms.number, value: doc.payer.npwrd },
    ],
    { x: w.left + leftWidth + gutter, width: w.width - leftWidth - gutter, labelWidth: 62, size: SIZE },
  );
  w.y = Math.max(w.y, leftBottom);
  w.keyValues([{ label: 'Dasar Hukum', value: doc.legalBasis }], { labelWidth: 76, size: SIZE });
  w.moveDown(GAP - 1.5);
}

/**
 * Principal, interest if any, and the amount due in the amount column, ruled like the table, with
 * the amount in words (terbilang) in a cell on their left.
 */
function drawTotals(w: PdfWriter, doc: SkrdDocument): void {
  const size = SIZE;
  const lh = w.lineHeight(size);
  const valueX = w.right - AMOUNT_WIDTH;
  const labelX = valueX - TOTAL_LABEL_WIDTH;
  const rows: Array<{ label: string; value: string; font: FontStyle }> = [
    { label: `Jumlah Pokok ${SKRD_TERMS[doc.kind].noun}`, value: formatRupiah(doc.principal), font: 'regular' },
  ];
  if (doc.interest > 0 || doc.interestCalculation) {
    const how = doc.interestCalculation ? `: ${printable(doc.interestCalculation)}` : '';
    rows.push({ label: `Bunga (Sanksi Administratif)${how}`, value: formatRupiah(doc.interest), font: 'regular' });
  }
  rows.push({ label: 'JUMLAH YANG HARUS DIBAYAR', value: formatRupiah(doc.total), font: 'bold' });

  const laidOut = rows.map((r) => ({ ...r, lines: w.wrap(r.label, TOTAL_LABEL_WIDTH - 2 * PAD, r.font, size) }));
  const heights = laidOut.map((r) => r.lines.length * lh + 2 * PAD);
  const wordsLead = 'Terbilang:';
  const wordsWidth = labelX - w.left - 2 * PAD;
  const words = w.wrap(terbilangRupiah(doc.total), wordsWidth, 'italic', size, w.widthOf(`${wordsLead} `, 'bold', size));
  const wordsHeight = words.length * lh + 2 * PAD;
  const rowsHeight = heights.reduce((a, b) => a + b, 0);
  if (wordsHeight > rowsHeight) heights[heights.length - 1] += wordsHeight - rowsHeight;
  const height = Math.max(wordsHeight, rowsHeight);
  w.ensureSpace(height);

  const top = w.y;
  w.box(w.left, top, labelX - w.left, height);
  w.textAt(wordsLead, top + PAD, { x: w.left + PAD, font: 'bold', size });
  words.forEach((line, i) => {
    const indent = i === 0 ? w.widthOf(`${wordsLead} `, 'bold', size) : 0;
    w.textAt(line, top + PAD + i * lh, { x: w.left + PAD + indent, font: 'italic', size });
  });
  let y = top;
  laidOut.forEach((row, i) => {
    w.box(labelX, y, TOTAL_LABEL_WIDTH, heights[i]);
    w.box(valueX, y, AMOUNT_WIDTH, heights[i]);
    row.lines.forEach((line, n) => {
      w.textAt(line, y + PAD + n * lh, { x: labelX + PAD, width: TOTAL_LABEL_WIDTH - 2 * PAD, font: row.font, size, align: 'right' });
    });
    w.textAt(row.value, y + PAD, { x: valueX + PAD, width: AMOUNT_WIDTH - 2 * PAD, font: row.font, size, align: 'right' });
    y += heights[i];
  });
  w.y = top + height;
}

/** How to pay, with the QR code, boxed on the left; the signature block on the right. */
function drawPaymentAndSignature(w: PdfWriter, doc: SkrdDocument): void {
  const signatory = {
    placeAndDate: `${signingPlace(doc.pemdaName)}, ${formatDateId(doc.issueDate)}`,
    title: doc.opd.headTitle,
    name: doc.opd.headName,
    nip: doc.opd.headNip,
  };
  const signature = { width: SIGNATURE_WIDTH, size: 8.5, signingSpace: 38 };
  const boxWidth = w.width - SIGNATURE_WIDTH - 14;
  const pad = 6;
  const qrSize = doc.qrPayload ? QR_SIZE : 0;
  const textWidth = boxWidth - 2 * pad - (qrSize ? qrSize + 2 : 0);

  type Row = { text: string; font?: FontStyle; size?: number };
  const rows: Row[] = [{ text: 'CARA PEMBAYARAN', font: 'bold' }];
  if (doc.virtualAccount) {
    rows.push(
      { text: `Setor melalui Virtual Account (VA) ${doc.bankName}:` },
      { text: formatVirtualAccount(doc.virtualAccount), font: 'bold', size: 12 },
      { text: `Jumlah yang dibayar: ${formatRupiah(doc.total)}` },
    );
    if (doc.expiresAt) rows.push({ text: `VA berlaku sampai ${formatDateTimeWib(doc.expiresAt)}` });
  } else {
    rows.push({ text: `Setor di loket ${doc.bankName} dengan menyebut nomor ${doc.documentType} ${doc.billNo}.` });
  }
  rows.push({ text: `Bayar paling lambat ${formatDateId(doc.dueDate)} (jatuh tempo).` });
  if (qrSize) rows.push({ text: 'Atau pindai kode QR dengan aplikasi bank Anda.' });
  const laidOut = rows.flatMap((row) => {
    const size = row.size ?? SIZE;
    const font = row.font ?? 'regular';
    return w.wrap(row.text, textWidth, font, size).map((text) => ({ text, font, size }));
  });
  const textHeight = laidOut.reduce((h, l) => h + w.lineHeight(l.size), 0);
  const boxHeight = Math.max(textHeight + 2 * pad, qrSize + 4);
  w.ensureSpace(Math.max(boxHeight, w.signatureHeight(signatory, signature)));

  const top = w.y;
  w.box(w.left, top, boxWidth, boxHeight);
  let y = top + pad;
  for (const line of laidOut) {
    w.textAt(line.text, y, { x: w.left + pad, font: line.font, size: line.size });
    y += w.lineHeight(line.size);
  }
  if (qrSize) w.qr(doc.qrPayload, w.left + boxWidth - qrSize - 2, top + (boxHeight - qrSize) / 2, qrSize);
  w.signature(signatory, signature);
  w.y = Math.max(w.y, top + boxHeight);
}

/** The sanction notice across the page, under a bold "PERHATIAN:". */
function drawNotice(w: PdfWriter, doc: SkrdDocument): void {
  const size = 7.5;
  const lh = w.lineHeight(size);
  const lead = 'PERHATIAN:';
  const indent = w.widthOf(`${lead} `, 'bold', size);
  const lines = w.wrap(doc.sanctionNotice, w.width, 'regular', size, indent);
  w.ensureSpace(lines.length * lh);
  w.textAt(lead, w.y, { font: 'bold', size });
  lines.forEach((line, i) => {
    w.textAt(line, w.y, { x: w.left + (i === 0 ? indent : 0), size });
    w.y += lh;
  });
}

/**
 * The built-in PDF fonts print only Windows-1252 (WinAnsi) text. Tariff labels such as
 * "tinggi ≤ 30 m" use signs outside it, which would print as other characters: spell those out,
 * and show anything else that cannot be printed as "?".
 */
const SPELLED: Record<string, string> = { '≤': '<=', '≥': '>=', '≠': '!=', '−': '-', '→': '->' };
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

function printable(text: string): string {
  if (/^[\x20-\x7e\xa0-\xff]*$/.test(text)) return text;
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code <= 0x7e || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRA.has(ch)) out += ch;
    else if (code < 0x20 || code === 0x7f) out += ' ';
    else out += SPELLED[ch] ?? '?';
  }
  return out;
}
