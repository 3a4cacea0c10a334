import type { Knex } from 'knex';

/** Reference data, levy definitions, payers, objects, assessments, bills and the bank log. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE EXTENSION IF NOT EXISTS pgcrypto');

  await knex.schema.createTable('opds', (t) => {
    t.bigIncrements('id');
    t.string('code', 12).notNullable().unique();
    t.text('name').notNullable();
    t.text('pemda_name').notNullable();
    t.text('address').notNullable().defaultTo('');
    t.text('head_name').notNullable().defaultTo('');
    t.text('head_nip').notNullable().defaultTo('');
    t.text('head_title').notNullable().defaultTo('');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`ALTER TABLE opds ADD CONSTRAINT opds_code_format CHECK (code ~ '^[A-Z0-9]{2,12}$')`);

  await knex.schema.createTable('bank_channels', (t) => {
    t.bigIncrements('id');
    t.string('code', 40).notNullable().unique();
    t.text('name').notNullable();
    t.text('connector').notNullable();
    t.text('bank_name').notNullable();
    // Connection settings. A string value "env:NAME" is read from the environment at use, so
    // credentials live with the deployment's secrets and never in the database.
    t.jsonb('settings').notNullable();
    t.integer('concurrency').notNullable().defaultTo(8);
    t.integer('rate_per_second').notNullable().defaultTo(50);
    t.text('time_zone').notNullable().defaultTo('Asia/Jakarta');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`ALTER TABLE bank_channels ADD CONSTRAINT bank_channels_connector CHECK (connector IN ('bni_ecollection','snap'))`);
  await knex.raw(`ALTER TABLE bank_channels ADD CONSTRAINT bank_channels_limits CHECK (concurrency BETWEEN 1 AND 256 AND rate_per_second BETWEEN 1 AND 10000)`);

  await knex.schema.createTable('levy_types', (t) => {
    t.bigIncrements('id');
    t.string('code', 40).notNullable().unique();
    t.bigInteger('opd_id').notNullable().references('opds.id');
    t.text('name').notNullable();
    t.text('kind').notNullable();
    t.text('class').notNullable().defaultTo('');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`ALTER TABLE levy_types ADD CONSTRAINT levy_types_kind CHECK (kind IN ('retribusi','pajak'))`);
  await knex.raw(`ALTER TABLE levy_types ADD CONSTRAINT levy_types_code_format CHECK (code ~ '^[a-z0-9][a-z0-9_-]*$')`);

  await knex.schema.createTable('levy_type_versions', (t) => {
    t.bigIncrements('id');
    t.bigInteger('levy_type_id').notNullable().references('levy_types.id');
    t.integer('version').notNullable();
    t.date('effective_from').notNullable();
    t.jsonb('legal_basis').notNullable();
    t.date('valid_from').notNullable();
    t.date('valid_to');
    t.jsonb('account_codes').notNullable();
    t.jsonb('object_schema').notNullable();
    t.text('period_kind').notNullable();
    t.text('billing_unit').notNullable();
    t.text('document_type').notNullable();
    t.jsonb('tariff_rule').notNullable();
    t.jsonb('rounding').notNullable();
    t.jsonb('due_rule').notNullable();
    t.jsonb('interest_rule').notNullable();
    t.jsonb('payment_policy').notNullable();
    t.bigInteger('bank_channel_id').notNullable().references('bank_channels.id');
    t.text('document_template').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['levy_type_id', 'version']);
    t.unique(['levy_type_id', 'effective_from']);
  });
  await knex.raw(`ALTER TABLE levy_type_versions ADD CONSTRAINT ltv_period_kind CHECK (period_kind IN ('yearly','monthly','one_off'))`);
  await knex.raw(`ALTER TABLE levy_type_versions ADD CONSTRAINT ltv_billing_unit CHECK (billing_unit IN ('per_payer','per_object'))`);
  await knex.raw(`ALTER TABLE levy_type_versions ADD CONSTRAINT ltv_validity CHECK (valid_to IS NULL OR valid_to >= valid_from)`);

  await knex.schema.createTable('payers', (t) => {
    t.bigIncrements('id');
    t.string('npwrd', 40).notNullable().unique();
    t.text('name').notNullable();
    t.text('address').notNullable().defaultTo('');
    t.text('email');
    t.text('phone');
    t.jsonb('contacts').notNullable().defaultTo('[]');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('objects', (t) => {
    t.bigIncrements('id');
    t.bigInteger('levy_type_id').notNullable().references('levy_types.id');
    t.string('code', 60).notNullable();
    t.text('name').notNullable();
    t.bigInteger('payer_id').references('payers.id');
    t.jsonb('attributes').notNullable();
    t.text('status').notNullable().defaultTo('active');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['levy_type_id', 'code']);
    t.index(['levy_type_id', 'payer_id']);
  });
  await knex.raw(`ALTER TABLE objects ADD CONSTRAINT objects_status CHECK (status IN ('active','dismantled','ownerless','disputed'))`);

  await knex.schema.createTable('assessments', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.bigInteger('levy_type_id').notNullable().references('levy_types.id');
    t.bigInteger('levy_type_version_id').references('levy_type_versions.id');
    t.text('period').notNullable();
    t.text('status').notNullable().defaultTo('running');
    t.integer('objects_considered').notNullable().defaultTo(0);
    t.integer('bills_created').notNullable().defaultTo(0);
    t.integer('bills_existing').notNullable().defaultTo(0);
    t.integer('lines_created').notNullable().defaultTo(0);
    t.bigInteger('amount_created').notNullable().defaultTo(0);
    t.jsonb('unbilled').notNullable().defaultTo('[]');
    t.text('error');
    t.text('requested_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('completed_at', { useTz: true });
  });
  await knex.raw(`ALTER TABLE assessments ADD CONSTRAINT assessments_status CHECK (status IN ('running','completed','failed'))`);
  // One run at a time per levy and period; a second request while one runs gets the same run.
  await knex.raw(`CREATE UNIQUE INDEX assessments_one_running ON assessments (levy_type_id, period) WHERE status = 'running'`);

  await knex.schema.createTable('bill_number_sequences', (t) => {
    t.bigInteger('opd_id').notNullable().references('opds.id');
    t.integer('year').notNullable();
    t.integer('last_no').notNullable().defaultTo(0);
    t.primary(['opd_id', 'year']);
  });

  await knex.schema.createTable('bills', (t) => {
    t.bigIncrements('id');
    t.text('bill_no').notNullable().unique();
    t.text('document_type').notNullable();
    t.bigInteger('opd_id').notNullable().references('opds.id');
    t.bigInteger('levy_type_id').notNullable().references('levy_types.id');
    t.bigInteger('levy_type_version_id').notNullable().references('levy_type_versions.id');
    t.uuid('assessment_id').references('assessments.id');
    t.bigInteger('payer_id').notNullable().references('payers.id');
    t.text('period').notNullable();
    // What the bill is for within (levy, period): the payer or the object, per the billing unit.
    t.text('subject_key').notNullable();
    t.text('status').notNullable().defaultTo('draft');
    t.bigInteger('amount').notNullable();
    t.bigInteger('paid_amount').notNullable().defaultTo(0);
    t.string('billing_type', 1).notNullable();
    t.bigInteger('bank_channel_id').notNullable().references('bank_channels.id');
    t.string('trx_id', 30).unique();
    t.string('virtual_account', 20);
    t.date('issue_date').notNullable();
    t.date('due_date').notNullable();
    t.timestamp('expires_at', { useTz: true });
    t.text('last_bank_status');
    t.text('last_bank_message');
    t.integer('issue_attempts').notNullable().defaultTo(0);
    t.timestamp('issued_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['levy_type_id', 'period', 'subject_key']);
    t.index(['payer_id', 'id']);
    t.index(['status', 'id']);
    t.index(['opd_id', 'id']);
  });
  await knex.raw(`ALTER TABLE bills ADD CONSTRAINT bills_status CHECK (status IN
    ('draft','issuing','issue_failed','issued','partially_paid','paid','expired','cancelled','superseded'))`);
  await knex.raw(`ALTER TABLE bills ADD CONSTRAINT bills_amounts CHECK (amount >= 0 AND paid_amount >= 0)`);
  await knex.raw(`ALTER TABLE bills ADD CONSTRAINT bills_billing_type CHECK (billing_type IN ('c','i','o','m','n','x'))`);
  await knex.raw(`ALTER TABLE bills ADD CONSTRAINT bills_issued_has_va CHECK
    (status NOT IN ('issued','partially_paid','paid') OR (trx_id IS NOT NULL AND virtual_account IS NOT NULL))`);

  await knex.schema.createTable('bill_lines', (t) => {
    t.bigIncrements('id');
    t.bigInteger('bill_id').notNullable().references('bills.id');
    t.integer('line_no').notNullable();
    t.bigInteger('object_id').references('objects.id');
    t.text('account_code').notNullable();
    t.text('description').notNullable();
    t.bigInteger('amount').notNullable();
    // Inputs, the evaluated trace and the unrounded value, exactly as computed and printed.
    t.jsonb('calculation').notNullable();
    t.unique(['bill_id', 'line_no']);
    t.index(['object_id']);
  });
  await knex.raw(`ALTER TABLE bill_lines ADD CONSTRAINT bill_lines_amount CHECK (amount >= 0)`);

  // Every trx_id ever sent to a bank, so none is ever reused, even after the bill moves on.
  await knex.schema.createTable('bank_references', (t) => {
    t.bigIncrements('id');
    t.bigInteger('bank_channel_id').notNullable().references('bank_channels.id');
    t.string('trx_id', 30).notNullable();
    t.bigInteger('bill_id').notNullable().references('bills.id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['bank_channel_id', 'trx_id']);
  });

  await knex.schema.createTable('bank_requests', (t) => {
    t.bigIncrements('id');
    t.bigInteger('bank_channel_id').notNullable().references('bank_channels.id');
    t.text('operation').notNullable();
    t.text('trx_id');
    t.jsonb('request').notNullable();
    t.jsonb('response');
    t.text('status_code');
    t.text('outcome').notNullable();
    t.integer('duration_ms').notNullable();
    t.text('error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['trx_id']);
  });

  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id');
    t.text('actor').notNullable();
    t.text('action').notNullable();
    t.text('entity_type').notNullable();
    t.text('entity_id').notNullable();
    t.jsonb('before');
    t.jsonb('after');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['entity_type', 'entity_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'audit_log',
    'bank_requests',
    'bank_references',
    'bill_lines',
    'bills',
    'bill_number_sequences',
    'assessments',
    'objects',
    'payers',
    'levy_type_versions',
    'levy_types',
    'bank_channels',
    'opds',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
