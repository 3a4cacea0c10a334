import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { db } from '../../src/db';
import { startStack, Stack, waitFor } from '../support/harness';
import { assessAndIssue, billRow, expectLedgerVerified, paymentsOf } from '../support/payments';

type Bill = { id: number; bill_no: string; trx_id: string; virtual_account: string; amount: number };

const FROM = '2026-11-01';
const TO = '2026-11-25';
/** Bill i is paid on 2 to 20 November at 10:00 WIB, clear of the statement's last day. */
const paidOn = (i: number) => new Date(Date.UTC(2026, 10, 2 + (i % 19), 3, 0, i));

describe('Bank statements are imported, matched against payments, and their differences resolved', () => {
  let stack: Stack;
  let bills: Bill[];
  let finance: string;
  let ntb: Map<number, string>;
  let statement: string;
  let runId: string;

  const api = () => request(stack.url);
  const upload = (text: string | Buffer, query: Record<string, string>, token = finance, type = 'text/csv') =>
    api().post('/api/v1/reconciliation/statements').query(query).set('Authorization', `Bearer ${token}`).set('Content-Type', type).send(text);
  const runOf = async (id: string) => {
    const r = await api().get(`/api/v1/reconciliation/runs/${id}`).set('Authorization', `Bearer ${finance}`);
    expect(r.status).toBe(200);
    return r.body;
  };
  const exceptionsOf = async (run: string) =>
    (await api().get('/api/v1/reconciliation/exceptions').query({ run }).set('Authorization', `Bearer ${finance}`)).body.data;

  beforeAll(async () => {
    stack = await startStack();
    finance = stack.token({ role: 'finance' });
    bills = await assessAndIssue(stack);
    ntb = new Map();
    // The whole year's levy paid at BNI; the first payment's notification never reaches Kasda.
    for (const [i, b] of bills.entries()) {
      const d = await stack.sim.pay(b.trx_id, { paidAt: paidOn(i), notify: i !== 0 });
      ntb.set(b.id, d.notification.payment_ntb);
    }
    await waitFor('every notified payment applied', async () => {
      const paid = await db()('bills').whereIn('id', bills.map((b) => b.id)).andWhere({ status: 'paid' }).count<{ count: string }[]>('* as count');
      return Number(paid[0].count) === bills.length - 1 ? true : undefined;
    });
  }, 120_000);
  afterAll(() => stack.close());

  it('When a year of payments is exported with planted differences, then exactly those outcomes come out', async () => {
    const exported = stack.sim.statement(FROM, TO, 'canonical').trimEnd().split('\n');
    expect(exported).toHaveLength(bills.length + 1);
    const lineOf = (b: Bill) => exported.find((l) => l.includes(`,${ntb.get(b.id)},`))!;
    const [unknown, missing, differs, doubled] = bills;
    const body = exported
      .filter((l) => l !== lineOf(missing))
      .map((l) => (l === lineOf(differs) ? l.replace(`,${differs.amount},`, `,${differs.amount + 1000},`) : l));
    body.push(lineOf(doubled));
    const firstBad = body.length + 1;
    body.push(
      '2026-11-31 10:00:00,9880012300000001,1000,BAD1,no such day',
      '2026-11-10 10:00:00,9880012300000001,1.000,BAD2,dotted amount',
      '2026-11-10 10:00:00,9880012300000001,1000',
      '2026-11-10 10:00:00,9880012300000001,1000,BAD4,"=HYPERLINK(""http://x"")"',
      '2026-11-10 10:00:00,9880012300000001,1000,BAD5,@SUM(A1)',
    );
    statement = `${body.join('\n')}\n`;

    const res = await upload(statement, { channel: 'bni-ecollection', from: FROM, to: TO });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ reimported: false, format: 'canonical', lines: { loaded: bills.length, rejected: 5, skipped: 0 } });
    runId = res.body.id;
    expect(res.headers.location).toBe(`/api/v1/reconciliation/runs/${runId}`);

    const run = await runOf(runId);
    expect(run.outcomes).toEqual({
      lines: { total: bills.length + 5, matched: bills.length - 3, missing_in_system: 1, amount_mismatch: 1, duplicate: 1, rejected: 5 },
      payments: { matched: bills.length - 3, amount_mismatch: 1, missing_in_bank: 1, pending: 0 },
    });
    expect(run.exceptions).toEqual({ opened: 4, closed: 0 });
    expect(run.rejected).toEqual([
      { row: firstBad, reason: 'posted_at "2026-11-31 10:00:00" is not a date and time' },
      { row: firstBad + 1, reason: 'amount "1.000" is not a whole rupiah amount' },
      { row: firstBad + 2, reason: 'missing column bank_reference' },
      { row: firstBad + 3, reason: expect.stringMatching(/^description starts with "="/) },
      { row: firstBad + 4, reason: expect.stringMatching(/^description starts with "@"/) },
    ]);

    const byOutcome = Object.fromEntries((await exceptionsOf(runId)).map((e: { outcome: string }) => [e.outcome, e]));
    expect(Object.keys(byOutcome).sort()).toEqual(['amount_mismatch', 'duplicate', 'missing_in_bank', 'missing_in_system']);
    expect(byOutcome.missing_in_system).toMatchObject({
      status: 'open',
      virtual_account: unknown.virtual_account,
      bank_reference: ntb.get(unknown.id),
      amount: unknown.amount,
      bill_no: unknown.bill_no,
      payment: null,
    });
    expect(byOutcome.missing_in_bank).toMatchObject({ bank_reference: ntb.get(missing.id), amount: missing.amount, bill_no: missing.bill_no, line_no: null });
    expect(byOutcome.amount_mismatch).toMatchObject({
      bill_no: differs.bill_no,
      difference: { field: 'amount', bank: String(differs.amount + 1000), kasda: String(differs.amount) },
    });
    expect(byOutcome.duplicate).toMatchObject({ bank_reference: ntb.get(doubled.id), line_no: bills.length + 1 });
  });

  it('When the same file is imported again, then the first run comes back and nothing changes', async () => {
    const count = async () =>
      Promise.all(['statement_runs', 'statement_lines', 'reconciliation_exceptions', 'statement_payment_outcomes'].map(async (t) => (await db()(t).count('* as n'))[0].n));
    const before = await count();
    const again = await upload(statement, { channel: 'bni-ecollection', from: FROM, to: TO });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: runId, reimported: true, status: 'completed' });
    expect(await count()).toEqual(before);
  });

  it('When finance links the unknown credit to its bill, then it is applied through the apply path and the books still prove', async () => {
    const [unknown] = bills;
    const e = (await exceptionsOf(runId)).find((x: { outcome: string }) => x.outcome === 'missing_in_system');
    const res = await api()
      .post(`/api/v1/reconciliation/exceptions/${e.id}/resolve`)
      .set('Authorization', `Bearer ${finance}`)
      .send({ action: 'link_to_bill', reason: 'Paid at the teller; BNI never notified us' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'resolved',
      resolution: { action: 'link_to_bill', reason: 'Paid at the teller; BNI never notified us', by: 'finance:test', bill_no: unknown.bill_no },
    });
    expect(await billRow(unknown.id)).toMatchObject({ status: 'paid', paid_amount: unknown.amount });
    const [p] = await paymentsOf(unknown.id);
    expect(p).toMatchObject({ source: 'statement', payment_ref: ntb.get(unknown.id), amount: unknown.amount, id: res.body.resolution.payment_id });
    expect(await db()('bank_notifications').where({ id: p.notification_id }).first()).toMatchObject({ source: 'statement', status: 'applied' });
    const audit = await db()('audit_log').where({ entity_type: 'reconciliation_exception', entity_id: String(e.id) });
    expect(audit).toEqual([
      expect.objectContaining({
        actor: 'finance:test',
        action: 'reconciliation.exception_resolved',
        after: expect.objectContaining({ action: 'link_to_bill', reason: 'Paid at the teller; BNI never notified us', payment_id: p.id }),
      }),
    ]);
    await expectLedgerVerified();

    const twice = await api().post(`/api/v1/reconciliation/exceptions/${e.id}/resolve`).set('Authorization', `Bearer ${finance}`).send({ action: 'write_off', reason: 'again' });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('exception_resolved');
  });

  it('When an action does not fit the outcome, then it is refused and the exception stays open', async () => {
    const e = (await exceptionsOf(runId)).find((x: { outcome: string }) => x.outcome === 'missing_in_bank');
    const res = await api().post(`/api/v1/reconciliation/exceptions/${e.id}/resolve`).set('Authorization', `Bearer ${finance}`).send({ action: 'link_to_bill', reason: 'try' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'resolution_not_allowed', details: { allowed: ['accept_difference', 'write_off'] } });
    const unknownField = await api().post(`/api/v1/reconciliation/exceptions/${e.id}/resolve`).set('Authorization', `Bearer ${finance}`).send({ action: 'write_off', reason: 'x y', note: 1 });
    expect(unknownField.status).toBe(400);
    expect((await exceptionsOf(runId)).find((x: { id: number }) => x.id === e.id).status).toBe('open');
  });

  it('When finance edits the CSV export and posts it back, then rows are resolved, bad rows reported, and a repost changes nothing', async () => {
    const csv = await api().get('/api/v1/reconciliation/exceptions.csv').query({ run: runId, status: 'open' }).set('Authorization', `Bearer ${finance}`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const rows: Record<string, string>[] = parse(csv.text, { columns: true });
    expect(rows.map((r) => r.outcome).sort()).toEqual(['amount_mismatch', 'duplicate', 'missing_in_bank']);
    const fill: Record<string, [string, string]> = {
      amount_mismatch: ['accept_difference', 'Bank figure confirmed by BNI branch'],
      duplicate: ['mark_refund', 'Credited twice; refund to the payer'],
      missing_in_bank: ['write_off', '=1+1'],
    };
    const columns = Object.keys(rows[0]);
    const edited = [columns.join(','), ...rows.map((r) => columns.map((c) => (c === 'action' ? fill[r.outcome][0] : c === 'reason' ? fill[r.outcome][1] : r[c])).map((v) => `"${v}"`).join(','))].join('\n');
    const post = () => api().post('/api/v1/reconciliation/exceptions/resolutions').set('Authorization', `Bearer ${finance}`).set('Content-Type', 'text/csv').send(edited);

    const first = await post();
    expect(first.status).toBe(200);
    const badRow = rows.findIndex((r) => r.outcome === 'missing_in_bank') + 2;
    expect(first.body).toEqual({
      rows: 3,
      resolved: 2,
      unchanged: 0,
      skipped: 0,
      rejected: [{ row: badRow, column: 'reason', reason: expect.stringMatching(/^reason starts with "="/), code: 'validation_failed' }],
    });
    const again = await post();
    expect(again.body).toMatchObject({ resolved: 0, unchanged: 2, rejected: [{ row: badRow }] });
    const audited = await db()('audit_log').where({ entity_type: 'reconciliation_exception', action: 'reconciliation.exception_resolved' });
    expect(audited).toHaveLength(3);
  });

  it("When BNI's own CSV export of the range is imported, then every line matches and the late-posted payment's exception closes", async () => {
    const res = await upload(stack.sim.statement(FROM, TO, 'bni-csv'), { channel: 'bni-ecollection', from: FROM, to: TO, format: 'bni-csv' });
    expect(res.status).toBe(202);
    const run = await runOf(res.body.id);
    expect(run).toMatchObject({ format: 'bni-csv', lines: { loaded: bills.length, rejected: 0, skipped: 3 } });
    expect(run.outcomes).toEqual({
      lines: { total: bills.length, matched: bills.length, missing_in_system: 0, amount_mismatch: 0, duplicate: 0, rejected: 0 },
      payments: { matched: bills.length, amount_mismatch: 0, missing_in_bank: 0, pending: 0 },
    });
    expect(run.exceptions).toEqual({ opened: 0, closed: 1 });
    const closed = (await exceptionsOf(runId)).find((x: { outcome: string }) => x.outcome === 'missing_in_bank');
    expect(closed).toMatchObject({ status: 'resolved', resolution: { action: 'accept_difference', by: 'kasda:reconciliation' } });
  });

  it('When an MT940 statement is uploaded as a multipart form, then it is read the same way', async () => {
    const text = stack.sim.statement('2026-11-02', '2026-11-10', 'mt940');
    const res = await api()
      .post('/api/v1/reconciliation/statements')
      .query({ channel: 'bni-ecollection', from: '2026-11-02', to: '2026-11-10', format: 'mt940' })
      .set('Authorization', `Bearer ${finance}`)
      .attach('file', Buffer.from(text), { filename: 'bni-20261110.sta', contentType: 'application/octet-stream' });
    expect(res.status).toBe(202);
    expect(res.body.file).toMatchObject({ name: 'bni-20261110.sta', bytes: Buffer.byteLength(text) });
    const inRange = bills.filter((_, i) => paidOn(i) < new Date('2026-11-10T17:00:00Z')).length;
    const run = await runOf(res.body.id);
    expect(run.outcomes.lines).toMatchObject({ total: inRange, matched: inRange });
    expect(run.outcomes.payments).toMatchObject({ matched: inRange, missing_in_bank: 0, pending: 0 });
  });

  it('When a payment of the last day is not on the statement yet, then it is pending, and the next statement decides', async () => {
    const i = 5;
    const day = paidOn(i).toISOString().slice(0, 10);
    const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    const lacking = stack.sim
      .statement(day, day)
      .split('\n')
      .filter((l) => !l.includes(`,${ntb.get(bills[i].id)},`))
      .join('\n');
    const first = await runOf((await upload(lacking, { channel: 'bni-ecollection', from: day, to: day })).body.id);
    expect(first.outcomes.payments.pending).toBe(1);
    expect(first.outcomes.payments.missing_in_bank).toBe(0);
    expect(await exceptionsOf(first.id)).toEqual([]);

    const second = await runOf((await upload(stack.sim.statement(next, next), { channel: 'bni-ecollection', from: next, to: next })).body.id);
    expect(second.outcomes.payments).toMatchObject({ missing_in_bank: 1, pending: 0 });
    expect(await exceptionsOf(second.id)).toEqual([expect.objectContaining({ outcome: 'missing_in_bank', bill_no: bills[i].bill_no })]);
  });

  it('When an upload is not a statement, then it is refused with a stable code and nothing is kept', async () => {
    const q = { channel: 'bni-ecollection', from: FROM, to: TO };
    const runs = (await db()('statement_runs').count('* as n'))[0].n;
    const cases: Array<[string, () => request.Test, number, string]> = [
      ['empty file', () => upload('', q), 400, 'statement_empty'],
      ['blank file', () => upload('\n \n', q), 400, 'statement_empty'],
      ['JSON body', () => upload(JSON.stringify({ a: 1 }), q, finance, 'application/json'), 415, 'unsupported_media_type'],
      ['huge line', () => upload(`posted_at,virtual_account,amount,bank_reference,description\n2026-11-02,,1,R,${'x'.repeat(20_000)}\n`, q), 400, 'statement_line_too_long'],
      ['unknown format', () => upload('a\n', { ...q, format: 'camt053' }), 400, 'unknown_statement_format'],
      ['unknown parameter', () => upload('a\n', { ...q, bank: 'x' }), 400, 'validation_failed'],
      ['range backwards', () => upload('a\n', { ...q, from: TO, to: FROM }), 400, 'invalid_statement_range'],
      ['unknown channel', () => upload('a\n', { ...q, channel: 'nagari' }), 404, 'bank_channel_not_found'],
      ['wrong header', () => upload('date,amount\n2026-11-02,1\n', q), 400, 'statement_invalid_header'],
      [
        'form without a file',
        () => api().post('/api/v1/reconciliation/statements').query(q).set('Authorization', `Bearer ${finance}`).field('channel', 'x'),
        400,
        'unexpected_form_field',
      ],
    ];
    for (const [what, send, status, code] of cases) {
      const res = await send();
      expect({ what, status: res.status, code: res.body.error?.code }).toEqual({ what, status, code });
    }
    expect((await db()('statement_runs').count('* as n'))[0].n).toBe(runs);
  });

  it('Only finance and admin write; an auditor reads; payers and OPD admins are refused', async () => {
    const payer = stack.token({ role: 'payer', npwrd: 'P.X' });
    const opd = stack.token({ role: 'opd_admin', opd: 'DISKOMINFO' });
    const auditor = stack.token({ role: 'auditor' });
    const admin = stack.token({ role: 'admin' });
    const q = { channel: 'bni-ecollection', from: FROM, to: TO };
    for (const who of [payer, opd]) {
      expect((await upload(statement, q, who)).status).toBe(403);
      expect((await api().get(`/api/v1/reconciliation/runs/${runId}`).set('Authorization', `Bearer ${who}`)).status).toBe(403);
      expect((await api().get('/api/v1/reconciliation/exceptions').set('Authorization', `Bearer ${who}`)).status).toBe(403);
      expect((await api().get('/api/v1/reconciliation/exceptions.csv').set('Authorization', `Bearer ${who}`)).status).toBe(403);
    }
    expect((await upload(statement, q, auditor)).status).toBe(403);
    expect((await api().get(`/api/v1/reconciliation/runs/${runId}`).set('Authorization', `Bearer ${auditor}`)).status).toBe(200);
    expect((await api().get('/api/v1/reconciliation/exceptions.csv').set('Authorization', `Bearer ${auditor}`)).status).toBe(200);
    expect((await api().post('/api/v1/reconciliation/exceptions/1/resolve').set('Authorization', `Bearer ${auditor}`).send({ action: 'write_off', reason: 'not mine' })).status).toBe(403);
    expect((await upload(statement, q, admin)).status).toBe(200);
    expect((await request(stack.url).post('/api/v1/reconciliation/statements').query(q).set('Content-Type', 'text/csv').send(statement)).status).toBe(401);
  });

  it('When a statement has a BOM, CRLF endings, repeats, bad rows and rows outside the range, then each comes out as before', async () => {
    const q = { channel: 'bni-ecollection', from: '2026-10-01', to: '2026-10-31' };
    const headerOnly = await upload('\uFEFFposted_at,virtual_account,amount,bank_reference,description\r\n', q);
    expect(headerOnly.status).toBe(202);
    expect(headerOnly.body).toMatchObject({ lines: { loaded: 0, rejected: 0, skipped: 0 } });
    expect((await runOf(headerOnly.body.id)).outcomes.lines).toMatchObject({ total: 0, matched: 0 });
    const bomOnly = await upload('\uFEFF\r\n', q);
    expect({ status: bomOnly.status, code: bomOnly.body.error?.code }).toEqual({ status: 400, code: 'statement_empty' });

    const rows = [
      '\uFEFFbank_reference,posted_at,amount,virtual_account,description',
      'OCT1,2026-10-01 00:00:00,1000,9889990000000001,"PT A, Tbk"',
      'OCT1,2026-10-02 10:00:00,2000,9889990000000001,same reference again',
      ',2026-10-03 10:00:00,3000,9889990000000002,no reference',
      '',
      ',2026-10-03 10:00:00,3000,9889990000000002,no reference',
      'OCT1,2026-10-04 10:00:00,1000,9889990000000001,third time',
      ',2026-10-03 10:00:00,3000,9889990000000002,no reference but other text',
      'OCT2,2026-10-31 23:59:59,1000,,last second of the range',
      'OCT3,2026-10-31T17:00:00Z,1000,,first instant after it',
      'OCT4,2026-09-30T17:00:00Z,1000,,first instant of it',
      'OCT5,2026-09-30 23:59:59,1000,,before it',
      'OCT6,2026-10-05 10:00:00,10.5,,bad amount',
      'OCT7,2026-10-32 10:00:00,1000,,bad date',
      `OCT8,2026-10-05 10:00:00,1000,,${'x'.repeat(501)}`,
      'OCT9,2026-10-05 10:00:00,1000,,"never closed',
    ];
    const res = await upload(`${rows.join('\r\n')}\r\n`, q);
    expect(res.status).toBe(202);
    expect(res.body.lines).toEqual({ loaded: 8, rejected: 6, skipped: 0 });
    const run = await runOf(res.body.id);
    expect(run.outcomes.lines).toEqual({ total: 14, matched: 0, missing_in_system: 5, amount_mismatch: 0, duplicate: 3, rejected: 6 });
    expect(run.rejected).toEqual([
      { row: 10, reason: "posted on 2026-11-01, outside the statement's range 2026-10-01 to 2026-10-31" },
      { row: 12, reason: "posted on 2026-09-30, outside the statement's range 2026-10-01 to 2026-10-31" },
      { row: 13, reason: 'amount "10.5" is not a whole rupiah amount' },
      { row: 14, reason: 'posted_at "2026-10-32 10:00:00" is not a date and time' },
      { row: 15, reason: 'description is longer than 500 characters' },
      { row: 16, reason: 'a quote is not closed on this line' },
    ]);
    const stored = await db()('statement_lines').where({ run_id: run.id }).orderBy('line_no');
    expect(stored.map((l: { line_no: number }) => l.line_no)).toEqual([2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    const byLine = new Map(stored.map((l: { line_no: number }) => [l.line_no, l]));
    expect(byLine.get(2)).toMatchObject({ outcome: 'missing_in_system', description: 'PT A, Tbk', posted_at: new Date('2026-09-30T17:00:00Z') });
    expect(byLine.get(3)).toMatchObject({ outcome: 'duplicate', detail: { first_line: 2, occurrence: 2 } });
    expect(byLine.get(6)).toMatchObject({ outcome: 'duplicate', detail: { first_line: 4, occurrence: 2 }, bank_reference: null });
    expect(byLine.get(7)).toMatchObject({ outcome: 'duplicate', detail: { first_line: 2, occurrence: 3 } });
    expect(byLine.get(8)).toMatchObject({ outcome: 'missing_in_system', detail: null });
    expect(byLine.get(9)).toMatchObject({ outcome: 'missing_in_system', posted_at: new Date('2026-10-31T16:59:59Z') });
    expect(byLine.get(11)).toMatchObject({ outcome: 'missing_in_system', posted_at: new Date('2026-09-30T17:00:00Z') });
    const exceptions = await exceptionsOf(run.id);
    expect(exceptions.filter((e: { outcome: string }) => e.outcome === 'duplicate').map((e: { line_no: number }) => e.line_no).sort()).toEqual([3, 6, 7]);
  });

  it('When a line has no bank reference, then it is matched by VA and amount, and a payment found that way closes its exception', async () => {
    const i = 5;
    const open = (await db()('reconciliation_exceptions').where({ outcome: 'missing_in_bank', status: 'open' })).map((e: { bill_id: number }) => e.bill_id);
    expect(open).toEqual([bills[i].id]);
    const exported = stack.sim.statement(FROM, TO, 'canonical').trimEnd().split('\n');
    const text = exported.map((l) => (l.includes(`,${ntb.get(bills[i].id)},`) ? l.replace(`,${ntb.get(bills[i].id)},`, ',,') : l)).join('\n');
    const res = await upload(text, { channel: 'bni-ecollection', from: FROM, to: TO });
    expect(res.status).toBe(202);
    const run = await runOf(res.body.id);
    expect(run.outcomes).toEqual({
      lines: { total: bills.length, matched: bills.length, missing_in_system: 0, amount_mismatch: 0, duplicate: 0, rejected: 0 },
      payments: { matched: bills.length, amount_mismatch: 0, missing_in_bank: 0, pending: 0 },
    });
    expect(run.exceptions).toEqual({ opened: 0, closed: 1 });
    const [paired] = await db()('statement_lines').where({ run_id: run.id }).whereNull('bank_reference');
    expect(paired).toMatchObject({ outcome: 'matched', detail: { matched_by: 'virtual_account' }, virtual_account: bills[i].virtual_account });
    const closed = await db()('reconciliation_exceptions').where({ bill_id: bills[i].id, outcome: 'missing_in_bank' }).first();
    expect(closed).toMatchObject({ status: 'resolved', action: 'accept_difference', reason: `posted late: on the statement of run ${run.id}, line ${paired.line_no}` });
  });

  it('When two payments of the channel carry the bank reference a line names, then the statement is refused and nothing is written', async () => {
    const [a, b] = await db()('payments').whereIn('bill_id', [bills[1].id, bills[2].id]).orderBy('id').select('id', 'payment_ref');
    await db()('payments').where({ id: b.id }).update({ payment_ref: a.payment_ref });
    try {
      const runs = async () => Number((await db()('statement_runs').count<{ n: string }[]>('* as n'))[0].n);
      const before = await runs();
      const text = `posted_at,virtual_account,amount,bank_reference,description\n2026-10-10 10:00:00,,1000,${a.payment_ref},shared\n`;
      const res = await upload(text, { channel: 'bni-ecollection', from: '2026-10-01', to: '2026-10-31' });
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'ambiguous_bank_reference', details: { references: [a.payment_ref] } });
      expect(await runs()).toBe(before);
      const other = await upload(text.replace(a.payment_ref, 'NOT-SHARED-1'), { channel: 'bni-ecollection', from: '2026-10-01', to: '2026-10-31' });
      expect(other.status).toBe(202);
    } finally {
      await db()('payments').where({ id: b.id }).update({ payment_ref: b.payment_ref });
    }
  });
});
