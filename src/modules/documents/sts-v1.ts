import { formatDateId, formatDateTimeWib } from '../../lib/format';
import { assertRupiah, formatRupiah } from '../../lib/money';
import { PdfWriter, SIGNATURE_WIDTH, type Signatory, type TableCell, type TableColumn } from './pdf';

/**
 * STS (Surat Tanda Setoran), the bendahara penerimaan's deposit slip, layout version 1: one WIB
 * day's receipts on one bank channel for one OPD, a line per kode rekening, the overpayments held
 * for payers apart from revenue, and the list of receipts (SSRD) it covers. Rendered from stored
 * data with the STS's own creation time, so the same STS always gives the same bytes; a layout
 * change becomes a new version.
 */
export interface StsDocument {
  pemdaName: string;
  opd: {
    name: string;
    address: string;
    headName: string;
    headNip: string;
    headTitle: string;
    /** The bendahara penerimaan; blank leaves the name to be written by hand. */
    treasurerName: string;
    treasurerNip: string;
  };
  stsNo: string;
  /** The WIB day whose receipts are deposited, 'YYYY-MM-DD'. */
  depositDate: string;
  bankName: string;
  channelName: string;
  /** Revenue per kode rekening; sums to `revenue`. */
  lines: Array<{ accountCode: string; description: string; amount: number }>;
  revenue: number;
  /** Overpayments kept as the payers' credit: deposited, not revenue. */
  credit: number;
  total: number;
  payments: Array<{
    receiptNo: string;
    paymentRef: string;
    billNo: string;
    payerName: string;
    npwrd: string;
    paidAt: Date;
    applied: number;
    credit: number;
    amount: number;
  }>;
  createdAt: Date;
}

const AMOUNT_WIDTH = 70;
const LABEL_WIDTH = 120;
const BLANK_NAME = '(................................................)';

export async function renderSts(doc: StsDocument): Promise<Buffer> {
  assertSts(doc);
  const w = new PdfWriter({
    title: `STS ${doc.stsNo}`,
    subject: `Surat Tanda Setoran ${doc.opd.name}, penerimaan ${formatDateId(doc.depositDate)}`,
    author: doc.opd.name,
    keywords: `STS, ${doc.stsNo}, ${doc.depositDate}`,
    createdAt: doc.createdAt,
  });

  w.letterhead(doc.pemdaName, doc.opd.name, doc.opd.address);
  w.title('SURAT TANDA SETORAN (STS)', `Nomor: ${doc.stsNo}`);
  w.keyValues(
    [
      { label: 'Tanggal Penerimaan', value: formatDateId(doc.depositDate), bold: true },
      { label: 'Bank / Kanal', value: `${doc.bankName} – ${doc.channelName}` },
      { label: 'Bukti Penerimaan', value: `${doc.payments.length} SSRD` },
      { label: 'Disetor ke', value: `Rekening Kas Umum Daerah ${doc.pemdaName}` },
    ],
    { labelWidth: LABEL_WIDTH },
  );
  w.moveDown(6);
  w.paragraph('Harap diterima uang sebesar jumlah di bawah ini dengan rincian sebagai berikut:', { size: 9.5 });
  w.moveDown(4);

  w.onNewPage = () => {
    w.textAt(`STS Nomor ${doc.stsNo} – ${formatDateId(doc.depositDate)} (lanjutan)`, w.y, { font: 'italic', size: 8.5 });
    w.moveDown(16);
  };
  drawLines(w, doc);
  w.totals(
    [
      { label: 'Jumlah Pendapatan', value: formatRupiah(doc.revenue) },
      { label: 'Kelebihan Bayar (titipan wajib retribusi, bukan pendapatan)', value: formatRupiah(doc.credit) },
      { label: 'JUMLAH DISETOR', value: formatRupiah(doc.total), bold: true },
    ],
    { valueWidth: AMOUNT_WIDTH + 14 },
  );
  w.amountInWords(doc.total);
  w.moveDown(12);

  w.ensureSpace(w.lineHeight(9.5) * 3);
  w.textAt('DAFTAR BUKTI PENERIMAAN (SSRD)', w.y, { font: 'bold', size: 9.5 });
  w.moveDown(w.lineHeight(9.5) + 2);
  drawPayments(w, doc);
  w.moveDown(16);

  drawSignatures(w, doc);
  return w.finish(`STS ${doc.stsNo}: ${doc.payments.length} bukti penerimaan. Dibuat ${formatDateTimeWib(doc.createdAt)}.`);
}

/** A deposit slip whose figures disagree would misstate the treasury: refuse to print one. */
function assertSts(doc: StsDocument): void {
  if (doc.payments.length === 0) throw new RangeError('an STS covers at least one payment');
  const sum = (xs: number[], what: string) => xs.reduce((s, x, i) => s + assertRupiah(x, `${what} ${i + 1}`), 0);
  assertRupiah(doc.revenue, 'revenue');
  assertRupiah(doc.credit, 'credit');
  assertRupiah(doc.total, 'total');
  const lines = sum(doc.lines.map((l) => l.amount), 'line');
  if (lines !== doc.revenue) throw new RangeError(`revenue ${doc.revenue} differs from the sum of the lines ${lines}`);
  if (doc.revenue + doc.credit !== doc.total) throw new RangeError(`total ${doc.total} differs from revenue + credit ${doc.revenue + doc.credit}`);
  const applied = sum(doc.payments.map((p) => p.applied), 'payment applied');
  const credit = sum(doc.payments.map((p) => p.credit), 'payment credit');
  if (applied !== doc.revenue) throw new RangeError(`revenue ${doc.revenue} differs from the payments applied ${applied}`);
  if (credit !== doc.credit) throw new RangeError(`credit ${doc.credit} differs from the payments' credit ${credit}`);
  for (const p of doc.payments) {
    if (p.applied + p.credit !== p.amount) throw new RangeError(`payment ${p.receiptNo}: ${p.applied} + ${p.credit} is not ${p.amount}`);
  }
}

function drawLines(w: PdfWriter, doc: StsDocument): void {
  const columns: TableColumn[] = [
    { header: 'No', width: 24, align: 'right' },
    { header: 'Kode Rekening', width: 100 },
    { header: 'Uraian', width: w.width - 24 - 100 - AMOUNT_WIDTH - 14 },
    { header: 'Jumlah', width: AMOUNT_WIDTH + 14, align: 'right' },
  ];
  const rows: TableCell[][] = doc.lines.map((l, i) => [String(i + 1), l.accountCode, l.description, formatRupiah(l.amount)]);
  w.table(columns, rows);
}

function drawPayments(w: PdfWriter, doc: StsDocument): void {
  const columns: TableColumn[] = [
    { header: 'No', width: 20, align: 'right' },
    { header: 'NTPD / NTB / Waktu', width: 130 },
    { header: 'Wajib Retribusi / Dasar', width: w.width - 20 - 130 - 3 * AMOUNT_WIDTH },
    { header: 'Pendapatan', width: AMOUNT_WIDTH, align: 'right' },
    { header: 'Kelebihan', width: AMOUNT_WIDTH, align: 'right' },
    { header: 'Jumlah', width: AMOUNT_WIDTH, align: 'right' },
  ];
  const rows: TableCell[][] = doc.payments.map((p, i) => [
    String(i + 1),
    [{ text: p.receiptNo, font: 'bold' }, { text: `NTB ${p.paymentRef}` }, { text: formatDateTimeWib(p.paidAt) }],
    [{ text: p.payerName }, { text: `NPWRD ${p.npwrd}` }, { text: p.billNo }],
    formatRupiah(p.applied),
    formatRupiah(p.credit),
    formatRupiah(p.amount),
  ]);
  w.table(columns, rows, { size: 7.5 });
}

/** The head of the OPD acknowledges on the left; the bendahara penerimaan signs on the right. */
function drawSignatures(w: PdfWriter, doc: StsDocument): void {
  const head: Signatory = { placeAndDate: 'Mengetahui,', title: doc.opd.headTitle, name: doc.opd.headName, nip: doc.opd.headNip };
  const treasurer: Signatory = {
    placeAndDate: `${signingPlace(doc.pemdaName)}, ${formatDateId(doc.createdAt)}`,
    title: 'Bendahara Penerimaan',
    name: doc.opd.treasurerName || BLANK_NAME,
    nip: doc.opd.treasurerNip,
  };
  w.ensureSpace(Math.max(w.signatureHeight(head), w.signatureHeight(treasurer)));
  const top = w.y;
  w.signature(head, { x: w.left, width: SIGNATURE_WIDTH });
  const headBottom = w.y;
  w.y = top;
  w.signature(treasurer);
  w.y = Math.max(w.y, headBottom);
}

/** The document carries no separate place of signing; a city government signs in its city. */
function signingPlace(pemdaName: string): string {
  return pemdaName.replace(/^(pemerintah\s+)?(kota|kabupaten|provinsi)\s+/i, '').trim();
}
