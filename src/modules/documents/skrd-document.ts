import { assertRupiah } from '../../lib/money';

/**
 * What an SKRD (or SKPD, STRD, STPD) prints, whatever its layout: gathered from the bill and the
 * levy version it was computed with (service.ts), rendered by the layout that version names.
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

/** The words that differ between a levy and a tax, including the demand that bills its arrears. */
export const SKRD_TERMS = {
  retribusi: { noun: 'Retribusi', number: 'NPWRD', arrears: 'STRD' },
  pajak: { noun: 'Pajak', number: 'NPWPD', arrears: 'STPD' },
} as const;

/** A wrong sum on an official bill is worse than no bill: refuse to print one. */
export function assertSkrdAmounts(doc: SkrdDocument): void {
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

/** The document carries no separate place of signing; a city government signs in its city. */
export function signingPlace(pemdaName: string): string {
  return pemdaName.replace(/^(pemerintah\s+)?(kota|kabupaten|provinsi)\s+/i, '').trim();
}
