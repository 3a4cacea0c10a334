import { formatDateId, formatDateTimeWib, formatVirtualAccount } from '../../lib/format';
import { assertRupiah, formatRupiah } from '../../lib/money';
import { PdfWriter, type TableCell, type TableColumn } from './pdf';

/**
 * SSRD (Surat Setoran Retribusi Daerah), the payer's proof of payment, layout version 1: one per
 * payment, numbered with the region's own receipt number (NTPD) beside the bank's (NTB). Like the
 * SKRD it can be rendered again from stored data and comes out byte for byte the same, so a layout
 * change becomes a new version.
 */
export interface ReceiptDocument {
  pemdaName: string;
  opd: { name: string; address: string; headName: string; headNip: string; headTitle: string };
  /** NTPD: the region's receipt number. */
  receiptNo: string;
  billNo: string;
  /** The document paid: 'SKRD' (or 'STRD' for a demand with interest). */
  documentType: string;
  /** Masa retribusi, e.g. '2027'. */
  period: string;
  levyName: string;
  payer: { npwrd: string; name: string; address: string };
  /** What this payment settled, per kode rekening; sums to `amount`. */
  lines: Array<{ accountCode: string; description: string; amount: number }>;
  /** NTB: the bank's reference for the payment. */
  paymentRef: string;
  paidAt: Date;
  /** This payment. */
  amount: number;
  /** Paid towards the bill so far, this payment included. */
  cumulativePaid: number;
  billAmount: number;
  outstanding: number;
  virtualAccount: string | null;
  bankName: string;
  channelName: string;
  /** How Kasda learnt of the payment. */
  source: 'notification' | 'inquiry' | 'statement';
  generatedAt: Date;
}

const AMOUNT_WIDTH = 104;
const LABEL_WIDTH = 118;
const STAMP_WIDTH = 190;

const SOURCE_LABELS: Record<ReceiptDocument['source'], string> = {
  notification: 'Notifikasi bank',
  inquiry: 'Inkuiri ke bank',
  statement: 'Rekening koran bank',
};

export async function renderReceipt(doc: ReceiptDocument): Promise<Buffer> {
  assertReceipt(doc);
  const w = new PdfWriter({
    title: `SSRD ${doc.receiptNo}`,
    subject: `Bukti pembayaran ${doc.documentType} ${doc.billNo}, ${doc.levyName} ${doc.period}`,
    author: doc.opd.name,
    keywords: `SSRD, ${doc.receiptNo}, ${doc.paymentRef}, ${doc.payer.npwrd}`,
    // The payment time, not the render time: the same payment always gives the same file.
    createdAt: doc.paidAt,
  });

  w.letterhead(doc.pemdaName, doc.opd.name, doc.opd.address);
  w.title('SURAT SETORAN RETRIBUSI DAERAH (SSRD)', `Nomor: ${doc.receiptNo}`);
  w.keyValues(
    [
      { label: 'Dasar Pembayaran', value: `${doc.documentType} Nomor ${doc.billNo}` },
      { label: 'Jenis Retribusi', value: doc.levyName },
      { label: 'Masa Retribusi', value: doc.period },
    ],
    { labelWidth: LABEL_WIDTH },
  );
  w.moveDown(6);
  w.textAt('WAJIB RETRIBUSI', w.y, { font: 'bold', size: 9.5 });
  w.moveDown(w.lineHeight(9.5) + 1);
  w.keyValues(
    [
      { label: 'Nama', value: doc.payer.name, bold: true },
      { label: 'Alamat', value: doc.payer.address },
      { label: 'NPWRD', value: doc.payer.npwrd },
    ],
    { labelWidth: LABEL_WIDTH },
  );
  w.moveDown(10);

  w.onNewPage = () => {
    w.textAt(`SSRD Nomor ${doc.receiptNo} – ${doc.payer.name} (lanjutan)`, w.y, { font: 'italic', size: 8.5 });
    w.moveDown(16);
  };
  drawLines(w, doc);
  w.totals([{ label: 'JUMLAH DISETOR', value: formatRupiah(doc.amount), bold: true }], { valueWidth: AMOUNT_WIDTH });
  w.amountInWords(doc.amount);
  w.moveDown(12);

  drawPaymentAndStatus(w, doc);
  w.moveDown(14);

  w.signature({
    placeAndDate: `${signingPlace(doc.pemdaName)}, ${formatDateId(doc.generatedAt)}`,
    title: doc.opd.headTitle,
    name: doc.opd.headName,
    nip: doc.opd.headNip,
  });

  return w.finish(`SSRD ini adalah bukti pembayaran yang sah. Diterbitkan ${formatDateTimeWib(doc.generatedAt)}.`);
}

/** A receipt whose figures disagree would certify a payment wrongly: refuse to print one. */
function assertReceipt(doc: ReceiptDocument): void {
  if (doc.lines.length === 0) throw new RangeError('a receipt needs at least one line');
  let sum = 0;
  doc.lines.forEach((line, i) => {
    sum += assertRupiah(line.amount, `line ${i + 1} amount`);
  });
  assertRupiah(doc.amount, 'amount');
  assertRupiah(doc.cumulativePaid, 'cumulativePaid');
  assertRupiah(doc.billAmount, 'billAmount');
  assertRupiah(doc.outstanding, 'outstanding');
  if (doc.amount === 0) throw new RangeError('a receipt is for a payment of more than zero');
  if (sum !== doc.amount) throw new RangeError(`amount ${doc.amount} differs from the sum of the lines ${sum}`);
  if (doc.cumulativePaid + doc.outstanding !== doc.billAmount) {
    throw new RangeError(
      `outstanding ${doc.outstanding} differs from bill amount ${doc.billAmount} less paid so far ${doc.cumulativePaid}`,
    );
  }
  if (!(doc.source in SOURCE_LABELS)) throw new RangeError(`unknown payment source ${JSON.stringify(doc.source)}`);
}

function drawLines(w: PdfWriter, doc: ReceiptDocument): void {
  const columns: TableColumn[] = [
    { header: 'No', width: 24, align: 'right' },
    { header: 'Kode Rekening', width: 100 },
    { header: 'Uraian', width: w.width - 24 - 100 - AMOUNT_WIDTH },
    { header: 'Jumlah', width: AMOUNT_WIDTH, align: 'right' },
  ];
  const rows: TableCell[][] = doc.lines.map((line, i) => [String(i + 1), line.accountCode, line.description, formatRupiah(line.amount)]);
  w.table(columns, rows);
}

/** The bank's record of the payment on the left; the bill's standing and the stamp on the right. */
function drawPaymentAndStatus(w: PdfWriter, doc: ReceiptDocument): void {
  const size = 9;
  const gap = 16;
  const leftWidth = w.width - STAMP_WIDTH - gap;
  const payment = [
    { label: 'Bank', value: doc.bankName },
    { label: 'Kanal Pembayaran', value: doc.channelName },
    { label: 'Virtual Account', value: doc.virtualAccount ? formatVirtualAccount(doc.virtualAccount) : '-' },
    { label: 'NTB (Nomor Transaksi Bank)', value: doc.paymentRef, bold: true },
    { label: 'Waktu Pembayaran', value: formatDateTimeWib(doc.paidAt), bold: true },
    { label: 'Tercatat dari', value: SOURCE_LABELS[doc.source] },
  ];
  const paid = doc.outstanding === 0;
  const standing = [
    { label: `Nilai ${doc.documentType}`, value: formatRupiah(doc.billAmount) },
    { label: 'Dibayar s.d. ini', value: formatRupiah(doc.cumulativePaid) },
    { label: 'Sisa', value: formatRupiah(doc.outstanding), bold: !paid },
  ];
  const lh = w.lineHeight(size);
  const stampHeight = paid ? 40 : 52;
  const leftHeight = lh + payment.length * (lh + 1.5) + 24;
  const rightHeight = lh + standing.length * (lh + 1.5) + 6 + stampHeight;
  w.ensureSpace(Math.max(leftHeight, rightHeight));

  const top = w.y;
  w.textAt('DATA PEMBAYARAN', top, { font: 'bold', size });
  w.moveDown(lh);
  w.keyValues(payment, { labelWidth: LABEL_WIDTH + 20, width: leftWidth, size });
  const leftBottom = w.y;

  const x = w.right - STAMP_WIDTH;
  w.y = top;
  w.textAt('STATUS TAGIHAN', top, { x, font: 'bold', size });
  w.moveDown(lh);
  w.keyValues(standing, { x, width: STAMP_WIDTH, labelWidth: 78, size });
  w.moveDown(6);
  drawStamp(w, x, w.y, stampHeight, paid ? { text: 'LUNAS' } : { text: 'SEBAGIAN', note: `Sisa ${formatRupiah(doc.outstanding)}` });
  w.y = Math.max(w.y + stampHeight, leftBottom);
}

/** The "paid" stamp: a double-ruled box with the word in large capitals, and a note under it. */
function drawStamp(w: PdfWriter, x: number, y: number, height: number, stamp: { text: string; note?: string }): void {
  w.box(x, y, STAMP_WIDTH, height);
  w.box(x + 2.5, y + 2.5, STAMP_WIDTH - 5, height - 5);
  const size = 20;
  w.textAt(stamp.text, y + 9, { x, width: STAMP_WIDTH, font: 'bold', size, align: 'center' });
  if (stamp.note) w.textAt(stamp.note, y + 9 + w.lineHeight(size), { x, width: STAMP_WIDTH, size: 9, align: 'center' });
}

/** The receipt carries no separate place of issue; a city government issues it in its city. */
function signingPlace(pemdaName: string): string {
  return pemdaName.replace(/^(pemerintah\s+)?(kota|kabupaten|provinsi)\s+/i, '').trim();
}
