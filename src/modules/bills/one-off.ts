import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { AppError, Conflict } from '../../errors';
import type { Principal } from '../auth/tokens';
import { recordAudit } from '../audit/service';
import { idempotent } from '../idempotency/service';
import { firstVersion, versionAsOf } from '../levy-types/repo';
import type { LevyTypeVersion } from '../levy-types/schema';
import { billableVersion, computeLines, currentPeriod, dueDate, issueDateFor, ObjectInput, requireScopedLevyType } from '../levy-types/service';
import { jakartaDate } from '../../lib/time';
import * as objects from '../objects/repo';
import { findByNpwrds } from '../payers/repo';
import { allocateBillNumbers, formatBillNo } from './repo';
import { enqueueIssue, getBill } from './service';

/**
 * A bill made on request by an OPD's own system (a permit fee, an asset rental, a filed tax): one
 * bill for one payer, its lines computed by the levy's tariff exactly as an assessment would, on
 * the version in force for the period, then issued on the levy's bank channel like any other.
 * Objects are either registered ones (`object_codes`, for levies not billed by assessment runs) or
 * described in the request (`objects`: a filed base, a temporary billboard).
 */
export interface OneOffBillRequest {
  levy_type: string;
  payer: string;
  period?: string;
  objects?: ObjectInput[];
  object_codes?: string[];
}

function invalid(code: string, errors: Array<{ field: string; reason: string }>): AppError {
  return new AppError(code, `${errors[0].field}: ${errors[0].reason}`, 422, { errors });
}

async function registeredObjects(trx: Knex, levyTypeId: number, payerId: number, codes: string[]) {
  const found = await objects.findByCodes(trx, levyTypeId, codes);
  const errors: Array<{ field: string; reason: string }> = [];
  codes.forEach((code, i) => {
    const o = found.get(code);
    const field = `object_codes[${i}]`;
    if (!o) errors.push({ field, reason: `no object ${code} for this levy type` });
    else if (o.payer_id !== payerId) errors.push({ field, reason: `${code} belongs to another payer` });
    else if (o.status !== 'active') errors.push({ field, reason: `${code} is ${o.status}` });
  });
  if (new Set(codes).size !== codes.length) errors.push({ field: 'object_codes', reason: 'names an object twice' });
  if (errors.length) throw invalid('object_not_billable', errors);
  return codes.map((c) => found.get(c)!);
}

async function createBill(trx: Knex.Transaction, who: Principal, body: OneOffBillRequest) {
  if ((body.objects === undefined) === (body.object_codes === undefined)) {
    throw new AppError('validation_failed', 'Give either objects (described here) or object_codes (registered), not both', 400);
  }
  const levy = await requireScopedLevyType(trx, who, body.levy_type);
  const current: LevyTypeVersion = (await versionAsOf(trx, levy.id, jakartaDate())) ?? (await firstVersion(trx, levy.id))!;
  const period = body.period ?? currentPeriod(current.period_kind);
  const version = await billableVersion(trx, levy, period);
  const payer = (await findByNpwrds(trx, [body.payer])).get(body.payer);
  if (!payer) throw invalid('payer_not_found', [{ field: 'payer', reason: `no payer with NPWRD ${body.payer}` }]);

  // Registered objects of an assessed levy are billed by its assessment runs, once a period; a bill
  // on request for them would bill them twice. Objects described in the request are ad hoc.
  if (body.object_codes && version.assessment_mode === 'official') {
    throw new Conflict('levy_assessed', `${levy.code} bills its registered objects by assessment runs; describe an ad hoc object in objects instead`);
  }
  const registered = body.object_codes ? await registeredObjects(trx, levy.id, payer.id, body.object_codes) : undefined;
  const inputs: ObjectInput[] = registered ? registered.map((o) => ({ code: o.code, attributes: o.attributes })) : body.objects!;
  if (version.billing_unit === 'per_object' && inputs.length !== 1) {
    throw invalid('one_object_per_bill', [{ field: body.objects ? 'objects' : 'object_codes', reason: `${levy.code} bills each object on its own bill; send one` }]);
  }
  const { lines, rejected } = computeLines(version, period, inputs);
  if (rejected.length) {
    throw invalid(
      'object_invalid',
      rejected.map((r) => ({ field: registered ? `object_codes[${r.index}]` : r.field, reason: r.reason })),
    );
  }

  const opd = await trx('opds').where({ id: levy.opd_id }).first();
  const channel = await trx('bank_channels').where({ id: version.bank_channel_id }).first();
  const issueDate = issueDateFor(period);
  const year = Number(issueDate.slice(0, 4));
  const billNo = formatBillNo(opd.code, year, await allocateBillNumbers(trx, opd.id, year, 1));
  const amount = lines.reduce((s, l) => s + l.calculation.amount, 0);
  const [bill] = await trx('bills')
    .insert({
      bill_no: billNo,
      document_type: version.document_type,
      opd_id: opd.id,
      levy_type_id: levy.id,
      levy_type_version_id: version.id,
      payer_id: payer.id,
      period,
      // Unique per bill: a request is made once by its Idempotency-Key, not by what it bills.
      subject_key: `request:${crypto.randomUUID()}`,
      amount,
      billing_type: version.payment_policy.billing_type,
      bank_channel_id: channel.id,
      issue_date: issueDate,
      due_date: dueDate(version.due_rule, issueDate, period),
    })
    .returning(['id', 'issue_attempts']);
  await trx('bill_lines').insert(
    lines.map((l, n) => ({
      bill_id: bill.id,
      line_no: n + 1,
      object_id: registered?.[l.index].id ?? null,
      account_code: l.account_code,
      description: l.description,
      amount: l.calculation.amount,
      // An object described only in the request keeps its code with the calculation.
      calculation: JSON.stringify(registered || !l.object_code ? l.calculation : { ...l.calculation, object_code: l.object_code }),
    })),
  );
  await recordAudit(trx, {
    actor: `${who.role}:${who.sub}`,
    action: 'bill.created',
    entityType: 'bill',
    entityId: billNo,
    after: { status: 'draft', amount, on_request: true },
  });
  return { billNo, bill: { id: bill.id as number, issue_attempts: bill.issue_attempts as number, channel_code: channel.code as string } };
}

export async function createOneOffBill(db: Knex, who: Principal, body: OneOffBillRequest, idempotencyKey?: string) {
  return idempotent(db, who, { key: idempotencyKey, method: 'POST', path: '/api/v1/bills', body }, async (trx) => {
    const { billNo, bill } = await createBill(trx, who, body);
    return {
      status: 201,
      body: await getBill(trx, who, billNo),
      // If the queue is away the bill waits in draft, and the sweeper queues it.
      afterCommit: () => enqueueIssue([bill]),
    };
  });
}
