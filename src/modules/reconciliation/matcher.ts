import type { Knex } from 'knex';
import { Conflict } from '../../errors';
import { addDays } from '../../lib/time';
import { recordAudit } from '../audit/service';
import type { RunRow } from './repo';

/**
 * Matching one statement, loaded by loadStatement into statement_lines with provisional outcomes,
 * against Kasda's payments, set-based, in the caller's transaction. The lines are written once, by
 * the loader's COPY, and the channel's payments and the run's lines are joined once; everything
 * after that works on the few lines and payments that did not pair up:
 * 1. repeated lines: the line's identity, its bank reference, else its time, VA, amount and text,
 *    appeared earlier in the file (the first one is matched as usual). The loader wrote the lines
 *    that may repeat an earlier one (SeenLines) as duplicates; only their identities are looked up,
 *    and a line that turns out to be the first of its identity is matched after all;
 * 2. one full join of the run's other lines with the channel's payments on the bank reference (the
 *    reference is a payment's NTB on the channel: the bank's own unique payment reference) keeps
 *    only what does not pair up: a line without a payment (missing_in_system for now), a pair whose
 *    amount or VA differs (amount_mismatch, both values kept), a payment without a line that was
 *    paid within the range, the settlement lag before it, or is pending from the channel's earlier
 *    statements (unpaired), and a pair whose payment an earlier statement lacked (carried). Only
 *    those lines are updated; a line matched by reference names its payment through the reference;
 * 3. by VA, amount and date: a line without a known reference takes one of the unpaired payments of
 *    the same VA and amount, paid on the posting day or up to the settlement lag before; what is
 *    left stays missing_in_system: the bank credited it, Kasda knows no payment;
 * 4. per payment: one paid within the range that no line matched is missing_in_bank, or pending
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

  // 1. The later occurrences of an identity seen more than once. The loader wrote every line that
  // may repeat an earlier one (never missing one) as a duplicate; only the identities of those few
  // are looked up, and nothing at all when it flagged none.
  if (staged.mayRepeat > 0) {
    await trx.raw(
      `CREATE TEMPORARY TABLE statement_repeated ON COMMIT DROP AS
       WITH flagged AS MATERIALIZED (
         SELECT bank_reference, posted_at, coalesce(virtual_account, '') AS virtual_account, amount, description
           FROM statement_lines WHERE run_id = :run AND outcome = 'duplicate'
       )
       SELECT line_no, first_line, occurrence FROM (
         SELECT line_no, row_number() OVER w AS occurrence, min(line_no) OVER w AS first_line
           FROM statement_lines
          WHERE run_id = :run AND outcome <> 'rejected'
            AND CASE WHEN bank_reference IS NOT NULL
                     THEN bank_reference IN (SELECT bank_reference FROM flagged WHERE bank_reference IS NOT NULL)
                     ELSE (posted_at, coalesce(virtual_account, ''), amount, description) IN (
                            SELECT posted_at, virtual_account, amount, description FROM flagged WHERE bank_reference IS NULL)
                END
         WINDOW w AS (PARTITION BY bank_reference, CASE WHEN bank_reference IS NULL THEN (posted_at, coalesce(virtual_account, ''), amount, description) END
                      ORDER BY line_no)) d
       WHERE occurrence > 1`,
      p,
    );
    await trx.raw('ANALYZE statement_repeated');
    await trx.raw(
      `UPDATE statement_lines l
          SET outcome = CASE WHEN f.repeat_of IS NULL THEN 'matched' ELSE 'duplicate' END,
              detail = CASE WHEN f.repeat_of IS NOT NULL THEN jsonb_build_object('first_line', f.repeat_of, 'occurrence', f.occurrence) END
         FROM (SELECT d.ctid AS line_row, r.first_line AS repeat_of, r.occurrence
                 FROM statement_lines d LEFT JOIN statement_repeated r ON r.line_no = d.line_no
                WHERE d.run_id = :run AND d.outcome = 'duplicate') f
        WHERE l.ctid = f.line_row`,
      p,
    );
  }

  // 2. The lines and payments that do not pair up by reference. A repeated line carries its first
  // occurrence's reference, so the payments a line names are those the other lines name.
  const earlierPending = `SELECT o.payment_id FROM statement_payment_outcomes o JOIN statement_runs r ON r.id = o.run_id
     WHERE r.bank_channel_id = :channel AND r.period_to < :from::date AND o.outcome = 'pending' AND o.settled_by_run IS NULL`;
  const earlierMissing = `SELECT payment_id FROM reconciliation_exceptions
     WHERE bank_channel_id = :channel AND outcome = 'missing_in_bank' AND status = 'open' AND run_id <> :run`;
  // Two payments of the channel carry one bank reference (payment_reference_shares, kept as they
  // are written; one corrected by hand since is looked at again): a line naming it cannot say which it is.
  const { rows: anyShared } = await trx.raw('SELECT 1 FROM payment_reference_shares WHERE bank_channel_id = :channel LIMIT 1', p);
  if (anyShared.length) {
    const { rows } = await trx.raw(
      `SELECT DISTINCT l.bank_reference FROM statement_lines l
         JOIN payment_reference_shares s ON s.bank_channel_id = :channel AND s.payment_ref = l.bank_reference
        WHERE l.run_id = :run AND l.outcome = 'matched'
          AND (SELECT count(*) FROM payments p WHERE p.bank_channel_id = :channel AND p.payment_ref = l.bank_reference) > 1
        ORDER BY l.bank_reference LIMIT 20`,
      p,
    );
    const refs = rows.map((r: { bank_reference: string }) => r.bank_reference);
    if (refs.length) {
      throw new Conflict('ambiguous_bank_reference', `More than one payment of the channel carries bank reference ${refs.join(', ')}`, { references: refs });
    }
  }
  await trx.raw(
    `CREATE TEMPORARY TABLE statement_differences ON COMMIT DROP AS
     SELECT kind, line_no, line_row, bank_amount, bank_virtual_account, id, amount, virtual_account, paid_at,
            CASE WHEN kind = 'unpaired' THEN (paid_at >= :rangeStart AND paid_at < :rangeEnd) OR id IN (${earlierPending}) END AS counted
       FROM (SELECT CASE WHEN p.id IS NULL THEN 'missing_in_system'
                         WHEN l.line_no IS NULL THEN
                           CASE WHEN (p.paid_at >= :windowStart AND p.paid_at < :rangeEnd) OR p.id IN (${earlierPending}) THEN 'unpaired' END
                         WHEN p.amount <> l.amount OR (l.virtual_account IS NOT NULL AND p.virtual_account IS DISTINCT FROM l.virtual_account)
                           THEN 'amount_mismatch'
                         WHEN p.id IN (${earlierMissing}) THEN 'carried'
                    END AS kind,
                    l.line_no, l.line_row, l.amount AS bank_amount, l.virtual_account AS bank_virtual_account,
                    p.id, p.amount, p.virtual_account, p.paid_at
               FROM (SELECT line_no, ctid AS line_row, amount, virtual_account, bank_reference FROM statement_lines
                      WHERE run_id = :run AND outcome = 'matched') l
               FULL JOIN (SELECT id, payment_ref, amount, virtual_account, paid_at FROM payments WHERE bank_channel_id = :channel) p
                 ON p.payment_ref = l.bank_reference) k
      WHERE kind IS NOT NULL`,
    p,
  );
  await trx.raw('ANALYZE statement_differences');
  await trx.raw(
    `UPDATE statement_lines l
        SET outcome = u.kind,
            payment_id = u.id,
            detail = CASE WHEN u.kind = 'missing_in_system' THEN NULL
                          WHEN u.amount <> u.bank_amount
                            THEN jsonb_build_object('field', 'amount', 'bank', u.bank_amount::text, 'kasda', u.amount::text)
                          ELSE jsonb_build_object('field', 'virtual_account', 'bank', u.bank_virtual_account, 'kasda', u.virtual_account)
                     END
       FROM statement_differences u
      WHERE u.kind IN ('missing_in_system', 'amount_mismatch') AND l.ctid = u.line_row`,
    p,
  );

  // 3. The k-th unmatched line of a (VA, amount) pairs with the k-th unpaired payment of it, by time.
  await trx.raw(
    `WITH open_lines AS (
       SELECT line_no, ctid AS line_row, virtual_account, amount, posted_at,
              row_number() OVER (PARTITION BY virtual_account, amount ORDER BY posted_at, line_no) AS k
         FROM statement_lines
        WHERE run_id = :run AND outcome = 'missing_in_system' AND virtual_account IS NOT NULL
     ), free_payments AS (
       SELECT u.id, u.virtual_account, u.amount, u.paid_at,
              row_number() OVER (PARTITION BY u.virtual_account, u.amount ORDER BY u.paid_at, u.id) AS k
         FROM statement_differences u
        WHERE u.kind = 'unpaired' AND u.paid_at >= :windowStart AND u.paid_at < :rangeEnd
          AND u.virtual_account IN (SELECT virtual_account FROM open_lines)
     ), paired AS (
       UPDATE statement_lines l
          SET outcome = 'matched', payment_id = f.id, detail = jsonb_build_object('matched_by', 'virtual_account')
         FROM open_lines o
         JOIN free_payments f ON f.virtual_account = o.virtual_account AND f.amount = o.amount AND f.k = o.k
        WHERE l.ctid = o.line_row
          AND (o.posted_at AT TIME ZONE 'Asia/Jakarta')::date
              BETWEEN (f.paid_at AT TIME ZONE 'Asia/Jakarta')::date AND (f.paid_at AT TIME ZONE 'Asia/Jakarta')::date + :lag::int
       RETURNING l.line_no, l.payment_id
     )
     UPDATE statement_differences u SET line_no = paired.line_no FROM paired WHERE u.kind = 'unpaired' AND u.id = paired.payment_id`,
    p,
  );

  // 4. What is left of the payments, in the range or pending before, is missing or pending.
  await trx.raw(
    `INSERT INTO statement_payment_outcomes (run_id, payment_id, outcome)
     SELECT :run, u.id,
            CASE WHEN (u.paid_at AT TIME ZONE 'Asia/Jakarta')::date > :to::date - :lag::int THEN 'pending' ELSE 'missing_in_bank' END
       FROM statement_differences u
      WHERE u.kind = 'unpaired' AND u.counted AND u.line_no IS NULL`,
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
     SELECT :channel, :run, 'missing_in_bank', 'payment:' || pay.id, pay.id, pay.bill_id, pay.virtual_account, pay.payment_ref,
            pay.paid_at, pay.amount
       FROM statement_payment_outcomes o
       JOIN payments pay ON pay.id = o.payment_id
      WHERE o.run_id = :run AND o.outcome = 'missing_in_bank'
     ON CONFLICT (bank_channel_id, outcome, subject_key) DO NOTHING`,
    p,
  );
  return fromLines.rowCount + fromPayments.rowCount;
}

/**
 * A payment an earlier statement lacked that this one carries was only posted late: settled. The
 * line that carries it is found by the join of step 2 (carried) or the pairing by VA, not by
 * reading the run's matched lines, which are most of the file.
 */
async function closeFoundLate(trx: Knex.Transaction, p: Record<string, unknown>): Promise<number> {
  const { rows } = await trx.raw(
    `WITH earlier AS MATERIALIZED (
       SELECT e.id, e.payment_id FROM reconciliation_exceptions e
        WHERE e.bank_channel_id = :channel AND e.outcome = 'missing_in_bank' AND e.status = 'open' AND e.run_id <> :run
     ), found AS (
       SELECT u.id AS payment_id, min(u.line_no) AS line_no
         FROM statement_differences u
        WHERE u.line_no IS NOT NULL AND u.kind IN ('carried', 'unpaired') AND u.id IN (SELECT payment_id FROM earlier)
        GROUP BY u.id
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
