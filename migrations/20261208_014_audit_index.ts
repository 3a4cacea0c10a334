import type { Knex } from 'knex';

/**
 * The audit trail's index on (entity_type, entity_id) repeats the first two columns of the chain's
 * unique index (entity_type, entity_id, seq), which answers every lookup it did: it only cost an
 * index entry for every audit row written (two or three a payment, as many a VA).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS audit_log_entity_type_entity_id_index');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX audit_log_entity_type_entity_id_index ON audit_log (entity_type, entity_id)');
}
