import type { Readable } from 'node:stream';
import { AppError } from '../../../errors';
import { parseRupiah } from '../../../lib/money';
import { BANK_REFERENCE, byteLines, csvLine, headerKey, parseIsoLike, textProblem, VIRTUAL_ACCOUNT, wibInstant } from './fields';
import { BufferedLine, type StatementParser, type StatementRecord } from './types';

/**
 * Kasda's own statement CSV: `posted_at,virtual_account,amount,bank_reference,description`, comma
 * separated, UTF-8, a header row first (columns in any order), one record per line (a quoted cell
 * may hold commas and "" but no line break). One row per credit:
 * - posted_at: `YYYY-MM-DD HH:mm[:ss]` (WIB), ISO 8601 with an offset, or a date (00:00 WIB);
 * - virtual_account: 8 to 20 digits, or empty for a credit to no VA;
 * - amount: whole rupiah, digits only, positive;
 * - bank_reference: the bank's NTB (or journal number), may be empty;
 * - description: free text.
 */
const COLUMNS = ['posted_at', 'virtual_account', 'amount', 'bank_reference', 'description'] as const;
type Column = (typeof COLUMNS)[number];

interface Header {
  index: Record<Column, number>;
  width: number;
  /** Where plainRecord keeps each cell's start and end, reused line after line. */
  cells: Int32Array;
}

function readHeader(cells: string[] | null, row: number): Header {
  if (!cells) throw new AppError('statement_malformed', 'The header row has a quote that is not closed', 400, { line: row });
  const keys = cells.map(headerKey);
  const missing = COLUMNS.filter((c) => !keys.includes(headerKey(c)));
  if (missing.length) {
    throw new AppError('statement_invalid_header', `The header has no ${missing.join(', ')} column (expected ${COLUMNS.join(',')})`, 400, {
      missing,
    });
  }
  return { index: Object.fromEntries(COLUMNS.map((c) => [c, keys.indexOf(headerKey(c))])) as Header['index'], width: cells.length, cells: new Int32Array(2 * cells.length) };
}

/** A whitespace-only line is skipped; most lines start with a character that is no whitespace at all. */
function blank(line: string): boolean {
  const c = line.charCodeAt(0);
  return line.length === 0 || ((c <= 0x20 || c === 0xa0 || c >= 0x1680) && line.trim() === '');
}

function record(cells: string[] | null, row: number, { index, width }: Header): StatementRecord {
  if (!cells) return { kind: 'rejected', row, reason: 'a quote is not closed on this line' };
  if (cells.length < width) return { kind: 'rejected', row, reason: `missing column ${COLUMNS.find((c) => index[c] >= cells.length)}` };
  if (cells.length > width) return { kind: 'rejected', row, reason: `has ${cells.length} cells; the header has ${width}` };
  for (const c of COLUMNS) {
    const problem = textProblem(c, cells[index[c]]);
    if (problem) return { kind: 'rejected', row, reason: problem };
  }
  const posted = cells[index.posted_at];
  const postedAt = parseIsoLike(posted);
  if (!postedAt) return { kind: 'rejected', row, reason: `posted_at ${JSON.stringify(posted)} is not a date and time` };
  let amount: number;
  try {
    amount = parseRupiah(cells[index.amount]);
  } catch {
    return { kind: 'rejected', row, reason: `amount ${JSON.stringify(cells[index.amount])} is not a whole rupiah amount` };
  }
  if (amount === 0) return { kind: 'rejected', row, reason: 'amount is zero' };
  const va = cells[index.virtual_account];
  if (va !== '' && !VIRTUAL_ACCOUNT.test(va)) return { kind: 'rejected', row, reason: `virtual_account ${JSON.stringify(va)} is not 8 to 20 digits` };
  const ref = cells[index.bank_reference];
  if (ref !== '' && !BANK_REFERENCE.test(ref)) return { kind: 'rejected', row, reason: `bank_reference ${JSON.stringify(ref)} is not a bank reference` };
  return { kind: 'line', row, postedAt, virtualAccount: va || null, amount, bankReference: ref || null, description: cells[index.description] };
}

const COMMA = 0x2c;
const SPACE = 0x20;
const DIGIT_0 = 0x30;

/** The value of the ASCII digits buf[from, to), or -1 when one of them is not a digit. */
function digitsAt(buf: Buffer, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i] - DIGIT_0;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** The day plainInstant read last and the instant it starts (a statement runs in time order). */
let lastDay = -1;
let lastDayStart = NaN;

/** `YYYY-MM-DD HH:mm:ss` (WIB) in buf[s, s + 19), the shape nearly every line has, in Unix ms; else NaN. */
function plainInstant(buf: Buffer, s: number): number {
  if (buf[s + 4] !== 0x2d || buf[s + 7] !== 0x2d || buf[s + 10] !== SPACE || buf[s + 13] !== 0x3a || buf[s + 16] !== 0x3a) return NaN;
  const y = digitsAt(buf, s, s + 4);
  const mo = digitsAt(buf, s + 5, s + 7);
  const d = digitsAt(buf, s + 8, s + 10);
  const h = digitsAt(buf, s + 11, s + 13);
  const mi = digitsAt(buf, s + 14, s + 16);
  const sec = digitsAt(buf, s + 17, s + 19);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return NaN;
  const day = y * 10_000 + mo * 100 + d;
  if (day !== lastDay) {
    lastDay = day;
    lastDayStart = wibInstant(y, mo, d)?.getTime() ?? NaN;
  }
  return lastDayStart + ((h * 60 + mi) * 60 + sec) * 1000;
}

/** A bank reference's bytes: a letter or digit, then letters, digits and . _ / - (BANK_REFERENCE). */
function referenceAt(buf: Buffer, s: number, e: number): boolean {
  if (e - s > 64) return false;
  for (let i = s; i < e; i++) {
    const c = buf[i];
    const alnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    if (!alnum && (i === s || (c !== 0x2e && c !== 0x5f && c !== 0x2f && c !== 0x2d))) return false;
  }
  return true;
}

/**
 * A valid line read straight from its bytes, without decoding it into text first: printable ASCII,
 * no quote, the header's number of cells, each cell as the rules above want it. Anything else
 * (undefined) goes the general way (decode, split, check), which gives the same record for a line
 * this one reads and the reason for one it refuses.
 */
function plainRecord(buf: Buffer, s: number, e: number, row: number, { index, width, cells }: Header): BufferedLine | undefined {
  let n = 0;
  let cellStart = s;
  for (let i = s; i <= e; i++) {
    const c = i < e ? buf[i] : COMMA;
    if (c === COMMA) {
      if (n === 2 * width) return undefined;
      let a = cellStart;
      let b = i;
      while (a < b && buf[a] === SPACE) a++;
      while (b > a && buf[b - 1] === SPACE) b--;
      // A cell a spreadsheet would run as a formula, or too long to keep, is refused the general way.
      const first = a < b ? buf[a] : 0;
      if (b - a > 500 || first === 0x3d || first === 0x2b || first === 0x2d || first === 0x40) return undefined;
      cells[n++] = a;
      cells[n++] = b;
      cellStart = i + 1;
    } else if (c < SPACE || c > 0x7e || c === 0x22) {
      return undefined;
    }
  }
  if (n !== 2 * width) return undefined;
  // No closure here: one made per line costs more than reading the line.
  const posted = 2 * index.posted_at;
  const postedMs = cells[posted + 1] - cells[posted] === 19 ? plainInstant(buf, cells[posted]) : NaN;
  if (Number.isNaN(postedMs)) return undefined;
  const am = 2 * index.amount;
  const amountDigits = cells[am + 1] - cells[am];
  const amount = amountDigits >= 1 && amountDigits <= 15 ? digitsAt(buf, cells[am], cells[am + 1]) : -1;
  if (amount <= 0) return undefined;
  const va = 2 * index.virtual_account;
  const vaDigits = cells[va + 1] - cells[va];
  if (vaDigits !== 0 && (vaDigits < 8 || vaDigits > 20 || digitsAt(buf, cells[va], cells[va + 1]) < 0)) return undefined;
  const ref = 2 * index.bank_reference;
  if (!referenceAt(buf, cells[ref], cells[ref + 1])) return undefined;
  const description = 2 * index.description;
  return new BufferedLine(row, postedMs, amount, buf, cells[va], cells[va + 1], cells[ref], cells[ref + 1], cells[description], cells[description + 1]);
}

async function* parseCanonical(input: Readable): AsyncGenerator<StatementRecord[]> {
  let header: Header | undefined;
  // Read line by line rather than through csv-parse, and most lines straight from their bytes:
  // this is the format a million-line statement comes in.
  for await (const { buf, bounds, first } of byteLines(input)) {
    const out: StatementRecord[] = [];
    for (let k = 0; k < bounds.length; k += 2) {
      const row = first + k / 2;
      const plain = header && plainRecord(buf, bounds[k], bounds[k + 1], row, header);
      if (plain) {
        out.push(plain);
        continue;
      }
      const text = buf.toString('utf8', bounds[k], bounds[k + 1]);
      const line = row === 1 ? text.replace(/^\uFEFF/, '') : text;
      if (blank(line)) continue;
      if (header) out.push(record(csvLine(line), row, header));
      else header = readHeader(csvLine(line), row);
    }
    if (out.length) yield out;
  }
}

export const canonicalParser: StatementParser = {
  format: 'canonical',
  description: `Kasda's statement CSV: ${COLUMNS.join(',')}`,
  parse: parseCanonical,
};
