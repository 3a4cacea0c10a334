import type { Knex } from 'knex';

/**
 * The ledger's balance check follows the transaction's plan_cache_mode again instead of planning
 * for every line whatever it says (migration 013): every ledger posting runs in a transaction that
 * plans for the tables as they are while they are small (planForCurrentSizes in src/db.ts), and
 * once they are not, the cached plan of its lookup is an index scan, made on a table of a megabyte
 * or more, and planning it again for every line (a fifth of the planning on the issuing path)
 * gains nothing.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER FUNCTION ledger_entry_balances() RESET plan_cache_mode');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER FUNCTION ledger_entry_balances() SET plan_cache_mode = force_custom_plan');
}
