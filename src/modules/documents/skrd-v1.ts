import { formatDateId, formatDateTimeWib, formatVirtualAccount } from '../../lib/format';
import { assertRupiah, formatRupiah } from '../../lib/money';
import { PdfWriter, SIGNATURE_WIDTH, type FontStyle, type TableColumn, type TableCell } from './pdf';

/**
 * SKRD layout, version 1. An issued SKRD can be rendered again from its stored data and must come
 * out the same, so a layout change becomes a new version instead of an edit here.
 */
export interface SkrdDocument {
  pemdaName: string;
  opd: { name: string; address: string; headName: string; headNip: string; headTitle: string };
  /** 'SKRD' */
  documentType: string;
  /** 'Surat Ketetapan Retribusi Daerah' */
  documentTitle: string;
  /** A levy (retribusi: NPWRD, "Wajib Retribusi") or a tax (pajak: NPWPD, "Wajib Pajak"). */
  kind: 'retribusi' | 'pajak';
  billNo: string;
  /** Masa retribusi, e.g. '2027'. */
  period: string;
  levyName: string;
  legalBasis: string;
  /** Calendar dates, 'YYYY-MM-DD'. */
  issueDate: string;
  dueDate: string;
  payer: { npwrd: string; name: string; address: string };
  lines: Array<{
    lineNo: number;
    objectCode: string;
    objectName: string;
    /** Kode rekening. */
    accountCode: string;
    /** As shown to the payer, e.g. '2 pemeriksaan × Rp1.750.000 × 1,20 (zona I)'. */
    calculation: string;
    amount: number;
  }>;
  principal: number;
  interest: number;
  /** How the interest was computed, e.g. 'Bunga 1% × 2 bulan × Rp4.200.000' (an STRD shows it). */
  interestCalculation?: string;
  total: number;
  virtualAccount: string | null;
  bankName: string;
  expiresAt: Date | null;
  /** Text encoded in the QR code. */
  qrPayload: string;
  sanctionNotice: string;
  /** Used as the PDF creation date, so the same bill always renders to the same bytes. */
  generatedAt: Date;
}

const AMOUNT_WIDTH = 92;

const TERMS = {
  retribusi: { noun: 'Retribusi', number: 'NPWRD' },
  pajak: { noun: 'Pajak', number: 'NPWPD' },
} as const;

export async function renderSkrd(doc: SkrdDocument): Promise<Buffer> {
  assertAmounts(doc);
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

/** A wrong sum on an official bill is worse than no bill: refuse to print one. */
function assertAmounts(doc: SkrdDocument): void {
  let sum = 0;
  for (const line of doc.lines) sum += assertRupiah(line.amount, `line ${line.lineNo} amount`);
  assertRupiah(doc.principal, 'principal');
  assertRupiah(doc.interest, 'interest');
  assertRupiah(doc.total, 'total');
  if (sum !== doc.principal) {
    throw new RangeError(`principal ${doc.principal} differs from the sum of the lines ${sum}`);
  }
  if (doc.principal + doc.interest !== doc.total) {
    throw new RangeError(`total ${doc.total} differs from principal + interest ${doc.principal + doc.interest}`);
  }
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

/** The document carries no separate place of signing; a city government signs in its city. */
function signingPlace(pemdaName: string): string {
  return pemdaName.replace(/^(pemerintah\s+)?(kota|kabupaten|provinsi)\s+/i, '').trim();
}
