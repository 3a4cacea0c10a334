import type { Knex } from 'knex';

/**
 * Late interest and dunning: STRD bills that supersede an overdue bill, the dunning stages reached
 * per bill, a pause for objections and installment plans, and ledger entries for the move of the
 * receivable to the STRD and for interest.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('levy_type_versions', (t) => {
    t.jsonb('dunning_rule')
      .notNullable()
      .defaultTo(JSON.stringify({ reminder_days_before_due: 7, warning_days_after_due: 7, strd_days_after_due: 14, strd_due_days: 30 }));
  });

  await knex.schema.alterTable('bills', (t) => {
    t.bigInteger('supersedes_bill_id').references('bills.id').unique();
    t.text('dunning_paused_reason');
  });

  await knex.schema.createTable('bill_dunning', (t) => {
    t.bigIncrements('id');
    t.bigInteger('bill_id').notNullable().references('bills.id');
    t.text('stage').notNullable();
    t.date('due_on').notNullable();
    t.timestamp('recorded_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['bill_id', 'stage']);
  });
  await knex.raw(`ALTER TABLE bill_dunning ADD CONSTRAINT bill_dunning_stage CHECK (stage IN ('reminder','warning','strd'))`);

  await knex.raw('ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind');
  await knex.raw(`ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind CHECK (kind IN ('bill_issued','payment','strd','interest','correction'))`);
  await knex.raw('DROP INDEX ledger_entries_once');
  await knex.raw(`CREATE UNIQUE INDEX ledger_entries_once ON ledger_entries (kind, coalesce(payment_id, 0), coalesce(bill_id, 0)) WHERE kind IN ('bill_issued','payment','strd')`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX ledger_entries_once');
  await knex.raw(`CREATE UNIQUE INDEX ledger_entries_once ON ledger_entries (kind, coalesce(payment_id, 0), coalesce(bill_id, 0)) WHERE kind <> 'correction'`);
  await knex.raw('ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind');
  await knex.raw(`ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind CHECK (kind IN ('bill_issued','payment','correction'))`);
  await knex.schema.dropTableIfExists('bill_dunning');
  await knex.schema.alterTable('bills', (t) => {
    t.dropColumns('supersedes_bill_id', 'dunning_paused_reason');
  });
  await knex.schema.alterTable('levy_type_versions', (t) => {
    t.dropColumn('dunning_rule');
  });
}
