import type { Readable } from 'node:stream';
import { AppError } from '../../../errors';
import { parseRupiah } from '../../../lib/money';
import { BANK_REFERENCE, csvLine, headerKey, parseIsoLike, textLines, textProblem, VIRTUAL_ACCOUNT } from './fields';
import type { StatementParser, StatementRecord } from './types';

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
  return { index: Object.fromEntries(COLUMNS.map((c) => [c, keys.indexOf(headerKey(c))])) as Header['index'], width: cells.length };
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

async function* parseCanonical(input: Readable): AsyncGenerator<StatementRecord[]> {
  let header: Header | undefined;
  // Read line by line rather than through csv-parse: this is the format a million-line statement
  // comes in, and a line splitter is several times faster.
  for await (const { lines, first } of textLines(input)) {
    const out: StatementRecord[] = [];
    for (let i = 0; i < lines.length; i++) {
      const row = first + i;
      const line = row === 1 ? lines[i].replace(/^\uFEFF/, '') : lines[i];
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
