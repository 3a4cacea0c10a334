/**
 * Money is whole rupiah held in a JS `number` that is always a safe integer. Every amount that
 * enters the service (request body, bank callback, CSV statement) passes through here, so a
 * fraction or a float artefact can never reach a sum.
 */

export interface RupiahOptions {
  /** Corrections and refunds may be negative; bills and payments never are. */
  allowNegative?: boolean;
}

export function assertRupiah(n: unknown, field = 'amount', options: RupiahOptions = {}): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw new RangeError(`${field} must be a whole number of rupiah, got ${describe(n)}`);
  }
  if (n < 0 && !options.allowNegative) {
    throw new RangeError(`${field} must not be negative, got ${n}`);
  }
  return n;
}

/**
 * Digits only: a separator is ambiguous ("1.500" is 1500 here and 1.5 to a bank in another
 * locale), so anything but digits (and a leading minus when allowed) is refused.
 */
export function parseRupiah(s: string, options: RupiahOptions = {}): number {
  const pattern = options.allowNegative ? /^-?\d+$/ : /^\d+$/;
  if (!pattern.test(s)) {
    throw new RangeError(`not a whole rupiah amount: ${JSON.stringify(s)}`);
  }
  const n = Number(s);
  if (!Number.isSafeInteger(n)) {
    throw new RangeError(`rupiah amount too large: ${s}`);
  }
  return n === 0 ? 0 : n; // "-0" must not produce -0
}

/** "Rp1.234.567"; negative as "-Rp1.234". */
export function formatRupiah(n: number): string {
  assertRupiah(n, 'amount', { allowNegative: true });
  const digits = String(Math.abs(n));
  const grouped = digits.replace(/\B(?=(\d{3})+$)/g, '.');
  return n < 0 ? `-Rp${grouped}` : `Rp${grouped}`;
}

const UNITS = [
  '',
  'satu',
  'dua',
  'tiga',
  'empat',
  'lima',
  'enam',
  'tujuh',
  'delapan',
  'sembilan',
  'sepuluh',
  'sebelas',
];

// Each step is 1000× the previous; the largest safe integer is about 9 kuadriliun.
const SCALES = ['', 'ribu', 'juta', 'miliar', 'triliun', 'kuadriliun'];

function belowThousand(n: number): string {
  if (n < 12) return UNITS[n];
  if (n < 20) return `${UNITS[n - 10]} belas`;
  if (n < 100) return join(`${UNITS[Math.floor(n / 10)]} puluh`, UNITS[n % 10]);
  const hundreds = Math.floor(n / 100);
  return join(hundreds === 1 ? 'seratus' : `${UNITS[hundreds]} ratus`, belowThousand(n % 100));
}

function join(head: string, tail: string): string {
  return tail ? `${head} ${tail}` : head;
}

/** Indonesian words for a non-negative whole number, lower case: 2450000 → "dua juta empat ratus lima puluh ribu". */
export function terbilang(n: number): string {
  assertRupiah(n, 'amount');
  if (n === 0) return 'nol';
  const words: string[] = [];
  let rest = n;
  for (let scale = 0; rest > 0; scale++) {
    const group = rest % 1000;
    rest = Math.floor(rest / 1000);
    if (group === 0) continue;
    // Only the thousands take the "se-" prefix: "seribu", but "satu juta".
    if (scale === 1 && group === 1) words.unshift('seribu');
    else words.unshift(SCALES[scale] ? `${belowThousand(group)} ${SCALES[scale]}` : belowThousand(group));
  }
  return words.join(' ');
}

/** The amount in words as printed on documents: "Dua juta empat ratus lima puluh ribu rupiah". */
export function terbilangRupiah(n: number): string {
  const words = terbilang(n);
  return `${words.charAt(0).toUpperCase()}${words.slice(1)} rupiah`;
}

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/**
 * Splits `amount` over `weights` in proportion, rounding down, with the remainder on the last
 * share, so the shares always add up to `amount`. BigInt inside: amount × weight can pass 2^53.
 */
export function splitProportionally(amount: number, weights: readonly number[]): number[] {
  const total = weights.reduce((s, w) => s + w, 0);
  let left = amount;
  return weights.map((w, i) => {
    const share = i === weights.length - 1 ? left : total === 0 ? 0 : Number((BigInt(amount) * BigInt(w)) / BigInt(total));
    left -= share;
    return share;
  });
}
