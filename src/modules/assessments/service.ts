import type { Knex } from 'knex';
import { AppError, Conflict, NotFound } from '../../errors';
import { compileSchema, describeErrors } from '../../lib/json-schema';
import { jakartaDate } from '../../lib/time';
import { logger } from '../../logger';
import { queue, QUEUES } from '../../queues';
import type { Principal } from '../auth/tokens';
import { recordAudit } from '../audit/service';
import { allocateBillNumbers, formatBillNo } from '../bills/repo';
import { enqueueIssue } from '../bills/service';
import { describeLine } from '../levy-types/describe';
import { versionById } from '../levy-types/repo';
import { accountCodesFor, billableVersion, dueDate, periodBounds, requireLevyType } from '../levy-types/service';
import { Calculation, compileTariff, TariffError } from '../levy-types/tariff';
import * as repo from './repo';

export interface AssessJob {
  assessmentId: string;
}

function scopeLevy(who: Principal, levyOpdCode: string, levyCode: string) {
  if (who.role === 'opd_admin' && who.opd !== levyOpdCode) {
    throw new NotFound('levy_type_not_found', `No levy type with code ${levyCode}`);
  }
}

export async function requestAssessment(db: Knex, who: Principal, body: { levy_type: string; period: string }) {
  const levy = await requireLevyType(db, body.levy_type);
  const opd = await db('opds').where({ id: levy.opd_id }).first();
  scopeLevy(who, opd.code, levy.code);

  const version = await billableVersion(db, levy, body.period);
  if (version.assessment_mode !== 'official') {
    throw new Conflict('levy_not_assessed', `${levy.code} is billed one bill at a time (${version.assessment_mode}) with POST /api/v1/bills, not by assessment runs`);
  }

  const { run, created } = await repo.startRun(db, {
    levy_type_id: levy.id,
    levy_type_version_id: version.id,
    period: body.period,
    requested_by: `${who.role}:${who.sub}`,
  });
  if (created) {
    try {
      await queue(QUEUES.assessments).add('assess', { assessmentId: run.id } satisfies AssessJob, {
        jobId: `assessment-${run.id}`,
      });
    } catch (e) {
      logger.error({ err: e, assessment: run.id }, 'could not queue the assessment');
      await db('assessments')
        .where({ id: run.id })
        .update({ status: 'failed', error: 'job queue unavailable', completed_at: db.fn.now() });
      throw new AppError('queue_unavailable', 'The job queue is unavailable; nothing was assessed. Try again shortly.', 503);
    }
  }
  return present(db, (await repo.findRun(db, run.id))!, levy.code);
}

async function present(db: Knex, a: repo.AssessmentRow, levyCode: string) {
  return {
    id: a.id,
    levy_type: levyCode,
    period: a.period,
    status: a.status,
    objects_considered: a.objects_considered,
    bills_created: a.bills_created,
    bills_existing: a.bills_existing,
    lines_created: a.lines_created,
    amount_created: a.amount_created,
    unbilled: a.unbilled,
    bills_by_status: await repo.billsByStatus(db, a.levy_type_id, a.period),
    error: a.error,
    created_at: a.created_at,
    completed_at: a.completed_at,
  };
}

export async function getAssessment(db: Knex, who: Principal, id: string) {
  const a = await repo.findRun(db, id);
  if (!a) throw new NotFound('assessment_not_found', `No assessment ${id}`);
  const levy = await db('levy_types as lt').join('opds as o', 'o.id', 'lt.opd_id').where('lt.id', a.levy_type_id).first('lt.code', 'o.code as opd_code');
  if (who.role === 'opd_admin' && who.opd !== levy.opd_code) throw new NotFound('assessment_not_found', `No assessment ${id}`);
  return present(db, a, levy.code);
}

interface ObjectRow {
  id: number;
  code: string;
  name: string;
  payer_id: number | null;
  status: string;
  attributes: Record<string, unknown>;
}

interface PlannedLine {
  object: ObjectRow;
  calc: Calculation;
}

const PAGE = 5000;
const BILLS_PER_TRANSACTION = 500;
/** Bills a run creates beyond which it refreshes the planner's statistics of bills. */
const ANALYZE_AFTER_BILLS = 1000;

/**
 * Turns every billable object of the levy into bills for the period, a page of objects at a time.
 * Each batch of bills is one transaction (numbers allocated inside it, so they have no gaps), and
 * its VA jobs are queued after it commits. Re-running skips bills that exist (unique subject key).
 */
export async function runAssessment(db: Knex, assessmentId: string): Promise<void> {
  const run = await repo.findRun(db, assessmentId);
  if (!run || run.status !== 'running') return;
  try {
    await assess(db, run);
  } catch (e) {
    logger.error({ err: e, assessment: assessmentId }, 'assessment failed');
    await db('assessments')
      .where({ id: assessmentId, status: 'running' })
      .update({ status: 'failed', error: (e as Error).message, completed_at: db.fn.now() });
  }
}

async function assess(db: Knex, run: repo.AssessmentRow): Promise<void> {
  const version = await versionById(db, run.levy_type_version_id);
  const levy = await db('levy_types').where({ id: run.levy_type_id }).first();
  const opd = await db('opds').where({ id: levy.opd_id }).first();
  const channel = await db('bank_channels').where({ id: version.bank_channel_id }).first();
  const compute = compileTariff(version.tariff_rule, version.rounding);
  const validate = compileSchema(version.object_schema);
  const codes = accountCodesFor(version, Number(run.period.slice(0, 4)));
  // An SKRD is not dated before its period starts: assessed ahead, it is issued on the first day.
  const today = jakartaDate();
  const periodStart = periodBounds(run.period).start;
  const issueDate = today > periodStart ? today : periodStart;
  const due = dueDate(version.due_rule, issueDate, run.period);
  const counters = { objects: 0, created: 0, existing: 0, lines: 0, amount: 0 };
  const unbilled: Array<{ object_code: string; reason: string }> = [];

  const flush = async (groups: Map<string, { payerId: number; lines: PlannedLine[] }>) => {
    const keys = [...groups.keys()];
    for (let i = 0; i < keys.length; i += BILLS_PER_TRANSACTION) {
      const batch = keys.slice(i, i + BILLS_PER_TRANSACTION);
      const created = await db.transaction(async (trx) => {
        // One probe of the unique key per subject: an IN list was filtered over every bill of the
        // period once the table had grown during the run (the statistics lag behind it).
        const { rows: found } = await trx.raw(
          `SELECT k.subject_key FROM unnest(?::text[]) AS k(subject_key)
            CROSS JOIN LATERAL (
              SELECT 1 FROM bills b WHERE b.levy_type_id = ? AND b.period = ? AND b.subject_key = k.subject_key LIMIT 1) b`,
          [batch, levy.id, run.period],
        );
        const existing = new Set(found.map((r: { subject_key: string }) => r.subject_key));
        const fresh = batch.filter((k) => !existing.has(k));
        counters.existing += existing.size;
        if (fresh.length === 0) return [];
        const year = Number(issueDate.slice(0, 4));
        const first = await allocateBillNumbers(trx, opd.id, year, fresh.length);
        const bills = await trx('bills')
          .insert(
            fresh.map((key, n) => {
              const g = groups.get(key)!;
              return {
                bill_no: formatBillNo(opd.code, year, first + n),
                document_type: version.document_type,
                opd_id: opd.id,
                levy_type_id: levy.id,
                levy_type_version_id: version.id,
                assessment_id: run.id,
                payer_id: g.payerId,
                period: run.period,
                subject_key: key,
                amount: g.lines.reduce((s, l) => s + l.calc.amount, 0),
                billing_type: version.payment_policy.billing_type,
                bank_channel_id: channel.id,
                issue_date: issueDate,
                due_date: due,
              };
            }),
          )
          .returning(['id', 'subject_key', 'bill_no', 'amount', 'issue_attempts']);
        const lines = bills.flatMap((b: { id: number; subject_key: string }) =>
          groups.get(b.subject_key)!.lines.map((l, n) => ({
            bill_id: b.id,
            line_no: n + 1,
            object_id: l.object.id,
            account_code: codes.principal,
            description: describeLine(version.tariff_rule.description, l.calc),
            amount: l.calc.amount,
            calculation: JSON.stringify(l.calc),
          })),
        );
        for (let j = 0; j < lines.length; j += 1000) await trx('bill_lines').insert(lines.slice(j, j + 1000));
        await recordAudit(
          trx,
          bills.map((b: { bill_no: string; amount: number }) => ({
            actor: `assessment:${run.id}`,
            action: 'bill.created',
            entityType: 'bill',
            entityId: b.bill_no,
            after: { status: 'draft', amount: b.amount },
          })),
        );
        counters.created += bills.length;
        counters.lines += lines.length;
        counters.amount += bills.reduce((s: number, b: { amount: number }) => s + b.amount, 0);
        return bills as Array<{ id: number; issue_attempts: number }>;
      });
      if (created.length) {
        await enqueueIssue(created.map((b) => ({ ...b, channel_code: channel.code }))).catch((e) =>
          logger.warn({ err: e, assessment: run.id }, 'could not queue VA issuing now; the sweeper will'),
        );
      }
    }
  };

  // Objects are read in payer order so a payer's lines arrive together; a payer whose objects
  // straddle a page boundary is carried into the next page before being billed.
  let afterKey: [number, number] = [0, 0];
  let carry = new Map<string, { payerId: number; lines: PlannedLine[] }>();
  // The next page is read and computed while the previous one is written: CPU and database overlap.
  let writing: Promise<void> = Promise.resolve();
  try {
    for (;;) {
      const page: ObjectRow[] = await db('objects')
        .where({ levy_type_id: levy.id })
        .whereNot('status', 'dismantled')
        .whereRaw('(coalesce(payer_id, 0), id) > (?, ?)', afterKey)
        .orderByRaw('coalesce(payer_id, 0), id')
        .limit(PAGE)
        .select('id', 'code', 'name', 'payer_id', 'status', 'attributes');
      if (page.length === 0) break;
      const last = page[page.length - 1];
      afterKey = [last.payer_id ?? 0, last.id];
      const groups = carry;
      carry = new Map();
      for (const o of page) {
        counters.objects += 1;
        if (o.payer_id === null || o.status === 'ownerless') {
          unbilled.push({ object_code: o.code, reason: 'no known owner' });
          continue;
        }
        if (o.status === 'disputed') {
          unbilled.push({ object_code: o.code, reason: 'ownership disputed' });
          continue;
        }
        if (!validate(o.attributes)) {
          unbilled.push({ object_code: o.code, reason: `attributes invalid: ${describeErrors(validate)}` });
          continue;
        }
        let calc: Calculation;
        try {
          calc = compute(o.attributes);
        } catch (e) {
          if (!(e instanceof TariffError)) throw e;
          unbilled.push({ object_code: o.code, reason: e.message });
          continue;
        }
        const key = version.billing_unit === 'per_payer' ? `payer:${o.payer_id}` : `object:${o.id}`;
        const g = groups.get(key) ?? { payerId: o.payer_id, lines: [] };
        g.lines.push({ object: o, calc });
        groups.set(key, g);
      }
      if (page.length === PAGE && version.billing_unit === 'per_payer') {
        const key = `payer:${last.payer_id}`;
        const open = groups.get(key);
        if (open) {
          carry.set(key, open);
          groups.delete(key);
        }
      }
      await writing;
      writing = flush(groups);
      // Awaited at the next page (or below); until then a failure must not count as unhandled.
      writing.catch(() => undefined);
    }
  } catch (e) {
    // A failed run is recorded only once nothing of it is still being written.
    await writing.catch(() => undefined);
    throw e;
  }
  await writing;
  await flush(carry);

  await db.transaction(async (trx) => {
    await trx('assessments').where({ id: run.id }).update({
      status: 'completed',
      objects_considered: counters.objects,
      bills_created: counters.created,
      bills_existing: counters.existing,
      lines_created: counters.lines,
      amount_created: counters.amount,
      unbilled: JSON.stringify(unbilled),
      completed_at: trx.fn.now(),
    });
    await recordAudit(trx, {
      actor: run.requested_by,
      action: 'assessment.completed',
      entityType: 'assessment',
      entityId: run.id,
      after: { ...counters, unbilled: unbilled.length },
    });
  });
  // A large run is a bulk load: the statistics the planner has (all bills paid, say, or none at
  // all on a new database) no longer describe the table its VA jobs and payments are about to
  // search. Autovacuum would catch up within minutes; the jobs start now.
  if (counters.created >= ANALYZE_AFTER_BILLS) await db.raw('ANALYZE bills, bill_lines');
}
