import type { Knex } from 'knex';

/**
 * Two triggers asked their questions with plans a connection made the first time it ran them, and
 * kept. Made while the ledger or the payments were nearly empty (a new database, a region's first
 * busy minute), those plans read the whole table every time, as it grew:
 * - the ledger's balance check, once per line posted (1.1 ms a line, growing, in the issuing
 *   benchmark). It is now planned for each line's entry, whatever the connection's settings.
 * - the shared-references trigger, once per statement that writes payments (7 ms a batch within a
 *   minute of the notification benchmark). Its query has no parameters, so a connection plans it
 *   once whatever plan_cache_mode says; EXECUTE plans it for the statement's rows and the table as
 *   it is, through the index on (bank_channel_id, payment_ref).
 */
const SHARED_REFERENCES = `
      INSERT INTO payment_reference_shares (bank_channel_id, payment_ref)
      SELECT DISTINCT a.bank_channel_id, a.payment_ref
        FROM added a
       WHERE EXISTS (SELECT 1 FROM payments p WHERE p.bank_channel_id = a.bank_channel_id AND p.payment_ref = a.payment_ref AND p.id <> a.id)
      ON CONFLICT DO NOTHING`;

function sharedReferences(run: string): string {
  return `
    CREATE OR REPLACE FUNCTION payments_note_shared_references() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      ${run};
      RETURN NULL;
    END $$`;
}

export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER FUNCTION ledger_entry_balances() SET plan_cache_mode = force_custom_plan');
  await knex.raw(sharedReferences(`EXECUTE '${SHARED_REFERENCES.trim().replace(/'/g, "''")}'`));
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER FUNCTION ledger_entry_balances() RESET plan_cache_mode');
  await knex.raw(sharedReferences(SHARED_REFERENCES.trim()));
}
