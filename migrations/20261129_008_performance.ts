import type { Knex } from 'knex';

/**
 * Indexes the benchmarks showed missing (BENCHMARKS.md). An assessment reads a levy's objects a
 * page at a time in (payer, id) order; without this index every page scanned and sorted all of the
 * levy's objects (90 ms a page at 100,000 objects, 12 ms with it).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX objects_assessment_order ON objects (levy_type_id, (coalesce(payer_id, 0)), id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS objects_assessment_order');
}
