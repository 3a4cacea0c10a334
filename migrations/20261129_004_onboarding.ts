import type { Knex } from 'knex';

/**
 * Onboarding levies as configuration: the assessment mode and the dry-run samples of a levy type
 * version, which OPD registered a payer, and Idempotency-Key records for requests that create
 * bills.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('levy_type_versions', (t) => {
    t.text('assessment_mode').notNullable().defaultTo('official');
    // The objects the definition was dry-run on when it was accepted; shown with the version.
    t.jsonb('sample_objects').notNullable().defaultTo('[]');
  });
  await knex.raw(`ALTER TABLE levy_type_versions ADD CONSTRAINT ltv_assessment_mode CHECK
    (assessment_mode IN ('official','self_assessed','on_request'))`);

  // The payer registry is city-wide; the registering OPD lets an OPD admin list the payers it
  // brought in, alongside those it bills.
  await knex.schema.alterTable('payers', (t) => {
    t.bigInteger('registered_by_opd_id').references('opds.id');
  });

  await knex.schema.createTable('idempotency_keys', (t) => {
    // Who sent the key ("role:sub:scope"): two callers never share a key space.
    t.text('principal').notNullable();
    t.string('key', 255).notNullable();
    t.text('request_method').notNullable();
    t.text('request_path').notNullable();
    t.string('request_hash', 64).notNullable();
    // A request holds the key while it runs; a crashed one is taken over once the lock lapses.
    t.uuid('locked_by');
    t.timestamp('locked_until', { useTz: true });
    t.integer('response_status');
    t.jsonb('response_body');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('completed_at', { useTz: true });
    t.primary(['principal', 'key']);
    t.index(['created_at']);
  });
  await knex.raw(`ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_state CHECK
    ((completed_at IS NULL AND locked_by IS NOT NULL AND locked_until IS NOT NULL AND response_status IS NULL)
     OR (completed_at IS NOT NULL AND response_status IS NOT NULL AND response_body IS NOT NULL))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('idempotency_keys');
  await knex.schema.alterTable('payers', (t) => {
    t.dropColumn('registered_by_opd_id');
  });
  await knex.raw('ALTER TABLE levy_type_versions DROP CONSTRAINT ltv_assessment_mode');
  await knex.schema.alterTable('levy_type_versions', (t) => {
    t.dropColumn('sample_objects');
    t.dropColumn('assessment_mode');
  });
}
