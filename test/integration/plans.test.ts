import type { Knex } from 'knex';
import { closeDb, db } from '../../src/db';
import { postMany } from '../../src/modules/ledger/service';
import { startRun } from '../../src/modules/assessments/repo';
import { runAssessment } from '../../src/modules/assessments/service';
import { BENCH_PERIOD, defineBenchLevy, seedBenchObjects } from '../../bench/lib/levy';
import { startStack, Stack } from '../support/harness';

/**
 * Plans made while a table was nearly empty must not outlive its growth where rows arrive by the
 * thousand (src/db.ts, migration 013 say why): what each piece promises, checked in the database.
 */
describe('Query plans on tables that start empty', () => {
  afterAll(() => closeDb());
  const setting = async (q: Knex) => (await q.raw(`SELECT current_setting('plan_cache_mode') AS mode`)).rows[0].mode;

  it('When a transaction posts to the ledger, then its statements are planned for the tables as they are, and the setting ends with it', async () => {
    expect(await setting(db())).toBe('auto');
    const rolledBack = new Error('rolled back');
    await expect(
      db().transaction(async (trx) => {
        await postMany(trx, [
          {
            kind: 'correction',
            description: 'plans test',
            occurredAt: new Date(),
            lines: [
              { account: 'receivable:test', debit: 1000 },
              { account: 'revenue:test', credit: 1000 },
            ],
          },
        ]);
        expect(await setting(trx)).toBe('force_custom_plan');
        throw rolledBack;
      }),
    ).rejects.toBe(rolledBack);
    expect(await setting(db())).toBe('auto');
  });

  it('When any connection posts a ledger line, then the balance check is planned for that line, whatever the connection says', async () => {
    const { rows } = await db().raw(`SELECT proconfig FROM pg_proc WHERE proname = 'ledger_entry_balances'`);
    expect(rows[0].proconfig).toEqual(['plan_cache_mode=force_custom_plan']);
  });

  it('When payments are written, then the shared-references check plans its query for the statement at hand', async () => {
    const { rows } = await db().raw(`SELECT prosrc FROM pg_proc WHERE proname = 'payments_note_shared_references'`);
    expect(rows[0].prosrc).toMatch(/EXECUTE 'INSERT INTO payment_reference_shares/);
  });
});

describe('Statistics after a large assessment', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ workers: false });
  });
  afterAll(() => stack.close());

  it('When an assessment creates a thousand bills or more, then the planner learns of them before their VA jobs run', async () => {
    const levy = await defineBenchLevy(db());
    await seedBenchObjects(db(), levy, 1000);
    const reltuples = async () => Number((await db().raw(`SELECT reltuples FROM pg_class WHERE relname = 'bills'`)).rows[0].reltuples);
    expect(await reltuples()).toBeLessThan(1000);
    const { run } = await startRun(db(), { levy_type_id: levy.levyTypeId, levy_type_version_id: levy.versionId, period: BENCH_PERIOD, requested_by: 'test' });
    await runAssessment(db(), run.id);
    expect(await db()('assessments').where({ id: run.id }).first()).toMatchObject({ status: 'completed', bills_created: 1000 });
    expect(await reltuples()).toBeGreaterThanOrEqual(1000);
  });
});
