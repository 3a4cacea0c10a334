import type { Knex } from 'knex';
import { BankChannelRow, connectorFor, virtualAccountFor } from '../../banks/registry';
import type { BankResult, VaCreated, VaRequest } from '../../banks/types';
import { addDays, endOfJakartaDay, jakartaDate } from '../../lib/time';
import { logger } from '../../logger';
import { AuditEntry, recordAudit } from '../audit/service';
import type { LevyTypeVersion } from '../levy-types/schema';
import { BillRow } from './repo';
import { sourcesOf } from './states';
import { account } from '../ledger/accounts';
import { LedgerEntry, postMany } from '../ledger/service';
import { dispatchDeliveries } from '../webhooks/service';
import { recordBillEvents } from './events';

/**
 * Issuing a bill creates its VA at the bank, in three steps that each take many bills at once:
 * `prepareIssues` (one transaction: the bills move to `issuing` and get their trx_ids),
 * `createAtBank` (one HTTP call per bill, outside any transaction, at most the channel's
 * concurrency in flight per process) and `finalizeIssues` (one transaction: issued bills with
 * their ledger booking, audit and webhook events; failures and retries noted). A crash in between
 * leaves a bill in `issuing` with its trx_id recorded, and the retry asks the bank again with the
 * same trx_id (the connector inquires before re-creating, so the bank never gets two bills for one).
 */
export type IssueOutcome =
  | { kind: 'issued'; bill: BillRow }
  | { kind: 'failed'; code: string; message: string }
  | { kind: 'skipped'; status: string }
  | { kind: 'retry'; code: string; message: string }
  | { kind: 'throttled'; code: string; message: string };

export interface IssueRequest {
  billId: number;
  /** The job's last attempt: a failure now is final (issue_failed), not a retry. */
  finalAttempt: boolean;
}

/** A bill in `issuing` with its trx_id, and the request its bank gets. */
export interface PreparedIssue {
  bill: BillRow;
  channel: BankChannelRow;
  request: VaRequest;
  finalAttempt: boolean;
}

export interface BankAnswer {
  prepared: PreparedIssue;
  result: BankResult<VaCreated>;
}

type Skipped = Extract<IssueOutcome, { kind: 'skipped' }>;

const ACTOR = 'system:issuer';

type LockedBill = BillRow & {
  issue_channel: BankChannelRow;
  issue_policy: LevyTypeVersion['payment_policy'];
  payer_name: string;
  payer_email: string | null;
  payer_phone: string | null;
};

/**
 * Moves the bills to `issuing` in one transaction: each gets a trx_id if it has none (a new one is
 * recorded forever in bank_references, so it is never reused), its VA and its VA's lifetime. One
 * result per request, in order: the bill ready for its bank call, or skipped when it is not
 * `draft` or `issuing` (already issued, cancelled, missing). The ids must be distinct.
 */
export async function prepareIssues(db: Knex, requests: IssueRequest[]): Promise<Array<PreparedIssue | Skipped>> {
  return db.transaction(async (trx) => {
    // Locked in id order, so concurrent batches cannot deadlock; the channel, the levy version's
    // payment policy and the payer come with them.
    const { rows: locked }: { rows: LockedBill[] } = await trx.raw(
      `SELECT b.*, to_jsonb(c) AS issue_channel, v.payment_policy AS issue_policy,
              p.name AS payer_name, p.email AS payer_email, p.phone AS payer_phone
         FROM bills b
         JOIN bank_channels c ON c.id = b.bank_channel_id
         JOIN levy_type_versions v ON v.id = b.levy_type_version_id
         JOIN payers p ON p.id = b.payer_id
        WHERE b.id = ANY(?::bigint[])
        ORDER BY b.id
          FOR UPDATE OF b`,
      [requests.map((r) => r.billId)],
    );
    const byId = new Map(locked.map((b) => [b.id, b]));
    const ready = locked.filter((b) => b.status === 'draft' || b.status === 'issuing');
    // The VA lives until N days after the due date; a bill re-issued after that counts from today.
    const today = jakartaDate();
    const moves = ready.map((b) => ({
      id: b.id,
      channel: b.issue_channel.id,
      bill_no: b.bill_no,
      new_reference: b.trx_id === null,
      // Nothing returns to draft, so a draft bill has never had a reference: its first is -1.
      first_reference: b.status === 'draft',
      virtual_account: b.virtual_account ?? virtualAccountFor(b.issue_channel, b.id),
      expires_at: endOfJakartaDay(addDays(b.due_date > today ? b.due_date : today, b.issue_policy.va_valid_days_after_due)),
    }));
    const moved = new Map<number, BillRow>();
    if (moves.length > 0) {
      // A new trx_id is the bill number and the count of the bill's references so far, plus one.
      // Only a bill issued again is counted (CASE evaluates its subquery only then): the
      // references have no index by bill, and a scan for every bill would grow with the table.
      // The bills are found by key alone: they are locked above and only those in draft or
      // issuing are here. A status condition let the planner read every draft's index entry
      // (40,000 of them, 2.4 ms a batch) when the statistics were older than the assessment.
      const { rows }: { rows: BillRow[] } = await trx.raw(
        `WITH m AS (
           SELECT * FROM jsonb_to_recordset(?::jsonb) AS m(
             id bigint, channel bigint, bill_no text, new_reference boolean, first_reference boolean,
             virtual_account text, expires_at timestamptz)
         ), refs AS (
           INSERT INTO bank_references (bank_channel_id, trx_id, bill_id)
           SELECT m.channel,
                  m.bill_no || '-' || CASE WHEN m.first_reference THEN 1
                                           ELSE (SELECT count(*) + 1 FROM bank_references r WHERE r.bill_id = m.id) END,
                  m.id
             FROM m
            WHERE m.new_reference
           RETURNING bill_id, trx_id
         )
         UPDATE bills b
            SET status = 'issuing', trx_id = coalesce(refs.trx_id, b.trx_id), virtual_account = m.virtual_account,
                expires_at = m.expires_at, issue_attempts = b.issue_attempts + 1, updated_at = now()
           FROM m LEFT JOIN refs ON refs.bill_id = m.id
          WHERE b.id = m.id AND b.id = ANY(?::bigint[])
         RETURNING b.*`,
        [JSON.stringify(moves), moves.map((m) => m.id)],
      );
      for (const row of rows) moved.set(row.id, row);
    }
    const audit: AuditEntry[] = ready
      .filter((b) => b.status === 'draft')
      .map((b) => ({
        actor: ACTOR,
        action: 'bill.issuing',
        entityType: 'bill',
        entityId: b.bill_no,
        before: { status: b.status },
        after: { status: 'issuing', trx_id: moved.get(b.id)?.trx_id },
      }));
    await recordAudit(trx, audit);

    return requests.map((r): PreparedIssue | Skipped => {
      const bill = moved.get(r.billId);
      if (!bill) return { kind: 'skipped', status: byId.get(r.billId)?.status ?? 'missing' };
      const locked = byId.get(r.billId)!;
      return {
        bill,
        channel: locked.issue_channel,
        finalAttempt: r.finalAttempt,
        request: {
          trxId: bill.trx_id!,
          amount: bill.amount,
          billingType: bill.billing_type as 'c',
          customerName: locked.payer_name,
          customerEmail: locked.payer_email,
          customerPhone: locked.payer_phone,
          virtualAccount: bill.virtual_account!,
          expiresAt: bill.expires_at!,
          description: `${bill.document_type} ${bill.bill_no}`.slice(0, 100),
        },
      };
    });
  });
}

/** The one HTTP call (with the connector's own retries) that creates the prepared bill's VA. */
export function createAtBank(db: Knex, prepared: PreparedIssue): Promise<BankResult<VaCreated>> {
  return connectorFor(db, prepared.channel).createVa(prepared.request);
}

/** What an answer does to its bill. `release` drops a trx_id someone else holds at the bank. */
type Decision =
  | { kind: 'issue' }
  | { kind: 'fail'; release: boolean }
  | { kind: 'note'; release: boolean; outcome: 'retry' | 'throttled' };

function decide({ prepared, result }: BankAnswer): Decision {
  switch (result.outcome) {
    case 'ok':
      return { kind: 'issue' };
    case 'throttled':
      return { kind: 'note', release: false, outcome: 'throttled' };
    case 'duplicate_reference':
      // Someone else holds this trx_id at the bank: drop it (it stays recorded) and take a new one.
      logger.warn({ bill: prepared.bill.bill_no, trx_id: prepared.bill.trx_id }, 'trx_id already used at the bank; a new one will be taken');
      return prepared.finalAttempt ? { kind: 'fail', release: true } : { kind: 'note', release: true, outcome: 'retry' };
    case 'transient':
    case 'timeout':
      return prepared.finalAttempt ? { kind: 'fail', release: false } : { kind: 'note', release: false, outcome: 'retry' };
    default:
      return { kind: 'fail', release: false };
  }
}

/** The receivable each bill creates, against revenue per account code; booked once per bill. */
async function bookIssuedBills(trx: Knex, bills: BillRow[]): Promise<void> {
  const payable = bills.filter((b) => b.amount !== 0);
  if (payable.length === 0) return;
  // An STRD was booked when it was made (the receivable it took over, plus interest). Whether each
  // bill was, its levy's code and its lines per account come in one round trip for all of them.
  // `booked` looks at the bill's few entries by bill_id only: with the kind as a condition, the
  // planner may also read every bill_issued entry there is, for each bill.
  const { rows }: { rows: Array<{ id: number; booked: boolean; levy: string; by_account: Array<{ account_code: string; amount: number }> }> } =
    await trx.raw(
      `SELECT b.id, lt.code AS levy,
              coalesce((SELECT bool_or(e.kind IN ('bill_issued', 'strd')) FROM ledger_entries e WHERE e.bill_id = b.id), false) AS booked,
              coalesce((SELECT json_agg(a ORDER BY a.account_code)
                          FROM (SELECT account_code, sum(amount)::bigint AS amount FROM bill_lines l WHERE l.bill_id = b.id GROUP BY account_code) a),
                       '[]') AS by_account
         FROM bills b JOIN levy_types lt ON lt.id = b.levy_type_id
        WHERE b.id = ANY(?::bigint[])`,
      [payable.map((b) => b.id)],
    );
  const found = new Map(rows.map((r) => [Number(r.id), r]));
  const entries: LedgerEntry[] = payable
    .filter((bill) => !found.get(bill.id)!.booked)
    .map((bill) => {
      const { levy, by_account: byAccount } = found.get(bill.id)!;
      return {
        kind: 'bill_issued',
        description: `${bill.document_type} ${bill.bill_no}`,
        billId: bill.id,
        occurredAt: bill.issued_at ?? new Date(),
        lines: [
          { account: account.receivable(bill.payer_id, levy), billId: bill.id, debit: bill.amount },
          ...byAccount.map((l) => ({ account: account.revenue(l.account_code), credit: l.amount })),
        ],
      };
    });
  await postMany(trx, entries);
}

/**
 * Records the banks' answers in one transaction, each as a guarded transition: created VAs make
 * their bills `issued` (ledger, audit, `bill.issued` event), final failures `issue_failed` with the
 * bank's code, and the rest keep the code for the retry. One outcome per answer, in order; the
 * bills must be distinct.
 */
export async function finalizeIssues(db: Knex, answers: BankAnswer[]): Promise<IssueOutcome[]> {
  const decisions = answers.map(decide);
  const picked = <K extends Decision['kind']>(kind: K) =>
    answers.flatMap((a, i) => (decisions[i].kind === kind ? [{ ...a, decision: decisions[i] as Extract<Decision, { kind: K }> }] : []));
  const issues = picked('issue');
  const fails = picked('fail');
  const notes = picked('note');
  const issuedAt = new Date();
  const note = (a: BankAnswer) => ({ id: a.prepared.bill.id, code: a.result.code, message: a.result.message });

  const { issued, delivered } = await db.transaction(async (trx) => {
    const issuedRows = await moveBills(
      trx,
      `status = 'issued', last_bank_status = m.code, last_bank_message = m.message,
       virtual_account = m.virtual_account, issued_at = ?::timestamptz, updated_at = now()`,
      `b.status = ANY(?::text[])`,
      issues.map((a) => ({ ...note(a), virtual_account: a.result.data?.virtualAccount ?? a.prepared.request.virtualAccount })),
      [issuedAt],
      [sourcesOf('issued')],
    );
    const failedRows = await moveBills(
      trx,
      `status = 'issue_failed', last_bank_status = m.code, last_bank_message = m.message,
       trx_id = CASE WHEN m.release THEN NULL ELSE b.trx_id END, updated_at = now()`,
      `b.status = ANY(?::text[])`,
      fails.map((a) => ({ ...note(a), release: a.decision.release })),
      [],
      [sourcesOf('issue_failed')],
    );
    // Only a trx_id release is guarded: the code is kept whatever the bill's state.
    await moveBills(
      trx,
      `last_bank_status = m.code, last_bank_message = m.message, trx_id = CASE WHEN m.release THEN NULL ELSE b.trx_id END`,
      `(NOT m.release OR b.status = 'issuing')`,
      notes.map((a) => ({ ...note(a), release: a.decision.release })),
      [],
      [],
    );
    const failedIds = new Set(failedRows.map((r) => r.id));
    await bookIssuedBills(trx, issuedRows);
    await recordAudit(trx, [
      ...issuedRows.map((row) => ({
        actor: ACTOR,
        action: 'bill.issued',
        entityType: 'bill',
        entityId: row.bill_no,
        before: { status: 'issuing' },
        after: { status: 'issued', trx_id: row.trx_id, virtual_account: row.virtual_account },
      })),
      ...fails
        .filter((a) => failedIds.has(a.prepared.bill.id))
        .map((a) => ({
          actor: ACTOR,
          action: 'bill.issue_failed',
          entityType: 'bill',
          entityId: a.prepared.bill.bill_no,
          before: { status: a.prepared.bill.status },
          after: { status: 'issue_failed', bank_status: a.result.code, bank_message: a.result.message },
        })),
    ]);
    const events = await recordBillEvents(
      trx,
      issuedRows.map((row) => ({ billId: row.id, type: 'bill.issued' as const })),
    );
    return { issued: new Map(issuedRows.map((r) => [r.id, r])), delivered: events };
  });
  const deliveries = delivered.filter((d): d is number => d !== null);
  if (deliveries.length > 0) await dispatchDeliveries(deliveries);

  return answers.map(({ prepared, result }, i): IssueOutcome => {
    const decision = decisions[i];
    const { code, message } = result;
    if (decision.kind === 'issue') {
      const row = issued.get(prepared.bill.id);
      return row ? { kind: 'issued', bill: row } : { kind: 'skipped', status: 'not issuing' };
    }
    return decision.kind === 'note' ? { kind: decision.outcome, code, message } : { kind: 'failed', code, message };
  });
}

/**
 * One guarded UPDATE for many bills: `set` and `guard` read the bills as `b` and each bill's values
 * as `m` (id, code, message, and virtual_account or release). Returns the rows that changed. The
 * ids are also given as an array, whose length the planner knows: it then finds the bills by key
 * instead of reading every bill in the guard's states (all the drafts of a large assessment).
 */
async function moveBills(
  trx: Knex,
  set: string,
  guard: string,
  moves: Array<{ id: number; code: string; message: string; virtual_account?: string; release?: boolean }>,
  setBindings: Knex.RawBinding[],
  guardBindings: Knex.RawBinding[],
): Promise<BillRow[]> {
  if (moves.length === 0) return [];
  const { rows } = await trx.raw(
    `UPDATE bills b SET ${set}
       FROM jsonb_to_recordset(?::jsonb) AS m(id bigint, code text, message text, virtual_account text, release boolean)
      WHERE b.id = m.id AND b.id = ANY(?::bigint[]) AND ${guard}
     RETURNING b.*`,
    [...setBindings, JSON.stringify(moves), moves.map((m) => m.id), ...guardBindings],
  );
  return rows;
}

/** One bill, all three steps (the batched steps with a batch of one). */
export async function issueBill(db: Knex, billId: number, opts: { finalAttempt: boolean }): Promise<IssueOutcome> {
  const [prepared] = await prepareIssues(db, [{ billId, finalAttempt: opts.finalAttempt }]);
  if ('kind' in prepared) return prepared;
  const result = await createAtBank(db, prepared);
  const [outcome] = await finalizeIssues(db, [{ prepared, result }]);
  return outcome;
}
