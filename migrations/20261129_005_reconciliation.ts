import type { Knex } from 'knex';

/**
 * Statement reconciliation: each imported bank statement is a run; its lines are bulk-loaded
 * (COPY) and matched in SQL against payments; what does not agree becomes an exception that
 * finance resolves with a reason.
 */
export async function up(knex: Knex): Promise<void> {
  // A run is one statement imported and matched, whole, in one transaction.
  await knex.schema.createTable('statement_runs', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.bigInteger('bank_channel_id').notNullable().references('bank_channels.id');
    t.text('format').notNullable();
    t.date('period_from').notNullable();
    t.date('period_to').notNullable();
    t.integer('settlement_lag_days').notNullable();
    t.text('file_name');
    t.string('file_sha256', 64).notNullable();
    t.bigInteger('bytes').notNullable();
    t.integer('lines_loaded').notNullable();
    t.integer('lines_rejected').notNullable();
    t.integer('lines_skipped').notNullable();
    // Outcome counts per line and per payment.
    t.jsonb('counts');
    t.integer('duration_ms');
    t.text('requested_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['bank_channel_id', 'period_to']);
  });
  await knex.raw(`ALTER TABLE statement_runs ADD CONSTRAINT statement_runs_period CHECK (period_to >= period_from)`);
  await knex.raw(`ALTER TABLE statement_runs ADD CONSTRAINT statement_runs_lag CHECK (settlement_lag_days BETWEEN 0 AND 31)`);
  // The same file for the same channel, format and range is one run, however often it is uploaded.
  await knex.raw(`CREATE UNIQUE INDEX statement_runs_same_file ON statement_runs (bank_channel_id, file_sha256, format, period_from, period_to)`);

  // One row per row of the file, rejected rows included (with the reason), written once, with its
  // outcome, by one INSERT … SELECT. run_id and payment_id have no foreign keys: a million per-row
  // checks would cost more than the whole match, and both come from the same transaction's own
  // run row and its join with payments.
  await knex.raw(`
    CREATE TABLE statement_lines (
      run_id uuid NOT NULL,
      line_no integer NOT NULL,
      posted_at timestamptz,
      virtual_account text,
      amount bigint,
      bank_reference text,
      description text,
      outcome text NOT NULL,
      reject_reason text,
      payment_id bigint,
      detail jsonb,
      PRIMARY KEY (run_id, line_no),
      CONSTRAINT statement_lines_outcome CHECK (outcome IN ('rejected','matched','missing_in_system','amount_mismatch','duplicate')),
      CONSTRAINT statement_lines_rejected CHECK ((outcome = 'rejected') = (reject_reason IS NOT NULL)),
      CONSTRAINT statement_lines_amount CHECK (outcome = 'rejected' OR (amount > 0 AND posted_at IS NOT NULL))
    )`);
  // What needs a second look is a small part of a run: index only that.
  await knex.raw(`CREATE INDEX statement_lines_unmatched ON statement_lines (run_id, outcome) WHERE outcome <> 'matched'`);

  // Kasda's payments that a statement lacks: missing in the bank, or still inside the settlement
  // lag (pending, carried to the channel's next statement). Written in bulk like the lines (a
  // statement of the wrong range leaves every payment of it missing), so without foreign keys too.
  await knex.schema.createTable('statement_payment_outcomes', (t) => {
    t.uuid('run_id').notNullable();
    t.bigInteger('payment_id').notNullable();
    t.text('outcome').notNullable();
    t.uuid('settled_by_run').references('statement_runs.id');
    t.primary(['run_id', 'payment_id']);
  });
  await knex.raw(`ALTER TABLE statement_payment_outcomes ADD CONSTRAINT statement_payment_outcomes_outcome CHECK (outcome IN ('missing_in_bank','pending'))`);
  await knex.raw(`CREATE INDEX statement_payment_outcomes_open ON statement_payment_outcomes (payment_id) WHERE outcome = 'pending' AND settled_by_run IS NULL`);

  await knex.schema.createTable('reconciliation_exceptions', (t) => {
    t.bigIncrements('id');
    t.bigInteger('bank_channel_id').notNullable().references('bank_channels.id');
    t.uuid('run_id').notNullable().references('statement_runs.id');
    t.text('outcome').notNullable();
    // What the difference is about (a bank reference, a line, a payment): the same difference seen
    // in a later statement of the channel is the same exception, not a second one.
    t.text('subject_key').notNullable();
    t.integer('line_no');
    t.bigInteger('payment_id').references('payments.id');
    t.bigInteger('bill_id').references('bills.id');
    t.text('virtual_account');
    t.text('bank_reference');
    t.timestamp('occurred_at', { useTz: true });
    t.bigInteger('amount');
    t.text('field');
    t.text('bank_value');
    t.text('kasda_value');
    t.text('status').notNullable().defaultTo('open');
    t.text('action');
    t.text('reason');
    t.text('resolved_by');
    t.timestamp('resolved_at', { useTz: true });
    t.bigInteger('resolved_bill_id').references('bills.id');
    t.bigInteger('resolved_payment_id').references('payments.id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['bank_channel_id', 'outcome', 'subject_key']);
    t.index(['run_id', 'id']);
    t.index(['status', 'id']);
  });
  await knex.raw(`ALTER TABLE reconciliation_exceptions ADD CONSTRAINT reconciliation_exceptions_outcome CHECK
    (outcome IN ('missing_in_system','missing_in_bank','amount_mismatch','duplicate'))`);
  await knex.raw(`ALTER TABLE reconciliation_exceptions ADD CONSTRAINT reconciliation_exceptions_status CHECK (status IN ('open','resolved'))`);
  await knex.raw(`ALTER TABLE reconciliation_exceptions ADD CONSTRAINT reconciliation_exceptions_action CHECK
    (action IS NULL OR action IN ('link_to_bill','mark_refund','accept_difference','write_off'))`);
  await knex.raw(`ALTER TABLE reconciliation_exceptions ADD CONSTRAINT reconciliation_exceptions_resolution CHECK
    ((status = 'open' AND action IS NULL AND resolved_at IS NULL)
      OR (status = 'resolved' AND action IS NOT NULL AND reason IS NOT NULL AND resolved_by IS NOT NULL AND resolved_at IS NOT NULL))`);

  // A statement line finds its payment by the bank's reference, and a credit without a known
  // reference its bill by VA (so does a link to a bill).
  await knex.raw('CREATE INDEX payments_by_reference ON payments (bank_channel_id, payment_ref)');
  await knex.raw('CREATE INDEX bills_by_virtual_account ON bills (bank_channel_id, virtual_account) WHERE virtual_account IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS bills_by_virtual_account');
  await knex.raw('DROP INDEX IF EXISTS payments_by_reference');
  for (const table of ['reconciliation_exceptions', 'statement_payment_outcomes', 'statement_lines', 'statement_runs']) {
    await knex.schema.dropTableIfExists(table);
  }
}
