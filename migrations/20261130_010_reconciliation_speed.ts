import type { Knex } from 'knex';

/**
 * A payment keeps the VA it was paid to (its notification's), so that matching a statement joins
 * the channel's payments alone rather than payments and their notifications: at a million lines
 * that join was most of the matching. The statement's lines are written once, by the COPY of the
 * upload, and only those that do not match are updated: a line matched by its bank reference names
 * its payment by that reference on the run's channel (its payment_id stays empty); the lines paired
 * by VA and the mismatches name it by payment_id.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE payments ADD COLUMN virtual_account text');
  await knex.raw('UPDATE payments p SET virtual_account = n.virtual_account FROM bank_notifications n WHERE n.id = p.notification_id');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE payments DROP COLUMN IF EXISTS virtual_account');
}
