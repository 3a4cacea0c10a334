import type { Readable } from 'node:stream';
import { CsvError, parse, type Options } from 'csv-parse';
import { AppError } from '../../../errors';
import { formulaInjection } from '../../imports/csv';

/** Field rules every statement format shares: WIB times, whole rupiah, VA and NTB in free text. */

const WIB_OFFSET_HOURS = 7;
const MAX_TEXT = 500;

/** The instant of a WIB wall-clock time, or null when the parts are not a real date and time. */
export function wibInstant(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): Date | null {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const at = new Date(Date.UTC(y, mo - 1, d, h - WIB_OFFSET_HOURS, mi, s));
  // Date.UTC rolls 31 February over into March; a day that exists in every month needs no check.
  if (d <= 28) return at;
  return new Date(Date.UTC(y, mo - 1, d)).getUTCMonth() === mo - 1 ? at : null;
}

const ISO_LIKE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** The value of the ASCII digits text[from, from + n), or -1 when one of them is not a digit. */
function digits(text: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** `2026-11-28 14:05:00` (WIB), `2026-11-28T14:05:00+07:00`, `…Z`, or a date alone (00:00 WIB). */
export function parseIsoLike(text: string): Date | null {
  // The shape nearly every line of a long statement has, read without the regular expression.
  if (text.length === 19 && text[4] === '-' && text[7] === '-' && text[10] === ' ' && text[13] === ':' && text[16] === ':') {
    const y = digits(text, 0, 4);
    const mo = digits(text, 5, 2);
    const d = digits(text, 8, 2);
    const h = digits(text, 11, 2);
    const mi = digits(text, 14, 2);
    const s = digits(text, 17, 2);
    if (y >= 0 && mo >= 0 && d >= 0 && h >= 0 && mi >= 0 && s >= 0) return wibInstant(y, mo, d, h, mi, s);
  }
  const m = ISO_LIKE.exec(text);
  if (!m) return null;
  const wib = wibInstant(+m[1], +m[2], +m[3], m[4] ? +m[4] : 0, m[5] ? +m[5] : 0, m[6] ? +m[6] : 0);
  const zone = m[7];
  if (!wib || !zone) return wib;
  const offset = zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2)));
  return new Date(wib.getTime() + (WIB_OFFSET_HOURS * 60 - offset) * 60_000);
}

/** `28/11/2026`, `28-11-26`, optionally followed by `14:05[:33]` or `14.05[.33]`; WIB. */
export function parseIndonesianDateTime(text: string): Date | null {
  const m = /^(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})(?:\s+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?$/.exec(text);
  if (!m) return null;
  const year = m[3].length === 2 ? 2000 + Number(m[3]) : Number(m[3]);
  return wibInstant(year, Number(m[2]), Number(m[1]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
}

/**
 * An amount as an Indonesian bank prints it: `1.500.000,00`, `1500000,00`, `1.500.000` or
 * `1500000`. A non-zero fraction is refused: rupiah amounts here are whole.
 */
export function parseIndonesianAmount(text: string): { amount: number } | { error: string } {
  const m = /^(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d{1,2}))?$/.exec(text);
  if (!m) return { error: `${JSON.stringify(text)} is not an amount` };
  if (m[2] && Number(m[2]) !== 0) return { error: `${text} has a fraction of a rupiah` };
  const amount = Number(m[1].split('.').join(''));
  if (!Number.isSafeInteger(amount)) return { error: `${text} is too large` };
  return { amount };
}

/** A VA number in a bank's free text: after "VA", else the first 16-digit number. */
export function findVirtualAccount(text: string): string | null {
  const m = /\bVA[\s:/.#-]*(\d{8,20})\b/i.exec(text) ?? /(?:^|\D)(\d{16})(?!\d)/.exec(text);
  return m ? m[1] : null;
}

/** The bank's payment reference (NTB) in free text: after "NTB". */
export function findNtb(text: string): string | null {
  const m = /\bNTB[\s:/.#-]*([A-Za-z0-9]{4,40})\b/i.exec(text);
  return m ? m[1] : null;
}

/** Why a text cell is refused, or undefined when it is fine. */
export function textProblem(column: string, value: string): string | undefined {
  const formula = formulaInjection(value);
  if (formula) return `${column} ${formula}`;
  if (value.length > MAX_TEXT) return `${column} is longer than ${MAX_TEXT} characters`;
  // PostgreSQL text cannot hold one: the row would otherwise fail the whole statement's COPY.
  if (value.includes('\0')) return `${column} holds a NUL character`;
  return undefined;
}

export const VIRTUAL_ACCOUNT = /^\d{8,20}$/;
export const BANK_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$/;

export interface CsvRecord {
  cells: string[];
  row: number;
}

/**
 * CSV rows as they stream in, each with its line number. A file that is not CSV at all (an
 * unclosed quote) is refused whole; its line is named.
 */
export async function* csvRecords(input: Readable, options: Options = {}): AsyncGenerator<CsvRecord> {
  const parser = input.pipe(
    parse({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, relax_quotes: true, info: true, ...options }),
  );
  // A failure upstream (the request aborted, a line too long) must end the parse too.
  input.once('error', (e) => parser.destroy(e));
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      yield { cells: item.record, row: item.info.lines };
    }
  } catch (e) {
    if (!(e instanceof CsvError)) throw e;
    throw new AppError('statement_malformed', `The file is not valid CSV: ${e.message}`, 400, { line: (e as CsvError & { lines?: number }).lines });
  }
}

/** Header cells compared loosely: case, spaces, dots and underscores do not matter. */
export function headerKey(cell: string): string {
  return cell.toLowerCase().replace(/[\s._]+/g, '');
}

/**
 * The text lines of a stream, one batch per chunk read, each batch with the line number of its first
 * line (a trailing CR dropped); the stream is paused while the consumer works. Batches rather than
 * single lines: a million-line statement would otherwise cost a million promises. Split by
 * byteLines and decoded a whole line at a time, so a character cut by a chunk's end is never torn.
 */
export async function* textLines(input: Readable): AsyncGenerator<{ lines: string[]; first: number }> {
  for await (const { buf, bounds, first } of byteLines(input)) {
    const lines = new Array<string>(bounds.length / 2);
    for (let k = 0; k < bounds.length; k += 2) lines[k / 2] = buf.toString('utf8', bounds[k], bounds[k + 1]);
    yield { lines, first };
  }
}

/**
 * The lines of a stream as byte ranges, for a parser that reads most lines without decoding them:
 * one batch per chunk read, `bounds` holding each line's start and end (the newline and a CR
 * before it left out) in `buf`, `first` the line number of the first. A line cut by the end of a
 * chunk is carried into the next one.
 */
export async function* byteLines(input: Readable): AsyncGenerator<{ buf: Buffer; bounds: number[]; first: number }> {
  let tail: Buffer | null = null;
  let next = 1;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    const buf: Buffer = tail ? Buffer.concat([tail, chunk]) : chunk;
    const bounds: number[] = [];
    let start = 0;
    for (let nl = buf.indexOf(NEWLINE); nl !== -1; nl = buf.indexOf(NEWLINE, start)) {
      bounds.push(start, nl > start && buf[nl - 1] === CR ? nl - 1 : nl);
      start = nl + 1;
    }
    tail = start < buf.length ? buf.subarray(start) : null;
    if (bounds.length === 0) continue;
    yield { buf, bounds, first: next };
    next += bounds.length / 2;
  }
  if (tail) yield { buf: tail, bounds: [0, tail[tail.length - 1] === CR ? tail.length - 1 : tail.length], first: next };
}

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * One CSV record on one line: cells split on commas, double-quoted cells unquoted ("" is a quote),
 * each trimmed. Null when a quote is not closed on the line.
 */
export function csvLine(text: string): string[] | null {
  if (!text.includes('"')) return text.split(',').map((c) => c.trim());
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === '"') {
      let cell = '';
      for (i++; ; ) {
        const q = text.indexOf('"', i);
        if (q === -1) return null;
        cell += text.slice(i, q);
        if (text[q + 1] === '"') {
          cell += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      const comma = text.indexOf(',', i);
      cells.push(cell + text.slice(i, comma === -1 ? text.length : comma).trim());
      if (comma === -1) return cells;
      i = comma + 1;
    } else {
      const comma = text.indexOf(',', i);
      cells.push(text.slice(i, comma === -1 ? text.length : comma).trim());
      if (comma === -1) return cells;
      i = comma + 1;
    }
  }
}
