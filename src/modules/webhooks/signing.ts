import crypto from 'node:crypto';

/**
 * Webhook signatures, as Stripe signs them: `Kasda-Signature: t=<unix seconds>,v1=<hex>` where the
 * hex is HMAC-SHA256 keyed with the endpoint's whole secret (prefix included) over `<t>.<body>`,
 * the body being the exact bytes sent. The timestamp inside the signed text lets a receiver refuse
 * replays of an old request; `v1` names the scheme so another can be added beside it later.
 */
export const SIGNATURE_HEADER = 'Kasda-Signature';
export const EVENT_ID_HEADER = 'Kasda-Event-Id';

export function signatureHeader(secret: string, body: string, timestamp: number): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError(`not a unix timestamp: ${timestamp}`);
  const mac = crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** A secret Kasda makes for a payer that did not bring one: 32 random bytes, shown to it once. */
export function generateSecret(): string {
  return `whsec_${crypto.randomBytes(32).toString('base64url')}`;
}
