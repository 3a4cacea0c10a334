import { Readable } from 'node:stream';
import { AppError } from '../../../errors';
import {
  BANK_REFERENCE,
  csvRecords,
  findNtb,
  findVirtualAccount,
  headerKey,
  parseIndonesianAmount,
  parseIndonesianDateTime,
  textProblem,
} from './fields';
import type { StatementParser, StatementRecord } from './types';

/**
 * BNI's account statement (rekening koran) exported as CSV from its corporate banking, as Kasda
 * assumes it (BNI publishes no specification; the layout is that of the exports seen):
 * - optional lines before the header (account number, name, period), skipped;
 * - a header row with `Post Date, Value Date, Branch, Journal No., Description, Debit, Credit`
 *   and optionally `Balance` (matched by name, in any order; case, spaces and dots ignored; other
 *   columns ignored); `Post Date`, `Description`, `Debit` and `Credit` are required;
 * - comma or semicolon separated (told apart on the header row);
 * - Post Date `DD/MM/YYYY` or `DD/MM/YY`, optionally with `HH:mm[:ss]` or `HH.mm[.ss]`, in WIB;
 * - Debit and Credit in Indonesian notation (`1.500.000,00`), empty or 0 for none;
 * - a VA credit's Description carries the VA and BNI's payment reference, e.g.
 *   `TRF VA 9880012300000001 NTB 000123 PT ...`; without an NTB the Journal No. is the reference;
 * - closing lines without a Post Date (Saldo Awal/Akhir, Opening/Closing Balance, Total) skipped.
 * Debits (sweeps to the treasury account, charges) are skipped, not matched.
 */
const REQUIRED = ['Post Date', 'Description', 'Debit', 'Credit'];
const SUMMARY = /\b(saldo|opening|closing|balance|total|mutasi)\b/i;
const SNIFF_BYTES = 64 * 1024;

/** The header row decides the delimiter: what follows the "Post Date" cell. */
async function sniffDelimiter(input: Readable): Promise<{ delimiter: string; stream: Readable }> {
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let size = 0;
  let delimiter = ',';
  while (size < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) break;
    head.push(next.value);
    size += next.value.length;
    const m = /post\s*date"?\s*([,;\t])/i.exec(Buffer.concat(head).toString('utf8'));
    if (m) {
      delimiter = m[1];
      break;
    }
  }
  async function* replay() {
    yield* head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { delimiter, stream: Readable.from(replay(), { objectMode: false }) };
}

// csv-parse hands over one record at a time, so each batch here is one record: BNI's exports are a
// day's or a month's postings, not millions of lines.
async function* parseBniCsv(input: Readable): AsyncGenerator<StatementRecord[]> {
  const { delimiter, stream } = await sniffDelimiter(input);
  let col: Record<string, number> | undefined;
  for await (const { cells, row } of csvRecords(stream, { delimiter })) {
    if (!col) {
      const keys = cells.map(headerKey);
      if (!keys.includes('postdate')) continue;
      const missing = REQUIRED.filter((c) => !keys.includes(headerKey(c)));
      if (missing.length) {
        throw new AppError('statement_invalid_header', `The header has no ${missing.join(', ')} column`, 400, { missing });
      }
      col = Object.fromEntries(keys.map((k, i) => [k, i]));
      continue;
    }
    const cell = (name: string) => (col![headerKey(name)] === undefined ? '' : (cells[col![headerKey(name)]] ?? ''));
    const date = cell('Post Date');
    if (date === '') {
      if (SUMMARY.test(cells.join(' '))) yield [{ kind: 'skipped', row }];
      else yield [{ kind: 'rejected', row, reason: 'Post Date is empty' }];
      continue;
    }
    const missing = REQUIRED.find((c) => col![headerKey(c)] >= cells.length);
    if (missing) {
      yield [{ kind: 'rejected', row, reason: `missing column ${missing}` }];
      continue;
    }
    const problem = ['Description', 'Branch', 'Journal No.'].map((c) => textProblem(c, cell(c))).find(Boolean);
    if (problem) {
      yield [{ kind: 'rejected', row, reason: problem }];
      continue;
    }
    const postedAt = parseIndonesianDateTime(date);
    if (!postedAt) {
      yield [{ kind: 'rejected', row, reason: `Post Date ${JSON.stringify(date)} is not a date (DD/MM/YYYY)` }];
      continue;
    }
    const debit = cell('Debit') === '' ? { amount: 0 } : parseIndonesianAmount(cell('Debit'));
    const credit = cell('Credit') === '' ? { amount: 0 } : parseIndonesianAmount(cell('Credit'));
    if ('error' in debit || 'error' in credit) {
      yield [{ kind: 'rejected', row, reason: 'error' in credit ? `Credit ${credit.error}` : `Debit ${(debit as { error: string }).error}` }];
      continue;
    }
    if (debit.amount > 0 && credit.amount === 0) {
      yield [{ kind: 'skipped', row }];
      continue;
    }
    if ((debit.amount > 0) === (credit.amount > 0)) {
      yield [{ kind: 'rejected', row, reason: debit.amount > 0 ? 'both Debit and Credit are set' : 'neither Debit nor Credit is set' }];
      continue;
    }
    const description = cell('Description');
    const journal = cell('Journal No.');
    const reference = findNtb(description) ?? (journal || null);
    if (reference !== null && !BANK_REFERENCE.test(reference)) {
      yield [{ kind: 'rejected', row, reason: `Journal No. ${JSON.stringify(journal)} is not a bank reference` }];
      continue;
    }
    yield [{ kind: 'line', row, postedAt, virtualAccount: findVirtualAccount(description), amount: credit.amount, bankReference: reference, description }];
  }
  if (!col) throw new AppError('statement_invalid_header', 'No header row with a Post Date column was found', 400);
}

export const bniCsvParser: StatementParser = {
  format: 'bni-csv',
  description: "BNI's account statement CSV: Post Date, Value Date, Branch, Journal No., Description, Debit, Credit",
  parse: parseBniCsv,
};
