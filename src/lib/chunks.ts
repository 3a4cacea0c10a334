/**
 * Splits a list for multi-row statements: PostgreSQL takes at most 65,535 parameters in one, so a
 * 20,000-row import is written a thousand rows at a time.
 */
export function chunks<T>(list: T[], size = 1000): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
