import crypto from 'node:crypto';
import { once } from 'node:events';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Knex } from 'knex';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { AppError } from '../../errors';
import { jakartaDate, type CalendarDate } from '../../lib/time';
import type { StatementParser, StatementRecord } from './parsers';

/**
 * Loading a statement file: the request stream goes through a guard (size, line length, hash),
 * the format's parser, and a COPY into statement_lines, each step pulling from the one before, so
 * memory holds a few chunks whatever the file's size.
 */
export const MAX_STATEMENT_BYTES = 1024 * 1024 * 1024;
export const MAX_LINE_BYTES = 16 * 1024;
const COPY_BATCH_CHARS = 256 * 1024;
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
    if (!this.content && /[^\s\uFEFF]/.test(chunk.toString('utf8'))) this.content = true;
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
}

/** PostgreSQL COPY text format: tab-separated, backslash escapes, \N for null. */
function copyField(v: string | number | null): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') return String(v);
  return v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

function copyRow(runId: string, r: StatementRecord, range: { from: CalendarDate; to: CalendarDate }): { text: string; outcome: 'loaded' | 'rejected' } | null {
  if (r.kind === 'skipped') return null;
  let reject = r.kind === 'rejected' ? r.reason : null;
  if (r.kind === 'line') {
    const day = jakartaDate(r.postedAt);
    if (day < range.from || day > range.to) reject = `posted on ${day}, outside the statement's range ${range.from} to ${range.to}`;
  }
  const line = r.kind === 'line' && reject === null ? r : null;
  const fields = [
    runId,
    r.row,
    line ? line.postedAt.toISOString() : null,
    line ? line.virtualAccount : null,
    line ? line.amount : null,
    line ? line.bankReference : null,
    line ? line.description : null,
    reject === null ? 'loaded' : 'rejected',
    reject,
  ];
  return { text: `${fields.map(copyField).join('\t')}\n`, outcome: reject === null ? 'loaded' : 'rejected' };
}

/**
 * Streams the file into statement_lines for the run, inside the caller's transaction. Rejected rows
 * go in with their reason, so one COPY carries the whole file.
 */
export async function loadStatement(
  trx: Knex.Transaction,
  runId: string,
  parser: StatementParser,
  body: Readable,
  range: { from: CalendarDate; to: CalendarDate },
): Promise<LoadResult> {
  const intake = new Intake();
  body.once('error', (e) => intake.destroy(e));
  body.pipe(intake);
  const conn = (await trx.client.acquireConnection()) as PoolClient;
  const copy = conn.query(
    copyFrom('COPY statement_lines (run_id, line_no, posted_at, virtual_account, amount, bank_reference, description, outcome, reject_reason) FROM STDIN'),
  );
  const counts = { loaded: 0, rejected: 0, skipped: 0 };
  let batch = '';
  try {
    for await (const record of parser.parse(intake)) {
      const row = copyRow(runId, record, range);
      if (!row) {
        counts.skipped++;
        continue;
      }
      counts[row.outcome]++;
      batch += row.text;
      if (batch.length >= COPY_BATCH_CHARS) {
        const more = copy.write(batch);
        batch = '';
        if (!more) await once(copy, 'drain');
      }
    }
    if (!intake.content) throw new AppError('statement_empty', 'The file is empty', 400);
    copy.end(batch);
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
  return { sha256: intake.digest(), bytes: intake.bytes, ...counts };
}
