/**
 * The bill lifecycle. Every change goes through `transition`, a guarded UPDATE that only moves a
 * bill from one of the allowed states; terminal states have no way out here.
 */
export const BILL_STATUSES = [
  'draft',
  'issuing',
  'issue_failed',
  'issued',
  'partially_paid',
  'paid',
  'expired',
  'cancelled',
  'superseded',
] as const;
export type BillStatus = (typeof BILL_STATUSES)[number];

export const TRANSITIONS: Record<BillStatus, readonly BillStatus[]> = {
  draft: ['issuing', 'cancelled'],
  issuing: ['issued', 'issue_failed', 'cancelled'],
  issue_failed: ['issuing', 'cancelled'],
  issued: ['partially_paid', 'paid', 'expired', 'cancelled', 'superseded'],
  partially_paid: ['paid', 'expired', 'cancelled', 'superseded'],
  paid: [],
  expired: ['issuing', 'superseded'],
  cancelled: [],
  superseded: [],
};

export function sourcesOf(to: BillStatus): BillStatus[] {
  return BILL_STATUSES.filter((s) => TRANSITIONS[s].includes(to));
}
