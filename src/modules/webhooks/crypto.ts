import crypto from 'node:crypto';
import { config } from '../../config';

/**
 * Secrets kept in the database (a payer's webhook signing secret) are sealed with AES-256-GCM, so
 * a database dump or replica alone does not let anyone forge Kasda's signatures.
 *
 * Sealed form: `v1.<iv>.<tag>.<ciphertext>`, each part base64url. The version names the key
 * derivation and cipher, so a future key rotation can tell old values from new. The caller passes
 * a context (e.g. the payer it belongs to) that is authenticated with the value: a sealed secret
 * copied onto another row does not open there.
 */
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

let derived: { from: string; key: Buffer } | undefined;

/** HKDF rather than the raw string: DATA_KEY is a passphrase of any length, the cipher wants 32 bytes. */
function keyFrom(dataKey: string): Buffer {
  if (derived?.from !== dataKey) {
    const key = Buffer.from(crypto.hkdfSync('sha256', dataKey, 'kasda', 'kasda data key v1: aes-256-gcm', 32));
    derived = { from: dataKey, key };
  }
  return derived.key;
}

export function sealSecret(plaintext: string, context: string, dataKey = config().DATA_KEY): string {
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', keyFrom(dataKey), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, ...[iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url'))].join('.');
}

export class SealedSecretInvalid extends Error {
  constructor(reason: string) {
    super(`sealed secret cannot be opened: ${reason}`);
    this.name = 'SealedSecretInvalid';
  }
}

/** Throws SealedSecretInvalid for a wrong key or context, or a value that was altered. */
export function openSecret(sealed: string, context: string, dataKey = config().DATA_KEY): string {
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) throw new SealedSecretInvalid('unknown format');
  const [iv, tag, ciphertext] = parts.slice(1).map((p) => Buffer.from(p, 'base64url'));
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SealedSecretInvalid('malformed');
  const decipher = crypto.createDecipheriv('aes-256-gcm', keyFrom(dataKey), iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new SealedSecretInvalid('authentication failed');
  }
}
