import type { Knex } from 'knex';
import { config } from '../../src/config';
import { createDb, db, dropDatabase, ensureDatabase, migrateLatest, SETTLED_TABLE_BYTES } from '../../src/db';
import { postMany } from '../../src/modules/ledger/service';
import { startRun } from '../../src/modules/assessments/repo';
import { runAssessment } from '../../src/modules/assessments/service';
import { BENCH_PERIOD, defineBenchLevy, seedBenchObjects } from '../../bench/lib/levy';
import { seedPadang } from '../../seeds/padang';
import { startStack, Stack } from '../support/harness';

/**
 * Plans made while a table was nearly empty must not outlive its growth where rows arrive by the
 * thousand, and once the tables are large, planning every statement again buys nothing (src/db.ts
 * says why). Each case in a database of its own, so the sizes are the case's.
 */
describe('Query plans on tables that start empty', () => {
  let scratch: Knex;
  const url = Object.assign(new URL(config().DATABASE_URL), { pathname: `/kasda_plans_${process.pid}_${Date.now().toString(36)}` }).toString();
  const setting = async (q: Knex) => (await q.raw(`SELECT current_setting('plan_cache_mode') AS mode`)).rows[0].mode;
  const rolledBack = new Error('rolled back');
  /** The plan_cache_mode a ledger posting runs under, in a transaction rolled back afterwards. */
  const postingMode = async () => {
    let mode = '';
    await expect(
      scratch.transaction(async (trx) => {
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
        mode = await setting(trx);
        throw rolledBack;
      }),
    ).rejects.toBe(rolledBack);
    return mode;
  };

  beforeAll(async () => {
    await ensureDatabase(url);
    scratch = createDb(url, 2);
    await migrateLatest(scratch);
  });
  afterAll(async () => {
    await scratch?.destroy();
    await dropDatabase(url);
  });

  it('When a transaction posts to a small ledger, then its statements are planned for the tables as they are, and the setting ends with it', async () => {
    expect(await setting(scratch)).toBe('auto');
    expect(await postingMode()).toBe('force_custom_plan');
    expect(await setting(scratch)).toBe('auto');
  });

  it('When the ledger and the bills have grown past a megabyte each, then a posting is left to the plan cache', async () => {
    await seedPadang(scratch);
    const levy = await defineBenchLevy(scratch);
    await seedBenchObjects(scratch, levy, 5000);
    const { run } = await startRun(scratch, { levy_type_id: levy.levyTypeId, levy_type_version_id: levy.versionId, period: BENCH_PERIOD, requested_by: 'test' });
    await runAssessment(scratch, run.id);
    // Balanced corrections, two lines each, enough for a megabyte of entries and of lines.
    await scratch.raw(`
      WITH e AS (
        INSERT INTO ledger_entries (kind, description, occurred_at)
        SELECT 'correction', 'padding ' || g, now() FROM generate_series(1, 15000) g RETURNING id)
      INSERT INTO ledger_lines (entry_id, account, debit, credit)
      SELECT id, a.account, a.debit, a.credit FROM e, (VALUES ('receivable:test', 1, 0), ('revenue:test', 0, 1)) AS a(account, debit, credit)`);
    const { rows } = await scratch.raw(`SELECT min(pg_relation_size(t::regclass))::bigint AS smallest FROM unnest(ARRAY['bills', 'ledger_entries', 'ledger_lines']) t`);
    expect(rows[0].smallest).toBeGreaterThanOrEqual(SETTLED_TABLE_BYTES);
    // The sizes are asked again a few seconds after the small answer of the case before.
    await new Promise((r) => setTimeout(r, 5_100));
    expect(await postingMode()).toBe('auto');
  }, 60_000);

  it('When a ledger line is posted, then the balance check plans as its transaction does', async () => {
    const { rows } = await scratch.raw(`SELECT proconfig FROM pg_proc WHERE proname = 'ledger_entry_balances'`);
    expect(rows[0].proconfig).toBeNull();
  });

  it('When payments are written, then the shared-references check plans its query for the statement at hand', async () => {
    const { rows } = await scratch.raw(`SELECT prosrc FROM pg_proc WHERE proname = 'payments_note_shared_references'`);
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
