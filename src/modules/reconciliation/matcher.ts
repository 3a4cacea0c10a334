import type { Knex } from 'knex';
import { Conflict } from '../../errors';
import { addDays } from '../../lib/time';
import { recordAudit } from '../audit/service';
import type { RunRow } from './repo';

/**
 * Matching one statement, staged by loadStatement, against Kasda's payments, set-based, in the
 * caller's transaction. Each line is written once, and the channel's payments and the staged lines
 * are each joined once; everything after that works on the few lines and payments that did not
 * pair up:
 * 1. repeated lines are found in staging: the line's identity, its bank reference, else its time,
 *    VA, amount and text, appeared earlier in the file (the first one is matched as usual);
 *    only the lines the loader flagged as possible repeats (SeenLines) are looked at closely;
 * 2. the lines go from staging into statement_lines with their outcome, in one INSERT … SELECT:
 *    rejected; duplicate; matched by bank reference (the reference is a payment's NTB on the
 *    channel: the bank's own unique payment reference), or amount_mismatch when the amount or the
 *    VA differs, both values kept; else missing_in_system for now;
 * 3. the payments that step 2 did not pair with a line (paid within the range, the settlement lag
 *    before it, or pending from the channel's earlier statements) are set apart, few, in one anti
 *    join against the staged references;
 * 4. by VA, amount and date: a line without a known reference takes one of those payments of the
 *    same VA and amount, paid on the posting day or up to the settlement lag before; what is left
 *    stays missing_in_system: the bank credited it, Kasda knows no payment;
 * 5. per payment: one paid within the range that no line matched is missing_in_bank, or pending
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

/** A line's identity in its file, for telling a repeated line from a new one; kept on exceptions. */
const lineKey = (t: string) => `coalesce('ref:' || ${t}.bank_reference,
  'line:' || md5(extract(epoch FROM ${t}.posted_at)::text || '|' || coalesce(${t}.virtual_account, '') || '|' || ${t}.amount || '|' || coalesce(${t}.description, '')))`;

export async function matchRun(trx: Knex.Transaction, run: RunRow, staged: { mayRepeat: number }): Promise<MatchCounts> {
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

  // 1. The later occurrences of an identity seen more than once. The loader flagged every line that
  // may repeat an earlier one (never missing one); only the identities of those few are looked up,
  // and none at all when it flagged none.
  const repeated = `
    WITH flagged AS MATERIALIZED (
      SELECT bank_reference, posted_ms, coalesce(virtual_account, '') AS virtual_account, amount, description
        FROM statement_staging WHERE seen_before
    )
    SELECT line_no, first_line, occurrence FROM (
      SELECT line_no, row_number() OVER w AS occurrence, min(line_no) OVER w AS first_line
        FROM statement_staging
       WHERE reject_reason IS NULL
         AND CASE WHEN bank_reference IS NOT NULL
                  THEN bank_reference IN (SELECT bank_reference FROM flagged WHERE bank_reference IS NOT NULL)
                  ELSE (posted_ms, coalesce(virtual_account, ''), amount, description) IN (
                         SELECT posted_ms, virtual_account, amount, description FROM flagged WHERE bank_reference IS NULL)
             END
      WINDOW w AS (PARTITION BY bank_reference, CASE WHEN bank_reference IS NULL THEN (posted_ms, coalesce(virtual_account, ''), amount, description) END
                   ORDER BY line_no)) d
    WHERE occurrence > 1`;
  await trx.raw(
    staged.mayRepeat > 0
      ? `CREATE TEMPORARY TABLE statement_repeated ON COMMIT DROP AS ${repeated}`
      : 'CREATE TEMPORARY TABLE statement_repeated (line_no integer, first_line integer, occurrence integer) ON COMMIT DROP',
  );
  await trx.raw('ANALYZE statement_repeated');

  // 2. Every line, once, with its outcome.
  try {
    // A savepoint, so a clash can be explained below rather than end the transaction.
    await trx.transaction((sp) =>
      sp.raw(
        `INSERT INTO statement_lines
           (run_id, line_no, posted_at, virtual_account, amount, bank_reference, description, outcome, reject_reason, payment_id, detail)
         SELECT :run, s.line_no, to_timestamp(s.posted_ms / 1000.0::float8), s.virtual_account, s.amount, s.bank_reference, s.description,
                CASE WHEN s.reject_reason IS NOT NULL THEN 'rejected'
                     WHEN d.occurrence IS NOT NULL THEN 'duplicate'
                     WHEN pay.id IS NULL THEN 'missing_in_system'
                     WHEN pay.amount <> s.amount OR (s.virtual_account IS NOT NULL AND n.virtual_account IS DISTINCT FROM s.virtual_account)
                       THEN 'amount_mismatch'
                     ELSE 'matched' END,
                s.reject_reason,
                pay.id,
                CASE WHEN d.occurrence IS NOT NULL
                       THEN jsonb_build_object('first_line', d.first_line, 'occurrence', d.occurrence)
                     WHEN pay.amount <> s.amount
                       THEN jsonb_build_object('field', 'amount', 'bank', s.amount::text, 'kasda', pay.amount::text)
                     WHEN pay.id IS NOT NULL AND s.virtual_account IS NOT NULL AND n.virtual_account IS DISTINCT FROM s.virtual_account
                       THEN jsonb_build_object('field', 'virtual_account', 'bank', s.virtual_account, 'kasda', n.virtual_account)
                END
           FROM statement_staging s
           LEFT JOIN statement_repeated d ON d.line_no = s.line_no
           LEFT JOIN (payments pay JOIN bank_notifications n ON n.id = pay.notification_id)
             ON pay.bank_channel_id = :channel AND pay.payment_ref = s.bank_reference
            AND s.reject_reason IS NULL AND d.line_no IS NULL`,
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

  // 3. The payments no line's reference named. A repeated line carries its first occurrence's
  // reference, so "a valid line has the reference" is "the payment was paired in step 2".
  const earlierPending = `SELECT o.payment_id FROM statement_payment_outcomes o JOIN statement_runs r ON r.id = o.run_id
     WHERE r.bank_channel_id = :channel AND r.period_to < :from::date AND o.outcome = 'pending' AND o.settled_by_run IS NULL`;
  await trx.raw(
    `CREATE TEMPORARY TABLE statement_unpaired ON COMMIT DROP AS
     SELECT pay.id, pay.amount, pay.paid_at, pay.notification_id,
            (pay.paid_at >= :rangeStart AND pay.paid_at < :rangeEnd) OR pay.id IN (${earlierPending}) AS counted,
            NULL::integer AS line_no
       FROM payments pay
      WHERE pay.bank_channel_id = :channel
        AND ((pay.paid_at >= :windowStart AND pay.paid_at < :rangeEnd) OR pay.id IN (${earlierPending}))
        AND NOT EXISTS (SELECT 1 FROM statement_staging s WHERE s.bank_reference = pay.payment_ref AND s.reject_reason IS NULL)`,
    p,
  );
  await trx.raw('ANALYZE statement_unpaired');

  // 4. The k-th unmatched line of a (VA, amount) pairs with the k-th unpaired payment of it, by time.
  await trx.raw(
    `WITH open_lines AS (
       SELECT line_no, virtual_account, amount, posted_at,
              row_number() OVER (PARTITION BY virtual_account, amount ORDER BY posted_at, line_no) AS k
         FROM statement_lines
        WHERE run_id = :run AND outcome = 'missing_in_system' AND virtual_account IS NOT NULL
     ), free_payments AS (
       SELECT u.id, n.virtual_account, u.amount, u.paid_at,
              row_number() OVER (PARTITION BY n.virtual_account, u.amount ORDER BY u.paid_at, u.id) AS k
         FROM statement_unpaired u
         JOIN bank_notifications n ON n.id = u.notification_id
        WHERE u.paid_at >= :windowStart AND u.paid_at < :rangeEnd
          AND n.virtual_account IN (SELECT virtual_account FROM open_lines)
     ), paired AS (
       UPDATE statement_lines l
          SET outcome = 'matched', payment_id = f.id, detail = jsonb_build_object('matched_by', 'virtual_account')
         FROM open_lines o
         JOIN free_payments f ON f.virtual_account = o.virtual_account AND f.amount = o.amount AND f.k = o.k
        WHERE l.run_id = :run AND l.line_no = o.line_no
          AND (o.posted_at AT TIME ZONE 'Asia/Jakarta')::date
              BETWEEN (f.paid_at AT TIME ZONE 'Asia/Jakarta')::date AND (f.paid_at AT TIME ZONE 'Asia/Jakarta')::date + :lag::int
       RETURNING l.line_no, l.payment_id
     )
     UPDATE statement_unpaired u SET line_no = paired.line_no FROM paired WHERE u.id = paired.payment_id`,
    p,
  );

  // 5. What is left of the payments, in the range or pending before, is missing or pending.
  await trx.raw(
    `INSERT INTO statement_payment_outcomes (run_id, payment_id, outcome)
     SELECT :run, u.id,
            CASE WHEN (u.paid_at AT TIME ZONE 'Asia/Jakarta')::date > :to::date - :lag::int THEN 'pending' ELSE 'missing_in_bank' END
       FROM statement_unpaired u
      WHERE u.counted AND u.line_no IS NULL`,
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
  const { rows: payments } = await trx.raw(
    `SELECT count(*) FILTER (WHERE outcome = 'missing_in_bank')::int AS missing_in_bank,
            count(*) FILTER (WHERE outcome = 'pending')::int AS pending
       FROM statement_payment_outcomes WHERE run_id = :run`,
    p,
  );
  const of = (outcome: string) => unmatched.find((r: { outcome: string }) => r.outcome === outcome)?.n ?? 0;
  const total = run.lines_loaded + run.lines_rejected;
  const lines = {
    total,
    matched: total - unmatched.reduce((sum: number, r: { n: number }) => sum + r.n, 0),
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

/**
 * A payment an earlier statement lacked that this one carries was only posted late: settled. The
 * line that carries it is found through the staged references (or the pairing by VA), not by
 * reading the run's matched lines, which are most of the file.
 */
async function closeFoundLate(trx: Knex.Transaction, p: Record<string, unknown>): Promise<number> {
  const { rows } = await trx.raw(
    `WITH earlier AS MATERIALIZED (
       SELECT e.id, e.payment_id, pay.payment_ref FROM reconciliation_exceptions e JOIN payments pay ON pay.id = e.payment_id
        WHERE e.bank_channel_id = :channel AND e.outcome = 'missing_in_bank' AND e.status = 'open' AND e.run_id <> :run
     ), carried AS (
       SELECT x.payment_id, s.line_no FROM earlier x JOIN statement_staging s ON s.bank_reference = x.payment_ref
       UNION ALL
       SELECT u.id, u.line_no FROM statement_unpaired u WHERE u.line_no IS NOT NULL AND u.id IN (SELECT payment_id FROM earlier)
     ), found AS (
       SELECT l.payment_id, min(l.line_no) AS line_no
         FROM carried c JOIN statement_lines l ON l.run_id = :run AND l.line_no = c.line_no AND l.payment_id = c.payment_id
        WHERE l.outcome = 'matched'
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
