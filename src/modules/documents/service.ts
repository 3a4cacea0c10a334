import type { Knex } from 'knex';
import { NotFound } from '../../errors';
import type { Principal } from '../auth/tokens';
import { scoped } from '../bills/repo';
import type { InterestRule, LegalBasis } from '../levy-types/schema';
import { formatDecimalId } from '../../lib/format';
import { SKRD_TERMS, type SkrdDocument } from './skrd-document';
import { renderSkrdV1 } from './skrd-v1';
import { renderSkrdV2 } from './skrd-v2';

/**
 * The SKRD layouts, by the name a levy version gives in `document_template`. A bill is printed with
 * the layout of the levy version it was computed with, so a bill already issued reprints the same
 * and a new layout reaches the bills of the levy versions that name it.
 */
export const SKRD_TEMPLATES = { 'skrd-v1': renderSkrdV1, 'skrd-v2': renderSkrdV2 } as const;
export type SkrdTemplate = keyof typeof SKRD_TEMPLATES;

export interface SkrdToRender {
  template: SkrdTemplate;
  document: SkrdDocument;
}

const TITLES: Record<string, string> = {
  SKRD: 'Surat Ketetapan Retribusi Daerah',
  SKPD: 'Surat Ketetapan Pajak Daerah',
  STRD: 'Surat Tagihan Retribusi Daerah',
  STPD: 'Surat Tagihan Pajak Daerah',
};

type Kind = keyof typeof SKRD_TERMS;

/** The demand for arrears is an STRD for a levy and an STPD for a tax, whatever the bill row says. */
function documentTypeOf(documentType: string, kind: Kind): string {
  return documentType === 'STRD' || documentType === 'STPD' ? SKRD_TERMS[kind].arrears : documentType;
}

/** The sanction notice, from the interest rule in force when the bill falls due. */
export function sanctionNotice(rules: InterestRule[], dueDate: string, documentType: string, kind: Kind): string {
  const rule = [...rules].sort((a, b) => (a.effective_from < b.effective_from ? 1 : -1)).find((r) => r.effective_from <= dueDate);
  if (!rule) return `${documentType} ini wajib dilunasi paling lambat pada tanggal jatuh tempo.`;
  const rate = formatDecimalId(rule.rate_per_month_bp / 100);
  return (
    `Apabila ${documentType} ini tidak atau kurang dibayar sampai dengan tanggal jatuh tempo, dikenakan sanksi ` +
    `administratif berupa bunga sebesar ${rate}% setiap bulan dari pokok yang tidak atau kurang dibayar, ` +
    `paling lama ${rule.max_months} bulan (bagian dari bulan dihitung satu bulan penuh), ` +
    `dan ditagih dengan menggunakan ${SKRD_TERMS[kind].arrears}.`
  );
}

interface BillForSkrd {
  id: number;
  bill_no: string;
  document_type: string;
  period: string;
  issue_date: string;
  due_date: string;
  amount: number;
  virtual_account: string | null;
  expires_at: Date | null;
  issued_at: Date | null;
  created_at: Date;
  pemda_name: string;
  opd_name: string;
  opd_address: string;
  head_name: string;
  head_nip: string;
  head_title: string;
  npwrd: string;
  payer_name: string;
  payer_address: string;
  levy_name: string;
  levy_kind: Kind;
  bank_name: string;
  legal_basis: LegalBasis;
  interest_rule: InterestRule[];
  document_template: string;
}

interface LineForSkrd {
  bill_id: number;
  line_no: number;
  account_code: string;
  description: string;
  amount: number;
  calculation_kind: string | null;
  object_code: string | null;
  object_name: string | null;
}

/**
 * Everything the SKRDs of `billNos` print, in that order, with the layout of each: two queries
 * however many bills (SKRDs are rendered in their thousands). A bill the caller may not see is
 * reported missing, exactly like one that does not exist.
 */
export async function skrdDocumentsFor(db: Knex, who: Principal, billNos: readonly string[]): Promise<SkrdToRender[]> {
  const bills: BillForSkrd[] = await scoped(
    db('bills as b')
      .join('opds as o', 'o.id', 'b.opd_id')
      .join('payers as p', 'p.id', 'b.payer_id')
      .join('levy_types as lt', 'lt.id', 'b.levy_type_id')
      .join('levy_type_versions as v', 'v.id', 'b.levy_type_version_id')
      .join('bank_channels as c', 'c.id', 'b.bank_channel_id')
      .whereIn('b.bill_no', billNos)
      .select(
        'b.id',
        'b.bill_no',
        'b.document_type',
        'b.period',
        'b.issue_date',
        'b.due_date',
        'b.amount',
        'b.virtual_account',
        'b.expires_at',
        'b.issued_at',
        'b.created_at',
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
        'v.legal_basis',
        'v.interest_rule',
        'v.document_template',
      ),
    who,
  );
  const byNo = new Map(bills.map((b) => [b.bill_no, b]));
  const missing = billNos.find((no) => !byNo.has(no));
  if (missing !== undefined) throw new NotFound('bill_not_found', `No bill ${missing}`);

  // Only the kind of each line's calculation is needed (interest lines print with the totals),
  // not the whole trace of inputs and steps stored with it.
  const lines: LineForSkrd[] = await db('bill_lines as l')
    .leftJoin('objects as ob', 'ob.id', 'l.object_id')
    .whereIn(
      'l.bill_id',
      bills.map((b) => b.id),
    )
    .orderBy([{ column: 'l.bill_id' }, { column: 'l.line_no' }])
    .select(
      'l.bill_id',
      'l.line_no',
      'l.account_code',
      'l.description',
      'l.amount',
      db.raw("l.calculation->>'kind' as calculation_kind"),
      'ob.code as object_code',
      'ob.name as object_name',
    );
  const linesOf = new Map<number, LineForSkrd[]>();
  for (const line of lines) {
    const list = linesOf.get(line.bill_id);
    if (list) list.push(line);
    else linesOf.set(line.bill_id, [line]);
  }
  return billNos.map((no) => {
    const bill = byNo.get(no)!;
    return { template: templateOf(bill), document: skrdDocument(bill, linesOf.get(bill.id) ?? []) };
  });
}

/** Everything one bill's SKRD prints. */
export async function skrdDocumentFor(db: Knex, who: Principal, billNo: string): Promise<SkrdToRender> {
  const [found] = await skrdDocumentsFor(db, who, [billNo]);
  return found;
}

function templateOf(bill: BillForSkrd): SkrdTemplate {
  const name = bill.document_template;
  if (!Object.hasOwn(SKRD_TEMPLATES, name)) throw new Error(`bill ${bill.bill_no}: no SKRD layout named ${name}`);
  return name as SkrdTemplate;
}

function skrdDocument(bill: BillForSkrd, lines: LineForSkrd[]): SkrdDocument {
  const isInterest = (l: LineForSkrd) => l.calculation_kind === 'interest';
  const principalLines = lines.filter((l) => !isInterest(l));
  const interestLines = lines.filter(isInterest);
  const interest = interestLines.reduce((s, l) => s + l.amount, 0);
  const documentType = documentTypeOf(bill.document_type, bill.levy_kind);
  return {
    pemdaName: bill.pemda_name,
    opd: {
      name: bill.opd_name,
      address: bill.opd_address,
      headName: bill.head_name,
      headNip: bill.head_nip,
      headTitle: bill.head_title,
    },
    documentType,
    documentTitle: TITLES[documentType] ?? documentType,
    kind: bill.levy_kind,
    billNo: bill.bill_no,
    period: bill.period,
    levyName: bill.levy_name,
    legalBasis: `${bill.legal_basis.regulation}, ${bill.legal_basis.article}`,
    issueDate: bill.issue_date,
    dueDate: bill.due_date,
    payer: { npwrd: bill.npwrd, name: bill.payer_name, address: bill.payer_address },
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
    bankName: bill.bank_name,
    expiresAt: bill.expires_at,
    qrPayload: [bill.bank_name, bill.virtual_account ?? '-', bill.amount, bill.bill_no].join('|'),
    sanctionNotice: sanctionNotice(bill.interest_rule, bill.due_date, documentType, bill.levy_kind),
    generatedAt: bill.issued_at ?? bill.created_at,
  };
}

export function renderSkrd({ template, document }: SkrdToRender): Promise<Buffer> {
  return SKRD_TEMPLATES[template](document);
}

export async function renderBillDocument(db: Knex, who: Principal, billNo: string) {
  const found = await skrdDocumentFor(db, who, billNo);
  return { pdf: await renderSkrd(found), fileName: `${found.document.documentType}-${billNo}.pdf` };
}
