import type { Readable } from 'node:stream';

/**
 * What a statement parser gives back, one item per row of the file, in file order, in batches. A
 * parser reads its input as a stream and yields a batch as it goes, so no file is ever held whole in
 * memory, and a million-line file is not a million awaits.
 *
 * `row` is the line number in the file (the first line is 1), the number a person finds in a text
 * editor or, for CSV, in a spreadsheet.
 */
export interface StatementLine {
  kind: 'line';
  row: number;
  /** When the bank booked the credit; a naive bank time is WIB. */
  postedAt: Date;
  virtualAccount: string | null;
  /** Whole rupiah, positive: statements are matched on credits. */
  amount: number;
  /** The bank's payment reference (NTB) when the statement shows one, else its own journal number. */
  bankReference: string | null;
  description: string;
}

export interface StatementRejection {
  kind: 'rejected';
  row: number;
  reason: string;
}

/** A row that is not a credit to match (a debit, a reversal, a balance or total line). */
export interface StatementSkip {
  kind: 'skipped';
  row: number;
}

export type StatementRecord = StatementLine | StatementRejection | StatementSkip;

export interface StatementParser {
  /** The `format` query value. */
  readonly format: string;
  readonly description: string;
  /** Throws an AppError when the input cannot be a statement of this format at all. */
  parse(input: Readable): AsyncIterable<StatementRecord[]>;
}
