import type { Knex } from 'knex';
import { Conflict } from '../../errors';
import { addDays } from '../../lib/time';
import { recordAudit } from '../audit/service';
import type { RunRow } from './repo';

/**
 * Matching one statement, staged by loadStatement, against Kasda's payments, set-based, in the
 * caller's transaction. Each step is one statement over the whole run, so a million lines cost a
 * few joins, not a million round trips, and each line is written once:
 * 1. the lines go from staging into statement_lines with their outcome: rejected; duplicate (the
 *    line's identity, its bank reference, else its time, VA, amount and text, appeared earlier in
 *    the file: the first one is matched as usual); matched by bank reference (the reference is a
 *    payment's NTB on the channel: the bank's own unique payment reference), or amount_mismatch
 *    when the amount or the VA differs, both values kept; else missing_in_system for now;
 * 2. by VA, amount and date: a line without a known reference takes a payment of the same VA and
 *    amount, not matched otherwise, paid on the posting day or up to the settlement lag before;
 *    what is left stays missing_in_system: the bank credited it, Kasda knows no payment;
 * 3. per payment: one paid within the range that no line matched is missing_in_bank, or pending
 *    when paid within the settlement lag before the range's end (the bank may post it in the next
 *    statement). Pending payments of the channel's earlier statements are looked at again here.
 */
export interface MatchCounts {
  lines: { total: number; matched: number; missing_in_system: number; amount_mismatch: number; duplicate: number; rejected: number };
  payments: { matched: number; amount_mismatch: number; missing_in_bank: number; pending: number };
  exceptions_opened: number;
  exceptions_closed: number;
}

/** The instant a Jakarta calendar day starts. */
function wibStart(day: string): string {
  return `${day}T00:00:00+07:00`;
}

/** A line's identity in its file, for telling a repeated line from a new one. */
const lineKey = (t: string) => `coalesce('ref:' || ${t}.bank_reference,
  'line:' || md5(extract(epoch FROM ${t}.posted_at)::text || '|' || coalesce(${t}.virtual_account, '') || '|' || ${t}.amount || '|' || coalesce(${t}.description, '')))`;

export async function matchRun(trx: Knex.Transaction, run: RunRow): Promise<MatchCounts> {
  const p = {
    run: run.id,
    channel: run.bank_channel_id,
    lag: run.settlement_lag_days,
    from: run.period_from,
    to: run.period_to,
    rangeStart: wibStart(run.period_from),
    rangeEnd: wibStart(addDays(run.period_to, 1)),
    windowStart: wibStart(addDays(run.period_from, -run.settlement_lag_days)),
  };
  // The joins below hash a run's lines and the channel's payments; give them room to stay in memory.
  await trx.raw(`SET LOCAL work_mem = '128MB'`);
  // Compiling these one-off statements to machine code costs more than it saves.
  await trx.raw('SET LOCAL jit = off');
  await trx.raw('ANALYZE statement_staging');

  // Duplicates first, in staging: the identities seen more than once (few, so kept apart where the
  // planner can see how few), then their later occurrences marked.
  await trx.raw(`CREATE TEMPORARY TABLE statement_repeated ON COMMIT DROP AS
    SELECT ${lineKey('s')} AS k FROM statement_staging s WHERE reject_reason IS NULL GROUP BY 1 HAVING count(*) > 1`);
  await trx.raw('ANALYZE statement_repeated');
  await trx.raw(
    `UPDATE statement_staging s SET first_line = d.first_line, occurrence = d.occurrence
       FROM (SELECT x.line_no, row_number() OVER w AS occurrence, min(x.line_no) OVER w AS first_line
               FROM statement_staging x JOIN statement_repeated r ON r.k = ${lineKey('x')}
              WHERE x.reject_reason IS NULL
             WINDOW w AS (PARTITION BY r.k ORDER BY x.line_no)) d
      WHERE s.line_no = d.line_no AND d.occurrence > 1`,
  );

  try {
    // A savepoint, so a clash can be explained below rather than end the transaction.
    await trx.transaction((sp) =>
      sp.raw(
        `INSERT INTO statement_lines
           (run_id, line_no, posted_at, virtual_account, amount, bank_reference, description, outcome, reject_reason, payment_id, detail)
         SELECT :run, s.line_no, s.posted_at, s.virtual_account, s.amount, s.bank_reference, s.description,
                CASE WHEN s.reject_reason IS NOT NULL THEN 'rejected'
                     WHEN s.occurrence IS NOT NULL THEN 'duplicate'
                     WHEN pay.id IS NULL THEN 'missing_in_system'
                     WHEN pay.amount <> s.amount OR (s.virtual_account IS NOT NULL AND n.virtual_account IS DISTINCT FROM s.virtual_account)
                       THEN 'amount_mismatch'
                     ELSE 'matched' END,
                s.reject_reason,
                pay.id,
                CASE WHEN s.occurrence IS NOT NULL
                       THEN jsonb_build_object('first_line', s.first_line, 'occurrence', s.occurrence)
                     WHEN pay.amount <> s.amount
                       THEN jsonb_build_object('field', 'amount', 'bank', s.amount::text, 'kasda', pay.amount::text)
                     WHEN pay.id IS NOT NULL AND s.virtual_account IS NOT NULL AND n.virtual_account IS DISTINCT FROM s.virtual_account
                       THEN jsonb_build_object('field', 'virtual_account', 'bank', s.virtual_account, 'kasda', n.virtual_account)
                END
           FROM statement_staging s
           LEFT JOIN (payments pay JOIN bank_notifications n ON n.id = pay.notification_id)
             ON pay.bank_channel_id = :channel AND pay.payment_ref = s.bank_reference
            AND s.reject_reason IS NULL AND s.occurrence IS NULL`,
        p,
      ),
    );
  } catch (e) {
    if ((e as { constraint?: string }).constraint !== 'statement_lines_pkey') throw e;
    // Two payments of the channel carry one bank reference: a line cannot say which it is.
    const { rows } = await trx.raw(
      `SELECT payment_ref FROM payments WHERE bank_channel_id = :channel AND payment_ref IN (SELECT bank_reference FROM statement_staging)
        GROUP BY payment_ref HAVING count(*) > 1 ORDER BY payment_ref LIMIT 20`,
      p,
    );
    const refs = rows.map((r: { payment_ref: string }) => r.payment_ref);
    throw new Conflict('ambiguous_bank_reference', `More than one payment of the channel carries bank reference ${refs.join(', ')}`, { references: refs });
  }

  // The k-th unmatched line of a (VA, amount) pairs with the k-th free payment of it, by time.
  await trx.raw(
    `WITH open_lines AS (
       SELECT line_no, virtual_account, amount, posted_at,
              row_number() OVER (PARTITION BY virtual_account, amount ORDER BY posted_at, line_no) AS k
         FROM statement_lines
        WHERE run_id = :run AND outcome = 'missing_in_system' AND virtual_account IS NOT NULL
     ), free_payments AS (
       SELECT pay.id, n.virtual_account, pay.amount, pay.paid_at,
              row_number() OVER (PARTITION BY n.virtual_account, pay.amount ORDER BY pay.paid_at, pay.id) AS k
         FROM payments pay
         JOIN bank_notifications n ON n.id = pay.notification_id
        WHERE pay.bank_channel_id = :channel
          AND pay.paid_at >= :windowStart AND pay.paid_at < :rangeEnd
          AND n.virtual_account IN (SELECT virtual_account FROM open_lines)
          AND NOT EXISTS (SELECT 1 FROM statement_lines m WHERE m.run_id = :run AND m.payment_id = pay.id)
     )
     UPDATE statement_lines l
        SET outcome = 'matched', payment_id = f.id, detail = jsonb_build_object('matched_by', 'virtual_account')
       FROM open_lines o
       JOIN free_payments f ON f.virtual_account = o.virtual_account AND f.amount = o.amount AND f.k = o.k
      WHERE l.run_id = :run AND l.line_no = o.line_no
        AND (o.posted_at AT TIME ZONE 'Asia/Jakarta')::date
            BETWEEN (f.paid_at AT TIME ZONE 'Asia/Jakarta')::date AND (f.paid_at AT TIME ZONE 'Asia/Jakarta')::date + :lag::int`,
    p,
  );

  const earlierPending = `SELECT o.payment_id FROM statement_payment_outcomes o JOIN statement_runs r ON r.id = o.run_id
     WHERE r.bank_channel_id = :channel AND r.period_to < :from::date AND o.outcome = 'pending' AND o.settled_by_run IS NULL`;
  await trx.raw(
    `INSERT INTO statement_payment_outcomes (run_id, payment_id, outcome)
     SELECT :run, pay.id,
            CASE WHEN (pay.paid_at AT TIME ZONE 'Asia/Jakarta')::date > :to::date - :lag::int THEN 'pending' ELSE 'missing_in_bank' END
       FROM payments pay
      WHERE pay.bank_channel_id = :channel
        AND ((pay.paid_at >= :rangeStart AND pay.paid_at < :rangeEnd) OR pay.id IN (${earlierPending}))
        AND NOT EXISTS (SELECT 1 FROM statement_lines l WHERE l.run_id = :run AND l.payment_id = pay.id)`,
    p,
  );
  await trx.raw(
    `UPDATE statement_payment_outcomes SET settled_by_run = :run
      WHERE settled_by_run IS NULL AND outcome = 'pending'
        AND run_id IN (SELECT id FROM statement_runs WHERE bank_channel_id = :channel AND period_to < :from::date)`,
    p,
  );

  const opened = await openExceptions(trx, p);
  const closed = await closeFoundLate(trx, p);

  // Only the lines that are not matched are indexed; matched ones are the rest of the file.
  const { rows: unmatched } = await trx.raw(
    `SELECT outcome, count(*)::int AS n FROM statement_lines WHERE run_id = :run AND outcome <> 'matched' GROUP BY outcome`,
    p,
  );
  const { rows: total } = await trx.raw(`SELECT count(*)::int AS n FROM statement_staging`);
  const { rows: payments } = await trx.raw(
    `SELECT count(*) FILTER (WHERE outcome = 'missing_in_bank')::int AS missing_in_bank,
            count(*) FILTER (WHERE outcome = 'pending')::int AS pending
       FROM statement_payment_outcomes WHERE run_id = :run`,
    p,
  );
  const of = (outcome: string) => unmatched.find((r: { outcome: string }) => r.outcome === outcome)?.n ?? 0;
  const lines = {
    total: total[0].n,
    matched: total[0].n - unmatched.reduce((sum: number, r: { n: number }) => sum + r.n, 0),
    missing_in_system: of('missing_in_system'),
    amount_mismatch: of('amount_mismatch'),
    duplicate: of('duplicate'),
    rejected: of('rejected'),
  };
  // A payment meets at most one line (a repeated line carries none), so lines and payments agree.
  return {
    lines,
    payments: { matched: lines.matched, amount_mismatch: lines.amount_mismatch, ...payments[0] },
    exceptions_opened: opened,
    exceptions_closed: closed,
  };
}

/**
 * Every difference of the run that needs a person becomes an exception, once: one the channel's
 * earlier statements already raised is not raised again.
 */
async function openExceptions(trx: Knex.Transaction, p: Record<string, unknown>): Promise<number> {
  const fromLines = await trx.raw(
    `INSERT INTO reconciliation_exceptions
       (bank_channel_id, run_id, outcome, subject_key, line_no, payment_id, bill_id, virtual_account, bank_reference,
        occurred_at, amount, field, bank_value, kasda_value)
     SELECT :channel, :run, l.outcome,
            CASE l.outcome
              WHEN 'duplicate' THEN ${lineKey('l')} || '#' || (l.detail->>'occurrence')
              WHEN 'amount_mismatch' THEN 'payment:' || l.payment_id
              ELSE ${lineKey('l')}
            END,
            l.line_no, l.payment_id, coalesce(pay.bill_id, b.id), l.virtual_account, l.bank_reference,
            l.posted_at, l.amount, l.detail->>'field', l.detail->>'bank', l.detail->>'kasda'
       FROM statement_lines l
       LEFT JOIN payments pay ON pay.id = l.payment_id
       LEFT JOIN LATERAL (
         SELECT id FROM bills WHERE bank_channel_id = :channel AND virtual_account = l.virtual_account ORDER BY id DESC LIMIT 1
       ) b ON l.outcome = 'missing_in_system'
      WHERE l.run_id = :run AND l.outcome IN ('missing_in_system', 'amount_mismatch', 'duplicate')
     ON CONFLICT (bank_channel_id, outcome, subject_key) DO NOTHING`,
    p,
  );
  const fromPayments = await trx.raw(
    `INSERT INTO reconciliation_exceptions
       (bank_channel_id, run_id, outcome, subject_key, payment_id, bill_id, virtual_account, bank_reference, occurred_at, amount)
     SELECT :channel, :run, 'missing_in_bank', 'payment:' || pay.id, pay.id, pay.bill_id, n.virtual_account, pay.payment_ref,
            pay.paid_at, pay.amount
       FROM statement_payment_outcomes o
       JOIN payments pay ON pay.id = o.payment_id
       JOIN bank_notifications n ON n.id = pay.notification_id
      WHERE o.run_id = :run AND o.outcome = 'missing_in_bank'
     ON CONFLICT (bank_channel_id, outcome, subject_key) DO NOTHING`,
    p,
  );
  return fromLines.rowCount + fromPayments.rowCount;
}

/** A payment an earlier statement lacked that this one carries was only posted late: settled. */
async function closeFoundLate(trx: Knex.Transaction, p: Record<string, unknown>): Promise<number> {
  const { rows } = await trx.raw(
    `WITH earlier AS MATERIALIZED (
       SELECT id, payment_id FROM reconciliation_exceptions
        WHERE bank_channel_id = :channel AND outcome = 'missing_in_bank' AND status = 'open' AND run_id <> :run
     ), found AS (
       SELECT l.payment_id, min(l.line_no) AS line_no FROM statement_lines l
        WHERE l.run_id = :run AND l.outcome = 'matched' AND l.payment_id IN (SELECT payment_id FROM earlier)
        GROUP BY l.payment_id
     )
     UPDATE reconciliation_exceptions e
        SET status = 'resolved', action = 'accept_difference', resolved_by = 'kasda:reconciliation', resolved_at = now(),
            reason = 'posted late: on the statement of run ' || :run || ', line ' || f.line_no
       FROM earlier x JOIN found f ON f.payment_id = x.payment_id
      WHERE e.id = x.id
     RETURNING e.id, e.payment_id, e.reason`,
    p,
  );
  if (rows.length) {
    await recordAudit(
      trx,
      rows.map((r: { id: number; payment_id: number; reason: string }) => ({
        actor: 'kasda:reconciliation',
        action: 'reconciliation.exception_resolved',
        entityType: 'reconciliation_exception',
        entityId: r.id,
        before: { status: 'open', outcome: 'missing_in_bank' },
        after: { status: 'resolved', action: 'accept_difference', reason: r.reason, payment_id: r.payment_id },
      })),
    );
  }
  return rows.length;
}
