const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A bank's answer as PostgreSQL can keep it: NUL characters dropped and lone UTF-16 surrogates
 * replaced (U+FFFD) in every string, at any depth. PostgreSQL stores neither in text or jsonb, and
 * an answer is kept (its code and message on the bill, all of it in bank_requests): one odd
 * character in what the bank said must not stop a VA it created from being recorded.
 */
export function storable<T>(value: T): T {
  if (typeof value === 'string') return value.split('\u0000').join('').replace(LONE_SURROGATE, '\ufffd') as T;
  if (Array.isArray(value)) return value.map(storable) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storable(k), storable(v)])) as T;
  }
  return value;
}
