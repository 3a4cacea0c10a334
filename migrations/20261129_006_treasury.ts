import type { Knex } from 'knex';

/**
 * Treasury: STS (Surat Tanda Setoran) deposit slips numbered per OPD and year, each covering one
 * WIB day's payments on one bank channel for one OPD, with a line per kode rekening; the annual
 * revenue targets per levy type; the OPD's bendahara penerimaan who signs the STS; and documents
 * kept for an STS or for a day's recap.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE document_sequences DROP CONSTRAINT document_sequences_kind');
  await knex.raw(`ALTER TABLE document_sequences ADD CONSTRAINT document_sequences_kind CHECK (kind IN ('bill','receipt','sts'))`);

  await knex.schema.alterTable('opds', (t) => {
    t.text('treasurer_name').notNullable().defaultTo('');
    t.text('treasurer_nip').notNullable().defaultTo('');
  });

  await knex.schema.createTable('sts', (t) => {
    t.bigIncrements('id');
    t.text('sts_no').notNullable().unique();
    t.bigInteger('opd_id').notNullable().references('opds.id');
    t.bigInteger('bank_channel_id').notNullable().references('bank_channels.id');
    // The WIB day whose payments it deposits.
    t.date('deposit_date').notNullable();
    t.integer('year').notNullable();
    t.integer('seq').notNullable();
    t.bigInteger('revenue_amount').notNullable();
    // Overpayments held for the payer: deposited with the rest, but not revenue.
    t.bigInteger('credit_amount').notNullable();
    t.bigInteger('total_amount').notNullable();
    t.integer('payment_count').notNullable();
    t.text('created_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['opd_id', 'year', 'seq']);
    t.index(['deposit_date']);
  });
  await knex.raw(`ALTER TABLE sts ADD CONSTRAINT sts_amounts CHECK
    (revenue_amount >= 0 AND credit_amount >= 0 AND total_amount = revenue_amount + credit_amount AND payment_count >= 0)`);
  await knex.raw(`ALTER TABLE sts ADD CONSTRAINT sts_no_format CHECK (sts_no ~ '^[A-Z0-9]{2,12}-STS-[0-9]{4}-[0-9]{6,}$')`);

  await knex.schema.createTable('sts_lines', (t) => {
    t.bigInteger('sts_id').notNullable().references('sts.id');
    t.integer('line_no').notNullable();
    t.text('account_code').notNullable();
    t.text('description').notNullable();
    t.bigInteger('amount').notNullable();
    t.primary(['sts_id', 'line_no']);
    t.unique(['sts_id', 'account_code']);
  });
  await knex.raw('ALTER TABLE sts_lines ADD CONSTRAINT sts_lines_amount CHECK (amount >= 0)');

  await knex.schema.createTable('sts_payments', (t) => {
    // A payment is deposited once: this key, not the generator's lock, is the guarantee.
    t.bigInteger('payment_id').primary().references('payments.id');
    t.bigInteger('sts_id').notNullable().references('sts.id');
    t.index(['sts_id']);
  });

  await knex.schema.createTable('revenue_targets', (t) => {
    t.bigInteger('levy_type_id').notNullable().references('levy_types.id');
    t.integer('fiscal_year').notNullable();
    t.bigInteger('amount').notNullable();
    t.text('updated_by').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['levy_type_id', 'fiscal_year']);
  });
  await knex.raw('ALTER TABLE revenue_targets ADD CONSTRAINT revenue_targets_amount CHECK (amount >= 0 AND fiscal_year BETWEEN 2000 AND 2100)');

  await knex.schema.alterTable('documents', (t) => {
    t.bigInteger('sts_id').references('sts.id');
    // The day a kept daily recap is for.
    t.date('report_date');
    t.unique(['kind', 'sts_id']);
    t.unique(['kind', 'report_date']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DELETE FROM documents WHERE sts_id IS NOT NULL OR report_date IS NOT NULL`);
  await knex.schema.alterTable('documents', (t) => {
    t.dropUnique(['kind', 'report_date']);
    t.dropUnique(['kind', 'sts_id']);
    t.dropColumns('sts_id', 'report_date');
  });
  for (const table of ['revenue_targets', 'sts_payments', 'sts_lines', 'sts']) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.schema.alterTable('opds', (t) => {
    t.dropColumns('treasurer_name', 'treasurer_nip');
  });
  await knex.raw(`DELETE FROM document_sequences WHERE kind = 'sts'`);
  await knex.raw('ALTER TABLE document_sequences DROP CONSTRAINT document_sequences_kind');
  await knex.raw(`ALTER TABLE document_sequences ADD CONSTRAINT document_sequences_kind CHECK (kind IN ('bill','receipt'))`);
}
