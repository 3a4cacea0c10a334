import type { Readable } from 'node:stream';
import { AppError } from '../../../errors';
import { BANK_REFERENCE, findNtb, findVirtualAccount, parseIndonesianAmount, textProblem, textLines, wibInstant } from './fields';
import type { StatementParser, StatementRecord } from './types';

/**
 * SWIFT MT940 customer statements, read line by line (a file may hold many messages, with or
 * without the `{1:…}{2:…}{4:` block headers and `-}` trailers). Only what matching needs is read:
 * - `:61:` statement line: value date `YYMMDD`, optional entry date `MMDD` (the posting date when
 *   present), mark `C`/`D`/`RC`/`RD`, amount with a decimal comma, transaction type, customer
 *   reference and optional `//bank reference`; only `C` (a credit) is matched, the rest skipped;
 * - `:86:` details (with its continuation lines) following a `:61:`: the VA and BNI's NTB are
 *   found in it (`VA 9880012300000001 NTB 000123`, `/VA/…/NTB/…`); without an NTB the `:61:` bank
 *   reference, then the customer reference (unless `NONREF`), is the reference.
 * The posting date has no time: 00:00 WIB. A line's row is the line number of its `:61:`.
 *
 * The maintained npm parser (mt940js) takes the whole file as one string, parses amounts as
 * floats and throws away a whole statement over one bad line, so this one streams instead.
 */
const TAG = /^:(\d{2}[A-Z]?|NS):/;
// SWIFT amounts always carry a decimal comma; the type code starts with N, S or F.
const LINE_61 = /^(\d{2})(\d{2})(\d{2})(\d{4})?(RC|RD|C|D)([A-Z])?(\d{1,15},\d{0,2})([NSF][A-Z0-9]{3})([^/]{0,16}?)(?:\/\/(.{1,16}))?$/;

interface Open61 {
  row: number;
  text: string;
  details: string[] | null;
}

function statementRecord(open: Open61): StatementRecord {
  const { row } = open;
  const m = LINE_61.exec(open.text.trim());
  if (!m) return { kind: 'rejected', row, reason: `:61: ${JSON.stringify(open.text.slice(0, 60))} is not a statement line` };
  const [, yy, mm, dd, entry, mark, , amountText, , customerRef, bankRef] = m;
  if (mark !== 'C') return { kind: 'skipped', row };
  const amount = parseIndonesianAmount(amountText.replace(/,$/, ''));
  if ('error' in amount) return { kind: 'rejected', row, reason: `:61: amount ${amount.error}` };
  if (amount.amount === 0) return { kind: 'rejected', row, reason: ':61: amount is zero' };
  let year = 2000 + Number(yy);
  let month = Number(mm);
  let day = Number(dd);
  if (entry) {
    const entryMonth = Number(entry.slice(0, 2));
    // A line valued on 31 December may be booked on 2 January, and the other way round.
    if (month === 12 && entryMonth === 1) year += 1;
    else if (month === 1 && entryMonth === 12) year -= 1;
    month = entryMonth;
    day = Number(entry.slice(2));
  }
  const postedAt = wibInstant(year, month, day);
  if (!postedAt) return { kind: 'rejected', row, reason: `:61: date ${yy}${mm}${dd}${entry ?? ''} is not a date` };
  const description = (open.details ?? []).join(' ').replace(/\s+/g, ' ').trim();
  const problem = textProblem(':86:', description);
  if (problem) return { kind: 'rejected', row, reason: problem };
  const customer = customerRef.trim();
  const reference = findNtb(description) ?? bankRef?.trim() ?? (customer && customer !== 'NONREF' ? customer : null);
  if (reference !== null && !BANK_REFERENCE.test(reference)) {
    return { kind: 'rejected', row, reason: `:61: reference ${JSON.stringify(reference)} is not a bank reference` };
  }
  return { kind: 'line', row, postedAt, virtualAccount: findVirtualAccount(description), amount: amount.amount, bankReference: reference, description };
}

async function* parseMt940(input: Readable): AsyncGenerator<StatementRecord[]> {
  let open: Open61 | null = null;
  let sawTag = false;
  for await (const { lines, first } of textLines(input)) {
    const out: StatementRecord[] = [];
    for (let i = 0; i < lines.length; i++) {
      const row = first + i;
      const text = row === 1 ? lines[i].replace(/^\uFEFF/, '') : lines[i];
      const line = text.replace(/^\{[^}]*\}(\{[^}]*\})*(\{4:)?/, '');
      const tag = TAG.exec(line);
      if (!tag) {
        if (line.startsWith('-')) {
          if (open) out.push(statementRecord(open));
          open = null;
        } else if (open?.details && line.trim() !== '') open.details.push(line.trim());
        continue;
      }
      sawTag = true;
      const body = line.slice(tag[0].length);
      if (tag[1] === '86' && open && !open.details) {
        open.details = [body.trim()];
        continue;
      }
      if (open) out.push(statementRecord(open));
      open = tag[1] === '61' ? { row, text: body, details: null } : null;
    }
    if (out.length) yield out;
  }
  if (open) yield [statementRecord(open)];
  if (!sawTag) throw new AppError('statement_malformed', 'The file holds no MT940 field (:20:, :61:, :86: …)', 400);
}

export const mt940Parser: StatementParser = {
  format: 'mt940',
  description: 'SWIFT MT940 customer statement (:61: lines with :86: details)',
  parse: parseMt940,
};
