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

/**
 * A valid line still in the bytes it was read from: its text fields are ASCII ranges of `buf`,
 * decoded only when asked. The canonical CSV gives most of its lines this way, and the loader copies
 * the bytes straight into the COPY, so a million-line statement is not four million short-lived
 * objects. It is a StatementLine to anyone who reads it as one.
 */
export class BufferedLine implements StatementLine {
  readonly kind = 'line' as const;

  constructor(
    readonly row: number,
    readonly postedMs: number,
    readonly amount: number,
    readonly buf: Buffer,
    /** Where the VA, the bank reference and the description start and end in buf; an empty one is none. */
    readonly vaStart: number,
    readonly vaEnd: number,
    readonly referenceStart: number,
    readonly referenceEnd: number,
    readonly descriptionStart: number,
    readonly descriptionEnd: number,
  ) {}

  get postedAt(): Date {
    return new Date(this.postedMs);
  }

  get virtualAccount(): string | null {
    return this.vaEnd > this.vaStart ? this.buf.toString('latin1', this.vaStart, this.vaEnd) : null;
  }

  get bankReference(): string | null {
    return this.referenceEnd > this.referenceStart ? this.buf.toString('latin1', this.referenceStart, this.referenceEnd) : null;
  }

  get description(): string {
    return this.buf.toString('latin1', this.descriptionStart, this.descriptionEnd);
  }
}

export type StatementRecord = StatementLine | StatementRejection | StatementSkip;

export interface StatementParser {
  /** The `format` query value. */
  readonly format: string;
  readonly description: string;
  /** Throws an AppError when the input cannot be a statement of this format at all. */
  parse(input: Readable): AsyncIterable<StatementRecord[]>;
}
