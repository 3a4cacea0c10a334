import request from 'supertest';
import { encrypt } from '../../src/banks/bni-ecollection/bni-enc';
import { formatWib, formatWibIso } from '../../src/banks/bni-ecollection/connector';
import { config } from '../../src/config';
import { db } from '../../src/db';
import { runAssessment } from '../../src/modules/assessments/service';
import { verifyLedger } from '../../src/modules/ledger/verify';
import { Stack, waitFor } from './harness';

/** Asks the API to assess the tower levy for a period; answers the assessment run's id. */
async function requestTowerAssessment(stack: Stack, period: string): Promise<string> {
  const admin = stack.token({ role: 'admin' });
  const res = await request(stack.url)
    .post('/api/v1/assessments')
    .set('Authorization', `Bearer ${admin}`)
    .send({ levy_type: 'retribusi-menara', period });
  expect(res.status).toBe(202);
  return res.body.id;
}

/**
 * The tower levy assessed in this process, for a stack started without workers: the bills stay
 * drafts and their VA jobs wait in the queue.
 */
export async function assessTowers(stack: Stack, period = '2027'): Promise<void> {
  await runAssessment(db(), await requestTowerAssessment(stack, period));
}

/** Helpers for payment tests: bills issued on the simulator, BNI notifications built by hand. */
export async function assessAndIssue(stack: Stack, period = '2027') {
  const assessmentId = await requestTowerAssessment(stack, period);
  return waitFor(
    'every bill issued',
    async () => {
      const bills = await db()('bills').where({ assessment_id: assessmentId }).orderBy('id');
      return bills.length > 0 && bills.every((b: { status: string }) => b.status === 'issued') ? bills : undefined;
    },
    60_000,
  );
}

export interface NotificationFields {
  trx_id: string;
  virtual_account: string;
  trx_amount: number;
  payment_amount: number;
  cumulative_payment_amount: number;
  payment_ntb: string;
  paidAt?: Date;
  customer_name?: string;
}

export function bniEnvelope(f: NotificationFields, opts: { clientId?: string; secret?: string; nowSeconds?: number } = {}) {
  const paidAt = f.paidAt ?? new Date();
  const payload = {
    trx_id: f.trx_id,
    virtual_account: f.virtual_account,
    customer_name: f.customer_name ?? 'PT Contoh',
    trx_amount: String(f.trx_amount),
    payment_amount: String(f.payment_amount),
    cumulative_payment_amount: String(f.cumulative_payment_amount),
    payment_ntb: f.payment_ntb,
    datetime_payment: formatWib(paidAt),
    datetime_payment_iso8601: formatWibIso(paidAt),
  };
  const clientId = opts.clientId ?? config().BNI_CLIENT_ID;
  return {
    client_id: clientId,
    data: encrypt(payload, clientId, opts.secret ?? config().BNI_SECRET_KEY, opts.nowSeconds),
  };
}

export function postNotification(stack: Stack, body: unknown, contentType = 'application/json') {
  const r = request(stack.url).post('/api/v1/bank-callbacks/bni-ecollection').set('Content-Type', contentType);
  return typeof body === 'string' || Buffer.isBuffer(body) ? r.send(body) : r.send(JSON.stringify(body));
}

export async function expectLedgerVerified() {
  const report = await verifyLedger(db());
  expect({ ...report, audit: report.audit.problems }).toMatchObject({
    unbalancedEntries: [],
    billMismatches: [],
    paymentMismatches: [],
    audit: [],
    ok: true,
  });
}

export const billRow = (id: number) => db()('bills').where({ id }).first();
export const paymentsOf = (billId: number) => db()('payments').where({ bill_id: billId }).orderBy('id');
