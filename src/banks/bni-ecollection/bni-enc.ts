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

/**
 * Both shifts in one pass. Position i uses key byte (i + L - 1) mod L of each key: PHP's
 * `substr($key, ($i % $len) - 1, 1)`. Shifting modulo 128 twice is shifting once by the sum, and
 * `& 127` is that modulo for negative sums too.
 */
function shift(bytes: Buffer, first: string, second: string, sign: 1 | -1): Buffer {
  const a = Buffer.from(first);
  const b = Buffer.from(second);
  const out = Buffer.allocUnsafe(bytes.length);
  let i1 = a.length - 1;
  let i2 = b.length - 1;
  for (let i = 0; i < bytes.length; i++) {
    out[i] = (bytes[i] + sign * (a[i1] + b[i2])) & 127;
    if (++i1 === a.length) i1 = 0;
    if (++i2 === b.length) i2 = 0;
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
  // base64url is standard base64 without padding, with - and _ for + and /.
  return shift(plain, clientId, secret, 1).toString('base64url');
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
  // Node's base64 decoder takes both alphabets, padded or not; the check above made it strict.
  const plain = shift(Buffer.from(body, 'base64'), clientId, secret, -1).toString('latin1');

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
