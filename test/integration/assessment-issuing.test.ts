import request from 'supertest';
import { db } from '../../src/db';
import { startStack, Stack, waitFor } from '../support/harness';
import { owners, towers } from '../../seeds/data/padang-towers';
import { binary } from '../support/pdf-text';

describe("Padang's 2027 tower levy: assessed, issued on the BNI simulator, printed", () => {
  let stack: Stack;
  let admin: string;

  beforeAll(async () => {
    stack = await startStack();
    admin = stack.token({ role: 'admin' });
  });
  afterAll(() => stack.close());

  async function assess(period = '2027') {
    const res = await request(stack.url)
      .post('/api/v1/assessments')
      .set('Authorization', `Bearer ${admin}`)
      .send({ levy_type: 'retribusi-menara', period });
    expect(res.status).toBe(202);
    expect(res.headers.location).toBe(`/api/v1/assessments/${res.body.id}`);
    return waitFor('the assessment to finish', async () => {
      const r = await request(stack.url).get(`/api/v1/assessments/${res.body.id}`).set('Authorization', `Bearer ${admin}`);
      return r.body.status === 'running' ? undefined : r.body;
    });
  }

  async function allBills() {
    const res = await request(stack.url)
      .get('/api/v1/bills')
      .query({ levy_type: 'retribusi-menara', period: '2027', limit: 500 })
      .set('Authorization', `Bearer ${admin}`);
    expect(res.status).toBe(200);
    return res.body.data as Array<Record<string, any>>;
  }

  it('When 2027 is assessed, then every owner gets one SKRD with a line per tower and ownerless towers are reported', async () => {
    const run = await assess();
    expect(run.status).toBe('completed');
    expect(run.objects_considered).toBe(505);
    expect(run.bills_created).toBe(owners.length);
    expect(run.lines_created).toBe(towers.filter((t) => t.ownerNpwrd).length);
    expect(run.unbilled).toHaveLength(10);
    expect(run.unbilled.every((u: { reason: string }) => u.reason === 'no known owner')).toBe(true);

    const [{ sum }] = await db()('bill_lines').sum<{ sum: string }[]>('amount as sum');
    expect(Number(sum)).toBe(run.amount_created);
  });

  it('When the workers have run, then every bill is issued with a live VA at the bank', async () => {
    const bills = await waitFor('every bill issued', async () => {
      const list = await allBills();
      return list.every((b) => b.status === 'issued') ? list : undefined;
    });
    expect(bills).toHaveLength(owners.length);
    const atBank = new Map(stack.sim.bills().map((b) => [b.trxId, b]));
    for (const b of bills) {
      const simBill = atBank.get(b.trx_id);
      expect(simBill).toBeDefined();
      expect(simBill!.amount).toBe(b.amount);
      expect(simBill!.virtualAccount).toBe(b.virtual_account);
      expect(b.virtual_account).toMatch(/^98800123\d{8}$/);
      expect(Number.isInteger(b.amount)).toBe(true);
      expect(b.paid_amount).toBe(0);
      expect(new Date(b.expires_at).getTime()).toBeGreaterThan(Date.now());
    }
  });

  it('Bill numbers follow the OPD-year sequence without gaps, and the SKRD is dated no earlier than its period', async () => {
    const bills = await allBills();
    const numbers = bills.map((b) => b.bill_no).sort();
    expect(numbers).toEqual(bills.map((_, i) => `DISKOMINFO-2027-${String(i + 1).padStart(6, '0')}`));
    for (const b of bills) {
      expect(b.issue_date >= '2027-01-01').toBe(true);
      expect(b.due_date).toBe(new Date(Date.parse(`${b.issue_date}T00:00:00Z`) + 30 * 86400_000).toISOString().slice(0, 10));
    }
  });

  it('When the same levy and period is assessed again, then no second bill is created', async () => {
    const run = await assess();
    expect(run.status).toBe('completed');
    expect(run.bills_created).toBe(0);
    expect(run.bills_existing).toBe(owners.length);
    expect(await allBills()).toHaveLength(owners.length);
  });

  it('A bill shows its lines with the calculation, account code and amounts in integer rupiah', async () => {
    const mitratel = owners.find((o) => o.name.includes('Mitratel'))!;
    const list = await request(stack.url)
      .get('/api/v1/bills')
      .query({ payer: mitratel.npwrd })
      .set('Authorization', `Bearer ${admin}`);
    const res = await request(stack.url).get(`/api/v1/bills/${list.body.data[0].bill_no}`).set('Authorization', `Bearer ${admin}`);
    expect(res.status).toBe(200);
    expect(res.body.payer).toEqual({ npwrd: mitratel.npwrd, name: mitratel.name });
    expect(res.body.lines).toHaveLength(180);
    expect(res.body.amount).toBe(res.body.lines.reduce((s: number, l: { amount: number }) => s + l.amount, 0));
    for (const l of res.body.lines) {
      expect(l.account_code).toBe('4.1.02.01.13.0001');
      expect(l.description).toMatch(/^2 pemeriksaan × Rp1\.750\.000 × /);
      expect(l.calculation.amount).toBe(l.amount);
      expect(l.amount).toBeGreaterThanOrEqual(2_000_000);
      expect(l.amount).toBeLessThanOrEqual(7_000_000);
    }
  });

  it('The SKRD is a real PDF', async () => {
    const [bill] = await allBills();
    const res = await request(stack.url)
      .get(`/api/v1/bills/${bill.bill_no}/skrd.pdf`)
      .set('Authorization', `Bearer ${admin}`)
      .buffer(true)
      .parse(binary);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/pdf/);
    expect((res.body as Buffer).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('Cursor pagination walks every bill exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await request(stack.url)
        .get('/api/v1/bills')
        .query({ limit: 5, ...(cursor ? { cursor } : {}) })
        .set('Authorization', `Bearer ${admin}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((b: { bill_no: string }) => b.bill_no));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(owners.length);
    expect(new Set(seen).size).toBe(owners.length);
  });

  it('A period the levy is not defined for is refused with a stable code', async () => {
    const res = await request(stack.url)
      .post('/api/v1/assessments')
      .set('Authorization', `Bearer ${admin}`)
      .send({ levy_type: 'retribusi-menara', period: '2019' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('period_not_billable');
  });
});
