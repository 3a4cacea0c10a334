/** The parts of the API's schemas (openapi/openapi.yaml) the pages read. */
export type Role = 'payer' | 'finance' | 'opd_admin' | 'auditor' | 'admin';

export interface User {
  id: number;
  email: string;
  name: string;
  role: Role;
  payer: { npwrd: string; name: string } | null;
  opd: { code: string; name: string } | null;
  disabled: boolean;
  locked_until: string | null;
  failed_sign_ins: number;
  last_sign_in_at: string | null;
  created_at: string;
}

export interface Session {
  user: User;
  csrf_token: string;
  expires_at: string;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export type BillStatus = 'draft' | 'issuing' | 'issue_failed' | 'issued' | 'partially_paid' | 'paid' | 'expired' | 'cancelled' | 'superseded';

export interface BillSummary {
  bill_no: string;
  document_type: string;
  levy_type: string;
  period: string;
  status: BillStatus;
  amount: number;
  paid_amount: number;
  virtual_account: string | null;
  bank_channel: string;
  issue_date: string;
  due_date: string;
  expires_at: string | null;
  payer: { npwrd: string; name: string };
  opd: { code: string; name: string };
}

export interface BillLine {
  line_no: number;
  object_code: string | null;
  object_name: string | null;
  account_code: string;
  description: string;
  amount: number;
}

export interface Bill extends BillSummary {
  lines: BillLine[];
}

export interface Payment {
  id: number;
  receipt_no: string;
  payment_ref: string;
  amount: number;
  applied_amount: number;
  credit_amount: number;
  paid_at: string;
  bank_channel: string;
}

export interface BankChannel {
  code: string;
  name: string;
  bank_name: string;
  connector: string;
  concurrency: number;
  rate_per_second: number;
  time_zone: string;
}

export interface WebhookEndpoint {
  url: string;
  enabled: boolean;
  disabled_reason: string | null;
  updated_at: string;
  secret?: string;
}

export interface ApiKey {
  id: number;
  name: string;
  client_id: string;
  created_by: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  client_secret?: string;
}

export interface LevyTypeVersion {
  version: number;
  effective_from: string;
  period_kind: string;
  billing_unit: string;
  document_type: string;
  assessment_mode?: string;
  tariff_rule: Record<string, unknown>;
  object_schema: Record<string, unknown>;
  sample_objects?: Array<{ code?: string; attributes: Record<string, unknown> }>;
  bank_channel: { code: string };
}

export interface LevyType {
  code: string;
  name: string;
  kind: 'retribusi' | 'pajak';
  class: string;
  opd: { code: string; name: string };
  version: LevyTypeVersion;
}

export interface LevyTypeDetail extends Omit<LevyType, 'version'> {
  versions: LevyTypeVersion[];
}

export interface Preview {
  period: string;
  due_date: string;
  bills: Array<{ amount: number; lines: BillLine[] }>;
  rejected: Array<{ index: number; object_code: string | null; field: string; reason: string }>;
}

export interface Payer {
  npwrd: string;
  name: string;
  address: string;
  email: string | null;
  phone: string | null;
}

export interface LevyObject {
  levy_type: string;
  code: string;
  name: string;
  payer: { npwrd: string; name: string } | null;
  status: string;
  attributes: Record<string, unknown>;
}

export interface ImportReport {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: Array<{ row: number; column: string | null; reason: string }>;
}

export interface StatementRun {
  id: string;
  status: 'loaded' | 'completed' | 'failed';
  bank_channel: string;
  from: string;
  to: string;
  lines: { loaded: number; rejected: number; skipped: number };
  outcomes: {
    lines: Record<'total' | 'matched' | 'missing_in_system' | 'amount_mismatch' | 'duplicate' | 'rejected', number>;
    payments: Record<'matched' | 'amount_mismatch' | 'missing_in_bank' | 'pending', number>;
  } | null;
  exceptions: { opened: number; closed: number } | null;
  rejected: Array<{ row: number; reason: string }>;
  error: string | null;
  reimported?: boolean;
}

export type ResolutionAction = 'link_to_bill' | 'mark_refund' | 'accept_difference' | 'write_off';

export interface ReconciliationException {
  id: number;
  outcome: 'missing_in_system' | 'missing_in_bank' | 'amount_mismatch' | 'duplicate';
  status: 'open' | 'resolved';
  bank_channel: string;
  run_id: string;
  line_no: number | null;
  occurred_at: string | null;
  virtual_account: string | null;
  bank_reference: string | null;
  amount: number | null;
  difference: { field: 'amount' | 'virtual_account'; bank: string | null; kasda: string | null } | null;
  bill_no: string | null;
  resolution: { action: ResolutionAction; reason: string; by: string; at: string } | null;
}

export interface ResolutionReport {
  rows: number;
  resolved: number;
  unchanged: number;
  skipped: number;
  rejected: Array<{ row: number; column: string | null; reason: string; code: string }>;
}

export interface StsSummary {
  sts_no: string;
  date: string;
  opd: { code: string; name: string };
  bank_channel: { code: string; name: string; bank_name: string };
  revenue_amount: number;
  credit_amount: number;
  total_amount: number;
  payment_count: number;
}

export interface DailyRecap {
  from: string;
  to: string;
  rows: Array<{ date: string; opd_code: string; opd_name: string; channel_code: string; channel_name: string; kind: 'pendapatan' | 'kelebihan_bayar'; account_code: string | null; payments: number; amount: number }>;
  totals: { payments: number; revenue: number; credit: number; received: number };
}

export interface RealisationStep {
  period: string;
  realised: number;
  cumulative: number;
  percent_of_target: number | null;
}

export interface RealisationFigures {
  target: number | null;
  realised: number;
  percent_of_target: number | null;
  months: RealisationStep[];
  quarters: RealisationStep[];
}

export interface Realisation {
  year: number;
  levy_types: Array<RealisationFigures & { levy_type: string; name: string; opd_code: string }>;
  totals: RealisationFigures;
}

export interface AgeingBuckets {
  not_due: number;
  days_0_30: number;
  days_31_90: number;
  days_91_180: number;
  days_181_365: number;
  days_over_365: number;
  total: number;
}

export interface ArrearsAgeing {
  as_of: string;
  payers: Array<AgeingBuckets & { npwrd: string; name: string; bills: number; oldest_due_date: string }>;
  totals: AgeingBuckets & { bills: number };
}
