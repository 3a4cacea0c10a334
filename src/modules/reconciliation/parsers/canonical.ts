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

async function* parseCanonical(input: Readable): AsyncGenerator<StatementRecord> {
  type Index = Record<(typeof COLUMNS)[number], number>;
  let index: Index | undefined;
  let width = 0;
  // Read line by line rather than through csv-parse: this is the format a million-line statement
  // comes in, and a line splitter is several times faster.
  for await (const { text, row } of textLines(input)) {
    const line = row === 1 ? text.replace(/^\uFEFF/, '') : text;
    if (line.trim() === '') continue;
    const cells = csvLine(line);
    if (!cells) {
      if (!index) throw new AppError('statement_malformed', 'The header row has a quote that is not closed', 400, { line: row });
      yield { kind: 'rejected', row, reason: 'a quote is not closed on this line' };
      continue;
    }
    if (!index) {
      const keys = cells.map(headerKey);
      const missing = COLUMNS.filter((c) => !keys.includes(headerKey(c)));
      if (missing.length) {
        throw new AppError('statement_invalid_header', `The header has no ${missing.join(', ')} column (expected ${COLUMNS.join(',')})`, 400, {
          missing,
        });
      }
      index = Object.fromEntries(COLUMNS.map((c) => [c, keys.indexOf(headerKey(c))])) as Index;
      width = cells.length;
      continue;
    }
    if (cells.length < width) {
      yield { kind: 'rejected', row, reason: `missing column ${COLUMNS.find((c) => index![c] >= cells.length)}` };
      continue;
    }
    if (cells.length > width) {
      yield { kind: 'rejected', row, reason: `has ${cells.length} cells; the header has ${width}` };
      continue;
    }
    const cell = (c: (typeof COLUMNS)[number]) => cells[index![c]];
    const problem = COLUMNS.map((c) => textProblem(c, cell(c))).find(Boolean);
    if (problem) {
      yield { kind: 'rejected', row, reason: problem };
      continue;
    }
    const postedAt = parseIsoLike(cell('posted_at'));
    if (!postedAt) {
      yield { kind: 'rejected', row, reason: `posted_at ${JSON.stringify(cell('posted_at'))} is not a date and time` };
      continue;
    }
    let amount: number;
    try {
      amount = parseRupiah(cell('amount'));
    } catch {
      yield { kind: 'rejected', row, reason: `amount ${JSON.stringify(cell('amount'))} is not a whole rupiah amount` };
      continue;
    }
    if (amount === 0) {
      yield { kind: 'rejected', row, reason: 'amount is zero' };
      continue;
    }
    const va = cell('virtual_account');
    if (va !== '' && !VIRTUAL_ACCOUNT.test(va)) {
      yield { kind: 'rejected', row, reason: `virtual_account ${JSON.stringify(va)} is not 8 to 20 digits` };
      continue;
    }
    const ref = cell('bank_reference');
    if (ref !== '' && !BANK_REFERENCE.test(ref)) {
      yield { kind: 'rejected', row, reason: `bank_reference ${JSON.stringify(ref)} is not a bank reference` };
      continue;
    }
    yield { kind: 'line', row, postedAt, virtualAccount: va || null, amount, bankReference: ref || null, description: cell('description') };
  }
}

export const canonicalParser: StatementParser = {
  format: 'canonical',
  description: `Kasda's statement CSV: ${COLUMNS.join(',')}`,
  parse: parseCanonical,
};
