import crypto from 'node:crypto';
import { parseConfig } from '../../src/config';
import { openSecret, sealSecret, SealedSecretInvalid } from '../../src/modules/webhooks/crypto';
import { serializeEnvelope, WebhookEnvelope, webhookUrlProblem } from '../../src/modules/webhooks/schema';
import { deliveryRetry, retryDelayMs } from '../../src/modules/webhooks/service';
import { generateSecret, signatureHeader } from '../../src/modules/webhooks/signing';

const KEY = 'unit-test-data-key-that-is-long-enough-0123456789';

describe('Webhook signatures are Stripe-style HMAC-SHA256 over "<t>.<body>"', () => {
  const secret = 'whsec_test_5f0c1d2e3a4b5c6d7e8f9a0b1c2d3e4f';
  const body = '{"id":"evt_000000000000000000000001","type":"bill.paid","data":{"amount":2450000,"npwrd":"R.13.71.0001"}}';

  it('matches an HMAC computed independently with the secret as key', () => {
    const t = 1_805_000_000;
    const expected = crypto.createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(`${t}.${body}`, 'utf8')).digest('hex');
    expect(signatureHeader(secret, body, t)).toBe(`t=${t},v1=${expected}`);
  });

  it('signs the exact bytes: a changed body, time or secret gives another signature', () => {
    const t = 1_805_000_000;
    const base = signatureHeader(secret, body, t);
    expect(signatureHeader(secret, body.replace('2450000', '2450001'), t)).not.toBe(base);
    expect(signatureHeader(secret, `${body} `, t)).not.toBe(base);
    expect(signatureHeader(secret, body, t + 1)).not.toBe(base);
    expect(signatureHeader(`${secret}x`, body, t)).not.toBe(base);
  });

  it('signs non-ASCII text as UTF-8', () => {
    const t = 1_805_000_000;
    const text = '{"name":"Koperasi Nagari Sumpu – Tanah Datar"}';
    const expected = crypto.createHmac('sha256', secret).update(Buffer.from(`${t}.${text}`, 'utf8')).digest('hex');
    expect(signatureHeader(secret, text, t)).toBe(`t=${t},v1=${expected}`);
  });

  it('refuses a timestamp that is not whole unix seconds', () => {
    expect(() => signatureHeader(secret, body, 1.5)).toThrow(RangeError);
    expect(() => signatureHeader(secret, body, -1)).toThrow(RangeError);
  });

  it('generates whsec_ secrets of 32 random bytes', () => {
    const a = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(generateSecret()).not.toBe(a);
  });
});

describe('Secrets are sealed at rest with AES-256-GCM', () => {
  const context = 'webhook_endpoint:payer:7';

  it('opens what it sealed', () => {
    const sealed = sealSecret('whsec_abc', context, KEY);
    expect(openSecret(sealed, context, KEY)).toBe('whsec_abc');
  });

  it('never stores the plaintext, and seals the same secret differently each time (random IV)', () => {
    const a = sealSecret('whsec_abc-plaintext', context, KEY);
    const b = sealSecret('whsec_abc-plaintext', context, KEY);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    expect(a).not.toContain('plaintext');
    expect(Buffer.from(a.split('.')[3], 'base64url').toString('latin1')).not.toContain('plaintext');
  });

  it.each([
    ['a flipped ciphertext bit', (s: string) => flip(s, 3)],
    ['a flipped tag bit', (s: string) => flip(s, 2)],
    ['a flipped IV bit', (s: string) => flip(s, 1)],
    ['a truncated value', (s: string) => s.slice(0, -2)],
    ['another format version', (s: string) => s.replace(/^v1\./, 'v2.')],
    ['a missing part', (s: string) => s.split('.').slice(0, 3).join('.')],
  ])('detects tampering: %s', (_what, tamper) => {
    const sealed = sealSecret('whsec_tamper-me', context, KEY);
    expect(() => openSecret(tamper(sealed), context, KEY)).toThrow(SealedSecretInvalid);
  });

  it('does not open under another context (a sealed secret moved to another payer) or another key', () => {
    const sealed = sealSecret('whsec_abc', context, KEY);
    expect(() => openSecret(sealed, 'webhook_endpoint:payer:8', KEY)).toThrow(SealedSecretInvalid);
    expect(() => openSecret(sealed, context, `${KEY}-rotated`)).toThrow(SealedSecretInvalid);
  });

  it('DATA_KEY has a development default, must be long, and is required in production', () => {
    expect(parseConfig({}).DATA_KEY.length).toBeGreaterThanOrEqual(32);
    expect(() => parseConfig({ DATA_KEY: 'short' })).toThrow(/DATA_KEY:/);
    expect(() => parseConfig({ NODE_ENV: 'production', JWT_SECRET: KEY })).toThrow(/DATA_KEY: required in production/);
    expect(parseConfig({ NODE_ENV: 'production', JWT_SECRET: KEY, DATA_KEY: KEY }).DATA_KEY).toBe(KEY);
  });
});

/** Flips the lowest bit of the first byte of part `index` of a sealed value. */
function flip(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index], 'base64url');
  bytes[0] ^= 1;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe('The event envelope', () => {
  it('is serialised with its keys in a fixed order, whatever order they come back from jsonb', () => {
    const e: WebhookEnvelope = { id: 'evt_0123456789abcdef01234567', type: 'bill.paid', api_version: '2026-11-29', created: 1_805_000_000, data: { a: 1 } };
    const shuffled = { data: e.data, created: e.created, type: e.type, api_version: e.api_version, id: e.id } as WebhookEnvelope;
    const body = serializeEnvelope(shuffled);
    expect(body).toBe('{"id":"evt_0123456789abcdef01234567","type":"bill.paid","api_version":"2026-11-29","created":1805000000,"data":{"a":1}}');
    expect(serializeEnvelope(e)).toBe(body);
  });
});

describe('Webhook URLs', () => {
  it.each(['https://erp.example.co.id/kasda/hooks', 'http://127.0.0.1:8080/h?x=1'])('accepts %s', (url) => {
    expect(webhookUrlProblem(url)).toBeNull();
  });

  it.each([
    ['ftp://example.com/x', /scheme ftp:/],
    ['file:///etc/passwd', /scheme file:/],
    ['javascript:alert(1)', /scheme javascript:/],
    ['data:application/json,{}', /scheme data:/],
    ['https://user:pass@example.com/', /user name or password/],
    ['https://', /not a valid URL/],
    ['not a url', /not a valid URL/],
    [`https://example.com/${'a'.repeat(2100)}`, /longer than 2048/],
  ])('refuses %s', (url, why) => {
    expect(webhookUrlProblem(url)).toMatch(why);
  });
});

describe('The retry schedule', () => {
  it('spreads 15 attempts over about a day, never more, with jitter that only shortens a wait', () => {
    expect(deliveryRetry.attempts).toBe(15);
    expect(deliveryRetry.delaysMs).toHaveLength(deliveryRetry.attempts - 1);
    const total = deliveryRetry.delaysMs.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(20 * 3600_000);
    expect(total).toBeLessThanOrEqual(24 * 3600_000);
    for (let attempt = 1; attempt < deliveryRetry.attempts; attempt++) {
      const nominal = deliveryRetry.delaysMs[attempt - 1];
      for (let i = 0; i < 20; i++) {
        const d = retryDelayMs(attempt);
        expect(d).toBeLessThanOrEqual(nominal);
        expect(d).toBeGreaterThanOrEqual(nominal * (1 - deliveryRetry.jitter));
      }
    }
    // Waits grow: each is at least the one before.
    deliveryRetry.delaysMs.slice(1).forEach((d, i) => expect(d).toBeGreaterThanOrEqual(deliveryRetry.delaysMs[i]));
  });
});
