import { closeDb, db } from '../../src/db';

/** What every pooled connection is set to, whatever the server's defaults (src/db.ts says why). */
describe('Database sessions', () => {
  afterAll(() => closeDb());

  it('When Kasda opens a connection, then it speaks UTC and plans each statement for its own values', async () => {
    const { rows } = await db().raw(`SELECT current_setting('TimeZone') AS tz, current_setting('plan_cache_mode') AS plans`);
    expect(rows[0]).toEqual({ tz: 'UTC', plans: 'force_custom_plan' });
  });
});
