import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Knex } from 'knex';
import { BankChannelRow, findChannelByCode } from '../../banks/registry';
import { AppError, NotFound, ValidationFailed } from '../../errors';
import { isCalendarDate, type CalendarDate } from '../../lib/time';
import { logger } from '../../logger';
import { recordAudit } from '../audit/service';
import type { Principal } from '../auth/tokens';
import { checkColumns, readCsv, RowRejection } from '../imports/csv';
import { exceptionView, resolutionError, resolveException } from './exceptions';
import { matchRun } from './matcher';
import { STATEMENT_PARSERS, statementParser } from './parsers';
import {
  EXCEPTION_OUTCOMES,
  ExceptionFilter,
  ExceptionOutcome,
  ExceptionRow,
  exceptionsQuery,
  findException,
  findRun,
  findRunOfFile,
  insertRun,
  recordCounts,
  rejectedRows,
  RunWithChannel,
} from './repo';
import { loadStatement } from './statements';

/**
 * Statement reconciliation, as finance uses it: upload a bank statement for a channel and range
 * (loaded as it streams in and matched before the answer, in one transaction, so a statement is
 * reconciled whole or not at all), read the run's counts, and resolve the exceptions one by one or
 * in bulk from an edited CSV export.
 */
export interface StatementImport {
  channel: string;
  from: CalendarDate;
  to: CalendarDate;
  format: string;
  fileName: string | null;
}

const DEFAULT_SETTLEMENT_LAG_DAYS = 1;
const REJECTED_SHOWN = 1000;
const EXPORT_PAGE = 1000;

/** Days a payment may take to appear on the bank's statement: `settings.settlement_lag_days`. */
export function settlementLag(channel: BankChannelRow): number {
  const v = channel.settings.settlement_lag_days;
  if (v === undefined) return DEFAULT_SETTLEMENT_LAG_DAYS;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 31) {
    throw new Error(`bank channel ${channel.code}: settlement_lag_days must be a whole number of days from 0 to 31`);
  }
  return v;
}

/** Rolls back a load whose file an earlier run already holds. */
class SameFile extends Error {
  constructor(readonly runId: string) {
    super(`the file was imported as run ${runId}`);
  }
}

/**
 * Loads and matches the file as a new run. The same file for the same channel, format and range is
 * one run: uploading it again loads nothing and returns the first run.
 */
export async function importStatement(
  db: Knex,
  who: Principal,
  input: StatementImport,
  body: Readable,
): Promise<{ run: RunWithChannel; reimported: boolean }> {
  const parser = statementParser(input.format);
  if (!parser) {
    throw new AppError('unknown_statement_format', `Unknown statement format ${input.format}`, 400, { formats: Object.keys(STATEMENT_PARSERS) });
  }
  if (!isCalendarDate(input.from) || !isCalendarDate(input.to)) throw new ValidationFailed('from and to must be dates (YYYY-MM-DD)');
  if (input.to < input.from) throw new AppError('invalid_statement_range', `The range ends (${input.to}) before it starts (${input.from})`, 400);
  const channel = await findChannelByCode(db, input.channel);
  if (!channel) throw new NotFound('bank_channel_not_found', `No bank channel ${input.channel}`);
  const key = { bank_channel_id: channel.id, format: parser.format, period_from: input.from, period_to: input.to };
  const requestedBy = `${who.role}:${who.sub}`;
  let sha: string | undefined;
  try {
    const runId = await db.transaction(async (trx) => {
      const started = Date.now();
      // The lines go in as the file streams, before the run row that needs the file's hash.
      const id = crypto.randomUUID();
      const load = await loadStatement(trx, parser, body, { from: input.from, to: input.to }, id);
      sha = load.sha256;
      const earlier = await findRunOfFile(trx, { ...key, file_sha256: sha });
      if (earlier) throw new SameFile(earlier.id);
      // Pending payments carry from one statement of a channel to the next: one at a time.
      await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?), ?)', ['statement_runs', channel.id]);
      const run = await insertRun(trx, {
        id,
        ...key,
        settlement_lag_days: settlementLag(channel),
        file_name: input.fileName,
        file_sha256: load.sha256,
        bytes: load.bytes,
        lines_loaded: load.loaded,
        lines_rejected: load.rejected,
        lines_skipped: load.skipped,
        requested_by: requestedBy,
      });
      const counts = await matchRun(trx, run, load);
      const ms = Date.now() - started;
      await recordCounts(trx, run.id, counts, ms);
      await recordAudit(trx, {
        actor: requestedBy,
        action: 'reconciliation.statement_matched',
        entityType: 'statement_run',
        entityId: run.id,
        after: { channel: channel.code, format: parser.format, from: input.from, to: input.to, file_sha256: load.sha256, bytes: load.bytes, counts },
      });
      logger.info({ run: run.id, channel: channel.code, bytes: load.bytes, counts, ms }, 'bank statement matched');
      return run.id;
    });
    return { run: (await findRun(db, runId))!, reimported: false };
  } catch (e) {
    // The same upload racing this one committed first: the unique index names the winner.
    const raced = sha !== undefined && (e as { constraint?: string }).constraint === 'statement_runs_same_file';
    const earlierId = e instanceof SameFile ? e.runId : raced ? (await findRunOfFile(db, { ...key, file_sha256: sha! }))?.id : undefined;
    if (!earlierId) throw e;
    return { run: (await findRun(db, earlierId))!, reimported: true };
  }
}

export async function getRun(db: Knex, id: string) {
  const run = await findRun(db, id);
  if (!run) throw new NotFound('statement_run_not_found', `No statement run ${id}`);
  return runView(run, await rejectedRows(db, id, REJECTED_SHOWN));
}

export function runView(run: RunWithChannel, rejected: Array<{ row: number; reason: string }>) {
  return {
    id: run.id,
    status: 'completed' as const,
    bank_channel: run.channel_code,
    format: run.format,
    from: run.period_from,
    to: run.period_to,
    settlement_lag_days: run.settlement_lag_days,
    file: { name: run.file_name, sha256: run.file_sha256, bytes: run.bytes },
    lines: { loaded: run.lines_loaded, rejected: run.lines_rejected, skipped: run.lines_skipped },
    outcomes: run.counts ? { lines: run.counts.lines, payments: run.counts.payments } : null,
    exceptions: run.counts ? { opened: run.counts.exceptions_opened, closed: run.counts.exceptions_closed } : null,
    rejected,
    duration_ms: run.duration_ms,
    requested_by: run.requested_by,
    created_at: run.created_at,
  };
}

export interface ExceptionQuery {
  run?: string;
  outcome?: string;
  status?: string;
  limit?: number;
  cursor?: string;
}

function filterOf(q: ExceptionQuery): ExceptionFilter {
  if (q.outcome && !(EXCEPTION_OUTCOMES as readonly string[]).includes(q.outcome)) throw new ValidationFailed(`Unknown outcome ${q.outcome}`);
  let afterId: number | undefined;
  if (q.cursor) {
    const m = /^x:(\d{1,15})$/.exec(Buffer.from(q.cursor, 'base64url').toString());
    if (!m) throw new AppError('invalid_cursor', 'The cursor is not one this API gave out', 400);
    afterId = Number(m[1]);
  }
  return { run: q.run, outcome: q.outcome as ExceptionOutcome | undefined, status: q.status as ExceptionFilter['status'], afterId };
}

export async function listExceptions(db: Knex, q: ExceptionQuery) {
  const limit = q.limit ?? 50;
  const rows = await exceptionsQuery(db, filterOf(q)).limit(limit + 1);
  const page = rows.slice(0, limit);
  return {
    data: page.map(exceptionView),
    next_cursor: rows.length > limit ? Buffer.from(`x:${page[page.length - 1].id}`).toString('base64url') : null,
  };
}

export async function resolveOne(db: Knex, who: Principal, id: number, body: { action: string; reason: string; bill_no?: string }) {
  return exceptionView(await resolveException(db, who, id, { action: body.action, reason: body.reason, billNo: body.bill_no }));
}

/** The columns of the export; finance fills in action, reason and (for link_to_bill) bill_no. */
export const EXPORT_COLUMNS = [
  'id',
  'outcome',
  'status',
  'bank_channel',
  'run_id',
  'line_no',
  'occurred_at',
  'virtual_account',
  'bank_reference',
  'amount',
  'field',
  'bank_value',
  'kasda_value',
  'bill_no',
  'receipt_no',
  'action',
  'reason',
  'resolved_by',
  'resolved_at',
] as const;

/** A CSV cell; text a spreadsheet would run as a formula is neutralised with a leading quote. */
function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = v instanceof Date ? v.toISOString() : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The exceptions as CSV, page by page, so an export of any size streams. */
export async function* exportExceptionsCsv(db: Knex, q: ExceptionQuery): AsyncGenerator<string> {
  const filter = filterOf(q);
  yield `${EXPORT_COLUMNS.join(',')}\r\n`;
  for (;;) {
    const rows: ExceptionRow[] = await exceptionsQuery(db, filter).limit(EXPORT_PAGE);
    if (rows.length === 0) return;
    yield rows
      .map((e) => {
        const row: Record<(typeof EXPORT_COLUMNS)[number], unknown> = {
          id: e.id,
          outcome: e.outcome,
          status: e.status,
          bank_channel: e.channel_code,
          run_id: e.run_id,
          line_no: e.line_no,
          occurred_at: e.occurred_at,
          virtual_account: e.virtual_account,
          bank_reference: e.bank_reference,
          amount: e.amount,
          field: e.field,
          bank_value: e.bank_value,
          kasda_value: e.kasda_value,
          bill_no: e.resolved_bill_no ?? e.bill_no,
          receipt_no: e.receipt_no,
          action: e.action,
          reason: e.reason,
          resolved_by: e.resolved_by,
          resolved_at: e.resolved_at,
        };
        return `${EXPORT_COLUMNS.map((c) => csvCell(row[c])).join(',')}\r\n`;
      })
      .join('');
    filter.afterId = rows[rows.length - 1].id;
  }
}

export interface ResolutionReport {
  rows: number;
  resolved: number;
  unchanged: number;
  skipped: number;
  rejected: Array<RowRejection & { code: string }>;
}

/**
 * The edited export, posted back: each row with an action is resolved as if one by one; a row
 * without one is skipped; a row already resolved the same way is unchanged, so posting the same
 * file twice is harmless. A row that cannot be resolved is reported and the rest go on.
 */
export async function importResolutions(db: Knex, who: Principal, text: unknown): Promise<ResolutionReport> {
  const table = readCsv(text);
  checkColumns(table.columns, ['id', 'action', 'reason'], new Set<string>(EXPORT_COLUMNS));
  const report: ResolutionReport = {
    rows: table.rows.length + table.rejected.length,
    resolved: 0,
    unchanged: 0,
    skipped: 0,
    rejected: table.rejected.map((r) => ({ ...r, code: 'csv_row_invalid' })),
  };
  for (const { row, cells } of table.rows) {
    const action = cells.action ?? '';
    if (action === '') {
      report.skipped++;
      continue;
    }
    if (!/^\d{1,15}$/.test(cells.id ?? '')) {
      report.rejected.push({ row, column: 'id', reason: `id ${JSON.stringify(cells.id)} is not an exception id`, code: 'validation_failed' });
      continue;
    }
    const id = Number(cells.id);
    const current = await findException(db, id);
    if (current?.status === 'resolved' && current.action === action && current.reason === (cells.reason ?? '').trim()) {
      report.unchanged++;
      continue;
    }
    try {
      // The export fills bill_no in with the bill the VA names; it matters only to link_to_bill.
      const billNo = action === 'link_to_bill' ? cells.bill_no || null : null;
      await resolveException(db, who, id, { action, reason: cells.reason ?? '', billNo });
      report.resolved++;
    } catch (e) {
      const { code, reason } = resolutionError(e);
      const column = code === 'validation_failed' ? (((e as AppError).details?.field as string | undefined) ?? null) : null;
      report.rejected.push({ row, column, reason, code });
    }
  }
  report.rejected.sort((a, b) => a.row - b.row);
  return report;
}
