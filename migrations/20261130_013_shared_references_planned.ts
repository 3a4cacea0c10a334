import type { Knex } from 'knex';

/**
 * The trigger that notes shared bank references asked its question with a plan made the first time
 * a connection ran it: a query with no parameters is planned once and kept, whatever the session's
 * plan_cache_mode. Made while payments was empty, that plan read every payment for each batch of
 * payments written (7 ms a batch within a minute of the notification benchmark, growing). EXECUTE
 * plans it for the statement's own rows and the table as it is, through the index on
 * (bank_channel_id, payment_ref); one plan per statement that writes payments.
 */
const QUESTION = `
      INSERT INTO payment_reference_shares (bank_channel_id, payment_ref)
      SELECT DISTINCT a.bank_channel_id, a.payment_ref
        FROM added a
       WHERE EXISTS (SELECT 1 FROM payments p WHERE p.bank_channel_id = a.bank_channel_id AND p.payment_ref = a.payment_ref AND p.id <> a.id)
      ON CONFLICT DO NOTHING`;

function body(run: string): string {
  return `
    CREATE OR REPLACE FUNCTION payments_note_shared_references() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      ${run};
      RETURN NULL;
    END $$`;
}

export async function up(knex: Knex): Promise<void> {
  await knex.raw(body(`EXECUTE '${QUESTION.trim().replace(/'/g, "''")}'`));
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(body(QUESTION.trim()));
}
