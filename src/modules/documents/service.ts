import type { Knex } from 'knex';
import type { Principal } from '../auth/tokens';
import { requireBill } from '../bills/service';
import { linesOf } from '../bills/repo';
import { versionById } from '../levy-types/repo';
import type { InterestRule } from '../levy-types/schema';
import { formatDecimalId } from '../../lib/format';
import { renderSkrd, SkrdDocument } from './skrd-v1';

const TITLES: Record<string, string> = {
  SKRD: 'Surat Ketetapan Retribusi Daerah',
  SKPD: 'Surat Ketetapan Pajak Daerah',
  STRD: 'Surat Tagihan Retribusi Daerah',
  STPD: 'Surat Tagihan Pajak Daerah',
};

/** The sanction notice, from the interest rule in force when the bill falls due. */
function sanctionNotice(rules: InterestRule[], dueDate: string, documentType: string): string {
  const rule = [...rules].sort((a, b) => (a.effective_from < b.effective_from ? 1 : -1)).find((r) => r.effective_from <= dueDate);
  if (!rule) return `${documentType} ini wajib dilunasi paling lambat pada tanggal jatuh tempo.`;
  const rate = formatDecimalId(rule.rate_per_month_bp / 100);
  return (
    `Apabila ${documentType} ini tidak atau kurang dibayar sampai dengan tanggal jatuh tempo, dikenakan sanksi ` +
    `administratif berupa bunga sebesar ${rate}% setiap bulan dari pokok yang tidak atau kurang dibayar, ` +
    `paling lama ${rule.max_months} bulan (bagian dari bulan dihitung satu bulan penuh), ` +
    'dan ditagih dengan menggunakan STRD.'
  );
}

/** Everything the SKRD prints, gathered from the bill and the levy version it was computed with. */
export async function skrdDocumentFor(db: Knex, who: Principal, billNo: string): Promise<SkrdDocument> {
  const bill = await requireBill(db, who, billNo);
  // The OPD, payer, levy and channel in one query: SKRDs are rendered in their thousands.
  const [lines, version, names] = await Promise.all([
    linesOf(db, bill.id),
    versionById(db, bill.levy_type_version_id),
    db('bills as b')
      .join('opds as o', 'o.id', 'b.opd_id')
      .join('payers as p', 'p.id', 'b.payer_id')
      .join('levy_types as lt', 'lt.id', 'b.levy_type_id')
      .join('bank_channels as c', 'c.id', 'b.bank_channel_id')
      .where('b.id', bill.id)
      .first(
        'o.pemda_name',
        'o.name as opd_name',
        'o.address as opd_address',
        'o.head_name',
        'o.head_nip',
        'o.head_title',
        'p.npwrd',
        'p.name as payer_name',
        'p.address as payer_address',
        'lt.name as levy_name',
        'lt.kind as levy_kind',
        'c.bank_name',
      ),
  ]);
  const opd = { pemda_name: names.pemda_name, name: names.opd_name, address: names.opd_address, head_name: names.head_name, head_nip: names.head_nip, head_title: names.head_title };
  const payer = { npwrd: names.npwrd, name: names.payer_name, address: names.payer_address };
  const levy = { name: names.levy_name, kind: names.levy_kind };
  const channel = { bank_name: names.bank_name };
  // Interest lines (an STRD's) are printed with the totals, not among the objects.
  const isInterest = (l: { calculation: Record<string, unknown> }) => l.calculation?.kind === 'interest';
  const principalLines = lines.filter((l) => !isInterest(l));
  const interestLines = lines.filter(isInterest);
  const interest = interestLines.reduce((s, l) => s + l.amount, 0);
  return {
    pemdaName: opd.pemda_name,
    opd: {
      name: opd.name,
      address: opd.address,
      headName: opd.head_name,
      headNip: opd.head_nip,
      headTitle: opd.head_title,
    },
    documentType: bill.document_type,
    documentTitle: TITLES[bill.document_type] ?? bill.document_type,
    kind: levy.kind,
    billNo: bill.bill_no,
    period: bill.period,
    levyName: levy.name,
    legalBasis: `${version.legal_basis.regulation}, ${version.legal_basis.article}`,
    issueDate: bill.issue_date,
    dueDate: bill.due_date,
    payer: { npwrd: payer.npwrd, name: payer.name, address: payer.address },
    lines: principalLines.map((l) => ({
      lineNo: l.line_no,
      objectCode: l.object_code ?? '',
      objectName: l.object_name ?? '',
      accountCode: l.account_code,
      calculation: l.description,
      amount: l.amount,
    })),
    principal: bill.amount - interest,
    interest,
    interestCalculation: interestLines.length ? interestLines.map((l) => `${l.description} (${l.account_code})`).join('; ') : undefined,
    total: bill.amount,
    virtualAccount: bill.virtual_account,
    bankName: channel.bank_name,
    expiresAt: bill.expires_at,
    qrPayload: [channel.bank_name, bill.virtual_account ?? '-', bill.amount, bill.bill_no].join('|'),
    sanctionNotice: sanctionNotice(version.interest_rule, bill.due_date, bill.document_type),
    generatedAt: bill.issued_at ?? bill.created_at,
  };
}

export async function renderBillDocument(db: Knex, who: Principal, billNo: string) {
  const doc = await skrdDocumentFor(db, who, billNo);
  return { pdf: await renderSkrd(doc), fileName: `${doc.documentType}-${billNo}.pdf` };
}
