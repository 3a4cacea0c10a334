import { bniCsvParser } from './bni-csv';
import { canonicalParser } from './canonical';
import { mt940Parser } from './mt940';
import type { StatementParser } from './types';

/** Every statement format Kasda reads. A bank's new format is one module and one entry here. */
export const STATEMENT_PARSERS: Readonly<Record<string, StatementParser>> = Object.freeze(
  Object.fromEntries([canonicalParser, bniCsvParser, mt940Parser].map((p) => [p.format, p])),
);

export function statementParser(format: string): StatementParser | undefined {
  return Object.prototype.hasOwnProperty.call(STATEMENT_PARSERS, format) ? STATEMENT_PARSERS[format] : undefined;
}

export type { StatementParser, StatementRecord, StatementLine, StatementRejection } from './types';
