import crypto from 'node:crypto';
import { once } from 'node:events';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Knex } from 'knex';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { AppError } from '../../errors';
import { BinaryCopyWriter, uuidBytes } from '../../lib/copy-binary';
import { addDays, jakartaDate, type CalendarDate } from '../../lib/time';
import type { StatementLine, StatementParser, StatementRejection } from './parsers';
import { BufferedLine } from './parsers/types';
import { SeenLines } from './seen';

/**
 * Loading a statement file: the request stream goes through a guard (size, line length, hash),
 * the format's parser, and a COPY straight into statement_lines, each step pulling from the one
 * before, so memory holds a few chunks whatever the file's size. Each line goes in once, with a
 * provisional outcome (rejected with its reason; duplicate when it may repeat an earlier line;
 * else matched); the matcher then corrects the few lines that are not what they were taken for.
 *
 * The canonical CSV is parsed here rather than by PostgreSQL (COPY of the raw lines, split and
 * checked in SQL). Measured at a million lines: splitting the raw lines into a staging table with
 * string_to_array took PostgreSQL 2.3 s against 0.75 s for their COPY, and checking each field
 * with a regular expression 0.3 s to 5 s more, all on the path every statement waits for; the
 * Node parser runs on the other core while PostgreSQL takes the COPY in. The rows go in binary
 * (PostgreSQL stores the fields without parsing text), and a line the parser left in its bytes
 * (BufferedLine) has its text copied across without being decoded.
 */
export const MAX_STATEMENT_BYTES = 1024 * 1024 * 1024;
export const MAX_LINE_BYTES = 16 * 1024;
const COPY_BATCH_BYTES = 256 * 1024;
const COPY_AHEAD_BYTES = 4 * 1024 * 1024;
/** Room for a batch and a row past it: a row holds at most a line's cells or a reason quoting one. */
const COPY_BUFFER_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;

/** Counts, hashes and bounds the raw bytes on their way to the parser. */
class Intake extends Transform {
  private readonly hash = crypto.createHash('sha256');
  bytes = 0;
  /** Anything but whitespace seen: an upload of blanks is as empty as one of nothing. */
  content = false;
  private lineBytes = 0;

  _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (!this.content && /[^\s\uFEFF]/.test(chunk.toString('utf8'))) this.content = true;
    if (this.bytes > MAX_STATEMENT_BYTES) {
      done(new AppError('statement_too_large', `A statement file may be at most ${MAX_STATEMENT_BYTES} bytes`, 413));
      return;
    }
    for (let start = 0; ; ) {
      const nl = chunk.indexOf(NEWLINE, start);
      this.lineBytes += (nl === -1 ? chunk.length : nl) - start;
      if (this.lineBytes > MAX_LINE_BYTES) {
        done(new AppError('statement_line_too_long', `A line of the file is longer than ${MAX_LINE_BYTES} bytes: not a bank statement`, 400));
        return;
      }
      if (nl === -1) break;
      this.lineBytes = 0;
      start = nl + 1;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

export interface LoadResult {
  sha256: string;
  bytes: number;
  loaded: number;
  rejected: number;
  skipped: number;
  /** Lines that may repeat an earlier line of the file (SeenLines); the matcher confirms them. */
  mayRepeat: number;
}

interface Bounds {
  from: CalendarDate;
  to: CalendarDate;
  startMs: number;
  endMs: number;
}

const MATCHED = Buffer.from('matched');
const DUPLICATE = Buffer.from('duplicate');
const REJECTED = Buffer.from('rejected');
/** The fields of a statement_lines row as the loader writes them. */
const COPY_FIELDS = 9;
/** Room for a row's fixed part: counts, lengths, uuid, integers, the outcome, and the reason a line outside the range gets. */
const ROW_FIXED_BYTES = 256;

/**
 * A row as binary COPY for statement_lines. A valid line that may repeat an earlier one (SeenLines)
 * goes in as a duplicate, every other valid one as matched, for the matcher to confirm.
 */
function writeRow(out: BinaryCopyWriter, r: StatementLine | StatementRejection, run: Buffer, range: Bounds, seen: SeenLines): boolean {
  let reject = r.kind === 'rejected' ? r.reason : null;
  const postedMs = r instanceof BufferedLine ? r.postedMs : r.kind === 'line' ? r.postedAt.getTime() : 0;
  if (r.kind === 'line' && (postedMs < range.startMs || postedMs >= range.endMs)) {
    reject = `posted on ${jakartaDate(new Date(postedMs))}, outside the statement's range ${range.from} to ${range.to}`;
  }
  out.row(COPY_FIELDS).bytes(run).int4(r.row);
  if (r.kind === 'rejected' || reject !== null) {
    out.null().null().null().null().null().bytes(REJECTED).text(reject);
    return false;
  }
  out.timestamptz(postedMs);
  if (r instanceof BufferedLine) {
    out
      .textBytes(r.buf, r.vaStart, r.vaEnd)
      .int8(r.amount)
      .textBytes(r.buf, r.referenceStart, r.referenceEnd)
      .textBytes(r.buf, r.descriptionStart, r.descriptionEnd);
  } else {
    out.text(r.virtualAccount).int8(r.amount).text(r.bankReference).text(r.description);
  }
  out.bytes(seen.check(r, postedMs) ? DUPLICATE : MATCHED).null();
  return true;
}

/** The most bytes writeRow may take for the record. */
function rowBytes(r: StatementLine | StatementRejection): number {
  if (r instanceof BufferedLine) return ROW_FIXED_BYTES + r.vaEnd - r.vaStart + r.referenceEnd - r.referenceStart + r.descriptionEnd - r.descriptionStart;
  // A UTF-16 unit takes at most 3 bytes in UTF-8.
  return ROW_FIXED_BYTES + 3 * (r.kind === 'rejected' ? r.reason.length : (r.virtualAccount?.length ?? 0) + (r.bankReference?.length ?? 0) + r.description.length);
}

/**
 * Streams the file into statement_lines as the lines of run `runId` (the run row is written once
 * the file's hash is known, in the same transaction). Rejected rows go in with their reason, so
 * one COPY carries the whole file.
 */
export async function loadStatement(
  trx: Knex.Transaction,
  parser: StatementParser,
  body: Readable,
  range: { from: CalendarDate; to: CalendarDate },
  runId: string,
): Promise<LoadResult> {
  const bounds: Bounds = { ...range, startMs: Date.parse(`${range.from}T00:00:00+07:00`), endMs: Date.parse(`${addDays(range.to, 1)}T00:00:00+07:00`) };
  const intake = new Intake();
  body.once('error', (e) => intake.destroy(e));
  body.pipe(intake);
  const conn = (await trx.client.acquireConnection()) as PoolClient;
  const copy = conn.query(
    copyFrom(
      'COPY statement_lines (run_id, line_no, posted_at, virtual_account, amount, bank_reference, description, outcome, reject_reason) FROM STDIN (FORMAT binary)',
      // The parser may run a few batches ahead of PostgreSQL, so neither waits on the other's pauses.
      { highWaterMark: COPY_AHEAD_BYTES },
    ),
  );
  const seen = new SeenLines();
  const run = uuidBytes(runId);
  const counts = { loaded: 0, rejected: 0, skipped: 0 };
  // Rows are encoded into one buffer as they come and sent a copy of it at a time: a string built
  // up row by row would live long enough to be promoted and collected with the old generation.
  const out = new BinaryCopyWriter(COPY_BUFFER_BYTES);
  const send = async () => {
    if (!copy.write(out.take())) await once(copy, 'drain');
  };
  try {
    for await (const records of parser.parse(intake)) {
      for (const record of records) {
        if (record.kind === 'skipped') {
          counts.skipped++;
          continue;
        }
        if (!out.fits(rowBytes(record))) await send();
        if (writeRow(out, record, run, bounds, seen)) counts.loaded++;
        else counts.rejected++;
      }
      if (out.size >= COPY_BATCH_BYTES) await send();
    }
    if (!intake.content) throw new AppError('statement_empty', 'The file is empty', 400);
    copy.end(out.finish());
    await finished(copy);
  } catch (e) {
    copy.destroy(e as Error);
    await finished(copy).catch(() => undefined);
    body.unpipe(intake);
    // An empty upload makes a parser complain about a missing header; say what really happened.
    if (!intake.content && e instanceof AppError && e.code !== 'statement_too_large') {
      throw new AppError('statement_empty', 'The file is empty', 400);
    }
    throw e;
  }
  return { sha256: intake.digest(), bytes: intake.bytes, ...counts, mayRepeat: seen.flagged };
}
