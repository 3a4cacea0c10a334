import crypto from 'node:crypto';

/**
 * Payer webhooks: the event types, the envelope every event is sent in, and what counts as a URL
 * Kasda will deliver to. Requests are validated against openapi.yaml before they reach the module;
 * the checks here are the ones a schema cannot express.
 */

/**
 * Event type names are part of the contract of `API_VERSION`: a new meaning gets a new name or a
 * new API version, never a changed payload under the same pair.
 */
export const WEBHOOK_EVENT_TYPES = ['bill.issued', 'bill.paid', 'bill.partially_paid', 'bill.expired'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const API_VERSION = '2026-11-29';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'skipped'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const MAX_URL_LENGTH = 2048;

export interface WebhookEnvelope {
  id: string;
  type: WebhookEventType;
  api_version: string;
  /** Unix seconds. */
  created: number;
  data: Record<string, unknown>;
}

export function newEventId(): string {
  return `evt_${crypto.randomBytes(12).toString('hex')}`;
}

/**
 * The bytes sent and signed. Keys are put in a fixed order because PostgreSQL's jsonb hands them
 * back in its own; every attempt and every resend of an event therefore sends the same body.
 */
export function serializeEnvelope(e: WebhookEnvelope): string {
  return JSON.stringify({ id: e.id, type: e.type, api_version: e.api_version, created: e.created, data: e.data });
}

/**
 * Why Kasda will not deliver to `url`, or null when it will. Only http(s); no credentials in the
 * URL, since endpoints are shown to staff and written to logs (the signing secret is the credential).
 */
export function webhookUrlProblem(url: string): string | null {
  if (url.length > MAX_URL_LENGTH) return `longer than ${MAX_URL_LENGTH} characters`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a valid URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `scheme ${parsed.protocol} is not http or https`;
  if (!parsed.hostname) return 'has no host';
  if (parsed.username || parsed.password) return 'must not carry a user name or password';
  return null;
}
