import type { BillingType } from '../../banks/types';
import type { RoundingRule, TariffRule } from './tariff';

/** A levy type version as stored: everything a bill needs to be computed, issued and printed. */
export interface AccountCodes {
  from_year: number;
  principal: string;
  fines: string;
}

export type DueRule =
  | { kind: 'days_after_issue'; days: number }
  | { kind: 'fixed_date'; month: number; day: number }
  | { kind: 'end_of_period_plus'; days: number };

export interface InterestRule {
  effective_from: string;
  rate_per_month_bp: number; // basis points: 100 = 1% a month
  max_months: number;
  started_month_counts_whole: boolean;
  base: 'principal';
}

export interface PaymentPolicy {
  billing_type: BillingType;
  partial_allowed: boolean;
  va_valid_days_after_due: number;
}

export interface LegalBasis {
  regulation: string;
  article: string;
}

export type AssessmentMode = 'official' | 'self_assessed' | 'on_request';

/** An example object a definition is dry-run on before it is accepted. */
export interface SampleObject {
  code?: string;
  attributes: Record<string, unknown>;
}

export interface LevyTypeVersion {
  id: number;
  levy_type_id: number;
  version: number;
  effective_from: string;
  legal_basis: LegalBasis;
  valid_from: string;
  valid_to: string | null;
  account_codes: AccountCodes[];
  object_schema: Record<string, unknown>;
  /** Official: assessment runs bill registered objects. Otherwise bills come one at a time, on request or on filing. */
  assessment_mode: AssessmentMode;
  period_kind: 'yearly' | 'monthly' | 'one_off';
  billing_unit: 'per_payer' | 'per_object';
  document_type: string;
  tariff_rule: TariffRule;
  rounding: RoundingRule;
  due_rule: DueRule;
  interest_rule: InterestRule[];
  payment_policy: PaymentPolicy;
  bank_channel_id: number;
  document_template: string;
  sample_objects: SampleObject[];
}

export interface LevyType {
  id: number;
  code: string;
  opd_id: number;
  name: string;
  kind: 'retribusi' | 'pajak';
  class: string;
}
