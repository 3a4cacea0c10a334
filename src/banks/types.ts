import type { Gate } from './slots';
/**
 * What every bank connector offers the rest of Kasda. Issuing, the sweeper, reconciliation and the
 * documents use only this; a new bank is one folder that implements it.
 */

/** How the bank answered, reduced to what the caller must do next. */
export type BankOutcome =
  | 'ok'
  | 'not_found' // the bank has no such bill
  | 'duplicate_reference' // trx_id already used at the bank
  | 'va_in_use'
  | 'already_paid'
  | 'expired'
  | 'amount_not_changeable'
  | 'invalid_request' // our request was wrong: fix data or configuration, do not retry as is
  | 'unauthorized' // credentials, client id or source IP refused
  | 'throttled' // rate limit: wait, then retry
  | 'transient' // the bank or network failed; retrying the same request is safe
  | 'timeout'; // no answer: the request may or may not have taken effect

export interface BankResult<T = undefined> {
  outcome: BankOutcome;
  /** The bank's own status code ("000", "101", "4042712", or "network"/"timeout"). */
  code: string;
  message: string;
  data?: T;
}

export type BillingType = 'c' | 'i' | 'o' | 'm' | 'n' | 'x';

export interface VaRequest {
  trxId: string;
  amount: number; // whole rupiah
  billingType: BillingType;
  customerName: string;
  customerEmail?: string | null;
  customerPhone?: string | null;
  virtualAccount: string;
  expiresAt: Date;
  description: string;
}

export interface VaCreated {
  trxId: string;
  virtualAccount: string;
}

export interface VaState {
  trxId: string;
  virtualAccount: string;
  amount: number;
  paidAmount: number; // cumulative
  active: boolean;
  customerName: string;
  expiresAt: Date | null;
  lastPaymentRef: string | null;
  lastPaymentAt: Date | null;
  createdAt: Date | null;
}

export interface BankCallLog {
  operation: string;
  trxId: string | null;
  request: unknown; // the decoded payload, never credentials
  response: unknown;
  statusCode: string;
  outcome: BankOutcome;
  durationMs: number;
  error?: string;
}

export interface VaConnector {
  readonly channelCode: string;
  createVa(req: VaRequest): Promise<BankResult<VaCreated>>;
  /** Every field is sent: banks blank what is omitted. */
  updateVa(req: VaRequest): Promise<BankResult<VaCreated>>;
  /** Some banks (SNAP) address a VA by its number, not by our trx_id: pass both. */
  inquireVa(trxId: string, virtualAccount?: string): Promise<BankResult<VaState>>;
  deactivateVa(trxId: string, virtualAccount: string): Promise<BankResult<VaCreated>>;
}

/** A payment notification from a bank, reduced to what Kasda needs, whatever the bank's format. */
export interface BankNotification {
  trxId: string;
  virtualAccount: string;
  /** The bank's unique reference for this payment (BNI `payment_ntb`, SNAP `paymentRequestId`). */
  paymentRef: string;
  /** This payment, whole rupiah. */
  amount: number;
  /** Total paid on the bill so far, as the bank counts it; null when the bank does not say. */
  cumulative: number | null;
  paidAt: Date;
  customerName: string | null;
}

export interface CallbackRequest {
  /** The exact bytes received (signatures are over them). */
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  method: string;
  /** The path with query as received, e.g. /api/v1/bank-callbacks/nagari/v1.0/transfer-va/payment. */
  path: string;
  sourceIp: string;
}

export type NotificationVerdict =
  | { ok: true; notification: BankNotification; decoded: unknown }
  | { ok: false; reason: string; decoded?: unknown };

export interface CallbackAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * The inbound half of a connector: is a notification genuine, what does it say, and what does the
 * bank expect to hear back. The intake route persists what `verify` returns before answering.
 */
export interface NotificationHandler {
  verify(req: CallbackRequest): NotificationVerdict | Promise<NotificationVerdict>;
  /**
   * accepted: recorded (new or duplicate); rejected: not genuine, nothing recorded; failed: genuine
   * but Kasda could not record it now (the bank should send it again).
   */
  answer(kind: 'accepted' | 'rejected' | 'failed', ctx: { reason?: string; decoded?: unknown }): CallbackAnswer;
}

/** Reads a channel setting, resolving `env:` and `file:` references to the deployment's secrets. */
export type SettingReader = (name: string) => string;

export interface TokenEndpoint {
  /** The answer to a bank asking us for an access token before it notifies. */
  answer(req: CallbackRequest): CallbackAnswer;
}

/**
 * A kind of bank connection (BNI eCollection, SNAP BI…): everything the registry needs to talk to a
 * channel of that kind. Each connector folder exports one; nothing else knows the bank's protocol.
 */
export interface BankKind {
  /** `gate` admits each HTTP exchange within the channel's limit of calls in flight. */
  connector(channelCode: string, setting: SettingReader, onCall: (log: BankCallLog) => Promise<void>, gate: Gate): VaConnector;
  notifications(channelCode: string, setting: SettingReader): NotificationHandler;
  /** The VA number a bill gets on this channel. */
  virtualAccount(setting: SettingReader, billId: number): string;
  tokenEndpoint?(channelCode: string, setting: SettingReader): TokenEndpoint | null;
  /** The settings whose values tell connectors apart (so a changed credential gets a new one). */
  settingNames: readonly string[];
}
