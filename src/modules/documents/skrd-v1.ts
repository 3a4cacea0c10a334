import { formatDateId, formatDateTimeWib, formatVirtualAccount } from '../../lib/format';
import { formatRupiah } from '../../lib/money';
import { PdfWriter, SIGNATURE_WIDTH, type FontStyle, type TableColumn, type TableCell } from './pdf';
import { assertSkrdAmounts, signingPlace, SKRD_TERMS as TERMS, type SkrdDocument } from './skrd-document';

/**
 * SKRD layout, version 1: a tower line takes three text lines, so 20 lines run to two pages. Bills
 * whose levy version names skrd-v1 are still printed with it, and an issued SKRD rendered again
 * from its stored data must come out the same, so a layout change becomes a new version (skrd-v2)
 * instead of an edit here.
 */
const AMOUNT_WIDTH = 92;

export async function renderSkrdV1(doc: SkrdDocument): Promise<Buffer> {
  assertSkrdAmounts(doc);
  const w = new PdfWriter({
    title: `${doc.documentType} ${doc.billNo}`,
    subject: `${doc.documentTitle} ${doc.levyName} ${doc.period}`,
    author: doc.opd.name,
    keywords: `${doc.documentType}, ${doc.payer.npwrd}`,
    createdAt: doc.generatedAt,
  });

  w.letterhead(doc.pemdaName, doc.opd.name, doc.opd.address);
  w.title(`${doc.documentTitle.toUpperCase()} (${doc.documentType})`, `Nomor: ${doc.billNo}`);
  w.keyValues(
    [
      { label: `Masa ${TERMS[doc.kind].noun}`, value: doc.period },
      { label: `Jenis ${TERMS[doc.kind].noun}`, value: doc.levyName },
      { label: 'Dasar Hukum', value: doc.legalBasis },
      { label: 'Tanggal Penetapan', value: formatDateId(doc.issueDate) },
      { label: 'Jatuh Tempo', value: formatDateId(doc.dueDate), bold: true },
    ],
    { labelWidth: 100 },
  );
  w.moveDown(6);
  w.textAt(`WAJIB ${TERMS[doc.kind].noun.toUpperCase()}`, w.y, { font: 'bold', size: 9.5 });
  w.moveDown(w.lineHeight(9.5) + 1);
  w.keyValues(
    [
      { label: 'Nama', value: doc.payer.name, bold: true },
      { label: 'Alamat', value: doc.payer.address },
      { label: TERMS[doc.kind].number, value: doc.payer.npwrd },
    ],
    { labelWidth: 100 },
  );
  w.moveDown(10);

  w.onNewPage = () => {
    w.textAt(`${doc.documentType} Nomor ${doc.billNo} – ${doc.payer.name} (lanjutan)`, w.y, {
      font: 'italic',
      size: 8.5,
    });
    w.moveDown(16);
  };
  drawLines(w, doc);
  w.totals(
    [
      { label: `Jumlah Pokok ${TERMS[doc.kind].noun}`, value: formatRupiah(doc.principal) },
      {
        label: doc.interestCalculation ? `Bunga (Sanksi Administratif): ${doc.interestCalculation}` : 'Bunga (Sanksi Administratif)',
        value: formatRupiah(doc.interest),
      },
      { label: 'JUMLAH YANG HARUS DIBAYAR', value: formatRupiah(doc.total), bold: true },
    ],
    { valueWidth: AMOUNT_WIDTH },
  );
  w.amountInWords(doc.total);
  w.moveDown(10);

  drawHowToPay(w, doc);
  w.moveDown(10);

  drawNoticeAndSignature(w, doc);

  return w.finish(`${doc.documentType} ini bukan bukti pembayaran.`);
}

function drawLines(w: PdfWriter, doc: SkrdDocument): void {
  const fixed = 24 + 136 + 88 + AMOUNT_WIDTH;
  const columns: TableColumn[] = [
    { header: 'No', width: 24, align: 'right' },
    { header: `Objek ${TERMS[doc.kind].noun}`, width: 136 },
    { header: 'Kode Rekening', width: 88 },
    { header: 'Perhitungan', width: w.width - fixed },
    { header: 'Jumlah', width: AMOUNT_WIDTH, align: 'right' },
  ];
  const rows: TableCell[][] = doc.lines.map((line) => [
    String(line.lineNo),
    [{ text: line.objectCode, font: 'bold' }, { text: line.objectName }],
    line.accountCode,
    line.calculation,
    formatRupiah(line.amount),
  ]);
  w.table(columns, rows);
}

function drawHowToPay(w: PdfWriter, doc: SkrdDocument): void {
  const pad = 8;
  const qrSize = doc.qrPayload ? 104 : 0;
  const textX = w.left + pad;
  const textWidth = w.width - 2 * pad - qrSize;
  const baseSize = 9;

  type Row = { text: string; font?: FontStyle; size?: number };
  const rows: Row[] = [{ text: 'CARA PEMBAYARAN', font: 'bold' }];
  if (doc.virtualAccount) {
    rows.push(
      { text: `Setor melalui Virtual Account (VA) ${doc.bankName}:` },
      { text: formatVirtualAccount(doc.virtualAccount), font: 'bold', size: 14 },
      { text: `Jumlah yang dibayar: ${formatRupiah(doc.total)}` },
    );
    if (doc.expiresAt) rows.push({ text: `VA berlaku sampai ${formatDateTimeWib(doc.expiresAt)}` });
  } else {
    rows.push({ text: `Setor di loket ${doc.bankName} dengan menyebut nomor ${doc.documentType} ${doc.billNo}.` });
  }
  rows.push({ text: `Bayar paling lambat pada tanggal jatuh tempo, ${formatDateId(doc.dueDate)}.` });
  if (qrSize) rows.push({ text: 'Atau pindai kode QR di samping dengan aplikasi bank Anda.' });

  const laidOut = rows.flatMap((row) => {
    const size = row.size ?? baseSize;
    const font = row.font ?? 'regular';
    return w.wrap(row.text, textWidth, font, size).map((text) => ({ text, font, size }));
  });
  const textHeight = laidOut.reduce((h, l) => h + w.lineHeight(l.size), 0);
  const height = Math.max(textHeight + 2 * pad, qrSize + 4);
  w.ensureSpace(height);

  const top = w.y;
  w.box(w.left, top, w.width, height);
  let y = top + pad;
  for (const line of laidOut) {
    w.textAt(line.text, y, { x: textX, font: line.font, size: line.size });
    y += w.lineHeight(line.size);
  }
  if (qrSize) w.qr(doc.qrPayload, w.right - qrSize - 2, top + (height - qrSize) / 2, qrSize);
  w.moveDown(height);
}

/** The sanction notice on the left and the signature on the right, kept together on one page. */
function drawNoticeAndSignature(w: PdfWriter, doc: SkrdDocument): void {
  const signatory = {
    placeAndDate: `${signingPlace(doc.pemdaName)}, ${formatDateId(doc.issueDate)}`,
    title: doc.opd.headTitle,
    name: doc.opd.headName,
    nip: doc.opd.headNip,
  };
  const size = 8.5;
  const noticeWidth = w.width - SIGNATURE_WIDTH - 24;
  const noticeLines = w.wrap(doc.sanctionNotice, noticeWidth, 'regular', size).length;
  const noticeHeight = w.lineHeight(9) + noticeLines * w.lineHeight(size);
  w.ensureSpace(Math.max(noticeHeight, w.signatureHeight(signatory)));

  const top = w.y;
  w.textAt('PERHATIAN', top, { font: 'bold', size: 9 });
  w.moveDown(w.lineHeight(9));
  w.paragraph(doc.sanctionNotice, { size, width: noticeWidth });
  const noticeBottom = w.y;
  w.y = top;
  w.signature(signatory);
  w.y = Math.max(w.y, noticeBottom);
}
