import crypto, { type KeyObject } from 'node:crypto';

/**
 * SNAP BI signatures and timestamps (docs/bni-ecollection.md §6). Every signature is over strings
 * built here, so the connector, the notification handler and the simulator cannot drift apart.
 */

const WIB_OFFSET_MS = 7 * 3600 * 1000;

/** `2026-11-29T10:00:00+07:00`: SNAP's X-TIMESTAMP form, computed from the instant, never the process zone. */
export function formatSnapTimestamp(at: Date | number): string {
  const ms = typeof at === 'number' ? at : at.getTime();
  return `${new Date(ms + WIB_OFFSET_MS).toISOString().slice(0, 19)}+07:00`;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * A SNAP date-time as milliseconds since the epoch. Without an offset it is WIB, the zone every
 * Indonesian bank means. Null for anything else, including impossible dates such as 2027-02-30.
 */
export function parseSnapTimestamp(value: unknown): number | null {
  const m = typeof value === 'string' ? DATE_TIME.exec(value) : null;
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC rolls 24:00 or February 30 over silently; a round trip catches it.
  if (new Date(wall).toISOString().slice(0, 19) !== `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`) return null;
  const zone = m[7] ?? '+07:00';
  const offsetMinutes =
    zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  return wall - offsetMinutes * 60_000;
}

/** Lower-case hex SHA-256 of the exact bytes sent; a string counts as its UTF-8 bytes. */
export function bodyDigest(body: Buffer | string): string {
  return crypto.createHash('sha256').update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body).digest('hex');
}

/** Base64 strings compared in constant time, so a forger learns nothing from the response time. */
function sameText(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

function rsaSign(privateKey: string | KeyObject, text: string): string {
  return crypto.sign('sha256', Buffer.from(text, 'utf8'), privateKey).toString('base64');
}

function rsaVerify(publicKey: string | KeyObject, text: string, signature: string): boolean {
  try {
    return crypto.verify('sha256', Buffer.from(text, 'utf8'), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    // A key that does not parse or a signature of the wrong size proves nothing: not genuine.
    return false;
  }
}

/** The B2B access-token request: `clientId|timestamp`. */
export function asymmetricStringToSign(clientId: string, timestamp: string): string {
  return `${clientId}|${timestamp}`;
}

/** X-SIGNATURE of the access-token request: base64(RSA-SHA256(private key, `clientId|timestamp`)). */
export function asymmetricSignature(privateKeyPem: string | KeyObject, clientId: string, timestamp: string): string {
  return rsaSign(privateKeyPem, asymmetricStringToSign(clientId, timestamp));
}

export function verifyAsymmetricSignature(
  publicKeyPem: string | KeyObject,
  clientId: string,
  timestamp: string,
  signature: string,
): boolean {
  return rsaVerify(publicKeyPem, asymmetricStringToSign(clientId, timestamp), signature);
}

/** `METHOD:relativePathWithQuery:accessToken:lowerhex(sha256(body)):timestamp`. */
export function symmetricStringToSign(
  method: string,
  relativePathWithQuery: string,
  accessToken: string,
  bodyBytes: Buffer | string,
  timestamp: string,
): string {
  return `${method.toUpperCase()}:${relativePathWithQuery}:${accessToken}:${bodyDigest(bodyBytes)}:${timestamp}`;
}

/** X-SIGNATURE of a transaction: base64(HMAC-SHA512(client secret, symmetric string to sign)). */
export function symmetricSignature(
  secret: string,
  method: string,
  relativePathWithQuery: string,
  accessToken: string,
  bodyBytes: Buffer | string,
  timestamp: string,
): string {
  return crypto
    .createHmac('sha512', secret)
    .update(symmetricStringToSign(method, relativePathWithQuery, accessToken, bodyBytes, timestamp), 'utf8')
    .digest('base64');
}

export function verifySymmetricSignature(
  secret: string,
  method: string,
  relativePathWithQuery: string,
  accessToken: string,
  bodyBytes: Buffer | string,
  timestamp: string,
  signature: string,
): boolean {
  const expected = symmetricSignature(secret, method, relativePathWithQuery, accessToken, bodyBytes, timestamp);
  return sameText(expected, signature);
}

/** A bank's RSA-signed notification: `METHOD:relativePathWithQuery:lowerhex(sha256(body)):timestamp`. */
export function notificationStringToSign(
  method: string,
  relativePathWithQuery: string,
  bodyBytes: Buffer | string,
  timestamp: string,
): string {
  return `${method.toUpperCase()}:${relativePathWithQuery}:${bodyDigest(bodyBytes)}:${timestamp}`;
}

export function notificationSignature(
  privateKeyPem: string | KeyObject,
  method: string,
  relativePathWithQuery: string,
  bodyBytes: Buffer | string,
  timestamp: string,
): string {
  return rsaSign(privateKeyPem, notificationStringToSign(method, relativePathWithQuery, bodyBytes, timestamp));
}

export function verifyNotificationSignature(
  publicKeyPem: string | KeyObject,
  method: string,
  relativePathWithQuery: string,
  bodyBytes: Buffer | string,
  timestamp: string,
  signature: string,
): boolean {
  const text = notificationStringToSign(method, relativePathWithQuery, bodyBytes, timestamp);
  return rsaVerify(publicKeyPem, text, signature);
}
