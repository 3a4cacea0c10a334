import { formatRupiah } from '../../src/lib/money';
import { formatVirtualAccount } from '../../src/lib/format';
import type { Lang } from './i18n';

/**
 * Amounts as the service prints them on documents (one money module for both: "Rp1.234.567"),
 * instants in WIB whatever the browser's zone, calendar dates as written (no zone can shift them).
 */
export { formatRupiah as rupiah, formatVirtualAccount as va };

const LOCALE: Record<Lang, string> = { id: 'id-ID', en: 'en-GB' };

export function date(lang: Lang, d: string | null | undefined): string {
  if (!d) return '–';
  return new Intl.DateTimeFormat(LOCALE[lang], { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${d.slice(0, 10)}T00:00:00Z`));
}

export function dateTime(lang: Lang, at: string | null | undefined): string {
  if (!at) return '–';
  const s = new Intl.DateTimeFormat(LOCALE[lang], {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: 'Asia/Jakarta',
  }).format(new Date(at));
  return `${s} WIB`;
}

export function percent(lang: Lang, p: number | null): string {
  return p === null ? '–' : `${new Intl.NumberFormat(LOCALE[lang], { maximumFractionDigits: 2 }).format(p)}%`;
}

/** Today's calendar date in Jakarta, the day finance works in. */
export function todayWib(): string {
  return new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 10);
}
