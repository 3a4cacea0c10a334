/**
 * BniEnc, the payload cipher of BNI eCollection (docs/bni-ecollection.md §4), byte-exact with BNI's
 * PHP implementation. It is obfuscation with a timestamp, not cryptography: what it proves is that
 * the sender knows the client id and secret and that its clock agrees with ours within 8 minutes.
 */

/** BNI's PHP accepts a timestamp at most this many seconds away from its own clock, either side. */
export const TIME_WINDOW_SECONDS = 480;

/**
 * JSON exactly as PHP's `json_encode($value)` writes it with default flags: no whitespace, `/` as
 * `\/`, and every UTF-16 code unit from 0x80 up as `\uXXXX` in lower-case hex. Control characters
 * (`\n`, `\t`, `\u001f`…) come out as JSON.stringify writes them, which is what PHP writes too; DEL
 * (0x7f) is printable for both and stays raw. The output is pure ASCII, which the cipher needs: it
 * works modulo 128, so a raw UTF-8 byte would lose its high bit.
 */
export function phpJsonEncode(value: unknown): string {
  const json = JSON.stringify(value, (_key, v: unknown) => {
    // PHP refuses these; JSON.stringify would quietly send null, e.g. as an amount.
    if (typeof v === 'number' && !Number.isFinite(v)) throw new TypeError(`cannot JSON-encode ${v}`);
    return v;
  });
  if (json === undefined) throw new TypeError(`cannot JSON-encode ${typeof value}`);
  // Outside strings JSON has neither `/` nor non-ASCII, so every match here is inside a string.
  return json.replace(/[/\u0080-\uffff]/g, (c) =>
    c === '/' ? '\\/' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Position i uses key byte (i + L - 1) mod L: PHP's `substr($key, ($i % $len) - 1, 1)`. */
function shift(bytes: Buffer, key: Buffer, sign: 1 | -1): Buffer {
  const out = Buffer.alloc(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const k = key[(i + key.length - 1) % key.length];
    out[i] = (((bytes[i] + sign * k) % 128) + 128) % 128;
  }
  return out;
}

function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function encrypt(
  payload: unknown,
  clientId: string,
  secret: string,
  nowSeconds: number = unixSeconds(),
): string {
  if (!clientId || !secret) throw new Error('BniEnc: client id and secret key must not be empty');
  const reversedTime = String(Math.floor(nowSeconds)).split('').reverse().join('');
  const plain = Buffer.from(`${reversedTime}.${phpJsonEncode(payload)}`, 'latin1');
  const cipher = shift(shift(plain, Buffer.from(clientId), 1), Buffer.from(secret), 1);
  return cipher.toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

/** The payload, or null for anything that is not a fresh, well-formed BniEnc text for these keys. */
export function decrypt(
  data: unknown,
  clientId: string,
  secret: string,
  nowSeconds: number = unixSeconds(),
): unknown | null {
  if (typeof data !== 'string' || !clientId || !secret) return null;
  // Url-safe or standard alphabet, padded or not; Buffer.from would silently skip bad characters.
  const body = data.replace(/={1,2}$/, '');
  if (!/^[A-Za-z0-9+/_-]+$/.test(body) || body.length % 4 === 1) return null;
  const b64 = body.replace(/-/g, '+').replace(/_/g, '/');
  const cipher = Buffer.from(b64.padEnd(Math.ceil(b64.length / 4) * 4, '='), 'base64');
  const plain = shift(shift(cipher, Buffer.from(secret), -1), Buffer.from(clientId), -1).toString('latin1');

  const dot = plain.indexOf('.');
  const reversedTime = plain.slice(0, Math.max(dot, 0));
  if (!/^\d+$/.test(reversedTime)) return null;
  const time = Number(reversedTime.split('').reverse().join(''));
  if (Math.abs(time - nowSeconds) > TIME_WINDOW_SECONDS) return null;
  try {
    return JSON.parse(plain.slice(dot + 1)) as unknown;
  } catch {
    return null;
  }
}
